"""Ingest: read seed digests, JSONL and CSV into clean, de-duplicated items in the workspace.

Three input formats are understood:

* the seed text format: digests holding several reports, each starting at a headline (a short
  line with no final period) and optionally preceded by a ``DD.MM.YYYY, HH:MM NNNN`` line or a
  `` date YYYY-MM-DD ...`` header; some files hold one untitled report;
* JSONL and CSV with columns ``id, lang, text`` and optional ``title, date, url, source``
  (given ids are kept);
* any of them in UTF-8, UTF-8 with BOM or Windows-1251 (detected and reported).

The same report published in several digests becomes one item that lists every ``file:line``
it was found at. Parsing happens before any write, and all writes happen in one transaction,
so bad input never leaves a half-ingested workspace.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .errors import InputError, Problem
from .progress import ProgressCallback, report
from .store import Workspace, now_iso
from .text import clean, normalize_for_hash, script_counts, sha1, words

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv"}
#: Near-duplicate threshold: share of the smaller report's word 5-grams found in the other.
DUP_CONTAINMENT = 0.85
SHINGLE = 5

MONTHS_RU = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6, "июл": 7, "август": 8,
    "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}
MONTHS_EN = {
    m: i + 1
    for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august", "september",
         "october", "november", "december"]
    )
}

_DATE_LINE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}),?\s+(\d{1,2}):(\d{2})(?:\s+\d+)?$")
_DIGEST_HEADER = re.compile(r"^date\s+(\d{4}-\d{2}-\d{2})\b(.*)$", re.IGNORECASE)
_INLINE_DMY = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_RU_DATELINE = re.compile(
    r"^[А-ЯЁA-Z][^\d,]{0,40},\s*(\d{1,2})\s+([а-яё]+)\s+(\d{4})\s*(?:года|г\.)?\s*[–—-]"
)
_EN_DATELINE = re.compile(r"^[A-Z][^\d,]{0,40},\s*([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})\s*[–—-]")
_TERMINAL = ".!?…;:,"
_CLOSERS = "\"'»”’)"

_STOP = {
    "ru": set("и в не на что с по к у о из за от для это как а же так но до при или об также был была были его её их мы они он она который которые этот".split()),
    "en": set("the of and to in a is that for on with as was by at from it be are this which have has an were".split()),
    "uk": set("і та що це як був від для його її але щоб їх також".split()),
    "kk": set("және бен мен да де бұл үшін деп осы бойынша туралы".split()),
    "de": set("der die und das ist nicht mit von zu den des dem auf für".split()),
    "fr": set("le la les et des est une du dans pour que qui sur au".split()),
    "es": set("el los las y en que del por con una para es se al".split()),
}
_UK_LETTERS = re.compile(r"[їєґЇЄҐ]")
_KK_LETTERS = re.compile(r"[әғқңөұүһӘҒҚҢӨҰҮҺ]")


@dataclass
class RawItem:
    """One report as read from an input, before de-duplication."""

    lang: str
    title: str
    text: str
    where: str
    date: str | None = None
    url: str | None = None
    source: str | None = None
    given_id: str | None = None

    @property
    def content_hash(self) -> str:
        return sha1(self.lang + "\n" + normalize_for_hash(self.text))


@dataclass
class IngestReport:
    """What an ingest did: counts per language, merges, skipped input and detected encodings."""

    files: int = 0
    read: int = 0
    added: int = 0
    merged: int = 0
    already_present: int = 0
    by_lang: dict[str, int] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)
    skipped: list[Problem] = field(default_factory=list)
    item_ids: list[str] = field(default_factory=list)


# -- reading files ----------------------------------------------------------------------------
def display_path(path: Path) -> str:
    """Path as shown in sources and messages: relative to the current folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def collect_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Expand folders recursively (sorted, hidden files ignored); report missing paths."""
    files: list[Path] = []
    problems: list[Problem] = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            problems.append(Problem(str(p), None, "no such file or folder"))
        elif path.is_dir():
            found = sorted(
                f for f in path.rglob("*")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(path).parts)
                and f.suffix.lower() in TEXT_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES
            )
            if not found:
                problems.append(Problem(str(p), None, "folder holds no .txt, .jsonl or .csv files"))
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


def decode_bytes(data: bytes, where: str) -> tuple[str, str]:
    """Decode input text as UTF-8 (with or without BOM) or Windows-1251; return (text, encoding name)."""
    if not data.strip():
        raise InputError(Problem(where, None, "empty file"))
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
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        text = ""
    cyr, lat = script_counts(text)
    letters = sum(ch.isalpha() for ch in text)
    odd = sum(1 for ch in text if ch in "ЂЃѓ‰Љ‹ЊЌЋЏђ‘’“”•–—™љ›њќћџ¤Ґ¦§©Є«¬®Ї°±Ііґµ¶·№є»јЅѕї")
    if text and letters and (cyr + lat) / letters > 0.9 and cyr > lat and odd < max(3, 0.02 * len(text)):
        return text, "cp1251"
    line = data[: utf8_error.start].count(b"\n") + 1
    raise InputError(
        Problem(where, line, "cannot decode text: not UTF-8, and does not read as Windows-1251 Russian")
    )


def detect_lang(text: str) -> str | None:
    """Guess ``ru``/``en`` or another language code from script and function words; None if unsure."""
    cyr, lat = script_counts(text)
    if cyr == 0 and lat == 0:
        return None
    toks = words(text[:5000])
    counts = {lang: sum(1 for t in toks if t in stop) for lang, stop in _STOP.items()}
    if cyr >= lat:
        counts["uk"] += 3 * len(_UK_LETTERS.findall(text))
        kk_letters = len(_KK_LETTERS.findall(text))
        counts["kk"] += kk_letters // 2 if kk_letters > max(3, 0.01 * cyr) else 0
        cands = ["ru", "uk", "kk"]
        default = "ru"
    else:
        cands = ["en", "de", "fr", "es"]
        default = "en"
    best = max(cands, key=lambda lang: (counts[lang], lang == default))
    if counts[best] == 0:
        return default if len(toks) < 8 else None
    return best


def parse_date(value: str) -> str | None:
    """Parse ISO, ``DD.MM.YYYY`` or ``30 сентября 2025`` / ``September 30, 2025`` into ISO ``YYYY-MM-DD``."""
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    for fmt in ("%d.%m.%Y", "%d.%m.%Y %H:%M", "%Y/%m/%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    m = re.match(r"^(\d{1,2})\s+([А-Яа-яЁё]+)\s+(\d{4})", value)
    if m:
        month = _ru_month(m.group(2))
        if month:
            return _safe_date(int(m.group(3)), month, int(m.group(1)))
    m = re.match(r"^([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})", value)
    if m and m.group(1).lower() in MONTHS_EN:
        return _safe_date(int(m.group(3)), MONTHS_EN[m.group(1).lower()], int(m.group(2)))
    m = re.match(r"^(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})", value)
    if m and m.group(2).lower() in MONTHS_EN:
        return _safe_date(int(m.group(3)), MONTHS_EN[m.group(2).lower()], int(m.group(1)))
    return None


def _ru_month(word: str) -> int | None:
    word = word.lower()
    for stem, num in sorted(MONTHS_RU.items(), key=lambda kv: -len(kv[0])):
        if word.startswith(stem) and (stem != "ма" or word in ("мая", "май")):
            return num
    return None


def _safe_date(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def dateline_date(first_line: str) -> str | None:
    """Date from a news dateline such as ``Мехико, 30 сентября 2025 года –``."""
    m = _RU_DATELINE.match(first_line)
    if m:
        month = _ru_month(m.group(2))
        return _safe_date(int(m.group(3)), month, int(m.group(1))) if month else None
    m = _EN_DATELINE.match(first_line)
    if m and m.group(1).lower() in MONTHS_EN:
        return _safe_date(int(m.group(3)), MONTHS_EN[m.group(1).lower()], int(m.group(2)))
    return None


def is_headline(line: str) -> bool:
    """A headline is a short line that starts like a title and has no final sentence punctuation."""
    n_words = len(line.split())
    if not (1 <= n_words <= 25) or len(line) > 220:
        return False
    if not (line[0].isupper() or line[0].isdigit() or line[0] in "«\"“'"):
        return False
    end = line.rstrip(_CLOSERS) or line
    return end[-1] not in _TERMINAL and line[-1] not in _TERMINAL


def parse_digest(text: str, where: str, lang_hint: str | None = None) -> list[RawItem]:
    """Split a seed-format digest into reports (see module docstring)."""
    lines = text.splitlines()
    items: list[RawItem] = []
    digest_date: str | None = None
    pending_date: str | None = None
    cur: dict[str, object] | None = None

    def close() -> None:
        nonlocal cur
        if cur and cur["body"]:
            body = "\n".join(cur["body"])  # type: ignore[arg-type]
            title = str(cur["title"])
            d = cur["date"] or dateline_date(cur["body"][0]) or digest_date  # type: ignore[index]
            items.append(RawItem(lang="", title=title, text=body, where=f"{where}:{cur['line']}", date=d))  # type: ignore[arg-type]
        elif cur and cur["title"]:
            # a headline with no body: keep it as a one-line item rather than lose it
            items.append(RawItem(lang="", title="", text=str(cur["title"]), where=f"{where}:{cur['line']}",
                                 date=cur["date"] or digest_date))  # type: ignore[arg-type]
        cur = None

    nonblank = [(i, ln.strip()) for i, ln in enumerate(lines, start=1) if ln.strip()]
    for pos, (lineno, line) in enumerate(nonblank):
        header = _DIGEST_HEADER.match(line)
        if header:
            digest_date = header.group(1)
            inline = _INLINE_DMY.search(header.group(2))
            if inline:
                pending_date = _safe_date(int(inline.group(3)), int(inline.group(2)), int(inline.group(1)))
            continue
        dl = _DATE_LINE.match(line)
        if dl:
            close()
            pending_date = _safe_date(int(dl.group(3)), int(dl.group(2)), int(dl.group(1)))
            continue
        nxt = nonblank[pos + 1][1] if pos + 1 < len(nonblank) else None
        if is_headline(line) and nxt is not None and not _DATE_LINE.match(nxt):
            if cur and not cur["body"] and cur["title"] == line:
                continue  # the same headline repeated (as in seed 004)
            if cur and not cur["body"] and not cur["title"]:
                cur["title"] = line
                continue
            close()
            cur = {"title": line, "body": [], "line": lineno, "date": pending_date}
            pending_date = None
            continue
        if cur is None:
            cur = {"title": "", "body": [], "line": lineno, "date": pending_date}
            pending_date = None
        cur["body"].append(line)  # type: ignore[union-attr]
    close()
    return items


def _read_jsonl(text: str, where: str, problems: list[Problem]) -> list[RawItem]:
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
        item = _record_to_item(obj, where, lineno, problems)
        if item:
            out.append(item)
    return out


def _read_csv(text: str, where: str, problems: list[Problem]) -> list[RawItem]:
    out: list[RawItem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(where, 1, "empty CSV"))
        return out
    except csv.Error as exc:
        problems.append(Problem(where, 1, f"malformed CSV header ({exc})"))
        return out
    header = [h.strip().lower() for h in header]
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
            problems.append(Problem(where, start, f"malformed CSV row ({exc})"))
            break
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            problems.append(Problem(where, start, f"expected {len(header)} columns, found {len(row)}"))
            continue
        item = _record_to_item(dict(zip(header, row, strict=False)), where, start, problems)
        if item:
            out.append(item)
    return out


def _record_to_item(obj: dict[str, object], where: str, lineno: int, problems: list[Problem]) -> RawItem | None:
    """Validate one JSONL/CSV record and turn it into a RawItem (or record a problem)."""
    text = obj.get("text")
    if not isinstance(text, str) or not clean(text):
        problems.append(Problem(where, lineno, "item has no text"))
        return None
    text = clean(text)
    given = obj.get("id")
    given_id = str(given).strip() if given not in (None, "") else None
    title = clean(str(obj.get("title") or ""))
    lang_val = obj.get("lang")
    if lang_val in (None, ""):
        lang = detect_lang(title + "\n" + text)
        if lang not in ("ru", "en"):
            what = f"looks like '{lang}'" if lang else "language could not be detected"
            problems.append(Problem(where, lineno, f"item is not Russian or English ({what}); kzalign links ru and en"))
            return None
    else:
        lang = str(lang_val).strip().lower()
        lang = {"rus": "ru", "russian": "ru", "eng": "en", "english": "en"}.get(lang, lang)
        if lang not in ("ru", "en"):
            problems.append(Problem(where, lineno, f"lang '{lang_val}' is not supported: use 'ru' or 'en'"))
            return None
    d = None
    raw_date = obj.get("date")
    if raw_date not in (None, ""):
        d = parse_date(str(raw_date))
        if d is None:
            problems.append(Problem(where, lineno, f"unreadable date '{raw_date}' (use YYYY-MM-DD)"))
            return None
    return RawItem(
        lang=lang, title=title, text=text, where=f"{where}:{lineno}", date=d,
        url=str(obj.get("url") or "") or None, source=str(obj.get("source") or "") or None, given_id=given_id,
    )


def read_file(path: Path, problems: list[Problem], encodings: dict[str, str]) -> list[RawItem]:
    """Read one input file in whichever of the three formats its name says."""
    where = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(where, None, f"cannot read file ({exc.strerror})"))
        return []
    try:
        text, enc = decode_bytes(data, where)
    except InputError as exc:
        problems.extend(exc.problems)
        return []
    encodings[where] = enc
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return _read_jsonl(text, where, problems)
    if suffix in CSV_SUFFIXES:
        return _read_csv(text, where, problems)
    items = parse_digest(clean(text), where)
    kept = []
    for it in items:
        lang = detect_lang(it.title + "\n" + it.text)
        if lang not in ("ru", "en"):
            what = f"looks like '{lang}'" if lang else "language could not be detected"
            problems.append(Problem(where, int(it.where.rsplit(":", 1)[1]),
                                    f"report is not Russian or English ({what}); kzalign links ru and en"))
            continue
        it.lang = lang
        kept.append(it)
    if not kept and not any(p.path == where for p in problems):
        problems.append(Problem(where, None, "no reports found in file"))
    return kept


# -- de-duplication ---------------------------------------------------------------------------
def shingles(text: str, n: int = SHINGLE) -> set[int]:
    """Hashes of word n-grams, the unit of near-duplicate comparison."""
    toks = normalize_for_hash(text).split()
    if len(toks) < n:
        return {hash(" ".join(toks))} if toks else set()
    return {hash(" ".join(toks[i : i + n])) for i in range(len(toks) - n + 1)}


class _DupIndex:
    """Inverted index of shingles to find near-duplicate reports of the same language."""

    def __init__(self) -> None:
        self.sh: dict[str, set[int]] = {}
        self.lang: dict[str, str] = {}
        self.postings: dict[int, set[str]] = {}

    def add(self, key: str, lang: str, sh: set[int]) -> None:
        self.sh[key] = sh
        self.lang[key] = lang
        for s in sh:
            self.postings.setdefault(s, set()).add(key)

    def find(self, lang: str, sh: set[int]) -> str | None:
        counts: dict[str, int] = {}
        for s in sh:
            for k in self.postings.get(s, ()):
                counts[k] = counts.get(k, 0) + 1
        best, best_score = None, 0.0
        for k, c in counts.items():
            if self.lang[k] != lang:
                continue
            score = c / max(1, min(len(sh), len(self.sh[k])))
            if score > best_score or (score == best_score and best is not None and k < best):
                best, best_score = k, score
        return best if best_score >= DUP_CONTAINMENT else None


def _item_id(lang: str, content_hash: str) -> str:
    return f"{lang}-{content_hash[:12]}"


# -- the stage --------------------------------------------------------------------------------
def read_inputs(
    paths: Sequence[str | Path], progress: ProgressCallback | None = None
) -> tuple[list[RawItem], list[Problem], dict[str, str], int]:
    """Read every input into raw items; returns (items, problems, encodings, number of files)."""
    files, problems = collect_files(paths)
    encodings: dict[str, str] = {}
    raw: list[RawItem] = []
    report(progress, "read", 0, len(files))
    for i, f in enumerate(files, start=1):
        raw.extend(read_file(f, problems, encodings))
        report(progress, "read", i, len(files))
    return raw, problems, encodings, len(files)


def ingest_paths(
    ws: Workspace,
    paths: Sequence[str | Path],
    skip_bad: bool = False,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Read inputs and add their items to the workspace in one transaction.

    Any bad input fails the whole ingest (nothing written) unless ``skip_bad`` is set, in
    which case bad files/lines are skipped and listed in the report.
    """
    if not paths:
        raise InputError("no input paths given")
    raw, problems, encodings, nfiles = read_inputs(paths, progress)
    rep = IngestReport(files=nfiles, read=len(raw), encodings=encodings)
    given_problems: list[Problem] = []
    with ws.transaction() as conn:
        plan = _plan(ws, raw, given_problems)
        problems.extend(given_problems)
        if problems and not skip_bad:
            raise InputError(problems, hint="Nothing was ingested. Fix these, or pass --skip-bad to ingest the rest.")
        rep.skipped = problems
        bad = {p.path + ":" + str(p.line) for p in given_problems}
        _apply(conn, plan, bad, rep)
    return rep


@dataclass
class _Planned:
    item: RawItem
    target: str  # item id the raw item lands in
    new: bool  # creates the target item


def _plan(ws: Workspace, raw: list[RawItem], problems: list[Problem]) -> list[_Planned]:
    """Decide, for every raw item, which (new or existing) item it becomes part of."""
    existing_given = {
        r[0]: (r[1], r[2])
        for r in ws.conn.execute("SELECT id, content_hash, lang FROM items WHERE id_given=1").fetchall()
    }
    index = _DupIndex()
    for iid, lang, text in ws.conn.execute("SELECT id, lang, text FROM items WHERE id_given=0").fetchall():
        index.add(iid, lang, shingles(text))
    plan: list[_Planned] = []
    seen_given: dict[str, RawItem] = {}
    # id-less items: a deterministic order so ids do not depend on input order
    derived = sorted((r for r in raw if r.given_id is None), key=lambda r: (-len(r.text), r.content_hash, r.where))
    for r in raw:
        if r.given_id is None:
            continue
        prev = seen_given.get(r.given_id)
        if prev is not None and prev.content_hash != r.content_hash:
            problems.append(Problem(*_split_where(r.where), f"id '{r.given_id}' also used at {prev.where} with different text"))
            continue
        if r.given_id in existing_given and existing_given[r.given_id][0] != r.content_hash:
            problems.append(Problem(*_split_where(r.where),
                                    f"id '{r.given_id}' is already in the workspace with different text"))
            continue
        new = r.given_id not in existing_given and prev is None
        seen_given[r.given_id] = r
        plan.append(_Planned(r, r.given_id, new))
    for r in derived:
        sh = shingles(r.text)
        hit = index.find(r.lang, sh)
        if hit is not None:
            plan.append(_Planned(r, hit, False))
            continue
        iid = _item_id(r.lang, r.content_hash)
        index.add(iid, r.lang, sh)
        plan.append(_Planned(r, iid, True))
    return plan


def _split_where(where: str) -> tuple[str, int | None]:
    path, _, line = where.rpartition(":")
    return (path, int(line)) if line.isdigit() else (where, None)


def _apply(conn, plan: Iterable[_Planned], bad: set[str], rep: IngestReport) -> None:
    """Write the planned items and sources (inside the caller's transaction)."""
    ts = now_iso()
    touched: dict[str, None] = {}
    for p in plan:
        r = p.item
        if r.where in bad:
            continue
        if p.new:
            conn.execute(
                "INSERT INTO items(id, lang, title, text, date, url, source, content_hash, id_given, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (p.target, r.lang, r.title, r.text, r.date, r.url, r.source, r.content_hash,
                 int(r.given_id is not None), ts),
            )
            rep.added += 1
            rep.by_lang[r.lang] = rep.by_lang.get(r.lang, 0) + 1
        else:
            # a copy of an item we already have: fill in what the first copy lacked
            title, d = conn.execute("SELECT title, date FROM items WHERE id=?", (p.target,)).fetchone()
            if not title and r.title:
                conn.execute("UPDATE items SET title=? WHERE id=?", (r.title, p.target))
            if r.date and (d is None or r.date < d):
                conn.execute("UPDATE items SET date=? WHERE id=?", (r.date, p.target))
        cur = conn.execute(
            "INSERT OR IGNORE INTO item_sources(item_id, source, content_hash) VALUES (?, ?, ?)",
            (p.target, r.where, r.content_hash),
        )
        if not p.new:
            if cur.rowcount:
                rep.merged += 1
            else:
                rep.already_present += 1
        touched[p.target] = None
    rep.item_ids = list(touched)
