"""Readers: find input files, decide each file's format from its content and name, and read it into items.

Formats: the seed text digests (:mod:`kzalign.inputs.digest`), JSONL and CSV records, HTML pages, DOCX, PDF
and RSS/Atom feeds (:mod:`kzalign.inputs.documents`). Text is UTF-8 (with or without BOM), UTF-16 (with BOM,
or detected from its NUL bytes) or Windows-1251. A file whose content does not match its name (HTML in a
``.txt``, a PDF named ``.html``), an unknown type, or a file or item over the size limits is a problem
naming the file, never raw markup ingested as text.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kzalign.core.dates import parse_date
from kzalign.core.errors import InputError, InputWarning, Problem
from kzalign.core.safexml import check_zip
from kzalign.core.text import clean, script_counts
from kzalign.inputs.digest import RawItem, parse_digest
from kzalign.inputs.langid import detect_lang

_HINTS = {".doc": "save it as .docx in Word or LibreOffice", ".rtf": "save it as .docx or .txt",
          ".odt": "save it as .docx", ".xlsx": "save it as .csv", ".xls": "save it as .csv"}
_MARKUP = re.compile(r"<(?:html|head|body|div|p|span|a|br|script|style|table|td|li|h[1-6])\b[^<>]{0,300}>", re.I)


@dataclass
class ReadOptions:
    """Limits that keep one bad input from exhausting the machine (``--max-item-chars``, ``--max-file-mb``)."""

    max_item_chars: int = 10_000_000
    max_file_bytes: int = 256 * 1024 * 1024


@dataclass
class ReadResult:
    """Everything read from the inputs, before de-duplication."""

    items: list[RawItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    encodings: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    files: int = 0
    #: Inputs skipped without failing the read (symlinks leading out of an input folder, pipes), and notes
    #: such as a stated language the text contradicts.
    warnings: list[Problem] = field(default_factory=list)


def display_path(path: Path) -> str:
    """Path as shown in sources and messages: relative to the current folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def collect_files(paths: Sequence[str | Path],
                  warnings: list[Problem] | None = None) -> tuple[list[Path], list[Problem]]:
    """Expand folders recursively into their supported files (sorted, hidden ones ignored); report missing paths.

    Inside a folder, a symlink that leads outside it (``ln -s /etc/passwd news.txt``) and a file that is not a
    regular file (a pipe, a device) are skipped, each with a warning in ``warnings``; a path given by name is
    read wherever it leads, but only if it is a regular file (:func:`read_file` refuses ``/dev/zero``).
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            problems.append(Problem(str(p), None, "no such file or folder"))
        elif path.is_dir():
            found = _folder_files(path, warnings if warnings is not None else [])
            if not found:
                problems.append(Problem(str(p), None, "folder holds no supported files "
                                        "(.txt, .jsonl, .csv, .html, .docx, .pdf, .rss/.atom/.xml)"))
            files.extend(found)
        else:
            files.append(path)
    seen: set[Path] = set()
    unique = []
    for f in files:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return unique, problems


def _folder_files(folder: Path, warnings: list[Problem]) -> list[Path]:
    """The supported regular files under ``folder`` that stay inside it (see :func:`collect_files`)."""
    root = folder.resolve()
    found = []
    for f in sorted(folder.rglob("*")):
        if any(part.startswith(".") for part in f.relative_to(folder).parts) or not f.suffix \
                or f.suffix.lower() not in SUFFIX_KINDS or f.is_dir():
            continue
        where = display_path(f)
        if f.is_symlink() and root not in f.resolve().parents:
            warnings.append(Problem(where, None, f"skipped: a symlink to {f.resolve()}, outside the input folder "
                                                 f"{display_path(folder)}"))
        elif not f.is_file():
            warnings.append(Problem(where, None, "skipped: not a regular file (a pipe, device or broken link)"))
        else:
            found.append(f)
    return found


# -- decoding and sniffing ----------------------------------------------------------------------------
def _utf16(data: bytes) -> str | None:
    """The UTF-16 codec ``data`` is in (BOM, or NUL bytes in every other place of ASCII text), else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if len(head) < 16:
        return None
    even, odd = head[0::2], head[1::2]

    def high(half: bytes) -> float:  # share of high bytes of ASCII (0x00) and Cyrillic (0x04) characters
        return (half.count(0) + half.count(4)) / len(half)

    codec = ("utf-16-le" if high(odd) > 0.9 and high(even) < 0.3 else
             "utf-16-be" if high(even) > 0.9 and high(odd) < 0.3 else None)
    if codec is None:
        return None
    sample = head[: len(head) // 2 * 2].decode(codec, errors="replace")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in sample)
    return codec if printable > 0.95 * len(sample) else None


def decode_bytes(data: bytes, where: str) -> tuple[str, str]:
    """Decode input text as UTF-8 (with or without BOM), UTF-16 or Windows-1251; return (text, encoding)."""
    if not data.strip():
        raise InputError(Problem(where, None, "empty file"))
    codec = _utf16(data)
    if codec is not None:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise InputError(Problem(where, None, f"looks like UTF-16 but does not decode ({exc.reason})")) from exc
        return text.lstrip("\ufeff"), codec
    if b"\x00" in data[:8192]:
        raise InputError(Problem(where, None, "binary file (contains NUL bytes), not text"))
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(Problem(where, line, "starts with a UTF-8 BOM but is not valid UTF-8")) from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    text = data.decode("cp1251", errors="replace")
    cyr, lat = script_counts(text)
    letters = sum(ch.isalpha() for ch in text)
    odd = sum(1 for ch in text if ch in "ЂЃѓ‰Љ‹ЊЌЋЏђ‘’“”•–—™љ›њќћџ¤Ґ¦§©Є«¬®Ї°±Ііґµ¶·№є»јЅѕї\ufffd")
    if letters and (cyr + lat) / letters > 0.9 and cyr > lat and odd < max(3, 0.02 * len(text)):
        return text, "cp1251"
    line = data[: utf8_error.start].count(b"\n") + 1
    raise InputError(
        Problem(where, line, "cannot decode text: not UTF-8 or UTF-16, and does not read as Windows-1251 Russian")
    )


_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_.:-]{2,40})""", re.I)


def declared_decode(data: bytes, where: str) -> tuple[str, str] | None:
    """Decode a page or feed by the charset it declares (``<meta charset=windows-1251>``, ``<?xml encoding=``),
    when that is not UTF-8; None when it declares none (or UTF-8, which :func:`decode_bytes` handles)."""
    import codecs

    m = _DECLARED.search(data[:4096])
    if m is None:
        return None
    try:
        name = codecs.lookup(m.group(1).decode("ascii")).name
    except LookupError:
        return None
    if name in ("utf-8", "utf-16", "utf-16-le", "utf-16-be") or data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        return data.decode(name), name
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(Problem(where, line, f"does not decode as {name}, the encoding it declares")) from exc


def sniff(data: bytes, text: str | None = None) -> str:
    """The format the content itself says: pdf, docx, zip, html, feed, jsonl, or text (unknown markup-free)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:65536] or b"[Content_Types].xml" in data[:65536] else "zip"
    if text is None:
        return "binary"
    head = text.lstrip("\ufeff \t\r\n")[:2048].lower()
    if head.startswith("<?xml") or head.startswith("<rss") or head.startswith("<feed"):
        if re.search(r"<(rss|feed|rdf:rdf)\b", head):
            return "feed"
        return "html" if "<html" in head else "xml"
    if head.startswith(("<!doctype html", "<html")) or "<html" in head[:512] or len(_MARKUP.findall(text[:20000])) >= 3:
        return "html"
    if head.startswith("{"):
        return "jsonl"
    return "text"


def kind_of(path: Path, data: bytes) -> tuple[str, str | None, str | None]:
    """(format, decoded text or None for binary formats, problem message or None) for one file."""
    suffix = path.suffix.lower()
    named = SUFFIX_KINDS.get(suffix)
    binary = sniff(data)
    if named is None:
        hint = _HINTS.get(suffix, "supported: .txt .jsonl .csv .html .docx .pdf .rss .atom .xml")
        return "", None, f"unsupported file type '{suffix}' ({hint})"
    if binary in ("pdf", "docx", "zip"):
        if binary != named:
            return "", None, f"content is {KIND_NAMES[binary]} but the name says {KIND_NAMES[named]}"
        return binary, None, None
    if named in ("pdf", "docx"):
        return "", None, f"named {suffix} but the content is not {KIND_NAMES[named]} (damaged or mis-named file)"
    return named, "", None


def check_text_kind(named: str, text: str) -> str | None:
    """Problem message when decoded text does not match its name (markup in .txt, plain text in .html)."""
    found = sniff(text[:4].encode("utf-8", "replace"), text)
    if named == "text" and found in ("html", "feed", "xml"):
        return f"holds {KIND_NAMES.get(found, 'XML markup')}, not plain text: rename it to .html/.xml or save it as text"
    if named == "html" and found not in ("html", "feed"):
        return "named .html but holds no HTML markup"
    if named == "feed" and found not in ("feed",):
        return "not an RSS or Atom feed (no <rss> or <feed> element)" if found != "html" else \
            "holds an HTML page, not an RSS/Atom feed: rename it to .html"
    if named in ("csv", "jsonl") and found in ("html", "feed", "xml"):
        return f"holds markup ({KIND_NAMES.get(found, 'XML')}), not {KIND_NAMES[named]}"
    return None


# -- records (JSONL / CSV) ----------------------------------------------------------------------------
def read_jsonl(text: str, where: str, problems: list[Problem]) -> list[RawItem]:
    """One JSON object per line with ``id, lang, text`` and optional ``title, date, url, source``."""
    out: list[RawItem] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(where, lineno, f"malformed JSON ({exc.msg} at column {exc.colno})"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(where, lineno, "expected a JSON object per line"))
            continue
        item = record_to_item(obj, where, lineno, problems)
        if item:
            out.append(item)
    return out


def _swallowed_row(cell: str, width: int) -> int | None:
    """Offset (in lines) of a line inside a multi-line cell that reads as a whole row: a lost closing quote."""
    for k, line in enumerate(cell.split("\n")[1:], start=1):
        try:
            cells = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            continue
        if len(cells) == width and "," in line and not line.rstrip().endswith((".", "!", "?")):
            return k
    return None


def read_csv(text: str, where: str, problems: list[Problem]) -> list[RawItem]:
    """CSV with a header row naming at least ``text``; an unterminated quote is an error naming its line."""
    out: list[RawItem] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        problems.append(Problem(where, 1, "empty CSV"))
        return out
    except csv.Error as exc:
        problems.append(Problem(where, 1, f"malformed CSV header ({exc})"))
        return out
    if "text" not in header:
        problems.append(Problem(where, 1, f"CSV header has no 'text' column (found: {', '.join(header)})"))
        return out
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            what = ("unterminated quote: the quoted cell opened here never closes" if "end of data" in str(exc) else
                    f"malformed CSV row ({exc}): the quoted cell opened here never closes or holds an undoubled "
                    "quote, so the rows after it would be swallowed")
            problems.append(Problem(where, start, what))
            break
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(where, start, f"expected {len(header)} columns, found {len(row)}"))
            continue
        lost = next((k for c in row if "\n" in c and (k := _swallowed_row(c, len(header))) is not None), None)
        if lost is not None:
            problems.append(Problem(where, start, f"unterminated quote: the cell opened here swallows line "
                                    f"{start + lost} as text (close the quote, or double quotes inside the cell)"))
            continue
        item = record_to_item(dict(zip(header, row, strict=False)), where, start, problems)
        if item:
            out.append(item)
    return out


_LANG_ALIASES = {"rus": "ru", "russian": "ru", "eng": "en", "english": "en"}


def record_to_item(obj: dict[str, object], where: str, lineno: int, problems: list[Problem]) -> RawItem | None:
    """Validate one JSONL/CSV record and turn it into a RawItem (or record a problem)."""
    text = obj.get("text")
    if not isinstance(text, str) or not clean(text):
        problems.append(Problem(where, lineno, "item has no text"))
        return None
    given = obj.get("id")
    lang = ""
    lang_val = obj.get("lang")
    if lang_val not in (None, ""):
        lang = _LANG_ALIASES.get(str(lang_val).strip().lower(), str(lang_val).strip().lower())
        if lang not in ("ru", "en"):
            problems.append(Problem(where, lineno, f"lang '{lang_val}' is not supported: use 'ru' or 'en'"))
            return None
    d = None
    raw_date = obj.get("date")
    if raw_date not in (None, ""):
        d = parse_date(str(raw_date))
        if d is None:  # kept undated: linking then decides on the rest of the evidence and says so
            problems.append(InputWarning(where, lineno, f"unreadable date '{raw_date}' (use YYYY-MM-DD): "
                                                        "the item is kept without a date"))
    return RawItem(
        lang=lang, title=clean(str(obj.get("title") or "")), text=clean(text), where=f"{where}:{lineno}", date=d,
        url=str(obj.get("url") or "") or None, source=str(obj.get("source") or "") or None,
        given_id=str(given).strip() if given not in (None, "") else None,
    )


# -- one file -----------------------------------------------------------------------------------------
def assign_languages(items: list[RawItem], problems: list[Problem]) -> list[RawItem]:
    """Detect the language of items that do not state one; items in neither ru nor en become problems."""
    kept = []
    for it in items:
        if not it.lang:
            lang = detect_lang(it.title + "\n" + it.text)
            if lang not in ("ru", "en"):
                what = f"looks like '{lang}'" if lang else "language could not be detected"
                problems.append(Problem(it.path, it.line, f"report is not Russian or English ({what}); "
                                        "kzalign links ru and en"))
                continue
            it.lang = lang
        kept.append(it)
    return kept


#: Least letters in a report before its script may contradict the ``lang`` it states (a name alone may not).
_MIN_LETTERS_FOR_SCRIPT = 40


def stated_language_warning(item: RawItem) -> Problem | None:
    """A warning when a record's stated ``lang`` (JSONL/CSV) is clearly the other language: "ru" over text with
    (almost) no Cyrillic letters, "en" over mostly Cyrillic text. The stated language is kept (it may be a
    quotation-heavy report); the warning asks the user to check the field."""
    if item.lang not in ("ru", "en"):
        return None
    cyr, lat = script_counts(item.text)
    if cyr + lat < _MIN_LETTERS_FOR_SCRIPT:
        return None
    if item.lang == "ru" and cyr < 0.1 * (cyr + lat):
        other = "Latin letters (English?)"
    elif item.lang == "en" and cyr > 0.5 * (cyr + lat):
        other = "Cyrillic letters (Russian?)"
    else:
        return None
    return Problem(item.path, item.line, f"lang is '{item.lang}' but the text is written in {other}; kept as "
                                         f"'{item.lang}': check the lang field")


def _parse(kind: str, data: bytes, text: str, where: str, problems: list[Problem]) -> list[RawItem]:
    return READERS[kind].parse(data, text, where, problems)


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (``--max-file-mb``); a device, pipe or socket, or a
    file that grows past the limit while read, is refused naming it, never read until memory runs out."""
    where = display_path(path)
    limit = f"over the limit of {max_bytes / 2**20:.0f} MB (--max-file-mb)"
    not_regular = Problem(where, None, "not a regular file (a device, pipe or socket); kzalign reads files only")
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # before open(): opening a pipe would wait for a writer
            raise InputError(not_regular)
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise InputError(not_regular)
            if st.st_size > max_bytes:
                raise InputError(Problem(where, None, f"file is {st.st_size / 2**20:.0f} MB, {limit}"))
            data = fh.read(st.st_size + 1)  # read(n) allocates n bytes up front: ask for what the file holds
            while len(data) <= max_bytes:  # the file grew while read (a log being written): on to the limit
                more = fh.read(min(2**20, max_bytes + 1 - len(data)))
                if not more:
                    break
                data += more
    except OSError as exc:
        raise InputError(Problem(where, None, f"cannot read file ({exc.strerror})")) from exc
    if len(data) > max_bytes:
        raise InputError(Problem(where, None, f"file grew past {max_bytes / 2**20:.0f} MB while read, {limit}"))
    return data


def read_file(path: Path, result: ReadResult, opts: ReadOptions) -> list[RawItem]:
    """Read one input file in the format its content and name agree on; problems go to ``result``."""
    where = display_path(path)
    problems = result.problems
    try:
        data = read_bounded(path, opts.max_file_bytes)
    except InputError as exc:
        problems.extend(exc.problems)
        return []
    kind, text, message = kind_of(path, data)
    if message is None and text is not None:
        try:
            declared = declared_decode(data, where) if kind in ("html", "feed") else None
            text, result.encodings[where] = declared or decode_bytes(data, where)
        except InputError as exc:
            problems.extend(exc.problems)
            return []
        message = check_text_kind(kind, text)
    if message is not None:
        problems.append(Problem(where, None, message))
        return []
    result.formats[where] = kind
    try:
        if kind == "docx":  # --max-file-mb bounds what a Word document unpacks to, too (zip bombs)
            check_zip(data, where, max_bytes=opts.max_file_bytes, xml_parts=False, what="Word document")
        items = _parse(kind, data, text or "", where, problems)
    except InputError as exc:
        problems.extend(exc.problems)
        return []
    kept = []
    for it in items:
        if len(it.text) > opts.max_item_chars:
            problems.append(Problem(it.path, it.line, f"report has {len(it.text):,} characters, over the per-item "
                                    f"limit of {opts.max_item_chars:,} (--max-item-chars)"))
        else:
            kept.append(it)
    result.warnings.extend(filter(None, map(stated_language_warning, kept)))
    kept = assign_languages(kept, problems)
    if not kept and not any(p.path == where for p in problems):
        problems.append(Problem(where, None, "no reports found in file"))
    return kept


# -- the registry of input formats ----------------------------------------------------------------
@dataclass(frozen=True)
class Reader:
    """An input format: its name in messages, the file endings that name it, and how its bytes (``data``) or
    decoded text become reports. Binary formats (DOCX, PDF) read ``data``, the others ``text``."""

    kind: str
    description: str
    suffixes: tuple[str, ...]
    parse: Callable[[bytes, str, str, list[Problem]], list[RawItem]]
    #: what a user should know about the format (``kzalign ingest --help`` lists it)
    help: str = ""


def _text(data: bytes, text: str, where: str, problems: list[Problem]) -> list[RawItem]:
    return parse_digest(clean(text), where)


def _jsonl(data: bytes, text: str, where: str, problems: list[Problem]) -> list[RawItem]:
    return read_jsonl(text, where, problems)


def _csv(data: bytes, text: str, where: str, problems: list[Problem]) -> list[RawItem]:
    return read_csv(text, where, problems)


def _document(kind: str) -> Callable[[bytes, str, str, list[Problem]], list[RawItem]]:
    """A parser from :mod:`kzalign.inputs.documents` (imported on first use: trafilatura and pypdf load slowly)."""
    def parse(data: bytes, text: str, where: str, problems: list[Problem]) -> list[RawItem]:
        from kzalign.inputs import documents

        fn: Callable[..., list[RawItem]] = getattr(documents, f"read_{kind}")
        return fn(data if kind in ("docx", "pdf") else text, where)
    return parse


#: The input formats kzalign reads, by kind: ``kzalign ingest --help`` and the format sniffing read it.
READERS: dict[str, Reader] = {r.kind: r for r in (
    Reader("text", "plain text", (".txt", ".text", ".md", ""), _text,
           "news digests: reports start at a headline (a short line with no final period); "
           '"DD.MM.YYYY, HH:MM views" lines and " date YYYY-MM-DD" headers give dates'),
    Reader("html", "an HTML page", (".html", ".htm", ".xhtml"), _document("html"),
           "saved news pages: main text, title and date (menus, share buttons, counters dropped); a page "
           "holding several reports gives several items"),
    Reader("docx", "a Word document", (".docx",), _document("docx"),
           "Word documents (paragraphs; manual line breaks never glue words)"),
    Reader("pdf", "a PDF", (".pdf",), _document("pdf"),
           "PDFs with a text layer (a scanned PDF is refused: run OCR first)"),
    Reader("feed", "an RSS/Atom feed", (".rss", ".atom", ".xml"), _document("feed"),
           "RSS 2.0 / Atom feeds: one item per entry"),
    Reader("jsonl", "JSONL", (".jsonl", ".ndjson"), _jsonl,
           "one JSON object a line: id, lang (ru|en), text [, title, date, url, source]"),
    Reader("csv", "CSV", (".csv",), _csv, "the same columns, with a header row"),
)}
#: File name endings and the format each names.
SUFFIX_KINDS = {suffix: r.kind for r in READERS.values() for suffix in r.suffixes}
KIND_NAMES = {**{k: r.description for k, r in READERS.items()}, "zip": "a ZIP archive", "binary": "binary data"}
