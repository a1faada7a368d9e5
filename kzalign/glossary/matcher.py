"""Finding names in text: Russian in any case, English in approved, variant and forbidden spellings.

Both matchers are indexes walked once over the text's words: Russian patterns keyed by every form
of their first word, English spellings keyed by their first word. Work per word is bounded by the
entries that share that word, never by the text before it or by the glossary size, so a multi-MB
item or a glossary row with thousands of variants stays fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ..translit import Step, name_similarity, phonetic_key, strip_accents, transliterate
from .entries import Entry, norm_ru
from .morph import (
    EN_INITIALS_BEFORE,
    RU_TOKEN,
    initials_before,
    is_proper_word,
    looks_foreign,
    ru_forms,
    ru_nominative,
    ru_norms,
)


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


@dataclass(frozen=True)
class _RuPattern:
    entry: int
    tokens: tuple[str, ...]
    partial: bool


@dataclass(frozen=True)
class _EnKey:
    entry: int
    form: str
    partial: bool
    rank: int


@dataclass(frozen=True)
class _EnSpelling:
    """One indexed English spelling: its tokens (lower-cased unless an acronym) and its key."""

    tokens: tuple[str, ...]
    exact_case: bool
    key: str


EN_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
#: The EN_TOKEN matches that can be unknown names: those starting with a capital that is a Latin letter once
#: accents are stripped (a superset of such letters; en_names checks each). A token starts at a letter that
#: does not continue a word ("x-Men" is one token), which the two look-behinds say.
_EN_CAPITAL_TOKEN = re.compile(r"(?<![^\W\d_])(?<![^\W\d_][-'’])(?=[A-Z\u00c0-\u024f\u1e00-\u1eff\u212a\u212b])"
                               + EN_TOKEN.pattern)
#: The RU_TOKEN matches (runs of letters) less those that start with a lower-case Russian or Latin letter,
#: which are never part of a name: ru_names does not visit them.
_RU_MAYBE_CAPITAL = re.compile(r"(?<![^\W\d_])(?![a-zа-яё])[^\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
_EN_SEP = re.compile(r"\s*[-‐‑–]\s*|\s+")
_WORD = re.compile(r"[^\W_]+")
_GAP = re.compile(r"\s*[-‐‑–]?\s*")
#: Letters of a word compared with the names' forms before it is parsed (inflection changes endings, not starts).
_PREFIX = 3
_SENTENCE_SKIP = " \t«\"'(–—-"
_ROLE_RANK = {"approved": 0, "variant": 1, "forbidden": 2}


def en_parts(form: str) -> list[str]:
    """The words of an English spelling (accents stripped, split at spaces and hyphens)."""
    return [t for t in re.split(r"[\s\-‐‑–]+", strip_accents(form)) if t]


def _ru_key(word: str) -> set[str]:
    return {word.casefold().replace("ё", "е")} | ru_norms(word)


def _ru_token_fits(text_tok: str, gl_tok: str) -> bool:
    if len(gl_tok) > 1 and gl_tok.isupper():
        return text_tok == gl_tok
    if gl_tok[:1].isupper() and not text_tok[:1].isupper():
        return False
    low = text_tok.casefold().replace("ё", "е")
    return low in ru_forms(gl_tok) or bool(ru_norms(text_tok) & ru_norms(gl_tok))


def _name_patterns(toks: tuple[str, ...], kind: str) -> list[tuple[tuple[str, ...], bool]]:
    """A name and, for people, the partial forms it is also cited by (surname, given name + surname)."""
    pats = [(toks, False)]
    if kind == "person" and len(toks) >= 2:
        pats.append((toks[1:], True))
        if len(toks) > 2:
            pats.append((toks[-1:], True))
    return pats


def _with_initials(text: str, start: int, pattern: re.Pattern[str] | None = None) -> int:
    """``start`` moved back over initials written before the name ("А.Турганбеков")."""
    found = initials_before(text, start) if pattern is None else initials_before(text, start, pattern)
    return start if found is None else found


def _sentence_start(text: str, pos: int) -> bool:
    """Whether the word at ``pos`` starts a sentence (scans back over the gap only: linear overall)."""
    j = pos - 1
    while j >= 0 and text[j] in _SENTENCE_SKIP:
        j -= 1
    return j < 0 or text[j] in ".!?…\n:"


@dataclass
class Glossary:
    """Loaded glossary entries with Russian and English matchers."""

    entries: list[Entry]
    signature: str
    _ru_first: dict[str, list[_RuPattern]] = field(default_factory=dict, repr=False)
    _ru_prefixes: frozenset[str] = field(default_factory=frozenset, repr=False)
    _en_keys: dict[str, _EnKey] = field(default_factory=dict, repr=False)
    _en_index: dict[str, list[_EnSpelling]] = field(default_factory=dict, repr=False)
    _by_ru: dict[str, Entry] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._build_ru()
        self._build_en()
        self._by_ru = {norm_ru(e.ru): e for e in reversed(self.entries)}

    @classmethod
    def empty(cls) -> Glossary:
        """A glossary with no entries (names are then only transliterated)."""
        return cls([], "none")

    # Russian ----------------------------------------------------------------------------------
    def _build_ru(self) -> None:
        seen: set[tuple[tuple[str, ...], int]] = set()
        for i, e in enumerate(self.entries):
            toks = tuple(RU_TOKEN.findall(e.ru))
            if not toks:
                continue
            for t, partial in _name_patterns(toks, e.kind):
                if (t, i) in seen:
                    continue
                seen.add((t, i))
                pat = _RuPattern(i, t, partial)
                for key in ru_forms(t[0]) | ru_norms(t[0]):
                    self._ru_first.setdefault(key, []).append(pat)
        # a word can only start a name if it begins like one of the names' forms: most words of a text are
        # skipped without a morphological parse (the parse is the costly part of name finding)
        self._ru_prefixes = frozenset(k[:_PREFIX] for k in self._ru_first)

    def _ru_pattern_at(self, text: str, toks: Sequence[re.Match[str]], i: int) -> _RuPattern | None:
        """The best glossary pattern starting at token ``i`` (longest, full before partial, first entry)."""
        word = toks[i].group()
        best: _RuPattern | None = None
        best_score: tuple[int, int, int] | None = None
        cands = {id(p): p for key in _ru_key(word) for p in self._ru_first.get(key, ())}
        for pat in cands.values():
            n = len(pat.tokens)
            if i + n > len(toks):
                continue
            if all((not j or _GAP.fullmatch(text, toks[i + j - 1].end(), toks[i + j].start()))
                   and _ru_token_fits(toks[i + j].group(), pat.tokens[j]) for j in range(n)):
                score = (n, 0 if pat.partial else 1, -pat.entry)
                if best_score is None or score > best_score:
                    best, best_score = pat, score
        return best

    def find_ru(self, text: str) -> list[NameMatch]:
        """Glossary names in Russian text, in any case and form (longest match wins)."""
        toks = list(RU_TOKEN.finditer(text))
        prefixes = self._ru_prefixes
        # only a word that begins like one of the names' forms can start a name: the rest are never parsed
        starts = [i for i, t in enumerate(toks) if t.group().casefold().replace("ё", "е")[:_PREFIX] in prefixes]
        out: list[NameMatch] = []
        after = 0  # first token after the last name found
        for i in starts:
            pat = self._ru_pattern_at(text, toks, i) if i >= after else None
            if pat is None:
                continue
            n = len(pat.tokens)
            start, end = toks[i].start(), toks[i + n - 1].end()
            if pat.partial:
                start = _with_initials(text, start)
            e = self.entries[pat.entry]
            out.append(NameMatch(start, end, text[start:end], e.en, e, e.status == "approved"))
            after = i + n
        return out

    # English ----------------------------------------------------------------------------------
    def _en_candidates(self) -> dict[str, tuple[_EnKey, tuple[str, ...]]]:
        """Every English key (lower-cased words) with its owner and original spelling."""
        keys: dict[str, tuple[_EnKey, tuple[str, ...]]] = {}
        ambiguous: set[str] = set()
        for i, e in enumerate(self.entries):
            for form, role in [(e.en, "approved"), *((v, "variant") for v in e.variants),
                               *((f, "forbidden") for f in e.forbidden)]:
                parts = tuple(en_parts(form))
                variants: list[tuple[tuple[str, ...], bool]]
                if e.kind == "person" and len(parts) == 1 and role == "forbidden":
                    variants = [(parts, True)]
                else:
                    variants = _name_patterns(parts, e.kind) if len(parts) >= 2 else [(parts, False)]
                for toks, partial in variants:
                    key = " ".join(t.casefold() for t in toks)
                    new = _EnKey(i, role, partial, (10 if partial else 0) + _ROLE_RANK[role])
                    old = keys.get(key)
                    if old is None:
                        keys[key] = (new, toks)
                    elif old[0].entry != i and old[0].partial and new.partial:
                        ambiguous.add(key)
                    elif new.rank < old[0].rank and (old[0].entry == i or old[0].partial):
                        keys[key] = (new, toks)
        for k in ambiguous:
            if keys[k][0].partial:
                del keys[k]
        return keys

    def _build_en(self) -> None:
        cands = self._en_candidates()
        self._en_keys = {k: v[0] for k, v in cands.items()}
        index: dict[str, list[_EnSpelling]] = {}
        for key, (_, toks) in cands.items():
            if not toks:
                continue
            exact = all(t.isupper() and len(t) <= 6 for t in toks)
            match_toks = toks if exact else tuple(t.lower() for t in toks)
            head = _WORD.match(toks[0].lower())
            if head is None:
                continue
            index.setdefault(head.group(), []).append(_EnSpelling(match_toks, exact, key))
        for spellings in index.values():
            spellings.sort(key=lambda s: -len(s.key))  # the longest spelling wins at a position
        self._en_index = index

    @staticmethod
    def _spelling_end(plain: str, pos: int, sp: _EnSpelling) -> int:
        """End of ``sp`` matched at ``pos`` of ``plain`` (words joined by spaces or hyphens), or -1."""
        for j, t in enumerate(sp.tokens):
            if j:
                sep = _EN_SEP.match(plain, pos)
                if sep is None:
                    return -1
                pos = sep.end()
            seg = plain[pos:pos + len(t)]
            if (seg if sp.exact_case else seg.lower()) != t:
                return -1
            pos += len(t)
        if pos < len(plain) and _WORD.match(plain, pos):
            return -1
        return pos

    def find_en(self, text: str) -> list[NameMatch]:
        """Approved, variant and forbidden spellings of glossary names in English text."""
        plain = strip_accents(text)
        out: list[NameMatch] = []
        last_end = 0
        for w in _WORD.finditer(plain):
            if w.start() < last_end:
                continue
            for sp in self._en_index.get(w.group().lower(), ()):
                end = self._spelling_end(plain, w.start(), sp)
                if end < 0:
                    continue
                k = self._en_keys[sp.key]
                start = w.start()
                if k.partial:
                    start = _with_initials(plain, start, EN_INITIALS_BEFORE)
                e = self.entries[k.entry]
                out.append(NameMatch(start, end, text[start:end], e.en, e, e.status == "approved", k.form))
                last_end = end
                break
        return out

    # unknown names ----------------------------------------------------------------------------
    def ru_names(self, text: str, en_context: Iterable[str] = ()) -> list[NameMatch]:
        """find_ru plus capitalised proper names not in the glossary, transliterated and unverified.

        With ``en_context`` (texts of English items linked to this one), a name whose Latin spelling
        appears there (e.g. Марибель Мартинес Руис -> Maribel Martinez Ruiz) takes that spelling
        (form ``recovered``); otherwise form is ``transliterated`` (``foreign?`` when it does not look
        Kazakh or Russian). Linear in the length of ``text``."""
        windows = [w for t in en_context for w in en_windows(self, t)]
        known = self.find_ru(text)
        out = list(known)
        group: list[re.Match[str]] = []
        for tok, covered in _with_coverage(_RU_MAYBE_CAPITAL.finditer(text), known):
            pos = tok.start()
            if group and _LETTER.search(text, group[-1].end(), pos):  # a skipped lower-case word came between
                _flush_unknown(text, group, windows, out)
            if covered or not tok.group()[:1].isupper():  # a lower-case word is never part of a name
                if group:
                    _flush_unknown(text, group, windows, out)
                continue
            sentence_start = _sentence_start(text, pos) and not (not group and initials_before(text, pos) is not None)
            if is_proper_word(tok.group(), sentence_start):
                if group and not _GAP.fullmatch(text, group[-1].end(), pos):
                    _flush_unknown(text, group, windows, out)
                group.append(tok)
            else:
                _flush_unknown(text, group, windows, out)
        _flush_unknown(text, group, windows, out)
        return sorted(out, key=lambda m: m.start)

    def en_names(self, text: str) -> list[NameMatch]:
        """find_en plus capitalised words not covered by the glossary (entry None, unverified)."""
        known = self.find_en(text)
        out = list(known)
        for tok, covered in _with_coverage(_EN_CAPITAL_TOKEN.finditer(text), known):
            if covered:
                continue
            pos = tok.start()
            w = re.sub(r"['’]s$", "", tok.group())
            if len(w) >= 3 and w[:1].isupper() and re.match(r"[A-Z]", strip_accents(w[:1])):
                out.append(NameMatch(pos, pos + len(w), w, w, None, False, "unknown"))
        return sorted(out, key=lambda m: m.start)

    def entry_for_ru(self, ru: str) -> Entry | None:
        """The entry whose Russian form is ``ru`` (case-insensitive), if any."""
        return self._by_ru.get(norm_ru(ru))


def _with_coverage(tokens: Iterable[re.Match[str]], known: Sequence[NameMatch]
                   ) -> Iterator[tuple[re.Match[str], bool]]:
    """Each token and whether a known (sorted, non-overlapping) match covers its start: one forward walk."""
    k = 0
    for tok in tokens:
        pos = tok.start()
        while k < len(known) and known[k].end <= pos:
            k += 1
        yield tok, k < len(known) and known[k].start <= pos


def _flush_unknown(text: str, group: list[re.Match[str]], windows: list[tuple[str, ...]],
                   out: list[NameMatch]) -> None:
    """Turn a run of unknown proper words into one transliterated (or recovered) NameMatch."""
    if not group:
        return
    start, end = group[0].start(), group[-1].end()
    start = _with_initials(text, start)
    words = [ru_nominative(g.group()) for g in group]
    en = " ".join(transliterate(w) for w in words)
    en = re.sub(r"\s*-\s*", "-", en) if "-" in text[group[0].start():end] else en
    form = "foreign?" if looks_foreign(words) else "transliterated"
    found = recover_latin(words, windows)
    if found is not None:
        en, form = found, "recovered"
    out.append(NameMatch(start, end, text[start:end], en, None, False, form))
    group.clear()


def en_windows(glossary: Glossary, text: str) -> list[tuple[str, ...]]:
    """Runs of capitalised English words not covered by glossary names, as token tuples."""
    names = [m for m in glossary.en_names(text) if m.entry is None]
    runs: list[list[NameMatch]] = []
    for m in names:
        if runs and _GAP.fullmatch(text, runs[-1][-1].end, m.start):
            runs[-1].append(m)
        else:
            runs.append([m])
    return [tuple(x.surface for x in r) for r in runs]


def best_window(words: Sequence[str], windows: Iterable[tuple[str, ...]]) -> tuple[float, tuple[str, ...]] | None:
    """The run of English words closest to the Russian name ``words`` by transliteration similarity."""
    n = len(words)
    best: tuple[float, tuple[str, ...]] | None = None
    for run in windows:
        for s in range(0, len(run) - n + 1):
            cand = run[s:s + n]
            score = sum(name_similarity(r, e) for r, e in zip(words, cand, strict=True)) / max(n, 1)
            if best is None or score > best[0]:
                best = (score, cand)
    return best


def recover_latin(words: list[str], windows: list[tuple[str, ...]], min_score: float = 0.8) -> str | None:
    """The Latin spelling of a Russian name among English name runs, when one matches closely enough."""
    best = best_window([w for w in words if len(w) > 1], windows)
    return " ".join(best[1]) if best and best[0] >= min_score else None


def translit_names(text: str, scheme: str = "kazakh", glossary: Glossary | None = None) -> tuple[str, list[Step]]:
    """Glossary names in ``text`` become their approved English form; the rest is transliterated.
    Returns the output and the steps (which glossary entry or rule produced each piece)."""
    from ..translit import explain

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


_EMPTY: Glossary | None = None


def name_keys(text: str, lang: str, glossary: Glossary | None) -> set[str]:
    """Canonical name keys of a text: approved English forms of glossary names, ``~folded`` keys of others.

    The caller passes the glossary it loaded; ``None`` means no glossary (every name is only
    transliterated), never a glossary looked up behind the caller's back. Linear in ``len(text)``.
    """
    global _EMPTY
    if glossary is None:
        _EMPTY = _EMPTY or Glossary.empty()
        glossary = _EMPTY
    keys: set[str] = set()
    matches = glossary.ru_names(text) if lang == "ru" else glossary.en_names(text)
    for m in matches:
        if m.entry is not None:
            keys.add(m.entry.en)
            continue
        for w in re.findall(r"[^\W\d_]{3,}", m.en):
            keys.add(unknown_name_key(w))
    return keys
