"""Glossary files: the CSV format, reading with bounds, and validation of a whole glossary.

A glossary is one or more CSV files with the columns of :data:`COLUMNS`. Reading is strict and
bounded (cell size, forms per row), and every problem names its file and row, so a damaged or
hostile file is refused in well under a second instead of crashing or stalling later stages.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from kzalign.core.errors import InputError, Problem
from kzalign.core.files import decode_text, garbled_text, sniff_delimiter, unneutralize_formula, write_csv
from kzalign.core.translit import strip_accents

COLUMNS = ["ru", "en", "kind", "variants", "forbidden", "status", "note", "source"]
KINDS = ("person", "org", "place", "title", "other")
STATUSES = ("approved", "candidate")
CANDIDATES_FILE = "candidates.csv"
#: Which file of a glossary folder a new entry of each kind goes to.
KIND_FILES = {"person": "people.csv", "org": "organisations.csv", "place": "places.csv",
              "title": "other.csv", "other": "other.csv"}
#: Longest cell accepted (characters). Python's csv module stops at 131,072; a name or note is far shorter.
MAX_CELL_CHARS = 10_000
#: Most variant plus forbidden spellings on one row (a real name has a handful).
MAX_FORMS_PER_ROW = 200
#: The glossary shipped with kzalign (read-only: accepted entries never go here).
BUNDLED_DIR = Path(__file__).resolve().parent.parent / "data" / "glossaries"


@dataclass(frozen=True)
class Entry:
    """One glossary row: a Russian name, its official English form and the spellings around it."""

    ru: str
    en: str
    kind: str
    variants: tuple[str, ...]
    forbidden: tuple[str, ...]
    status: str
    note: str
    source: str


def split_forms(cell: str) -> tuple[str, ...]:
    """The ``|``-separated spellings of a variants/forbidden cell."""
    return tuple(p.strip() for p in cell.split("|") if p.strip())


def norm_en(s: str) -> str:
    """English comparison key: accents, case and punctuation ignored."""
    return " ".join(re.findall(r"[^\W_]+", strip_accents(s).casefold()))


def norm_ru(s: str) -> str:
    """Russian comparison key: case, ё/е and punctuation ignored."""
    return " ".join(re.findall(r"[^\W_]+", s.casefold().replace("ё", "е")))


def _read_text(path: Path) -> str:
    """The file's text, decoded as the review importer decodes what spreadsheets save (UTF-8 with or without
    BOM, UTF-16, Windows-1251/1252)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(str(path), None, f"cannot read glossary ({exc.strerror or exc})")) from exc
    return decode_text(raw, str(path))[0]


def _row_problems(path: Path, line: int, cell: dict[str, str], e: Entry) -> list[Problem]:
    """What is wrong with one row (empty fields, unknown kind/status, too many forms)."""
    out: list[Problem] = []
    for col in ("ru", "en", "kind"):
        if not getattr(e, col):
            out.append(Problem(str(path), line, f"empty {col}"))
    if e.kind and e.kind not in KINDS:
        out.append(Problem(str(path), line, f"kind {e.kind!r} is not one of {', '.join(KINDS)}"))
    if e.status not in STATUSES:
        out.append(Problem(str(path), line, f"status {e.status!r} is not one of {', '.join(STATUSES)}"))
    n_forms = len(e.variants) + len(e.forbidden)
    if n_forms > MAX_FORMS_PER_ROW:
        out.append(Problem(str(path), line, f"{n_forms} variant/forbidden spellings; at most {MAX_FORMS_PER_ROW} "
                                            "per row (split the row or keep the spellings that occur)"))
    for col, value in cell.items():
        if len(value) > MAX_CELL_CHARS:
            out.append(Problem(str(path), line, f"column {col!r} has {len(value):,} characters; "
                                                f"at most {MAX_CELL_CHARS:,} per cell"))
        elif (what := garbled_text(value)) is not None:
            out.append(Problem(str(path), line, f"column {col!r}: {value[:60]!r} has {what}: the file was saved in "
                                                "an encoding that lost characters; save it as UTF-8 CSV"))
    return out


def _records(path: Path, text: str) -> Iterable[tuple[int, dict[str, str]]]:
    """(line, cells) of each row; a CSV syntax error or a huge field names its line."""
    lines = [ln if not ln.lstrip().startswith("#") else "" for ln in text.splitlines()]
    header = next((ln for ln in lines if ln.strip()), "")
    # Excel saves "CSV" with ";" in many locales and "Unicode Text" with tabs: the review importer's sniffing
    reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=sniff_delimiter(header))
    try:
        fields = [f.strip() for f in reader.fieldnames or []]
        missing = [c for c in ("ru", "en", "kind") if c not in fields]
        if missing:
            raise InputError(Problem(str(path), 1, f"missing column(s) {', '.join(missing)}; "
                                                   f"expected {','.join(COLUMNS)}"))
        for rec in reader:
            yield reader.line_num, {k.strip(): unneutralize_formula((v or "").strip())
                                    for k, v in rec.items() if k and isinstance(v, str)}
    except csv.Error as exc:
        why = (f"a cell is longer than {csv.field_size_limit():,} characters (at most {MAX_CELL_CHARS:,})"
               if "field larger" in str(exc) else f"not valid CSV ({exc})")
        raise InputError(Problem(str(path), reader.line_num + 1, why)) from exc


def read_glossary_file(path: str | Path) -> list[tuple[int, Entry]]:
    """Rows of one glossary CSV as (line number, Entry); ``#`` lines are comments."""
    path = Path(path)
    rows: list[tuple[int, Entry]] = []
    problems: list[Problem] = []
    for line, cell in _records(path, _read_text(path)):
        if not any(cell.values()):
            continue
        e = Entry(cell.get("ru", ""), cell.get("en", ""), cell.get("kind", ""), split_forms(cell.get("variants", "")),
                  split_forms(cell.get("forbidden", "")), cell.get("status", "") or "approved", cell.get("note", ""),
                  cell.get("source", ""))
        problems.extend(_row_problems(path, line, cell, e))
        rows.append((line, e))
    if problems:
        raise InputError(problems)
    return rows


Located = tuple[str, int | None, Entry]


def _forms_of(e: Entry) -> list[tuple[str, str]]:
    return [(e.en, "approved"), *((v, "variant") for v in e.variants), *((f, "forbidden") for f in e.forbidden)]


def _spelling_problems(rows: Sequence[Located]) -> list[Problem]:
    """English spellings shared by two entries in incompatible roles (an index: linear in all forms)."""
    problems: list[Problem] = []
    spelled: dict[str, tuple[str, int | None, Entry, str]] = {}  # English form -> owner
    for path, line, e in rows:
        accepted = {norm_en(e.en), *(norm_en(v) for v in e.variants)}
        for f in e.forbidden:
            if norm_en(f) in accepted:
                problems.append(Problem(path, line, f"forbidden form {f!r} equals the approved form or a variant"))
        for form, role in _forms_of(e):
            k = norm_en(form)
            if k not in spelled:
                spelled[k] = (path, line, e, role)
                continue
            p0, l0, e0, r0 = spelled[k]
            if e0 is e:
                continue
            if norm_en(e0.en) != norm_en(e.en) or (role == "forbidden") != (r0 == "forbidden"):
                problems.append(Problem(path, line, f"{role} form {form!r} is the {r0} form of {e0.ru!r} at {p0}:{l0}"))
    return problems


def validate_entries(rows: Sequence[Located]) -> None:
    """Refuse duplicate or conflicting entries and forbidden forms equal to accepted ones (InputError)."""
    problems: list[Problem] = []
    by_ru: dict[str, Located] = {}
    unique: list[Located] = []
    for path, line, e in rows:
        key = norm_ru(e.ru)
        if key in by_ru:
            p0, l0, e0 = by_ru[key]
            what = "duplicate of" if norm_en(e0.en) == norm_en(e.en) else f"conflicts ({e0.en!r} vs {e.en!r}) with"
            problems.append(Problem(path, line, f"{e.ru!r}: {what} {p0}:{l0}"))
            continue
        by_ru[key] = (path, line, e)
        unique.append((path, line, e))
    problems.extend(_spelling_problems(unique))
    if problems:
        problems.sort(key=lambda p: (p.path, p.line or 0))
        raise InputError(problems, hint="Fix the glossary rows above; nothing was loaded.")


def glossary_files(paths: Iterable[str | Path]) -> list[Path]:
    """CSV files named or inside folders (``candidates*.csv`` in a folder are skipped: not reviewed)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.glob("*.csv") if not f.name.startswith("candidates")))
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(Problem(str(p), None, "glossary file or folder not found"))
    return out


def read_rows(files: Iterable[Path]) -> list[Located]:
    """Every row of the given glossary files as (file, line, Entry)."""
    rows: list[Located] = []
    for f in files:
        rows.extend((str(f), line, e) for line, e in read_glossary_file(f))
    return rows


def entry_row(e: Entry) -> dict[str, str]:
    """An entry as a CSV row."""
    return dict(ru=e.ru, en=e.en, kind=e.kind, variants="|".join(e.variants), forbidden="|".join(e.forbidden),
                status=e.status, note=e.note, source=e.source)


def write_entries(path: Path, entries: Sequence[Entry]) -> Path:
    """Write entries as a glossary CSV (atomically)."""
    rows: list[dict[str, object]] = [dict(entry_row(e)) for e in entries]
    return write_csv(path, rows, columns=COLUMNS, bom=False)


def new_entry(ru: str, en: str, kind: str, variants: Iterable[str] | str = (), forbidden: Iterable[str] | str = (),
              status: str = "approved", note: str = "", source: str = "") -> Entry:
    """Build an Entry from plain values (variants/forbidden as lists or |-separated strings)."""
    def parts(v: Iterable[str] | str) -> tuple[str, ...]:
        return split_forms(v) if isinstance(v, str) else tuple(x for p in v for x in split_forms(p))
    return replace(Entry(ru.strip(), en.strip(), kind, (), (), status, note, source),
                   variants=parts(variants), forbidden=parts(forbidden))
