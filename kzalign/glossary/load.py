"""Loading a glossary: the files the caller names, validated as a whole, with a content signature."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

from ..signature import file_hash
from .entries import glossary_files, read_rows, validate_entries
from .matcher import Glossary


def load_glossary(paths: Sequence[str | Path] | None = None) -> Glossary:
    """Load and validate the glossary CSV files and folders in ``paths`` (an empty list: no glossary).

    The library never looks for a default glossary: the command line resolves one with
    :func:`kzalign.glossary.locations.default_glossary_paths` and passes it in. ``None`` is accepted
    only during the transition of older callers and warns (DeprecationWarning).
    """
    if paths is None:
        from .locations import default_glossary_paths

        warnings.warn("load_glossary(None) is deprecated: pass the glossary paths (the CLI resolves the default "
                      "with default_glossary_paths())", DeprecationWarning, stacklevel=2)
        paths = default_glossary_paths()
    files = glossary_files(paths)
    rows = read_rows(files)
    validate_entries(rows)
    return Glossary([e for _, _, e in rows], file_hash(files) if files else "none")
