"""File formats of the review round trip and of the exports, each a writer and (where it comes back) a reader.

``sheet``: review CSV/XLSX (the table a translator fills in); ``xliff``: the same review as XLIFF 1.2 for CAT
tools; ``tmx``: accepted sentence pairs as TMX 1.4b. The review logic (what goes in, what a decision does) is
in :mod:`kzalign.stages.review`; these modules only turn rows into files and files into rows.
"""
