"""Review files as tables: CSV (the one spreadsheet-safe dialect) and XLSX, written and read back.

The header is the first line, so spreadsheets, pandas, translate-toolkit and CAT tools' delimited import take
the file as it is. The signature that ties a file to its workspace is a column (repeated on every row, so
sorting, filtering or deleting rows never loses it) and, in XLSX, also on an ``about`` sheet.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from kzalign.core.errors import InputError, KzalignError, Problem
from kzalign.core.files import (
    atomic_output,
    csv_blocks,
    decode_text,
    looks_mojibake,
    repair_mojibake,
    sniff_delimiter,
    unneutralize_formula,
)
from kzalign.core.safexml import check_zip
from kzalign.core.signature import parse_signature
from kzalign.formats.schema import (
    INSTRUCTIONS,
    REQUIRED,
    REVIEW_COLUMNS,
    SIGNATURE_PREFIX,
    ReviewFile,
)

# -- writing --------------------------------------------------------------------------------------
#: Widths of the XLSX columns (characters).
WIDTHS = {"row_id": 15, "kind": 9, "ru_id": 14, "en_id": 14, "ru_text": 55, "mt_en": 45, "en_text": 55, "score": 8,
          "evidence": 35, "flags": 20, "link_kind": 12, "check": 13, "decision": 11, "corrected_en": 50,
          "reviewer": 12, "note": 30, "signature": 20}
WRAPPED = ("ru_text", "mt_en", "en_text", "corrected_en", "note")
#: Rows of an Excel/LibreOffice worksheet, the header included.
XLSX_MAX_ROWS = 1_048_576


class SheetFull(KzalignError):
    """The review rows do not fit in one worksheet (the caller names the file)."""


def _cells(rows: Iterable[dict[str, Any]], signature: str) -> Iterator[dict[str, Any]]:
    for r in rows:
        yield {**{c: r.get(c, "") for c in REVIEW_COLUMNS}, "signature": signature}


def write_review_csv(out: Path, rows: Iterable[dict[str, Any]], signature: str, delimiter: str = ",") -> None:
    """The review table as spreadsheet-safe CSV (header first, signature column), written as the rows come."""
    with atomic_output(out) as fh:
        for chunk in csv_blocks(_cells(rows, signature), columns=REVIEW_COLUMNS, delimiter=delimiter):
            fh.write(chunk)


def write_review_tsv(out: Path, rows: Iterable[dict[str, Any]], signature: str) -> None:
    """The review table tab-separated (UTF-8 with BOM, CRLF, formulas neutralised as in the CSV); the importer
    reads it back (it sniffs the tab)."""
    write_review_csv(out, rows, signature, delimiter="\t")


def write_review_xlsx(out: Path, rows: Iterable[dict[str, Any]], signature: str) -> None:
    """The review table as a workbook: decision drop-down, autofilter, frozen header, widths, ``about`` sheet.

    Written as the rows come (openpyxl's write-only mode keeps the sheet in a temporary file, not in memory)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook(write_only=True)
    sh = wb.create_sheet("review")
    letter = {c: get_column_letter(i + 1) for i, c in enumerate(REVIEW_COLUMNS)}
    for c, w in WIDTHS.items():
        sh.column_dimensions[letter[c]].width = w
    sh.freeze_panes = "B2"
    sh.append([_cell(sh, c, Font(bold=True)) for c in REVIEW_COLUMNS])
    n = 1
    try:
        for r in _cells(rows, signature):
            if n == XLSX_MAX_ROWS:
                raise SheetFull(f"more review rows than a worksheet holds ({XLSX_MAX_ROWS - 1:,} under "
                                   "its header); export links and pairs to separate files (--what links, --what "
                                   "pairs) or write CSV, TSV or XLIFF, which have no limit")
            sh.append([_value(sh, r[c], c in WRAPPED) for c in REVIEW_COLUMNS])
            n += 1
    except BaseException:
        _discard(sh)
        raise
    dv = DataValidation(type="list", formula1='"accept,reject,fix"', allow_blank=True, showErrorMessage=True,
                        errorTitle="kzalign", error="Choose accept, reject or fix (or leave it empty).")
    dv.add(f"{letter['decision']}2:{letter['decision']}{max(n, 2)}")
    sh.data_validations.append(dv)
    sh.auto_filter.ref = f"A1:{letter['signature']}{n}"
    about = wb.create_sheet("about")
    about.column_dimensions["B"].width = 120
    for k, v in (("what", "kzalign review file"), ("how", INSTRUCTIONS), ("signature", signature)):
        about.append([k, v])
    with atomic_output(out) as fh:
        wb.save(fh)


def _discard(sh: Any) -> None:
    """Close a write-only sheet whose rows failed and remove the temporary file openpyxl keeps it in."""
    writer = getattr(sh, "_writer", None)  # openpyxl's own; None before the first row
    try:
        sh.close()
    finally:
        if writer is not None and os.path.exists(writer.out):
            writer.cleanup()


def _cell(sheet: Any, value: Any, font: Any = None, alignment: Any = None) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text, never a formula
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _value(sheet: Any, value: Any, wrapped: bool) -> Any:
    """A cell's value as written: text that a spreadsheet could take for a formula or an error code, and text of
    the wrapped columns (wrapped, top-aligned), as styled text cells."""
    if not isinstance(value, str):
        return value
    if wrapped:
        return _cell(sheet, value, alignment=_wrap_style())
    if value.startswith("=") or value.startswith("#"):
        return _cell(sheet, value)
    return value


@lru_cache(maxsize=1)
def _wrap_style() -> Any:
    from openpyxl.styles import Alignment

    return Alignment(wrap_text=True, vertical="top")


# -- reading --------------------------------------------------------------------------------------
def read_csv(path: Path) -> ReviewFile:
    text, encoding = decode_text(path.read_bytes(), str(path))
    lines = text.splitlines()
    header = next((ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(header), strict=True)
    records: list[list[str]] = []
    try:
        for rec in reader:
            records.append(rec)
    except csv.Error as exc:
        raise InputError(Problem(str(path), reader.line_num, f"broken CSV ({exc}); an unterminated quote? "
                                                             "Save the sheet again from the spreadsheet")) from exc
    rf = _parse_records(path, "csv", records, unneutralize=True)
    if rf.encoding == "utf-8":
        rf.encoding = encoding
    return rf


def read_xlsx(path: Path) -> ReviewFile:
    from openpyxl import load_workbook

    check_zip(path, str(path), what="workbook")  # zip bombs and DTDs refused before openpyxl unpacks anything
    try:
        values = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # zip/xml errors from a damaged workbook
        raise InputError(Problem(str(path), None, f"cannot read the workbook ({exc})")) from exc
    name = "review" if "review" in values.sheetnames else values.sheetnames[0]
    problems: list[Problem] = []
    records: list[list[str]] = []
    for vrow, frow in zip(values[name].iter_rows(), formulas[name].iter_rows(), strict=False):
        rec = []
        for vc, fc in zip(vrow, frow, strict=False):
            v = getattr(vc, "value", None)
            if v is None and getattr(fc, "data_type", "") == "f":
                problems.append(Problem(str(path), fc.row, f"cell {fc.coordinate} holds a formula ({fc.value}) "
                                                           "without a saved value; save the file in Excel or "
                                                           "LibreOffice (or type the value) and import it again"))
            rec.append("" if v is None else str(v))
        records.append(rec)
    signature = ""
    if "about" in values.sheetnames:
        for row in values["about"].iter_rows(values_only=True):
            if row and row[0] == "signature" and len(row) > 1 and row[1]:
                signature = str(row[1])
    values.close()
    formulas.close()
    rf = _parse_records(path, "xlsx", records, unneutralize=False)
    if signature and not rf.signature:
        rf.signature = parse_signature(signature)
    rf.problems.extend(problems)
    return rf


def _parse_records(path: Path, fmt: str, records: list[list[str]], unneutralize: bool) -> ReviewFile:
    """Rows of a table whose header may follow ``# ...`` lines (files of kzalign before 0.2 had them)."""
    comments: list[str] = []
    header_idx = None
    for idx, rec in enumerate(records):
        first = rec[0].strip() if rec else ""
        if first.startswith("#"):
            comments.append(" ".join(c for c in rec if c).lstrip("#").strip())
        elif any(c.strip() for c in rec):
            header_idx = idx
            break
    if header_idx is None:
        raise InputError(Problem(str(path), None, "no header row found; is this a kzalign review file?"))
    repaired = looks_mojibake(records[header_idx][0], (c for rec in records[header_idx + 1:] for c in rec[:8]))
    if repaired:  # UTF-8 that a spreadsheet read as Windows-1252 (LibreOffice headless does): undone exactly
        records = [[repair_mojibake(c) for c in rec] for rec in records]
    columns = [c.strip().lstrip("\ufeff") for c in records[header_idx]]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        hint = (" (the file looks like one column per line: was it saved with another separator?)"
                if len(columns) == 1 else "")
        raise InputError(Problem(str(path), header_idx + 1, f"the header lacks {', '.join(missing)}; "
                                                            f"keep the header row as exported{hint}"))
    dup = sorted({c for c in columns if c and columns.count(c) > 1})
    if dup:
        raise InputError(Problem(str(path), header_idx + 1, f"appearing twice in the header: {', '.join(dup)}"))
    sig: dict[str, str] = {}
    for c in comments:
        if c.startswith(SIGNATURE_PREFIX):
            sig = parse_signature(c[len(SIGNATURE_PREFIX):])
    rows = []
    problems = []
    for idx in range(header_idx + 1, len(records)):
        rec = records[idx]
        if not any(c.strip() for c in rec):
            continue
        if any(c.strip() for c in rec[len(columns):]):
            problems.append(Problem(str(path), idx + 1, f"{len(rec)} cells but {len(columns)} columns in the header "
                                                        "(an unterminated quote joining rows, or cells shifted?)"))
            continue
        cells = {col: (unneutralize_formula(rec[i]) if unneutralize else rec[i]) if i < len(rec) else ""
                 for i, col in enumerate(columns) if col}
        rows.append((idx + 1, cells))
        if not sig and cells.get("signature", "").strip():
            sig = parse_signature(cells["signature"])
    return ReviewFile(path, fmt, sig, columns, rows, encoding="utf-8 read as cp1252" if repaired else "utf-8",
                      problems=problems)
