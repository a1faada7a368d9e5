"""The name glossary: CSV files a translator edits, Russian matching in any case, English matching, QA.

A glossary is one or more CSV files (``glossaries/*.csv``) with the columns of :data:`COLUMNS`. Russian
names are found in any grammatical case with pymorphy3 (lexemes of the glossary words, normal forms of
the text's words, initials such as "А.Турганбеков", hyphenated parts); English names are found in their
approved, variant and forbidden spellings, tolerant of case, hyphens, initials and possessives. Names
that are not in the glossary fall back to :func:`kzalign.translit.transliterate` and are marked
unverified. ``check_items`` and ``extract_candidates`` build the QA report and the candidate list.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .errors import InputError, KzalignError, Problem
from .files import unneutralize_formula, write_csv
from .signature import file_hash
from .translit import Step, name_similarity, phonetic_key, strip_accents, transliterate

log = logging.getLogger(__name__)

COLUMNS = ["ru", "en", "kind", "variants", "forbidden", "status", "note", "source"]
KINDS = ("person", "org", "place", "title", "other")
STATUSES = ("approved", "candidate")
CANDIDATES_FILE = "candidates.csv"
#: Which file of a glossary folder a new entry of each kind goes to.
KIND_FILES = {"person": "people.csv", "org": "organisations.csv", "place": "places.csv",
              "title": "other.csv", "other": "other.csv"}
CHECK_COLUMNS = ["item_id", "lang", "source", "finding", "found", "expected", "entry", "note"]
CANDIDATE_COLUMNS = COLUMNS + ["score", "evidence"]


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


@dataclass(frozen=True)
class NameMatch:
    """A name found in a text: span, the surface form, and its English form."""

    start: int
    end: int
    surface: str
    en: str
    entry: Entry | None
    verified: bool
    form: str = "approved"


# -- reading and validating ---------------------------------------------------------------------
def _split(cell: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in cell.split("|") if p.strip())


def _norm_en(s: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", strip_accents(s).casefold()))


def _norm_ru(s: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", s.casefold().replace("ё", "е")))


def read_glossary_file(path: str | Path) -> list[tuple[int, Entry]]:
    """Rows of one glossary CSV as (line number, Entry); ``#`` lines are comments."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(path), None, f"cannot read glossary ({exc})")) from exc
    lines = [ln if not ln.lstrip().startswith("#") else "" for ln in text.splitlines()]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    fields = [f.strip() for f in reader.fieldnames or []]
    missing = [c for c in ("ru", "en", "kind") if c not in fields]
    if missing:
        raise InputError(Problem(str(path), 1, f"missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}"))
    rows: list[tuple[int, Entry]] = []
    problems: list[Problem] = []
    for rec in reader:
        line = reader.line_num
        cell = {k.strip(): unneutralize_formula((v or "").strip()) for k, v in rec.items() if k}
        if not any(cell.values()):
            continue
        status = cell.get("status", "") or "approved"
        e = Entry(cell.get("ru", ""), cell.get("en", ""), cell.get("kind", ""), _split(cell.get("variants", "")),
                  _split(cell.get("forbidden", "")), status, cell.get("note", ""), cell.get("source", ""))
        for col in ("ru", "en", "kind"):
            if not getattr(e, col):
                problems.append(Problem(str(path), line, f"empty {col}"))
        if e.kind and e.kind not in KINDS:
            problems.append(Problem(str(path), line, f"kind {e.kind!r} is not one of {', '.join(KINDS)}"))
        if status not in STATUSES:
            problems.append(Problem(str(path), line, f"status {status!r} is not one of {', '.join(STATUSES)}"))
        rows.append((line, e))
    if problems:
        raise InputError(problems)
    return rows


def validate_entries(rows: list[tuple[str, int, Entry]]) -> None:
    """Refuse duplicate or conflicting entries and forbidden forms equal to accepted ones (InputError)."""
    problems: list[Problem] = []
    by_ru: dict[str, tuple[str, int, Entry]] = {}
    spelled: dict[str, tuple[str, int, Entry, str]] = {}  # English form -> owner
    for path, line, e in rows:
        key = _norm_ru(e.ru)
        if key in by_ru:
            p0, l0, e0 = by_ru[key]
            what = "duplicate of" if _norm_en(e0.en) == _norm_en(e.en) else f"conflicts ({e0.en!r} vs {e.en!r}) with"
            problems.append(Problem(path, line, f"{e.ru!r}: {what} {p0}:{l0}"))
            continue
        by_ru[key] = (path, line, e)
        accepted = {_norm_en(e.en), *(_norm_en(v) for v in e.variants)}
        for f in e.forbidden:
            if _norm_en(f) in accepted:
                problems.append(Problem(path, line, f"forbidden form {f!r} equals the approved form or a variant"))
        for form, role in [(e.en, "approved"), *((v, "variant") for v in e.variants),
                           *((f, "forbidden") for f in e.forbidden)]:
            k = _norm_en(form)
            if k in spelled:
                p0, l0, e0, r0 = spelled[k]
                if e0 is e:
                    continue
                same_name = _norm_en(e0.en) == _norm_en(e.en)
                if not same_name or (role == "forbidden") != (r0 == "forbidden"):
                    problems.append(Problem(path, line, f"{role} form {form!r} is the {r0} form of "
                                                        f"{e0.ru!r} at {p0}:{l0}"))
                continue
            spelled[k] = (path, line, e, role)
    if problems:
        raise InputError(problems, hint="Fix the glossary rows above; nothing was loaded.")


def default_glossary_location() -> Path | None:
    """$KZALIGN_GLOSSARY, else ./glossaries, else the glossaries/ folder beside the kzalign package."""
    env = os.environ.get("KZALIGN_GLOSSARY")
    if env:
        return Path(env)
    for cand in (Path("glossaries"), Path(__file__).resolve().parent.parent / "glossaries"):
        if cand.is_dir():
            return cand
    return None


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


def load_glossary(paths: list[str | Path] | None = None) -> Glossary:
    """Load and validate glossary CSVs (default: see :func:`default_glossary_location`)."""
    if paths is None:
        loc = default_glossary_location()
        paths = [loc] if loc is not None else []
    files = glossary_files(paths)
    rows: list[tuple[str, int, Entry]] = []
    for f in files:
        rows.extend((str(f), line, e) for line, e in read_glossary_file(f))
    validate_entries(rows)
    sig = file_hash(files) if files else "none"
    return Glossary([e for _, _, e in rows], sig)


# -- Russian morphology ---------------------------------------------------------------------------
_PROPER = ("Name", "Surn", "Patr", "Geox", "Orgn")
_RU_TOKEN = re.compile(r"[^\W\d_]+")
_INITIALS_BEFORE = re.compile(r"(?:(?<![^\W\d_])[А-ЯЁA-Z]\.\s?){1,2}$")


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def _parses(word: str) -> tuple:
    return tuple(_morph().parse(word))


@lru_cache(maxsize=200_000)
def ru_norms(word: str) -> frozenset[str]:
    """The word (lower-cased, ё→е) and every normal form pymorphy3 gives it."""
    low = word.casefold().replace("ё", "е")
    if not re.search(r"[а-яәғқңөұүһі]", low):
        return frozenset({low})
    return frozenset({low} | {p.normal_form.replace("ё", "е") for p in _parses(low)})


@lru_cache(maxsize=50_000)
def ru_forms(word: str) -> frozenset[str]:
    """Every inflected form of a glossary word (lexemes of its nominative, proper-name parses)."""
    low = word.casefold().replace("ё", "е")
    if not re.search(r"[а-яәғқңөұүһі]", low):
        return frozenset({low})
    parses = _parses(low)
    chosen = [p for p in parses if "nomn" in p.tag and any(t in p.tag for t in _PROPER)]
    chosen = chosen or [p for p in parses if "nomn" in p.tag] or list(parses[:1])
    forms = {low}
    for p in chosen:
        forms.update(f.word.replace("ё", "е") for f in p.lexeme)
    return frozenset(forms)


def _is_proper_word(word: str, sentence_start: bool) -> bool:
    if not word[:1].isupper() or not re.match(r"[А-ЯЁӘҒҚҢӨҰҮҺІ]", word):
        return False
    if len(word) > 1 and word.isupper():
        return False  # abbreviations (МИД, РК) are left to the glossary
    low = word.casefold()
    parses = _parses(low)
    if sentence_start:
        return not _morph().word_is_known(low) and not any(
            p.tag.POS in ("PREP", "CONJ", "PRCL", "ADVB", "VERB", "INFN", "NPRO") for p in parses[:1]
        ) or any(t in parses[0].tag for t in _PROPER)
    return not _morph().word_is_known(low) or any(any(t in p.tag for t in _PROPER) for p in parses)


#: Endings of name words that are nominative as written (pymorphy3 reads unknown "-ов" as a plural genitive).
_NOMINATIVE_END = re.compile(r"(ов|ев|ёв|ин|ын|улы|ұлы|кызы|қызы|ко|дзе|швили|ян)$")


def ru_nominative(word: str) -> str:
    """The nominative singular of a (proper) name word, keeping its gender; the word itself if unsure."""
    low = word.casefold()
    if _NOMINATIVE_END.search(low):
        return word
    parses = _parses(low)
    if any("nomn" in p.tag and "sing" in p.tag for p in parses):
        return word
    named = sorted(parses, key=lambda p: ("Surn" not in p.tag, "Name" not in p.tag and "Geox" not in p.tag))
    for p in named:
        nom = p.inflect({"nomn", "sing"}) or p.inflect({"nomn"})
        if nom is not None:
            out = nom.word
            return out[:1].upper() + out[1:] if word[:1].isupper() else out
    return word


# -- matching -------------------------------------------------------------------------------------
@dataclass
class _RuPattern:
    entry: int
    tokens: tuple[str, ...]
    partial: bool


@dataclass
class _EnKey:
    entry: int
    form: str
    partial: bool
    rank: int


_EN_SEP = r"(?:\s*[-‐‑–]\s*|\s+)"
_EN_INITIALS_BEFORE = re.compile(r"(?:(?<![^\W\d_])[A-Z]\.\s?){1,2}$")
_EN_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def _en_parts(form: str) -> list[str]:
    return [t for t in re.split(r"[\s\-‐‑–]+", strip_accents(form)) if t]


@dataclass
class Glossary:
    """Loaded glossary entries with Russian and English matchers."""

    entries: list[Entry]
    signature: str
    _ru_first: dict[str, list[_RuPattern]] = field(default_factory=dict, repr=False)
    _en_keys: dict[str, _EnKey] = field(default_factory=dict, repr=False)
    _en_re: list[re.Pattern] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._build_ru()
        self._build_en()

    # Russian ----------------------------------------------------------------------------------
    def _build_ru(self) -> None:
        seen: set[tuple[tuple[str, ...], int]] = set()
        for i, e in enumerate(self.entries):
            toks = tuple(_RU_TOKEN.findall(e.ru))
            if not toks:
                continue
            pats = [(toks, False)]
            if e.kind == "person" and len(toks) >= 2:
                pats.append((toks[1:], True))
                if len(toks) > 2:
                    pats.append((toks[-1:], True))
            for t, partial in pats:
                if (t, i) in seen:
                    continue
                seen.add((t, i))
                pat = _RuPattern(i, t, partial)
                for key in ru_forms(t[0]) | ru_norms(t[0]):
                    self._ru_first.setdefault(key, []).append(pat)

    @staticmethod
    def _ru_token_fits(text_tok: str, gl_tok: str) -> bool:
        if len(gl_tok) > 1 and gl_tok.isupper():
            return text_tok == gl_tok
        if gl_tok[:1].isupper() and not text_tok[:1].isupper():
            return False
        low = text_tok.casefold().replace("ё", "е")
        return low in ru_forms(gl_tok) or bool(ru_norms(text_tok) & ru_norms(gl_tok))

    def find_ru(self, text: str) -> list[NameMatch]:
        """Glossary names in Russian text, in any case and form (longest match wins)."""
        toks = list(_RU_TOKEN.finditer(text))
        out: list[NameMatch] = []
        i = 0
        while i < len(toks):
            best: tuple[int, int, _RuPattern] | None = None  # (ntok, full-bonus, pattern)
            cands: dict[int, _RuPattern] = {}
            for key in {toks[i].group().casefold().replace("ё", "е")} | ru_norms(toks[i].group()):
                for pat in self._ru_first.get(key, ()):
                    cands[id(pat)] = pat
            for pat in cands.values():
                n = len(pat.tokens)
                if i + n > len(toks):
                    continue
                ok = True
                for j in range(n):
                    if j and not re.fullmatch(r"\s*[-‐‑–]?\s*", text[toks[i + j - 1].end():toks[i + j].start()]):
                        ok = False
                        break
                    if not self._ru_token_fits(toks[i + j].group(), pat.tokens[j]):
                        ok = False
                        break
                if ok:
                    score = (n, 0 if pat.partial else 1, -pat.entry)
                    if best is None or score > best[:2] + (-best[2].entry,):
                        best = (n, 0 if pat.partial else 1, pat)
            if best is None:
                i += 1
                continue
            n, _, pat = best
            start, end = toks[i].start(), toks[i + n - 1].end()
            if pat.partial:
                m = _INITIALS_BEFORE.search(text[:start])
                if m:
                    start = m.start()
            e = self.entries[pat.entry]
            out.append(NameMatch(start, end, text[start:end], e.en, e, e.status == "approved"))
            i += n
        return out

    # English ----------------------------------------------------------------------------------
    def _build_en(self) -> None:
        keys: dict[str, _EnKey] = {}
        ambiguous: set[str] = set()
        for i, e in enumerate(self.entries):
            forms = [(e.en, "approved"), *((v, "variant") for v in e.variants), *((f, "forbidden") for f in e.forbidden)]
            for rank_base, (form, role) in enumerate(forms):
                parts = _en_parts(form)
                variants = [(parts, False)]
                if e.kind == "person" and len(parts) >= 2:
                    variants.append((parts[1:], True))
                    if len(parts) > 2:
                        variants.append((parts[-1:], True))
                elif e.kind == "person" and len(parts) == 1 and role == "forbidden":
                    variants = [(parts, True)]
                for toks, partial in variants:
                    key = " ".join(t.casefold() for t in toks)
                    role_rank = {"approved": 0, "variant": 1, "forbidden": 2}[role]
                    new = _EnKey(i, role, partial, (1 if partial else 0) * 10 + role_rank + rank_base * 0)
                    old = keys.get(key)
                    if old is None:
                        keys[key] = new
                    elif old.entry != i and old.partial and new.partial:
                        ambiguous.add(key)
                    elif new.rank < old.rank and (old.entry == i or old.partial):
                        keys[key] = new
        for k in ambiguous:
            if keys[k].partial:
                del keys[k]
        self._en_keys = keys
        acronym, normal = [], []
        for key in sorted(keys, key=len, reverse=True):
            e = self.entries[keys[key].entry]
            forms = [e.en, *e.variants, *e.forbidden]
            original = next((t for f in forms for t in [" ".join(_en_parts(f))] if t.casefold().endswith(key)), key)
            toks = original.split(" ")[-len(key.split(" ")):]
            pat = _EN_SEP.join(re.escape(t) for t in toks)
            if all(t.isupper() and len(t) <= 6 for t in toks):
                acronym.append(pat)
            else:
                normal.append(pat)
        self._en_re = []
        if normal:
            self._en_re.append(re.compile(r"(?<![^\W_])(?:" + "|".join(normal) + r")(?![^\W_])", re.IGNORECASE))
        if acronym:
            self._en_re.append(re.compile(r"(?<![^\W_])(?:" + "|".join(acronym) + r")(?![^\W_])"))

    def find_en(self, text: str) -> list[NameMatch]:
        """Approved, variant and forbidden spellings of glossary names in English text."""
        plain = strip_accents(text)
        found: list[tuple[int, int, _EnKey]] = []
        for rx in self._en_re:
            for m in rx.finditer(plain):
                key = " ".join(t.casefold() for t in _en_parts(m.group()))
                k = self._en_keys.get(key)
                if k is not None:
                    found.append((m.start(), m.end(), k))
        found.sort(key=lambda x: (x[0], -(x[1] - x[0])))
        out: list[NameMatch] = []
        last_end = -1
        for start, end, k in found:
            if start < last_end:
                continue
            if k.partial:
                m = _EN_INITIALS_BEFORE.search(plain[:start])
                if m:
                    start = m.start()
            e = self.entries[k.entry]
            out.append(NameMatch(start, end, text[start:end], e.en, e, e.status == "approved", k.form))
            last_end = end
        return out

    # unknown names ----------------------------------------------------------------------------
    def ru_names(self, text: str, en_context: Iterable[str] = ()) -> list[NameMatch]:
        """find_ru plus capitalised proper names not in the glossary, transliterated and unverified.

        With ``en_context`` (texts of English items linked to this one), a name whose Latin spelling
        appears there (e.g. Марибель Мартинес Руис -> Maribel Martinez Ruiz) takes that spelling
        (form ``recovered``); otherwise form is ``transliterated`` (``foreign?`` when it does not look
        Kazakh or Russian)."""
        windows = [w for t in en_context for w in _en_windows(self, t)]
        known = self.find_ru(text)
        covered = [(m.start, m.end) for m in known]
        out = list(known)
        group: list[re.Match] = []

        def flush() -> None:
            if not group:
                return
            start, end = group[0].start(), group[-1].end()
            m = _INITIALS_BEFORE.search(text[:start])
            if m:
                start = m.start()
            words = [ru_nominative(g.group()) for g in group]
            en = " ".join(transliterate(w) for w in words)
            en = re.sub(r"\s*-\s*", "-", en) if "-" in text[group[0].start():end] else en
            form = "foreign?" if looks_foreign(words) else "transliterated"
            found = recover_latin(words, windows)
            if found is not None:
                en, form = found, "recovered"
            out.append(NameMatch(start, end, text[start:end], en, None, False, form))
            group.clear()

        for tok in _RU_TOKEN.finditer(text):
            if any(s <= tok.start() < e for s, e in covered):
                flush()
                continue
            before = text[:tok.start()].rstrip(" \t«\"'(–—-")
            sentence_start = not before or before[-1] in ".!?…\n:"
            if _INITIALS_BEFORE.search(text[:tok.start()]) and not group:
                sentence_start = False
            if _is_proper_word(tok.group(), sentence_start):
                if group and not re.fullmatch(r"\s*[-‐‑–]?\s*", text[group[-1].end():tok.start()]):
                    flush()
                group.append(tok)
            else:
                flush()
        flush()
        return sorted(out, key=lambda m: m.start)

    def en_names(self, text: str) -> list[NameMatch]:
        """find_en plus capitalised words not covered by the glossary (entry None, unverified)."""
        known = self.find_en(text)
        out = list(known)
        for tok in _EN_TOKEN.finditer(text):
            if any(m.start <= tok.start() < m.end for m in known):
                continue
            w = re.sub(r"['’]s$", "", tok.group())
            if len(w) >= 3 and w[:1].isupper() and w.isascii() is not None and re.match(r"[A-Z]", strip_accents(w)):
                out.append(NameMatch(tok.start(), tok.start() + len(w), w, w, None, False, "unknown"))
        return sorted(out, key=lambda m: m.start)

    def entry_for_ru(self, ru: str) -> Entry | None:
        """The entry whose Russian form is ``ru`` (case-insensitive), if any."""
        key = _norm_ru(ru)
        return next((e for e in self.entries if _norm_ru(e.ru) == key), None)


_KZ_RU_END = re.compile(r"(ов|ев|ёв|ин|ын|ова|ева|ина|ына|улы|ұлы|кызы|қызы|бай|бек|баев|баева|ко|ий|ая|ич|на)$")


def looks_foreign(words: list[str]) -> bool:
    """True when no word of a name has a Kazakh/Russian name ending and its first word is not a given
    name pymorphy3's dictionary knows (Марибель Мартинес Руис, Анибал Гомес Толедо)."""
    words = [w for w in words if len(w) > 1]
    if not words or any(_KZ_RU_END.search(w.casefold()) for w in words):
        return False
    first = words[0].casefold()
    return not (_morph().word_is_known(first) and any("Name" in p.tag for p in _parses(first)))


def recover_latin(words: list[str], windows: list[tuple[str, ...]], min_score: float = 0.8) -> str | None:
    """The Latin spelling of a Russian name among English name runs, when one matches closely enough."""
    n = len([w for w in words if len(w) > 1])
    words = [w for w in words if len(w) > 1]
    best: tuple[float, tuple[str, ...]] | None = None
    for run in windows:
        for s in range(0, len(run) - n + 1):
            cand = run[s:s + n]
            score = sum(name_similarity(r, e) for r, e in zip(words, cand, strict=True)) / max(n, 1)
            if best is None or score > best[0]:
                best = (score, cand)
    return " ".join(best[1]) if best and best[0] >= min_score else None


def translit_names(text: str, scheme: str = "kazakh", glossary: Glossary | None = None) -> tuple[str, list[Step]]:
    """Glossary names in ``text`` become their approved English form; the rest is transliterated.
    Returns the output and the steps (which glossary entry or rule produced each piece)."""
    from .translit import explain

    matches = glossary.find_ru(text) if glossary is not None else []
    steps: list[Step] = []
    pos = 0
    for m in matches:
        steps.extend(explain(text[pos:m.start], scheme))
        steps.append(Step(m.surface, m.en, f"glossary:{m.entry.ru if m.entry else ''}"))
        pos = m.end
    steps.extend(explain(text[pos:], scheme))
    return "".join(s.output for s in steps), steps


# -- keys for the linker --------------------------------------------------------------------------
def unknown_name_key(word: str) -> str:
    """Key of a name word outside the glossary: folded spelling, first 6 letters (hides inflection)."""
    return "~" + phonetic_key(word)[:6]


def name_keys(text: str, lang: str, glossary: Glossary | None = None) -> set[str]:
    """Canonical name keys of a text: approved English forms of glossary names, ``~folded`` keys of others."""
    g = glossary if glossary is not None else _default_glossary()
    keys: set[str] = set()
    matches = g.ru_names(text) if lang == "ru" else g.en_names(text)
    for m in matches:
        if m.entry is not None:
            keys.add(m.entry.en)
            continue
        for w in re.findall(r"[^\W\d_]{3,}", m.en):
            keys.add(unknown_name_key(w))
    return keys


@lru_cache(maxsize=1)
def _default_glossary() -> Glossary:
    return load_glossary()


# -- QA check -------------------------------------------------------------------------------------
def _sources(row: Mapping[str, object]) -> str:
    src = row.get("sources")
    if isinstance(src, (list, tuple)) and src:
        return "; ".join(map(str, src))
    return str(row.get("source") or "")


def _spelling_key(word: str) -> str:
    """Light key for near-identical spellings: accents, case and doubled letters ignored (Isetov = Issetov)."""
    return re.sub(r"(.)\1+", r"\1", strip_accents(word).casefold())


def _proper_tokens(en_items: pd.DataFrame) -> tuple[dict[str, Counter], dict[str, set[str]], dict[str, list]]:
    """Capitalised English words that never occur in lower case in the corpus, with their items."""
    lower_seen: set[str] = set()
    occ: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in en_items.to_dict("records"):
        text = f"{row.get('title') or ''}\n{row['text']}"
        for tok in _EN_TOKEN.finditer(text):
            w = re.sub(r"['’]s$", "", tok.group())
            if w[:1].islower():
                lower_seen.add(w.casefold())
            elif len(w) >= 4 and not w.isupper():
                occ[w].append((row["id"], _sources(row)))
    by_key: dict[str, Counter] = defaultdict(Counter)
    items_of: dict[str, set[str]] = defaultdict(set)
    for w, places in occ.items():
        if w.casefold() in lower_seen:
            continue
        by_key[_spelling_key(w)][w] += len(places)
        items_of[w].update(i for i, _ in places)
    return by_key, items_of, occ


def check_items(items: pd.DataFrame, glossary: Glossary, mt: Mapping[str, str] | None = None) -> pd.DataFrame:
    """QA report, one row per finding: forbidden/variant spellings, inconsistent spellings across items,
    Russian names with no entry, machine translations missing a glossary name."""
    rows: list[dict[str, object]] = []
    records = items.to_dict("records")
    approved_tokens = {t.casefold(): t for e in glossary.entries for t in _en_parts(e.en)}
    for row in records:
        text = f"{row.get('title') or ''}\n{row['text']}" if row.get("title") and row["title"] not in row["text"] else row["text"]
        src = _sources(row)
        if row["lang"] == "en":
            for m in glossary.find_en(text):
                if m.form in ("forbidden", "variant"):
                    rows.append(dict(item_id=row["id"], lang="en", source=src, finding=f"{m.form}_spelling",
                                     found=m.surface, expected=m.entry.en if m.entry else "",
                                     entry=m.entry.ru if m.entry else "",
                                     note="never use this spelling" if m.form == "forbidden" else "accepted variant; approved form preferred"))
        else:
            seen: set[str] = set()
            for m in glossary.ru_names(text):
                if m.entry is None and m.surface not in seen:
                    seen.add(m.surface)
                    rows.append(dict(item_id=row["id"], lang="ru", source=src, finding="unknown_ru_name",
                                     found=m.surface, expected=m.en, entry="",
                                     note="not in glossary; transliterated (kazakh scheme), unverified"))
            mt_text = (mt or {}).get(row["id"])
            if mt_text:
                en_found = glossary.find_en(mt_text)
                ok = {m.entry.ru for m in en_found if m.entry and m.form in ("approved", "variant")}
                bad = {m.entry.ru: m.surface for m in en_found if m.entry and m.form == "forbidden"}
                done: set[str] = set()
                for m in glossary.find_ru(text):
                    e = m.entry
                    if e is None or e.ru in ok or e.ru in done:
                        continue
                    done.add(e.ru)
                    rows.append(dict(item_id=row["id"], lang="ru", source=src, finding="mt_missing_name",
                                     found=bad.get(e.ru, ""), expected=e.en, entry=e.ru,
                                     note=f"Russian has {m.surface!r}; the machine translation lacks the approved name"))
    en_items = items[items["lang"] == "en"]
    by_key, items_of, occ = _proper_tokens(en_items)
    for _key, spellings in by_key.items():
        if len(spellings) < 2:
            continue
        ranked = sorted(spellings, key=lambda w: (w.casefold() in approved_tokens and approved_tokens[w.casefold()] == w,
                                                  len(items_of[w]), spellings[w]), reverse=True)
        best = ranked[0]
        for w in ranked[1:]:
            for item_id, src in dict.fromkeys(occ[w]):
                rows.append(dict(item_id=item_id, lang="en", source=src, finding="inconsistent_spelling",
                                 found=w, expected=best, entry="",
                                 note=f"{best!r} is used in {len(items_of[best])} item(s), {w!r} in {len(items_of[w])}"))
    df = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    return df.drop_duplicates().reset_index(drop=True)


def workspace_mt(ws) -> dict[str, str] | None:
    """Item id -> machine translation from the last translate run, or None when there is none."""
    last = ws.last_run("translate")
    if last is None:
        return None
    try:
        from .translate import item_translations
    except ImportError:
        return None
    got = item_translations(ws, last[0])
    if isinstance(got, pd.DataFrame):
        cols = [c for c in ("mt_en", "mt", "text") if c in got.columns]
        if "id" not in got.columns or not cols:
            return None
        return dict(zip(got["id"], got[cols[0]], strict=False))
    return dict(got) if got else None


def check_workspace(ws, glossary: Glossary, mt: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`check_items` over every item of a workspace (MT from the last translate run by default)."""
    return check_items(ws.items(), glossary, mt if mt is not None else workspace_mt(ws))


def check_inputs(inputs: list[str], db: str | Path | None, glossary: Glossary) -> pd.DataFrame:
    """Check INPUT files (ingested into a temporary workspace) or, without inputs, the workspace ``db``."""
    import tempfile

    from .store import Workspace, open_workspace

    if inputs:
        from .ingest import ingest_paths

        with tempfile.TemporaryDirectory(prefix="kzalign-check-") as tmp:
            ws = Workspace(Path(tmp) / "check.db")
            try:
                ingest_paths(ws, inputs)
                return check_items(ws.items(), glossary)
            finally:
                ws.close()
    with open_workspace(db or "kzalign.db") as ws:
        return check_workspace(ws, glossary)


# -- candidate extraction ---------------------------------------------------------------------------
def _en_windows(glossary: Glossary, text: str) -> list[tuple[str, ...]]:
    """Runs of capitalised English words not covered by glossary names, as token tuples."""
    names = [m for m in glossary.en_names(text) if m.entry is None]
    runs: list[list[NameMatch]] = []
    for m in names:
        if runs and re.fullmatch(r"\s*[-‐‑–]?\s*", text[runs[-1][-1].end:m.start]):
            runs[-1].append(m)
        else:
            runs.append([m])
    return [tuple(x.surface for x in r) for r in runs]


def _kind_of(words: list[str]) -> str:
    tags = [str(p.tag) for w in words for p in _parses(w.casefold())[:3]]
    if any(t in tag for tag in tags for t in ("Name", "Surn", "Patr")):
        return "person"
    if any("Geox" in tag for tag in tags):
        return "place"
    return "other"


def extract_candidates(ws, glossary: Glossary, min_score: float = 0.75) -> pd.DataFrame:
    """Candidate ru↔en pairs mined from linked items: a Russian name outside the glossary and an English
    name in a linked item that match by transliteration, with evidence and score (status=candidate)."""
    links = ws.query_df("SELECT ru_id, en_id, score FROM links ORDER BY score DESC")
    if links.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    items = ws.items().set_index("id")
    best: dict[tuple[str, str], dict[str, object]] = {}
    for link in links.itertuples(index=False):
        if link.ru_id not in items.index or link.en_id not in items.index:
            continue
        ru_text = items.at[link.ru_id, "text"]
        en_text = items.at[link.en_id, "text"]
        windows = _en_windows(glossary, en_text)
        for m in glossary.ru_names(ru_text):
            if m.entry is not None:
                continue
            words = [ru_nominative(w) for w in _RU_TOKEN.findall(m.surface)
                     if not re.fullmatch(r"[А-ЯЁ]", w)]
            n = len(words)
            if not n:
                continue
            top: tuple[float, tuple[str, ...]] | None = None
            for run in windows:
                for s in range(0, len(run) - n + 1):
                    cand = run[s:s + n]
                    score = sum(name_similarity(r, e) for r, e in zip(words, cand, strict=True)) / n
                    if top is None or score > top[0]:
                        top = (score, cand)
            if top is None or top[0] < min_score:
                continue
            ru_form, en_form = " ".join(words), " ".join(top[1])
            if glossary.entry_for_ru(ru_form) is not None:
                continue
            ev = f"{link.ru_id}↔{link.en_id} (link {link.score:.3f}): {m.surface!r} ~ {en_form!r}"
            key = (ru_form, en_form)
            if key in best:
                best[key]["evidence"] = f"{best[key]['evidence']}; {ev}"
                best[key]["score"] = max(float(best[key]["score"]), round(top[0], 3))
                continue
            best[key] = dict(ru=ru_form, en=en_form, kind=_kind_of(words), variants="", forbidden="",
                             status="candidate", note=f"extracted: transliteration similarity {top[0]:.2f}",
                             source=f"links {link.ru_id}/{link.en_id}", score=round(top[0], 3), evidence=ev)
    # drop a candidate whose words are the tail of a longer one with the same English tail (А.Турганбеков)
    keys = list(best)
    for ru, en in keys:
        for ru2, en2 in keys:
            if (ru2, en2) != (ru, en) and ru2.endswith(" " + ru) and en2.endswith(" " + en):
                best.pop((ru, en), None)
                break
    df = pd.DataFrame(list(best.values()), columns=CANDIDATE_COLUMNS)
    return df.sort_values(["score", "ru"], ascending=[False, True]).reset_index(drop=True)


# -- editing glossary files -------------------------------------------------------------------------
def entry_row(e: Entry) -> dict[str, str]:
    """An entry as a CSV row."""
    return dict(ru=e.ru, en=e.en, kind=e.kind, variants="|".join(e.variants), forbidden="|".join(e.forbidden),
                status=e.status, note=e.note, source=e.source)


def _target_file(target: str | Path, kind: str) -> Path:
    target = Path(target)
    if target.is_dir() or (not target.suffix and not target.exists()):
        return target / KIND_FILES.get(kind, "other.csv")
    return target


def _write_entries(path: Path, entries: list[Entry]) -> None:
    write_csv(path, [entry_row(e) for e in entries], columns=COLUMNS, bom=False)


def _all_rows(target: Path, extra: dict[Path, list[Entry]]) -> list[tuple[str, int, Entry]]:
    folder = target if target.is_dir() else target.parent
    files = set(glossary_files([folder])) if folder.is_dir() else set()
    files |= {p for p in extra if p.exists()}
    rows: list[tuple[str, int, Entry]] = []
    for f in sorted(files):
        rows.extend((str(f), line, e) for line, e in read_glossary_file(f))
    for p, entries in extra.items():
        rows.extend((str(p), 0, e) for e in entries)
    return rows


def add_entry(target: str | Path, entry: Entry) -> Path:
    """Append one entry to a glossary file (or the kind's file in a glossary folder), validated first."""
    if entry.kind not in KINDS or entry.status not in STATUSES or not entry.ru or not entry.en:
        raise InputError(f"entry {entry.ru!r}: need ru, en, kind in {KINDS} and status in {STATUSES}")
    path = _target_file(target, entry.kind)
    validate_entries(_all_rows(path if path.exists() else path.parent, {path: [entry]}))
    existing = [e for _, e in read_glossary_file(path)] if path.exists() else []
    _write_entries(path, existing + [entry])
    return path


@dataclass
class MergeReport:
    """What a merge did: entries added per file, rows skipped with the reason."""

    added: list[Entry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def merge_candidates(candidates: str | Path | pd.DataFrame, target: str | Path,
                     only_approved: bool = True) -> MergeReport:
    """Merge reviewed candidate rows (status=approved unless ``only_approved`` is off) into the glossary;
    an existing entry for the same Russian name is never overwritten."""
    if isinstance(candidates, pd.DataFrame):
        cand = [Entry(str(r.get("ru", "")), str(r.get("en", "")), str(r.get("kind", "") or "other"),
                      _split(str(r.get("variants", "") or "")), _split(str(r.get("forbidden", "") or "")),
                      str(r.get("status", "") or "candidate"), str(r.get("note", "") or ""),
                      str(r.get("source", "") or "")) for r in candidates.fillna("").to_dict("records")]
    else:
        cand = [e for _, e in read_glossary_file(candidates)]
    target = Path(target)
    folder = target if target.is_dir() else target.parent
    existing = load_glossary([folder]) if folder.is_dir() and glossary_files([folder]) else Glossary([], "none")
    rep = MergeReport()
    pending: dict[Path, list[Entry]] = defaultdict(list)
    taken = {_norm_ru(e.ru) for e in existing.entries}
    for e in cand:
        if only_approved and e.status != "approved":
            rep.skipped.append((e.ru, f"status {e.status}, not approved"))
            continue
        if _norm_ru(e.ru) in taken:
            rep.skipped.append((e.ru, "already in the glossary (never overwritten)"))
            continue
        taken.add(_norm_ru(e.ru))
        pending[_target_file(target, e.kind)].append(e)
    if not pending:
        return rep
    validate_entries(_all_rows(target, dict(pending)))
    for path, new in pending.items():
        old = [e for _, e in read_glossary_file(path)] if path.exists() else []
        _write_entries(path, old + new)
        rep.added.extend(new)
        rep.files.append(str(path))
    return rep


def write_candidates(df: pd.DataFrame, out: str | Path) -> Path:
    """Write candidates as a glossary-format CSV (extra score/evidence columns kept for the reviewer)."""
    if Path(out).exists():
        prev = pd.read_csv(out, dtype=str, keep_default_na=False, comment="#", encoding="utf-8-sig")
        if "status" in prev and (prev["status"] == "approved").any():
            raise KzalignError(f"{out}: has reviewed (approved) rows; merge it first or choose another --out")
    return write_csv(out, df, columns=CANDIDATE_COLUMNS, bom=True)


def glossary_table(glossary: Glossary, kind: str | None = None, status: str | None = None) -> pd.DataFrame:
    """Entries as a table, optionally filtered by kind and status."""
    rows = [entry_row(e) for e in glossary.entries if (kind is None or e.kind == kind)
            and (status is None or e.status == status)]
    return pd.DataFrame(rows, columns=COLUMNS)


def new_entry(ru: str, en: str, kind: str, variants: Iterable[str] = (), forbidden: Iterable[str] = (),
              status: str = "approved", note: str = "", source: str = "") -> Entry:
    """Build an Entry from plain values (variants/forbidden as lists or |-separated strings)."""
    def parts(v: Iterable[str] | str) -> tuple[str, ...]:
        return _split(v) if isinstance(v, str) else tuple(x for p in v for x in _split(p))
    return replace(Entry(ru.strip(), en.strip(), kind, (), (), status, note, source),
                   variants=parts(variants), forbidden=parts(forbidden))


def add_entry_values(target: str | Path, ru: str, en: str, kind: str, variants: str = "", forbidden: str = "",
                     status: str = "approved", note: str = "", source: str = "") -> Path:
    """:func:`add_entry` from plain values (what ``kzalign glossary add`` passes)."""
    return add_entry(target, new_entry(ru, en, kind, variants, forbidden, status, note, source))


def extract_to_file(db: str | Path, glossary: Glossary, out: str | Path, min_score: float = 0.75) -> pd.DataFrame:
    """Run :func:`extract_candidates` on workspace ``db`` and write the candidates CSV ``out``."""
    from .store import open_workspace

    with open_workspace(db) as ws:
        df = extract_candidates(ws, glossary, min_score)
    write_candidates(df, out)
    return df


def explain_lines(text: str, scheme: str = "kazakh", glossary: Glossary | None = None,
                  explain: bool = False) -> list[str]:
    """Output line for ``text`` (glossary names, then the scheme), plus one line per part with ``explain``."""
    out, steps = translit_names(text, scheme, glossary)
    lines = [out]
    if explain:
        word: list[Step] = []

        def flush() -> None:
            if word:
                src, dst = "".join(x.source for x in word), "".join(x.output for x in word)
                rules = [f"{x.source}→{x.output or '∅'} [{x.rule}]" for x in word if x.rule != "letter"]
                lines.append(f"  {src} → {dst}: {scheme} letter map" + ("; " + ", ".join(rules) if rules else ""))
                word.clear()

        for s in steps:
            if s.rule in ("letter",) or s.rule.startswith(("word:", "ye-", "i-", "o-", "y-", "ss-")) or (
                    s.rule not in ("copy",) and not s.rule.startswith(("glossary:", "iuliia:"))):
                word.append(s)
                continue
            flush()
            if s.rule != "copy":
                lines.append(f"  {s.source} → {s.output}  [{s.rule}]")
        flush()
    return lines
