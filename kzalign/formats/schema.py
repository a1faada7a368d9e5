"""The review file's schema: its columns, the decisions a reviewer writes, and the parsed-file record.

Every review format (CSV/XLSX in :mod:`.sheet`, XLIFF in :mod:`.xliff`) writes these columns and reads back
a :class:`ReviewFile`; :mod:`.review_file` picks the reader for a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kzalign.core.errors import Problem

#: ``link_kind``: the kind of the link a row is (or whose sentences a pair row holds): translation, same_event or
#: follow_up; pairs of the last two are not translations (also flagged ``not-translation:``).
REVIEW_COLUMNS = ["row_id", "kind", "ru_id", "en_id", "ru_text", "mt_en", "en_text", "score", "evidence", "flags",
                  "link_kind", "check", "decision", "corrected_en", "reviewer", "note", "signature"]
EDITABLE = ("decision", "corrected_en", "reviewer", "note")
REQUIRED = ("row_id", "check", "decision")
DECISIONS = ("accept", "reject", "fix")
SIGNATURE_PREFIX = "signature: "
INSTRUCTIONS = ("Fill in decision (accept, reject or fix), the right English in corrected_en for a fix, reviewer "
                "and note; leave the other columns as they are. Then: kzalign review import FILE")


@dataclass
class ReviewFile:
    """A parsed review file: its signature, columns and rows, each with the row (or line) number users see."""

    path: Path
    fmt: str
    signature: dict[str, str]
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]
    encoding: str = "utf-8"
    problems: list[Problem] = field(default_factory=list)
