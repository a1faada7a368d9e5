"""Layer 0, the base: errors, text, dates, files and outputs, signatures, progress, transliteration.

Imports nothing else of kzalign; every other layer may import it.
"""
