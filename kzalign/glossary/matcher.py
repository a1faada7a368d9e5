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
from functools import lru_cache

from kzalign.core.text import fold_lookalikes
from kzalign.core.translit import Step, name_similarities, phonetic_key, strip_accents, transliterate
from kzalign.glossary.entries import Entry, norm_ru
from kzalign.glossary.morph import (
    CYR_CAPITAL,
    EN_INITIALS_BEFORE,
    RU_TOKEN,
    initials_before,
    looks_foreign,
    proper_either_way,
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
#: accents are stripped (a superset of such letters; en_names checks each). The pattern starts with that
#: character class, so the regex engine skips every other position in C; the look-behinds then check that the
#: character is a letter that does not continue a word ("x-Men" is one token) and the token runs on.
_EN_CAPITAL_TOKEN = re.compile(r"[A-Z\u00c0-\u024f\u1e00-\u1eff\u212a\u212b](?<=[^\W\d_])(?<![^\W\d_].)"
                               r"(?<![^\W\d_][-'’].)[^\W\d_]*(?:[-'’][^\W\d_]+)*")
#: The RU_TOKEN matches (runs of letters) that start with a Cyrillic capital: only such a word can be part of an
#: unknown name (proper_either_way), so ru_names visits no other (a letter between two visited words ends a name).
_RU_CAPITAL_TOKEN = re.compile(CYR_CAPITAL.pattern + r"(?<![^\W\d_].)[^\W\d_]*")
#: A superset of the RU_TOKEN matches that start with an upper-case letter (those starting with a lower-case
#: Russian or Latin letter left out): when every glossary name starts with a capital, find_ru reads only these.
_RU_UPPER_TOKEN = re.compile(r"[^\W\d_a-zа-яё](?<![^\W\d_].)[^\W\d_]*")
_LETTER = re.compile(r"[^\W\d_]")
_WORD_CHAR = re.compile(r"[^\W_]")
_POSSESSIVE = re.compile(r"['’]s$")
_LATIN_CAPITAL = re.compile(r"[A-Z]")
_HYPHEN_GAP = re.compile(r"\s*-\s*")
_KEY_WORD = re.compile(r"[^\W\d_]{3,}")
_EN_SEP = re.compile(r"\s*[-‐‑–]\s*|\s+")
_WORD = re.compile(r"[^\W_]+")
_GAP = re.compile(r"\s*[-‐‑–]?\s*")
#: Letters of a word compared with the names' forms before it is parsed (inflection changes endings, not starts).
_PREFIX = 3
#: Distinct words a glossary remembers the classification of before it starts afresh (bounds memory).
_WORD_CACHE = 500_000
_SENTENCE_SKIP = " \t«\"'(–—-"
_ROLE_RANK = {"approved": 0, "variant": 1, "forbidden": 2}


def en_parts(form: str) -> list[str]:
    """The words of an English spelling (accents stripped, split at spaces and hyphens)."""
    return [t for t in re.split(r"[\s\-‐‑–]+", strip_accents(form)) if t]


def _ru_key(word: str) -> set[str]:
    return {word.casefold().replace("ё", "е")} | ru_norms(word)


@lru_cache(maxsize=200_000)
def _ru_token_fits(text_tok: str, gl_tok: str) -> bool:
    """Whether a word of a text is a form of a glossary name's word (cached: pure, and asked again and again)."""
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


def _token_positions(text: str, words: Iterable[str], letter: re.Pattern[str]) -> list[tuple[int, str]]:
    """Where each of ``words`` (runs of ``letter``) stands in ``text`` as a whole token, in text order.

    An occurrence is a token when no ``letter`` touches it on either side; ``str.find`` looks for each word,
    so the text's other words cost nothing in Python."""
    found: list[tuple[int, str]] = []
    for w in words:
        n, p = len(w), text.find(w)
        while p >= 0:
            if not (p and letter.match(text, p - 1)) and not letter.match(text, p + n):
                found.append((p, w))
                p = text.find(w, p + n)
            else:
                p = text.find(w, p + 1)
    found.sort()
    return found


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
    #: Words of texts -> the Russian patterns each may start, and the words that start any (filled as texts are
    #: read, see _ru_hits; one tuple, replaced whole when full, so a thread always sees a matching pair).
    _ru_words: tuple[dict[str, tuple[_RuPattern, ...]], set[str]] = field(default_factory=lambda: ({}, set()),
                                                                          repr=False, compare=False)
    #: Whether every Russian pattern starts with a capital (then no word starting in lower case starts a name).
    _ru_capitals_only: bool = field(default=False, repr=False)
    #: Words of English texts already classified, and those among them that begin an indexed spelling. (Both
    #: word caches stay out of ==: two glossaries are equal whatever texts each has read.)
    _en_words: tuple[set[str], set[str]] = field(default_factory=lambda: (set(), set()), repr=False, compare=False)

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
        # a pattern word with a capital fits only a text word with one (_ru_token_fits)
        self._ru_capitals_only = all(p.tokens[0][:1].isupper() for ps in self._ru_first.values() for p in ps)

    def _ru_candidates(self, word: str) -> tuple[_RuPattern, ...]:
        """The patterns whose first word ``word`` may be a form of. Only a word that begins like one of the
        names' forms is parsed (the parse is the costly part of name finding); the rest have none."""
        if word.casefold().replace("ё", "е")[:_PREFIX] not in self._ru_prefixes:
            return ()
        return tuple({id(p): p for key in _ru_key(word) for p in self._ru_first.get(key, ())}.values())

    def _ru_hits(self, words: set[str]) -> dict[str, tuple[_RuPattern, ...]]:
        """The words of a text that may start a glossary name, with their patterns: each distinct word is
        classified once per glossary, and a text's words are then sorted out by set operations."""
        cands, starters = self._ru_words
        if len(cands) > _WORD_CACHE:
            cands, starters = self._ru_words = ({}, set())
        for w in words.difference(cands):
            cands[w] = found = self._ru_candidates(w)
            if found:
                starters.add(w)
        return {w: cands[w] for w in words & starters}

    @staticmethod
    def _ru_pattern_at(text: str, first: re.Match[str], cands: Iterable[_RuPattern]
                       ) -> tuple[_RuPattern, re.Match[str]] | None:
        """The best of the patterns ``cands`` starting at token ``first`` (longest, full before partial, first
        entry) and its last token; the tokens after ``first`` are read only as far as a pattern needs."""
        toks = [first]
        best: tuple[_RuPattern, re.Match[str]] | None = None
        best_score: tuple[int, int, int] | None = None
        for pat in cands:
            n = len(pat.tokens)
            while len(toks) < n and (nxt := RU_TOKEN.search(text, toks[-1].end())) is not None:
                toks.append(nxt)
            if n > len(toks):
                continue
            if all((not j or _GAP.fullmatch(text, toks[j - 1].end(), toks[j].start()))
                   and _ru_token_fits(toks[j].group(), pat.tokens[j]) for j in range(n)):
                score = (n, 0 if pat.partial else 1, -pat.entry)
                if best_score is None or score > best_score:
                    best, best_score = (pat, toks[n - 1]), score
        return best

    def find_ru(self, text: str) -> list[NameMatch]:
        """Glossary names in Russian text, in any case and form (longest match wins); a name typed with Latin
        look-alike letters ("Тургaнбeкoв") is found too (matched after folding them, surface as written)."""
        written, text = text, fold_lookalikes(text)
        words = (_RU_UPPER_TOKEN if self._ru_capitals_only else RU_TOKEN).findall(text)
        hits = self._ru_hits(set(words))
        out: list[NameMatch] = []
        after = 0  # end of the last name found
        for pos, word in _token_positions(text, hits, _LETTER):
            first = RU_TOKEN.match(text, pos)
            found = self._ru_pattern_at(text, first, hits[word]) if first is not None and pos >= after else None
            if found is None:
                continue
            pat, last = found
            start, end = pos, last.end()
            if pat.partial:
                start = _with_initials(text, start)
            e = self.entries[pat.entry]
            out.append(NameMatch(start, end, written[start:end], e.en, e, e.status == "approved"))
            after = end
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

    def _en_hits(self, words: set[str]) -> set[str]:
        """The words of a text that begin an indexed spelling (each distinct word classified once)."""
        seen, starters = self._en_words
        if len(seen) > _WORD_CACHE:
            seen, starters = self._en_words = (set(), set())
        new = words - seen
        starters.update(w for w in new if w.lower() in self._en_index)
        seen |= new  # after starters: a thread that finds a word seen finds it among the starters if it is one
        return words & starters

    def find_en(self, text: str) -> list[NameMatch]:
        """Approved, variant and forbidden spellings of glossary names in English text (Cyrillic look-alike
        letters in a Latin word folded first)."""
        plain = fold_lookalikes(strip_accents(text))
        out: list[NameMatch] = []
        last_end = 0
        for pos, word in _token_positions(plain, self._en_hits(set(_WORD.findall(plain))), _WORD_CHAR):
            if pos < last_end:
                continue
            for sp in self._en_index[word.lower()]:
                end = self._spelling_end(plain, pos, sp)
                if end < 0:
                    continue
                k = self._en_keys[sp.key]
                start = pos
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
        out = known + [_unknown_match(text, group, windows) for group in _ru_unknown(text, known)]
        return sorted(out, key=lambda m: m.start)

    def en_names(self, text: str) -> list[NameMatch]:
        """find_en plus capitalised words not covered by the glossary (entry None, unverified)."""
        known = self.find_en(text)
        out = known + [NameMatch(pos, pos + len(w), w, w, None, False, "unknown")
                       for pos, w in _en_unknown(text, known)]
        return sorted(out, key=lambda m: m.start)

    def entry_for_ru(self, ru: str) -> Entry | None:
        """The entry whose Russian form is ``ru`` (case-insensitive), if any."""
        return self._by_ru.get(norm_ru(ru))


def _en_unknown(text: str, known: Sequence[NameMatch]) -> Iterator[tuple[int, str]]:
    """Start and spelling of each capitalised word of an English text that no ``known`` name covers."""
    k, n_known = 0, len(known)
    for tok in _EN_CAPITAL_TOKEN.finditer(text):
        pos = tok.start()
        while k < n_known and known[k].end <= pos:  # known names are sorted and do not overlap
            k += 1
        if k < n_known and known[k].start <= pos:
            continue
        w = _en_unknown_word(tok.group())
        if w is not None:
            yield pos, w


@lru_cache(maxsize=200_000)
def _en_unknown_word(token: str) -> str | None:
    """A capitalised English token as an unknown name (possessive 's dropped), or None when it cannot be one
    (under 3 letters, or not a Latin capital once accents are stripped)."""
    w = _POSSESSIVE.sub("", token)
    return w if len(w) >= 3 and w[:1].isupper() and _LATIN_CAPITAL.match(strip_accents(w[:1])) else None


def _ru_unknown(text: str, known: Sequence[NameMatch]) -> Iterator[list[re.Match[str]]]:
    """The runs of capitalised proper words of a Russian text that no ``known`` name covers, in text order.

    Visits only words that start with a Cyrillic capital; a word not visited (its letters lie between two
    visited ones), a glossary name, a word that is not proper, or more than a space or hyphen ends a run."""
    group: list[re.Match[str]] = []
    k, n_known = 0, len(known)
    for tok in _RU_CAPITAL_TOKEN.finditer(text):
        pos = tok.start()
        while k < n_known and known[k].end <= pos:  # known names are sorted and do not overlap
            k += 1
        if group and _LETTER.search(text, group[-1].end(), pos):  # a word not visited came between
            yield group
            group = []
        if k < n_known and known[k].start <= pos:  # part of a glossary name
            if group:
                yield group
                group = []
            continue
        proper, elsewhere = proper_either_way(tok.group())  # at a sentence start, and elsewhere
        if proper != elsewhere and not (_sentence_start(text, pos)  # where the word stands matters only now
                                        and not (not group and initials_before(text, pos) is not None)):
            proper = elsewhere
        if group and (not proper or not _GAP.fullmatch(text, group[-1].end(), pos)):
            yield group
            group = []
        if proper:
            group.append(tok)
    if group:
        yield group


def _unknown_en(text: str, group: list[re.Match[str]]) -> tuple[tuple[str, ...], str, str]:
    """Nominative words, English form and form label of a run of unknown proper words (see _unknown_name)."""
    return _unknown_name(tuple(g.group() for g in group), "-" in text[group[0].start():group[-1].end()])


def _unknown_match(text: str, group: list[re.Match[str]], windows: list[tuple[str, ...]]) -> NameMatch:
    """A run of unknown proper words as one transliterated (or recovered) NameMatch."""
    words, en, form = _unknown_en(text, group)
    start, end = _with_initials(text, group[0].start()), group[-1].end()
    found = recover_latin(list(words), windows) if windows else None  # no windows: nothing to recover
    if found is not None:
        en, form = found, "recovered"
    return NameMatch(start, end, text[start:end], en, None, False, form)


@lru_cache(maxsize=50_000)
def _unknown_name(surfaces: tuple[str, ...], hyphenated: bool) -> tuple[tuple[str, ...], str, str]:
    """Nominative words, transliteration and form of a name outside the glossary, from its words as written
    (cached: pure, and a text names the same people again and again)."""
    words = [ru_nominative(w) for w in surfaces]
    en = " ".join(transliterate(w) for w in words)
    en = _HYPHEN_GAP.sub("-", en) if hyphenated else en
    return tuple(words), en, "foreign?" if looks_foreign(words) else "transliterated"


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
    windows = list(windows)
    latin = list(dict.fromkeys(e for run in windows if len(run) >= n for e in run))
    sims = {r: dict(zip(latin, name_similarities(r, latin), strict=True)) for r in dict.fromkeys(words)}
    for run in windows:
        for s in range(0, len(run) - n + 1):
            cand = run[s:s + n]
            score = sum(sims[r][e] for r, e in zip(words, cand, strict=True)) / max(n, 1)
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
    from kzalign.core.translit import drop_invisible, explain

    text = drop_invisible(text)  # a zero-width space inside a name must not split it (nor reach the output)
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
    if lang != "ru":  # en_names less the NameMatch of each unknown word: only its spelling makes keys
        known = glossary.find_en(text)
        keys.update(m.entry.en for m in known if m.entry is not None)
        for w in {w for _, w in _en_unknown(text, known)}:
            keys.update(_unknown_keys(w))
        return keys
    known = glossary.find_ru(text)  # ru_names less the NameMatch of each unknown name: only its English counts
    keys.update(m.entry.en for m in known if m.entry is not None)
    for group in _ru_unknown(text, known):
        keys.update(_unknown_keys(_unknown_en(text, group)[1]))
    return keys


@lru_cache(maxsize=200_000)
def _unknown_keys(en: str) -> tuple[str, ...]:
    """Keys of the words (3 letters or more) of a name outside the glossary (cached per spelling)."""
    return tuple(unknown_name_key(w) for w in _KEY_WORD.findall(en))
