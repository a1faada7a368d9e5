"""The name glossary: CSV files a translator edits, Russian matching in any case, English matching, QA.

A glossary is one or more CSV files with the columns of :data:`COLUMNS`. Russian names are found in
any grammatical case with pymorphy3; English names in their approved, variant and forbidden
spellings. Names outside the glossary fall back to :func:`kzalign.core.translit.transliterate` and are
marked unverified (``kzalign glossary check`` is the stage
:mod:`kzalign.stages.glossary_check`). The package is split at its seams:

========================  ==========================================================
``entries``               the CSV format, bounded reading, validation
``load``                  :func:`load_glossary` (explicit paths only)
``locations``             default user/bundled locations (used by the CLI only)
``morph``                 Russian morphology (pymorphy3), cached per word
``matcher``               :class:`Glossary`: find_ru/find_en/ru_names/en_names, name keys
``extract``               candidate extraction from linked items
``edit``                  add / merge / remove / edit / list
``export``                TBX-Basic, OmegaT and CSV exports
========================  ==========================================================
"""

from __future__ import annotations

from kzalign.glossary.edit import (
    EDITABLE,
    EditReport,
    MergeReport,
    add_entry,
    add_entry_values,
    add_to_glossary,
    checkout_glossary,
    edit_entry,
    glossary_table,
    merge_candidates,
    refuse_bundled,
    remove_from_glossary,
    seed_folder,
    target_file,
)
from kzalign.glossary.entries import (
    BUNDLED_DIR,
    CANDIDATES_FILE,
    COLUMNS,
    KIND_FILES,
    KINDS,
    MAX_CELL_CHARS,
    MAX_FORMS_PER_ROW,
    STATUSES,
    Entry,
    entry_row,
    glossary_files,
    new_entry,
    read_glossary_file,
    validate_entries,
)
from kzalign.glossary.explain import explain_lines
from kzalign.glossary.export import FORMATS, export_glossary, glossary_omegat, glossary_tbx, glossary_tbx2
from kzalign.glossary.extract import CANDIDATE_COLUMNS, extract_candidates, extract_to_file, write_candidates
from kzalign.glossary.load import load_glossary
from kzalign.glossary.locations import (
    default_glossary_location,
    default_glossary_paths,
    kzalign_home,
    legacy_glossary_hint,
    user_glossary_dir,
)
from kzalign.glossary.matcher import (
    Glossary,
    NameMatch,
    name_keys,
    recover_latin,
    translit_names,
    unknown_name_key,
)
from kzalign.glossary.morph import looks_foreign, ru_forms, ru_nominative, ru_norms

__all__ = [
    "BUNDLED_DIR", "CANDIDATES_FILE", "EDITABLE", "EditReport", "CANDIDATE_COLUMNS", "COLUMNS", "FORMATS", "KINDS",
    "KIND_FILES", "MAX_CELL_CHARS", "MAX_FORMS_PER_ROW", "STATUSES", "Entry", "Glossary", "MergeReport",
    "NameMatch", "add_entry", "add_entry_values", "add_to_glossary", "checkout_glossary", "edit_entry", "kzalign_home",
    "legacy_glossary_hint", "remove_from_glossary",
    "default_glossary_location", "default_glossary_paths", "entry_row", "explain_lines", "export_glossary",
    "extract_candidates", "extract_to_file", "glossary_files", "glossary_omegat", "glossary_table",
    "glossary_tbx", "glossary_tbx2", "load_glossary", "looks_foreign", "merge_candidates", "name_keys", "new_entry",
    "read_glossary_file", "recover_latin", "refuse_bundled", "ru_forms", "ru_nominative", "ru_norms",
    "seed_folder", "target_file", "translit_names", "unknown_name_key", "user_glossary_dir",
    "validate_entries", "write_candidates",
]
