"""kzalign: offline Russian-English news linking, translation and bitext alignment.

The library is organised as one module per stage (ingest, store, translate, embed, link,
sentences, glossary, review, evaluate); data flows one way:
files -> items -> translations -> embeddings -> links -> pairs -> review.
The CLI in :mod:`kzalign.cli` is a thin layer over these modules.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
