"""Transliteration of names written in Russian Cyrillic.

``kazakh`` (the default) is kzalign's Kazakh-convention scheme: BGN/PCGN letter values plus the
conventions official Kazakh English uses (``kzalign/data/translit_kazakh.json`` lists every rule with
its reason). Every iuliia schema is also available by name (``wikipedia``, ``bgn_pcgn``, ``icao_doc_9303``...)
and reproduces that schema exactly. :func:`name_similarity` compares a Russian and an English spelling.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import numpy as np

from kzalign.core.errors import KzalignError

DEFAULT_SCHEME = "kazakh"
_CYR_WORD = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+")
#: Invisible characters a name copied from a web page may hold (zero-width space, non-joiner and joiner, word
#: joiner, soft hyphen, byte-order mark): dropped before transliterating, so they neither split a word (and its
#: rules) nor reach the output.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\u00ad\ufeff"))


def drop_invisible(text: str) -> str:
    """``text`` without zero-width characters and soft hyphens."""
    return text if text.isascii() else text.translate(_INVISIBLE)


@dataclass(frozen=True)
class Step:
    """One piece of an explained transliteration: Cyrillic source, Latin output, and what produced it."""

    source: str
    output: str
    rule: str


@dataclass(frozen=True)
class _Rule:
    id: str
    match: str
    out: str
    prev: str | None
    next: str | None


class _Scheme:
    """A letter map plus ordered context rules and whole-word conventions, read from a JSON data file."""

    def __init__(self, data: dict) -> None:
        self.name: str = data["name"]
        self.classes: dict[str, str] = data.get("classes", {})
        self.letters: dict[str, str] = data["letters"]
        self.words: dict[str, str] = data.get("words", {})
        self.rules: dict[str, list[_Rule]] = {}
        for r in data.get("rules", []):
            rule = _Rule(r["id"], r["match"], r["out"], r.get("prev"), r.get("next"))
            self.rules.setdefault(rule.match, []).append(rule)

    def _fits(self, ctx: str | None, ch: str | None, edge: str) -> bool:
        if ctx is None:
            return True
        if ctx == edge:
            return ch is None
        if ch is None:
            return False
        return ch in self.classes.get(ctx, ctx)

    def word_steps(self, word: str) -> list[Step]:
        """Steps for one Cyrillic word (lower-case logic, case restored by the caller)."""
        low = word.lower()
        if low in self.words:
            return [Step(word, self.words[low], f"word:{low}")]
        steps: list[Step] = []
        for i, ch in enumerate(low):
            prev = low[i - 1] if i > 0 else None
            nxt = low[i + 1] if i + 1 < len(low) else None
            for rule in self.rules.get(ch, ()):
                if self._fits(rule.prev, prev, "^") and self._fits(rule.next, nxt, "$"):
                    steps.append(Step(word[i], rule.out, rule.id))
                    break
            else:
                steps.append(Step(word[i], self.letters.get(ch, ch), "letter"))
        return steps


@cache
def _kz_scheme(name: str) -> _Scheme:
    path = resources.files("kzalign") / "data" / f"translit_{name}.json"
    return _Scheme(json.loads(path.read_text(encoding="utf-8")))


@cache
def _own_schemes() -> tuple[str, ...]:
    base = resources.files("kzalign") / "data"
    return tuple(sorted(p.name[len("translit_"):-len(".json")] for p in base.iterdir()
                        if p.name.startswith("translit_") and p.name.endswith(".json")))


def schemes() -> list[str]:
    """Names of every available scheme: kzalign's own first, then iuliia's."""
    import iuliia

    return [*_own_schemes(), *sorted(iuliia.schemas.names())]


@cache
def _iuliia(name: str):
    import iuliia

    schema = iuliia.schemas.get(name) if iuliia.schemas.has(name) else None
    if schema is None:
        raise KzalignError(f"unknown transliteration scheme {name!r}; choose one of: {', '.join(schemes())}")
    return schema


def _recase(src: str, out: str, all_caps: bool) -> str:
    if not out or not src[:1].isupper():
        return out
    return out.upper() if all_caps else out[0].upper() + out[1:]


def _word_out(scheme: _Scheme, word: str) -> tuple[str, list[Step]]:
    steps = scheme.word_steps(word)
    all_caps = len(word) > 1 and word.isupper()
    outs = [_recase(s.source, s.output, all_caps) for s in steps]
    return "".join(outs), [Step(s.source, o, s.rule) for s, o in zip(steps, outs, strict=True)]


def explain(text: str, scheme: str = DEFAULT_SCHEME) -> list[Step]:
    """Transliterate ``text`` piece by piece, saying which rule produced each piece (invisible characters
    dropped)."""
    text = drop_invisible(text)
    if scheme not in _own_schemes():
        schema = _iuliia(scheme)
        out: list[Step] = []
        pos = 0
        for m in _CYR_WORD.finditer(text):
            if m.start() > pos:
                out.append(Step(text[pos:m.start()], text[pos:m.start()], "copy"))
            out.append(Step(m.group(), schema.translate(m.group()), f"iuliia:{scheme}"))
            pos = m.end()
        if pos < len(text):
            out.append(Step(text[pos:], text[pos:], "copy"))
        return out
    sch = _kz_scheme(scheme)
    steps: list[Step] = []
    pos = 0
    for m in _CYR_WORD.finditer(text):
        if m.start() > pos:
            steps.append(Step(text[pos:m.start()], text[pos:m.start()], "copy"))
        steps.extend(_word_out(sch, m.group())[1])
        pos = m.end()
    if pos < len(text):
        steps.append(Step(text[pos:], text[pos:], "copy"))
    return steps


@lru_cache(maxsize=65536)
def transliterate(text: str, scheme: str = DEFAULT_SCHEME) -> str:
    """Romanise Cyrillic in ``text`` with the named scheme (``kazakh`` or any iuliia schema name); zero-width
    characters and soft hyphens are dropped."""
    return translator(scheme)(drop_invisible(text))


def transliterate_reference(text: str, scheme: str = DEFAULT_SCHEME) -> str:
    """:func:`transliterate` the straightforward way (iuliia's own ``translate``; ``kazakh`` through the
    explained steps): slow, kept as the reference the compiled translators must match character for character."""
    if scheme not in _own_schemes():
        return _iuliia(scheme).translate(text)
    sch = _kz_scheme(scheme)
    return _CYR_WORD.sub(lambda m: _word_out(sch, m.group())[0], text)


@cache
def translator(scheme: str) -> Callable[[str], str]:
    """The compiled, uncached ``text -> Latin`` function of a scheme (:func:`transliterate` without its
    cache, for callers that cache their own results; see :class:`_FastKazakh` and :func:`_compile_iuliia`)."""
    if scheme in _own_schemes():
        return _FastKazakh(_kz_scheme(scheme)).translate
    return _compile_iuliia(_iuliia(scheme))


#: iuliia splits a text at every regex word boundary and translates each piece alone (iuliia.nlp.SPLITTER).
_PIECES = re.compile(r"\b")


def _compile_iuliia(schema) -> Callable[[str], str]:
    """iuliia's ``translate`` compiled into ``str.translate`` tables plus dictionary look-ups.

    A letter that no context rule mentions is always its letter-map value (one table for the whole text);
    a letter with rules looks up prev+letter, then letter+next, in the schema's own maps, where prev and next
    are "" at the edges of the piece being translated (one regex pass before the table: context outputs are
    letters the table leaves as they are); a mapped two-letter ending of a piece longer than two letters is
    appended to its stem translated alone. A schema object of another shape keeps its ``translate``.
    """
    schema.description  # noqa: B018 -- iuliia's FileSchema reads its JSON on first use
    inner = getattr(schema, "_schema", schema)
    found = [getattr(inner, a, None) for a in ("map", "prev_map", "next_map", "ending_map")]
    maps: list[dict[str, str]] = [m for m in found if isinstance(m, dict)]
    if len(maps) != len(found) or any(len(k) != 1 for k in maps[0]):
        return schema.translate
    letter, prev_map, next_map, ending_map = maps
    table = str.maketrans(letter)
    if not (prev_map or next_map or ending_map):
        return lambda text: text.translate(table)
    if any(letter.get(ch, ch) != ch for v in (*prev_map.values(), *next_map.values()) for ch in v):
        return schema.translate  # a context output that the letter table would change again
    ctx = "".join(sorted({k[-1] for k in prev_map} | {k[0] for k in next_map}))
    sub = re.compile(f"[{re.escape(ctx)}]").sub if ctx else None
    prev_get, next_get, ending_get = prev_map.get, next_map.get, ending_map.get

    def in_context(m: re.Match[str]) -> str:
        """A letter with context rules: prev+letter, else letter+next, else the letter (the table's job)."""
        s, i = m.string, m.start()
        v = prev_get(s[i - 1:i + 1] if i else s[0])
        if v is None:
            v = next_get(s[i:i + 2])
        return s[i] if v is None else v

    def letters(s: str) -> str:
        return (sub(in_context, s) if sub else s).translate(table)

    def piece(w: str) -> str:
        if len(w) > 2 and (end := ending_get(w[-2:])):
            return letters(w[:-2]) + end
        return letters(w)

    def translate(text: str) -> str:
        if text.isalnum():  # one word: no boundary inside (regex \w is alnum or "_")
            return piece(text)
        return "".join([piece(w) for w in _PIECES.split(text) if w])

    return translate


class _FastKazakh:
    """kzalign's own scheme without :class:`Step` objects: the same letters, rules and case as
    :func:`_word_out`, with ``str.translate`` tables (one per case style) for letters no rule matches."""

    def __init__(self, scheme: _Scheme) -> None:
        self.scheme = scheme
        self.rule_chars = frozenset(scheme.rules)
        alphabet = [chr(c) for c in range(0x400, 0x530) if _CYR_WORD.fullmatch(chr(c))]  # what a word holds
        self.tables = {caps: str.maketrans({c: _recase(c, scheme.letters.get(c.lower(), c.lower()), caps)
                                            for c in alphabet}) for caps in (False, True)}
        self._rule_out: dict[tuple[str | None, str, str | None], str | None] = {}
        self._rule_re = re.compile("[" + re.escape("".join(sorted(self.rule_chars))) + "]") if self.rule_chars else None

    def rule_out(self, prev: str | None, ch: str, nxt: str | None) -> str | None:
        """Output of the first rule for ``ch`` whose context fits (lower case), None when none does."""
        key = (prev, ch, nxt)
        if key not in self._rule_out:
            fits = self.scheme._fits
            self._rule_out[key] = next((r.out for r in self.scheme.rules[ch]
                                        if fits(r.prev, prev, "^") and fits(r.next, nxt, "$")), None)
        return self._rule_out[key]

    def word(self, word: str) -> str:
        """One Cyrillic word, as ``_word_out(scheme, word)[0]``."""
        low = word.lower()
        all_caps = len(word) > 1 and word.isupper()
        if low in self.scheme.words:
            return _recase(word, self.scheme.words[low], all_caps)
        table = self.tables[all_caps]
        if self._rule_re is None or self.rule_chars.isdisjoint(low):
            return word.translate(table)
        out: list[str] = []
        pos, n = 0, len(low)
        for m in self._rule_re.finditer(low):
            i = m.start()
            if i > pos:
                out.append(word[pos:i].translate(table))
            o = self.rule_out(low[i - 1] if i else None, low[i], low[i + 1] if i + 1 < n else None)
            out.append(word[i].translate(table) if o is None else _recase(word[i], o, all_caps))
            pos = i + 1
        out.append(word[pos:].translate(table))
        return "".join(out)

    def translate(self, text: str) -> str:
        """Every Cyrillic word of ``text`` romanised, everything else copied."""
        return _CYR_WORD.sub(lambda m: self.word(m.group()), text)


# -- comparing spellings ----------------------------------------------------------------------
#: Characters of non-ASCII texts seen so far -> their accent-free form (see :func:`strip_accents`).
_ACCENT_FREE: dict[int, str] = {}


def strip_accents(text: str) -> str:
    """Latin letters without diacritics, one output character per input character (José -> Jose).

    Each distinct character is decomposed once per process (a table for ``str.translate``), and ASCII
    text is returned as it is: news texts are long and mostly ASCII or Cyrillic.
    """
    if text.isascii():
        return text
    table = _ACCENT_FREE
    for ch in set(text):
        if ord(ch) not in table:
            base = unicodedata.normalize("NFD", ch)[0]
            table[ord(ch)] = base if base.isascii() else ch
    return text.translate(table)


# Phonetic folding applied to both sides before comparing (order matters).
_FOLD = [
    ("shch", "S"), ("sch", "S"), ("tsch", "C"), ("tch", "C"), ("dzh", "J"), ("ch", "C"), ("sh", "S"),
    ("sz", "S"), ("cz", "C"), ("zh", "J"), ("kh", "h"), ("ts", "Z"), ("tz", "Z"), ("dz", "Z"), ("ph", "f"),
    ("th", "t"), ("ck", "k"), ("qu", "k"), ("x", "ks"), ("c", "k"), ("q", "k"), ("w", "v"), ("y", "i"),
    ("j", "i"), ("z", "s"), ("h", ""), ("e", "i"), ("o", "a"),
]


def _split_fold(fold: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], dict[int, str]]:
    """``_FOLD`` as replacements in order plus one ``str.translate`` table for its tail of one-letter rules
    that no later rule reads the output of (applied one by one or all at once, they give the same string)."""
    k = len(fold)
    while k > 0 and len(fold[k - 1][0]) == 1 and not any(a in fold[k - 1][1] for a, _ in fold[k:]):
        k -= 1
    return fold[:k], str.maketrans(dict(fold[k:]))


_FOLD_PAIRS, _FOLD_TABLE = _split_fold(_FOLD)
#: Any pattern of the in-order replacements: when none is in a key, none can fire (the first to fire must
#: find its pattern in the key as it was), so the whole loop is skipped.
_FOLD_ANY = re.compile("|".join(re.escape(a) for a, _ in _FOLD_PAIRS))
_NOT_ASCII_LETTER = re.compile(r"[^A-Za-z]")
#: A letter that the same letter follows: deleting each keeps one letter of every run (kk -> k).
_REPEATED = re.compile(r"(.)(?=\1)")


@lru_cache(maxsize=65536)
def phonetic_key(text: str) -> str:
    """Fold a Latin spelling so that transliteration variants meet (kh/h, y/i/j, ts/c, ks/x, doubled letters)."""
    s = strip_accents(text).lower()
    if not (s.isascii() and s.isalpha()):  # else it is a-z only already
        s = _NOT_ASCII_LETTER.sub("", s)
    if _FOLD_ANY.search(s):
        for a, b in _FOLD_PAIRS:
            s = s.replace(a, b)
    return _REPEATED.sub("", s.translate(_FOLD_TABLE))


def levenshtein(a: str, b: str) -> int:
    """Plain edit distance."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


#: Schemes whose folded output :func:`scheme_similarity` compares; the best one counts.
SIMILARITY_SCHEMES = ("kazakh", "wikipedia", "mvd_310_fr", "gost_779", "scientific", "ala_lc")


@lru_cache(maxsize=65536)
def ru_keys(ru: str) -> tuple[str, ...]:
    """Folded keys of a Russian spelling under every similarity scheme (deduplicated)."""
    return tuple(dict.fromkeys(phonetic_key(transliterate(ru, s)) for s in SIMILARITY_SCHEMES))


def name_similarity(ru: str, en: str) -> float:
    """How alike a Cyrillic and a Latin spelling of a name are, 0..1 (see :func:`rank_similarity`)."""
    return name_similarities(ru, [en])[0]


#: Distinct (Russian, Latin) spellings whose similarity is remembered (about 150 bytes each).
SIMILARITY_CACHE = 200_000
_SIMS: dict[tuple[str, str], float] = {}


def name_similarities(ru: str, candidates: Sequence[str]) -> list[float]:
    """:func:`name_similarity` of ``ru`` against each candidate, remembered per distinct pair: glossary
    extraction compares the same names again and again (each link of an item, each window of a text).
    The pairs not seen before are computed in one vectorised :func:`rank_similarity` call (the same
    numbers: its dynamic programme is element-wise per candidate)."""
    todo = list(dict.fromkeys(c for c in candidates if (ru, c) not in _SIMS))
    if todo:
        if len(_SIMS) + len(todo) > SIMILARITY_CACHE:
            _SIMS.clear()  # then every candidate is computed again: one remembered before is gone too
            todo = list(dict.fromkeys(candidates))
        _SIMS.update(zip(((ru, c) for c in todo), map(float, rank_similarity(ru, todo)), strict=True))
    return [_SIMS[(ru, c)] for c in candidates]


def remember_similarities(wanted: Mapping[str, Iterable[str]]) -> None:
    """Compute ahead the similarities a batch of work will ask for ({Russian spelling: Latin spellings}),
    one vectorised call per Russian spelling: many short calls cost mostly numpy's per-call overhead."""
    for ru, latin in wanted.items():
        name_similarities(ru, list(latin))


#: Cheap edits between folded letters: vowels for vowels, voiced/voiceless pairs, sibilants.
_NEAR = ["aiu", "kg", "td", "pb", "fv", "sZSCJ"]
_VOWELS = "aiu"


@lru_cache(maxsize=1)
def _cost_tables() -> tuple[np.ndarray, np.ndarray]:
    sub = np.ones((128, 128), dtype=np.float32)
    for group in _NEAR:
        for a in group:
            for b in group:
                sub[ord(a), ord(b)] = 0.5
    np.fill_diagonal(sub, 0.0)
    indel = np.ones(128, dtype=np.float32)
    for v in _VOWELS:
        indel[ord(v)] = 0.5
    return sub, indel


def _weighted_sims(rk: str, keys: list[str]) -> np.ndarray:
    """1 - weighted edit distance / max(length) of one folded key against many (vectorised DP)."""
    sub, indel = _cost_tables()
    width = max(len(k) for k in keys)
    codes = np.zeros((len(keys), width), dtype=np.int64)
    lens = np.array([len(k) for k in keys])
    for i, k in enumerate(keys):
        codes[i, : len(k)] = [min(ord(c), 127) for c in k]
    ins = np.where(np.arange(width)[None, :] < lens[:, None], indel[codes], 0.0)
    cum = np.concatenate([np.zeros((len(keys), 1), dtype=np.float32), np.cumsum(ins, axis=1)], axis=1)
    prev = cum.copy()
    for ch in rk:
        c = min(ord(ch), 127)
        cur = np.empty_like(prev)
        cur[:, 0] = prev[:, 0] + indel[c]
        cur[:, 1:] = np.minimum(prev[:, 1:] + indel[c], prev[:, :-1] + sub[c][codes])
        prev = np.minimum.accumulate(cur - cum, axis=1) + cum
    dist = prev[np.arange(len(keys)), lens]
    return 1.0 - dist / np.maximum(np.maximum(lens, len(rk)), 1)


def scheme_similarity(ru: str, candidates: list[str]) -> np.ndarray:
    """Hand-weighted similarity only: best over :data:`SIMILARITY_SCHEMES` of the weighted edit distance
    between phonetically folded keys (the name similarity before the learned model; kept for comparison)."""
    keys = [phonetic_key(c) or " " for c in candidates]
    if not keys:
        return np.zeros(0)
    return np.max([_weighted_sims(rk or " ", keys) for rk in ru_keys(ru)], axis=0)


# -- learned character model -------------------------------------------------------------------
# ``data/name_model.tsv`` holds edit operations "Cyrillic unit -> Latin unit" (0-2 letters -> 0-3 letters)
# with costs -log P(op) learned by EM on aligned name pairs (benchmarks/train_name_model.py makes it).
# The cheapest alignment of a Russian and an English spelling is the learned part of name similarity.
_RU_LETTERS = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_RU_FOLD = str.maketrans("әғқңөұүһіјћ", "агкноуухийч")
#: Diacritics that carry sound (ü/ö/ä, š/č/ž, ş/ç, ñ); every other mark is dropped.
_KEEP_MARKS = {"\u0308": "aou", "\u030c": "scz", "\u0327": "sc", "\u0303": "n"}
_EN_LETTERS = {"ß": "ss", "æ": "ae", "œ": "oe", "đ": "dj", "ð": "d", "þ": "th"}


@lru_cache(maxsize=65536)
def model_ru(text: str) -> str:
    """A Russian (or Kazakh) spelling as the learned model reads it: lower-case Russian letters only."""
    return "".join(ch for ch in text.lower().translate(_RU_FOLD) if ch in _RU_LETTERS)


@lru_cache(maxsize=65536)
def model_en(text: str) -> str:
    """A Latin spelling as the learned model reads it: lower-case letters, sound-bearing diacritics kept."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text.lower()):
        if unicodedata.combining(ch):
            if out and out[-1] in _KEEP_MARKS.get(ch, ""):
                out[-1] = unicodedata.normalize("NFC", out[-1] + ch)
            continue
        if ch.isascii():
            if ch.isalpha():
                out.append(ch)
        elif ch in _EN_LETTERS:
            out.append(_EN_LETTERS[ch])
        elif ch.isalpha():
            out.append(ch)
    return "".join(out)


_BIG = np.float32(1e4)


@dataclass(eq=False)
class _NameModel:
    vocab: dict[str, int]  # Latin units (1-3 letters) -> column; 0 = unknown multi-letter, 1 = unknown letter
    cost: dict[str, np.ndarray]  # Cyrillic unit ("" = insertion) -> cost per Latin unit column
    delete: dict[str, float]  # Cyrillic unit -> cost of writing it as nothing
    fallback: dict[str, float]
    pairs: frozenset[str]  # Cyrillic two-letter units


@lru_cache(maxsize=1)
def _name_model() -> _NameModel:
    return load_name_model((resources.files("kzalign") / "data" / "name_model.tsv").read_text(encoding="utf-8"))


def load_name_model(text: str) -> _NameModel:
    """Parse a name-model table (the format ``benchmarks/train_name_model.py`` writes)."""
    ops: list[tuple[str, str, float]] = []
    fallback: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        src, tgt, val = line.split("\t")
        if src == "*":
            fallback[tgt] = float(val)
            continue
        ops.append((src.replace("_", ""), tgt.replace("_", ""), float(val)))
    vocab: dict[str, int] = {"": 0, "?": 1}
    for _, t, _ in ops:
        if t and t not in vocab:
            vocab[t] = len(vocab)
    single = np.array([len(t) == 1 for t in vocab], dtype=bool)
    single[1] = True
    cost: dict[str, np.ndarray] = {}
    delete: dict[str, float] = {}
    srcs = {s for s, _, _ in ops} | set(_RU_LETTERS) | {""}
    for s in srcs:
        if len(s) == 2:
            cost[s] = np.full(len(vocab), _BIG, dtype=np.float32)
        else:
            fb = fallback["ins"] if s == "" else fallback["sub"]
            cost[s] = np.where(single, np.float32(fb), _BIG).astype(np.float32)
            delete[s] = fallback["del"]
    for s, t, c in ops:
        if t:
            cost[s][vocab[t]] = min(float(cost[s][vocab[t]]), c)
        else:
            delete[s] = min(delete.get(s, float(_BIG)), c)
    return _NameModel(vocab, cost, delete, fallback, frozenset(s for s in srcs if len(s) == 2))


def _unit_codes(keys: list[str], vocab: dict[str, int], width: int) -> list[np.ndarray]:
    """codes[L][c, j] = column of the Latin unit keys[c][j-L:j] (L = 1..3), 0 where there is none."""
    out = []
    for L in (1, 2, 3):
        codes = np.zeros((len(keys), width + 1), dtype=np.int64)
        for i, k in enumerate(keys):
            for j in range(L, len(k) + 1):
                codes[i, j] = vocab.get(k[j - L:j], 1 if L == 1 else 0)
        out.append(codes)
    return out


def model_costs(ru: str, candidates: list[str], model: _NameModel | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest learned alignment cost of ``ru`` against each candidate, and the candidates' lengths."""
    m = model or _name_model()
    r = model_ru(ru)
    lens, codes, cum = _prepared(tuple(candidates), m)
    rows = [cum]
    for i in range(1, len(r) + 1):
        cur = rows[i - 1] + np.float32(m.delete[r[i - 1]])
        for a in (1, 2):
            if i < a:
                continue
            src = r[i - a:i]
            if a == 2 and src not in m.pairs:
                continue
            cs, prev = m.cost[src], rows[i - a]
            for L in (1, 2, 3):
                cur[:, L:] = np.minimum(cur[:, L:], prev[:, :-L] + cs[codes[L - 1][:, L:]])
        rows.append(np.minimum.accumulate(cur - cum, axis=1) + cum)
    return rows[-1][np.arange(len(lens)), lens], lens


@lru_cache(maxsize=4)
def _prepared(candidates: tuple[str, ...], m: _NameModel) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Candidate lengths, unit columns and cumulative insertion costs (reused while ranking one block)."""
    keys = [model_en(c) for c in candidates]
    width = max((len(k) for k in keys), default=0)
    lens = np.array([len(k) for k in keys])
    codes = _unit_codes(keys, m.vocab, width)
    ins = np.where(np.arange(width)[None, :] < lens[:, None], m.cost[""][codes[0][:, 1:]], 0.0)
    cum = np.concatenate([np.zeros((len(keys), 1), dtype=np.float32), np.cumsum(ins, axis=1)], axis=1)
    return lens, codes, cum.astype(np.float32)


#: Share of the learned model in name similarity; the rest is the hand-weighted ``kazakh``-scheme distance
#: (chosen on even blocks 0 and 2 of the Wikidata benchmark with a model trained on the other even blocks).
MODEL_WEIGHT = 0.7
#: Learned cost per letter (Cyrillic + Latin) that maps to similarity 1.0, and the drop per unit above it.
_COST_ONE, _COST_SLOPE = 1.0, 0.1333


def rank_similarity(ru: str, candidates: list[str]) -> np.ndarray:
    """:func:`name_similarity` of ``ru`` against many Latin spellings at once (vectorised): a blend of
    the learned alignment model (cost per letter mapped to 0..1) and the weighted edit distance between
    the phonetically folded ``kazakh`` transliteration and the candidate (vowel/vowel, voiced/voiceless
    edits cost half). About 0.8 and above is a confident match."""
    if not candidates:
        return np.zeros(0)
    keys = _folded(tuple(candidates))
    hand = _weighted_sims(phonetic_key(transliterate(ru, "kazakh")) or " ", keys)
    if not model_ru(ru):  # no Cyrillic letters: nothing for the model to read
        return hand
    cost, lens = model_costs(ru, candidates)
    per_letter = cost / np.maximum(lens + len(model_ru(ru)), 1)
    learned = np.clip(1.0 - (per_letter - _COST_ONE) * _COST_SLOPE, 0.0, 1.0)
    return (1.0 - MODEL_WEIGHT) * hand + MODEL_WEIGHT * learned


@lru_cache(maxsize=4)
def _folded(candidates: tuple[str, ...]) -> list[str]:
    return [phonetic_key(c) or " " for c in candidates]
