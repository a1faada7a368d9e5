"""Reading a review file back, whatever its format, and the registry of review formats.

:data:`REVIEW_FORMATS` is the one table of review file formats (``kzalign review export --format`` and the
importer read it): each names its writer and its reader. The output guard asks :func:`has_decisions` so
that a reviewed file is never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kzalign.core.errors import InputError, KzalignError, Problem
from kzalign.formats import sheet, xliff
from kzalign.formats.schema import ReviewFile


@dataclass(frozen=True)
class ReviewFormat:
    """A review file format: how rows become a file and how a reviewed file comes back."""

    name: str
    description: str
    suffixes: tuple[str, ...]
    read: Callable[[Path], ReviewFile]
    #: ``write(out, rows, signature, source_lang, target_lang)``: the rows (any iterable: they are written as they
    #: come) as a file, written atomically
    write: Callable[[Path, Iterable[dict[str, Any]], str, str, str], None]


def _write_csv(out: Path, rows: Iterable[dict[str, Any]], signature: str, source_lang: str, target_lang: str) -> None:
    sheet.write_review_csv(out, rows, signature)


def _write_tsv(out: Path, rows: Iterable[dict[str, Any]], signature: str, source_lang: str, target_lang: str) -> None:
    sheet.write_review_tsv(out, rows, signature)


def _write_xlsx(out: Path, rows: Iterable[dict[str, Any]], signature: str, source_lang: str, target_lang: str) -> None:
    sheet.write_review_xlsx(out, rows, signature)


def _write_xliff(out: Path, rows: Iterable[dict[str, Any]], signature: str, source_lang: str, target_lang: str) -> None:
    xliff.write_review_xliff(out, rows, signature, source_lang, target_lang)


#: The review file formats, by name: ``kzalign review export --format`` and the importer read this table.
REVIEW_FORMATS: dict[str, ReviewFormat] = {f.name: f for f in (
    ReviewFormat("csv", "spreadsheet-safe CSV (UTF-8 with BOM, header first)", (".csv", ".txt"),
                 sheet.read_csv, _write_csv),
    ReviewFormat("tsv", "tab-separated, as the CSV otherwise (UTF-8 with BOM, header first)", (".tsv", ".tab"),
                 sheet.read_csv, _write_tsv),
    ReviewFormat("xlsx", "Excel workbook with a decision drop-down", (".xlsx", ".xlsm"), sheet.read_xlsx, _write_xlsx),
    ReviewFormat("xliff", "XLIFF 1.2 for CAT tools (memoQ, Trados, OmegaT)", (".xlf", ".xliff", ".xlif"),
                 xliff.read_review_xliff, _write_xliff),
)}


def review_format(path: str | Path, fmt: str | None = None) -> str:
    """The review format: ``fmt`` when given, else the one whose suffixes name the file (``rev.tsv`` is
    tab-separated); csv for any other name."""
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower()
    return next((f.name for f in REVIEW_FORMATS.values() if suffix in f.suffixes), "csv")


def read_review_file(path: str | Path) -> ReviewFile:
    """Read a review CSV (UTF-8, UTF-16, Windows-1251/1252; ``,`` ``;`` or tab), XLSX or XLIFF file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), None, "file not found" if not path.exists() else "not a file"))
    with open(path, "rb") as fh:
        head = fh.read(512)
    fmt = review_format(path)
    if head.startswith(b"PK\x03\x04"):
        fmt = "xlsx"
    elif head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith((b"<?xml", b"<xliff")):
        fmt = "xliff"
    return REVIEW_FORMATS[fmt].read(path)


def has_decisions(path: str | Path) -> bool:
    """True when ``path`` is a review file with at least one decision filled in."""
    try:
        rf = read_review_file(path)
    except KzalignError:
        return False
    return any(cells.get("decision", "").strip() for _n, cells in rf.rows)
