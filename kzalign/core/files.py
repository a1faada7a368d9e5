"""Safe files: atomic writes, the one spreadsheet-safe CSV dialect, output paths checked before anything is
written (never the workspace, never a reviewed file), and text decoded as spreadsheets save it."""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TypeVar

import pandas as pd

from kzalign.core.errors import InputError, Problem

T = TypeVar("T")

#: Cells starting with these run as formulas in Excel/LibreOffice; we prefix them with a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_atomic(path: str | Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write to a temporary file beside ``path`` and rename it into place (never a half-written file)."""
    with atomic_output(path) as fh:
        fh.write(data.encode(encoding) if isinstance(data, str) else data)
    return Path(path)


@contextmanager
def atomic_output(path: str | Path) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` piece by piece: it is a temporary file beside ``path``, renamed into place
    when the block ends without an error and removed when it fails (never a half-written file)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """The path of an empty temporary file beside ``path`` for a writer that wants a file name; it replaces
    ``path`` when the block ends without an error and is removed when it fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    os.close(fd)
    try:
        os.chmod(tmp, _mode_for(path))
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """Permissions for a new output: those of the file it replaces, else 0o666 less the umask (as open() does)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_NEUTRALISED = re.compile(r"^'+[=+\-@\t\r]")


def neutralize_formula(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe.

    Text that already looks neutralised (apostrophes, then a formula character) gets one more, so
    :func:`unneutralize_formula` gives back exactly the original value: ``'+1`` → ``''+1`` → ``'+1``.
    """
    if isinstance(value, str) and (value.startswith(FORMULA_START)
                                   or (value.startswith("'") and _NEUTRALISED.match(value))):
        return "'" + value
    return value


def unneutralize_formula(value: str) -> str:
    """Undo :func:`neutralize_formula` when reading a reviewed sheet back (``unneutralize(neutralize(v)) == v``)."""
    if _NEUTRALISED.match(value):
        return value[1:]
    return value


def csv_text(
    rows: pd.DataFrame | Sequence[dict[str, object]],
    columns: Sequence[str] | None = None,
    comments: Iterable[str] = (),
    spreadsheet: bool = True,
    delimiter: str = ",",
) -> str:
    """Render rows as CSV text (or with another ``delimiter``: tab); ``spreadsheet`` neutralises formulas.
    Comments go first as ``# ...`` lines."""
    buf = io.StringIO()
    for c in comments:
        buf.write(f"# {c}\n")
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n", delimiter=delimiter)
    header, records = _records(rows, columns)
    writer.writerow(header)
    for rec in records:
        cells = []
        for v in rec:
            if v is None or (isinstance(v, float) and pd.isna(v)):
                v = ""
            elif isinstance(v, (list, tuple)):
                v = "; ".join(str(x) for x in v)
            cells.append(neutralize_formula(v) if spreadsheet else v)
        writer.writerow(cells)
    return buf.getvalue()


def _records(rows: pd.DataFrame | Sequence[dict[str, object]], columns: Sequence[str] | None
             ) -> tuple[list[str], Iterable[Sequence[object]]]:
    """Header and value rows, through a table (so values take its column types), its whole columns read as
    lists: pandas' string arrays read cell by cell cost most of a large export."""
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=columns)
    if columns is not None:
        df = df.reindex(columns=list(columns))
    return list(df.columns), zip(*[df.iloc[:, k].tolist() for k in range(df.shape[1])], strict=True)


def blocks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    """``rows`` as lists of ``size`` (the last one shorter), taken as they come: for writers that stream."""
    block: list[T] = []
    for row in rows:
        block.append(row)
        if len(block) == size:
            yield block
            block = []
    if block:
        yield block


def csv_blocks(
    rows: Iterable[dict[str, object]],
    columns: Sequence[str],
    delimiter: str = ",",
    size: int = 2000,
) -> Iterator[bytes]:
    """:func:`csv_bytes` of ``rows`` piece by piece (the BOM and header, then ``size`` rows at a time): the same
    bytes, without holding every row or the whole text."""
    yield ("\ufeff" + csv_text([], columns=columns, delimiter=delimiter)).encode("utf-8")
    for block in blocks(rows, size):
        yield _csv_rows(block, columns, delimiter)


def _csv_rows(rows: Sequence[dict[str, object]], columns: Sequence[str], delimiter: str) -> bytes:
    """The rows of :func:`csv_text` without its header line."""
    text = csv_text(rows, columns=columns, delimiter=delimiter)
    return text[text.index("\r\n") + 2:].encode("utf-8")


def csv_bytes(
    rows: pd.DataFrame | Sequence[dict[str, object]],
    columns: Sequence[str] | None = None,
    delimiter: str = ",",
) -> bytes:
    """The one CSV dialect kzalign writes, to a file or stdout: UTF-8 with BOM, CRLF, neutralised formulas.

    Excel and LibreOffice open it with Cyrillic intact and never run a cell as a formula; pandas, csv and
    translate-toolkit read it as they are (the BOM is read as part of UTF-8 by ``utf-8-sig``).
    """
    return ("\ufeff" + csv_text(rows, columns=columns, delimiter=delimiter)).encode("utf-8")


def write_csv(
    path: str | Path,
    rows: pd.DataFrame | Sequence[dict[str, object]],
    columns: Sequence[str] | None = None,
    comments: Iterable[str] = (),
    bom: bool = True,
) -> Path:
    """Atomically write a CSV that opens cleanly in Excel/LibreOffice (UTF-8 BOM, CRLF, quoted)."""
    text = csv_text(rows, columns=columns, comments=comments)
    return write_atomic(path, ("\ufeff" if bom else "") + text)


# -- reading text a spreadsheet saved ----------------------------------------------------------------
#: Encodings spreadsheets save "CSV"/"Text" in: Excel's ANSI code pages for Russian and Western locales.
LEGACY_ENCODINGS = ("cp1251", "cp1252")


def decode_text(raw: bytes, where: str) -> tuple[str, str]:
    """Decode a text file as a spreadsheet may have saved it; returns (text, encoding name).

    UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode Text") or without (detected from
    its zero bytes), else Windows-1251 or -1252 (Excel's "CSV" in a Russian or Western locale),
    chosen by which gives Cyrillic words. Binary data is refused naming the file.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return _decode(raw[3:], "utf-8", where), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode(raw, "utf-16", where), "utf-16"
    sample = raw[:4000]
    if b"\x00" in sample:  # UTF-16 without a BOM, or binary
        for enc in ("utf-16-le", "utf-16-be"):
            head = sample[: len(sample) // 2 * 2].decode(enc, errors="replace")
            if head and sum(_texty(c) for c in head) >= 0.98 * len(head):
                return _decode(raw, enc, where), enc
        raise InputError(Problem(where, None, "binary data, not text; save the sheet as 'CSV UTF-8' or as an .xlsx"))
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    cyr = raw.decode("cp1251", errors="replace")
    words = re.findall(r"[А-Яа-яЁё]{3,}", cyr)
    if sum(map(len, words)) >= 0.5 * sum(1 for b in raw if b >= 0xC0):
        return cyr, "cp1251"
    return raw.decode("cp1252", errors="replace"), "cp1252"


def _texty(c: str) -> bool:
    """A character of Latin or Cyrillic text (what a review file holds), or a line/field separator."""
    return c in "\t\r\n" or (c.isprintable() and ord(c) < 0x2100)


def _decode(raw: bytes, encoding: str, where: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(Problem(where, None, f"not valid {encoding} text (byte {exc.start}); "
                                              "save the sheet as 'CSV UTF-8' or as an .xlsx")) from exc


def lost_in_encoding(original: str, saved: str, encodings: Iterable[str] = LEGACY_ENCODINGS) -> str | None:
    """The encoding ``original`` was saved in when ``saved`` is ``original`` with its unencodable characters
    replaced (``?`` or a look-alike, as Excel does), else None."""
    if len(original) != len(saved) or original == saved:
        return None
    for enc in encodings:
        lost = False
        for a, b in zip(original, saved, strict=True):
            if a == b:
                continue
            try:
                a.encode(enc)
            except UnicodeEncodeError:
                lost = True
                continue
            break
        else:
            if lost:
                return enc
    return None


def sniff_delimiter(line: str) -> str:
    """The delimiter of a CSV header line: tab (Excel's Unicode Text), ``;`` (Excel in many locales) or ``,``."""
    counts = {d: line.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# -- UTF-8 read as a Western code page ("mojibake") ------------------------------------------------------
_MOJIBAKE_BOM = "\u00ef\u00bb\u00bf"  # a UTF-8 BOM read as Windows-1252/Latin-1
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
                       "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122\uf000-\uf1ff]")


def _western_bytes(text: str) -> bytes | None:
    """``text`` back to the bytes a Windows-1252/Latin-1 reader made it from; None when it holds other letters."""
    out = bytearray()
    for ch in text:
        if ord(ch) < 256:
            out.append(ord(ch))
        elif 0xF000 <= ord(ch) <= 0xF1FF:  # LibreOffice keeps bytes Windows-1252 lacks (0x81...) as U+F1xx
            out.append(ord(ch) & 0xFF)
        else:
            try:
                out += ch.encode("cp1252")
            except UnicodeEncodeError:
                return None
    return bytes(out)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text read as Windows-1252/Latin-1 ("ÐšÐ°Ð·Ð°Ñ…" → "Казах"), as LibreOffice opened headless
    or a misconfigured import does; the text itself when it is not such text (the repair is exact or nothing)."""
    if not _MOJIBAKE.search(text):
        return text
    raw = _western_bytes(text)
    if raw is None:
        return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return text


def looks_mojibake(header_cell: str, cells: Iterable[str]) -> bool:
    """True when a table was UTF-8 read as a Western code page: its BOM shows as "ï»¿" or a cell repairs to Cyrillic."""
    if header_cell.startswith(_MOJIBAKE_BOM):
        return True
    return any(re.search("[А-Яа-яЁё]{2}", repair_mojibake(c)) for c in cells if _MOJIBAKE.search(c))


# -- text a lossy save garbled ---------------------------------------------------------------------------
_QMARK_IN_WORD = re.compile(r"(?<=\w)\?+(?=\w)")
_URLISH = re.compile(r"://|^www\.|[=&/]")


def garbled_text(text: str) -> str | None:
    """What shows that ``text`` (a cell a person typed) was garbled by a lossy save, else None.

    A ``?`` standing inside a word or U+FFFD is a letter the encoding could not hold (Excel's "CSV" in a
    Russian locale turns "Aníbal" into "An?bal"); UTF-8 read as Windows-1252 or -1251 ("AnÃ­bal", "AnГ­bal")
    is mojibake, named with what it should read. A ``?`` in a URL's query is not counted.
    """
    if "\ufffd" in text:
        return "a replacement character (\ufffd) where a letter was lost"
    for tok in text.split():
        if _QMARK_IN_WORD.search(tok) and not _URLISH.search(tok):
            return f"a ? inside the word {tok!r}, where the encoding lost a letter"
    fixed = repair_mojibake(text)
    if fixed != text:
        return f"mojibake (UTF-8 read as Windows-1252; it should read {fixed!r})"
    if any(ord(c) > 127 for c in text):
        try:
            fixed = text.encode("cp1251").decode("utf-8")
        except UnicodeError:
            return None
        if fixed != text:
            return f"mojibake (UTF-8 read as Windows-1251; it should read {fixed!r})"
    return None
