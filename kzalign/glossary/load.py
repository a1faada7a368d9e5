"""Loading a glossary: the files the caller names, validated as a whole, with a content signature."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kzalign.core.signature import file_hash
from kzalign.glossary.entries import glossary_files, read_rows, validate_entries
from kzalign.glossary.matcher import Glossary


def load_glossary(paths: Sequence[str | Path]) -> Glossary:
    """Load and validate the glossary CSV files and folders in ``paths`` (an empty list: no glossary).

    The library never looks for a default glossary: the command line resolves one with
    :func:`kzalign.glossary.locations.default_glossary_paths` and passes it in.
    """
    files = glossary_files(paths)
    rows = read_rows(files)
    validate_entries(rows)
    return Glossary([e for _, _, e in rows], file_hash(files) if files else "none")
