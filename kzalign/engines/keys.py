"""Keys a Russian and an English report can share: glossary names, numbers and dates, cross-script words.

Keys are computed per item (cached in the workspace by item content and glossary signature, so a
re-link computes none for unchanged items) and weighted by a FIXED inverse document frequency taken
from the shipped background sample (:mod:`kzalign.engines.background`), never from the workspace: a pair's
evidence weighs the same whatever else was ingested, and adding items changes no other pair's score.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import chain, islice
from typing import TYPE_CHECKING, overload

import numpy as np

from kzalign.core.dates import month_number
from kzalign.core.progress import ProgressCallback, report
from kzalign.core.text import has_cyrillic, text_hash

if TYPE_CHECKING:
    from kzalign.glossary import Glossary
    from kzalign.store.workspace import Workspace

#: Bump when a key function changes: cached keys of another version are recomputed.
KEYS_VERSION = "k4"  # k2: glossary names typed with look-alike letters of the other alphabet are found; k3: event evidence;
# k4: event-type rewrites and programme names (events.TYPE_REWRITES; not_participant rows of field_names.tsv)
KINDS = ("names", "numbers", "cognates")
#: Per-item event evidence kept beside the keys (:func:`kzalign.engines.events.event_keys`).
EVENT_KINDS = ("events", "field", "backref")

#: A number: digits grouped by spaces, or plain digits; either may have a decimal part. Each branch starts
#: with the digit and then looks behind it (the regex engine then only tries positions holding a digit).
_NUM = re.compile(r"\d(?:(?<![\w.,]\d)\d{0,2}(?:[  ]\d{3})+(?:[.,]\d+)?(?![\w])|(?<!\w\d)\d*(?:[.,]\d+)?(?![\w]))")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:-?(?:го|st|nd|rd|th))?\s+([A-Za-zА-Яа-яЁё]{3,})|\b([A-Za-z]{3,})\s+(\d{1,2})\b")

_THOUSANDS_SPACE = re.compile(r"[  ]")
_COMMA_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+")


def number_keys(text: str) -> set[str]:
    """Numbers (spaces/commas as thousands or decimal marks normalised) and day-month dates in a text.

    Single digits are left out: they are too common to be evidence.
    """
    keys: set[str] = set()
    for m in _NUM.finditer(text):
        raw = _THOUSANDS_SPACE.sub("", m.group(0))
        if _COMMA_THOUSANDS.fullmatch(raw):
            raw = raw.replace(",", "")
        raw = raw.replace(",", ".")
        try:
            val = float(raw)
        except ValueError:
            continue
        if len(raw) < 2 and val < 10:
            continue
        keys.add(f"{val:g}")
    for m in _DAY_MONTH.finditer(text):
        day, word = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        mon = month_number(word)
        if mon and 1 <= int(day) <= 31:
            keys.add(f"{mon:02d}-{int(day):02d}")
    return keys


def cognate_keys(text: str, prefix: int = 5) -> set[str]:
    """Folded 5-letter prefixes of the words of a text, Russian ones transliterated first.

    Shared international words and names (коронавирус/coronavirus, латекс/latex, Pfizer) meet
    on these keys; idf weighting makes common ones count little.
    """
    out = {_cognate_key(w) for w in set(_COGNATE_WORD.findall(text))}
    out.discard("")
    return {k[:prefix] for k in out}


_COGNATE_WORD = re.compile(r"[^\W\d_]{4,}")


@lru_cache(maxsize=200_000)
def _cognate_key(word: str) -> str:
    """Folded spelling of one word (Russian transliterated first); "" when under 4 letters once folded."""
    fold, romanise = _cognate_folders()
    k = fold(romanise(word) if has_cyrillic(word) else word)
    return k if len(k) >= 4 else ""


@cache
def _cognate_folders() -> tuple[Callable[[str], str], Callable[[str], str]]:
    """``phonetic_key`` and the ``wikipedia`` translator, imported once on first use (not per word: an import
    statement costs about as much as transliterating the word; not at module load: importing keys stays cheap)."""
    from kzalign.core.translit import phonetic_key, translator

    return phonetic_key, translator("wikipedia")


def name_keys(text: str, lang: str, glossary: Glossary) -> set[str]:
    """Canonical name keys (approved English forms of glossary names, ``~folded`` keys of other names)."""
    from kzalign.glossary import name_keys as _glossary_name_keys

    return _glossary_name_keys(text, lang, glossary)


def text_keys(text: str, lang: str, glossary: Glossary) -> dict[str, set[str]]:
    """All three kinds of keys of one item text, and its event evidence (types, field names, back-reference)."""
    from kzalign.engines.events import event_keys

    return {"names": name_keys(text, lang, glossary), "numbers": number_keys(text), "cognates": cognate_keys(text),
            **event_keys(text, lang)}


@dataclass(frozen=True)
class KeyWeights:
    """Fixed document frequencies of keys in the background sample: ``idf(kind, key)``."""

    n_docs: int
    df: dict[str, dict[str, int]]

    def idf(self, kind: str, key: str) -> float:
        """log((N + 1) / (df + 0.5)); a glossary key (several words) counts as its rarest word."""
        table = self.df.get(kind, {})
        d = table.get(key)
        if d is None and kind == "names" and not key.startswith("~"):
            from kzalign.glossary import unknown_name_key

            parts = [table.get(unknown_name_key(w), 0) for w in re.findall(r"[^\W\d_]{3,}", key)]
            d = min(parts) if parts else 0
        return math.log((self.n_docs + 1) / ((d or 0) + 0.5))

    @property
    def max_idf(self) -> float:
        """Idf of a key never seen in the background."""
        return math.log((self.n_docs + 1) / 0.5)


def weighted_overlap(a: set[str], b: set[str], idf: dict[str, float], mode: str = "cosine",
                     norms: tuple[float, float] | None = None) -> tuple[float, list[str]]:
    """Idf²-weighted overlap of two key sets (``cosine``, or ``min``: share of the smaller set), and the
    shared keys (most telling first, ties by key so the order is the same on every run). ``norms``: the
    sets' Σ idf², when already known (:attr:`ItemKeys.norms`)."""
    shared = shared_keys(a, b, idf)
    if not shared:
        return 0.0, []
    num = sum(idf.get(k, 0.0) ** 2 for k in shared)
    wa, wb = norms if norms is not None else (sum(idf.get(k, 0.0) ** 2 for k in a),
                                              sum(idf.get(k, 0.0) ** 2 for k in b))
    den = min(wa, wb) if mode == "min" else math.sqrt(wa * wb)
    return (num / den if den > 0 else 0.0), shared


class KeySets(Sequence[set[str]]):
    """The key sets of many items held compactly (issue 27): each key interned once as an integer id, each
    item's ids a slice of one int32 array (CSR), instead of a Python set of strings an item (~8 KB). Indexing
    gives the item's keys as a set, as before; :func:`pair_overlaps` works on the ids directly."""

    def __init__(self, vocab: list[str], indptr: np.ndarray, ids: np.ndarray):
        """``ids[indptr[i]:indptr[i + 1]]``: item ``i``'s key ids into ``vocab``, ascending (:class:`KeySetsBuilder`)."""
        self.vocab, self.indptr, self.ids = vocab, indptr, ids

    @classmethod
    def from_sets(cls, sets: Iterable[Iterable[str]]) -> KeySets:
        """Key sets from one iterable of keys an item."""
        b = KeySetsBuilder()
        for s in sets:
            b.add(s)
        return b.build()

    def __len__(self) -> int:
        return len(self.indptr) - 1

    @overload
    def __getitem__(self, i: int) -> set[str]: ...
    @overload
    def __getitem__(self, i: slice) -> list[set[str]]: ...
    def __getitem__(self, i: int | slice) -> set[str] | list[set[str]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        vocab = self.vocab
        return {vocab[j] for j in self.ids[self.indptr[i] : self.indptr[i + 1]].tolist()}

    def shared(self, i: int, j: int) -> set[str]:
        """The keys items ``i`` and ``j`` share (intersected on ids: no set of either item's strings is built)."""
        a, b = self.ids[self.indptr[i] : self.indptr[i + 1]], self.ids[self.indptr[j] : self.indptr[j + 1]]
        vocab = self.vocab
        return {vocab[k] for k in np.intersect1d(a, b, assume_unique=True).tolist()}

    def gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``rows``, key id) of every key of the given items, without a Python loop."""
        starts, lens = self.indptr[rows], np.diff(self.indptr)[rows]
        total = int(lens.sum())
        owner = np.repeat(np.arange(len(rows), dtype=np.int64), lens)
        offs = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
        return owner, self.ids[np.repeat(starts, lens) + offs].astype(np.int64)


class KeySetsBuilder:
    """Collects key sets item by item into a :class:`KeySets` (keys interned as ids in first-seen order)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.ids = array("i")
        self.indptr = array("q", [0])

    def add(self, keys: Iterable[str]) -> None:
        index = self.index
        self.ids.extend(index.setdefault(k, len(index)) for k in keys)
        self.indptr.append(len(self.ids))

    def add_many(self, rows: Sequence[Collection[str]]) -> None:
        """Add many items at once: their keys hashed in one ``pandas.factorize`` call (first-seen order, so the
        ids are those :meth:`add` item by item gives), only the distinct ones looked up one by one."""
        import pandas as pd

        lens = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        flat = np.fromiter(chain.from_iterable(rows), dtype=object, count=int(lens.sum()))
        codes, uniq = pd.factorize(flat)
        index = self.index
        ids = np.fromiter((index.setdefault(k, len(index)) for k in uniq.tolist()), dtype=np.int32, count=len(uniq))
        self.ids.frombytes(ids[codes].astype(np.int32).tobytes())
        self.indptr.frombytes((self.indptr[-1] + np.cumsum(lens)).tobytes())

    def build(self) -> KeySets:
        """The key sets, each item's ids in ascending order (so a block's tagged ids come out sorted)."""
        indptr = np.frombuffer(self.indptr, dtype=np.int64).copy()
        ids = np.frombuffer(self.ids, dtype=np.int32)
        rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        return KeySets(list(self.index), indptr, ids[np.lexsort((ids, rows))])


def pair_overlaps(sets: KeySets, idf2: np.ndarray, norms: np.ndarray, a: np.ndarray, b: np.ndarray,
                  mode: str = "cosine", block: int = 4096) -> np.ndarray:
    """:func:`weighted_overlap` scores of item pairs (``sets`` rows ``a[i]``, ``b[i]``) computed on key ids,
    ``block`` pairs at a time: both items' ids tagged with the pair's position (sorted, as each item's ids
    are) and intersected by binary search, no sort (the same sums as the per-pair loop, in another order: equal to ~1e-15)."""
    out = np.zeros(len(a), dtype=np.float64)
    v = max(1, len(sets.vocab))
    for s in range(0, len(a), block):
        ra, rb = np.asarray(a[s : s + block], np.int64), np.asarray(b[s : s + block], np.int64)
        pa, ka = sets.gather(ra)
        pb, kb = sets.gather(rb)
        ca, cb = pa * v + ka, pb * v + kb  # ascending: pairs in order, each item's ids ascending (build)
        pos = np.minimum(np.searchsorted(cb, ca), max(0, len(cb) - 1))
        common = ca[cb[pos] == ca] if len(cb) else ca[:0]
        num = np.bincount(common // v, weights=idf2[common % v], minlength=len(ra))
        wa, wb = norms[ra], norms[rb]
        den = np.minimum(wa, wb) if mode == "min" else np.sqrt(wa * wb)
        ok = (num > 0) & (den > 0)
        out[s : s + block][ok] = num[ok] / den[ok]
    return out


def shared_keys(a: set[str], b: set[str], idf: dict[str, float]) -> list[str]:
    """The keys two sets share, most telling first (ties by key: the same order on every run)."""
    return sorted(a & b, key=lambda k: (-idf.get(k, 0.0), k))


def _interned_sets(sets: Iterable[Iterable[str]]) -> list[frozenset[str]]:
    """Each set as a frozenset, equal sets one object (event types, field names: few distinct sets)."""
    seen: dict[frozenset[str], frozenset[str]] = {}
    return [seen.setdefault(f, f) for f in map(frozenset, sets)]


@dataclass
class ItemKeys:
    """Name, number and cognate keys of RU items followed by EN items, with their (fixed) idf weights. Lists of
    sets given are converted to compact :class:`KeySets` (names, numbers, cognates) and shared frozensets."""

    names: Sequence[set[str]]
    numbers: Sequence[set[str]]
    cognates: Sequence[set[str]]
    n_ru: int
    weights: KeyWeights
    #: Factor on the idf of names that name the field rather than an event (:func:`events.name_weights`).
    name_factor: dict[str, float] = field(default_factory=dict)
    #: Event types, the field's names and back-reference cues of each item (RU items first).
    events: Sequence[AbstractSet[str]] = field(default_factory=list)
    field_names: Sequence[AbstractSet[str]] = field(default_factory=list)
    backref: Sequence[AbstractSet[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.idf: dict[str, dict[str, float]] = {}
        #: idf² of each key id of each kind (aligned with the kind's :attr:`KeySets.vocab`).
        self.idf2: dict[str, np.ndarray] = {}
        #: Σ idf² of each item's keys, per kind (the overlap's denominators, computed once).
        self.norms: dict[str, np.ndarray] = {}
        n = len(self.names)
        for extra in ("events", "field_names", "backref"):
            have = getattr(self, extra)
            setattr(self, extra, _interned_sets(have) if len(have) == n else [frozenset()] * n)
        for kind in KINDS:
            sets = getattr(self, kind)
            if not isinstance(sets, KeySets):
                sets = KeySets.from_sets(sets)
                setattr(self, kind, sets)
            factor = self.name_factor if kind == "names" else {}
            idf = [self.weights.idf(kind, k) * factor.get(k, 1.0) for k in sets.vocab]
            self.idf[kind] = dict(zip(sets.vocab, idf, strict=True))
            self.idf2[kind] = np.asarray(idf, dtype=np.float64) ** 2
            rows = np.repeat(np.arange(len(sets)), np.diff(sets.indptr))
            self.norms[kind] = np.bincount(rows, weights=self.idf2[kind][sets.ids], minlength=len(sets))

    def rare_idf(self, share: float) -> float:
        """Idf that makes a name "rare": ``share`` of the idf of a name unseen in the background."""
        return share * self.weights.max_idf


def item_key_sets(texts: Sequence[str], langs: Sequence[str], glossary: Glossary) -> list[dict[str, set[str]]]:
    """Keys of each text (no cache)."""
    return [text_keys(t, lg, glossary) for t, lg in zip(texts, langs, strict=True)]


def keys_cache_name(glossary: Glossary) -> str:
    """Cache key of the keys of a glossary: key-function version and glossary signature."""
    return f"{KEYS_VERSION}|gloss:{glossary.signature}"


def cached_key_sets(ws: Workspace, texts: Sequence[str], langs: Sequence[str], glossary: Glossary,
                    progress: ProgressCallback | None = None, step: int = 100) -> tuple[list[dict[str, set[str]]], int]:
    """Keys of each text, read from the workspace cache; only texts not seen before are computed.

    Returns the keys and how many texts were computed. New keys are stored in batches of ``step``.
    """
    name = keys_cache_name(glossary)
    hashes = [text_hash(f"{lg}\n{t}") for t, lg in zip(texts, langs, strict=True)]
    found = ws.get_item_keys(name, list(dict.fromkeys(hashes)))
    todo = list({h: (t, lg) for h, t, lg in zip(hashes, texts, langs, strict=True) if h not in found}.items())
    for start in range(0, len(todo), step):
        report(progress, "keys", start, len(todo))
        new = {h: text_keys(t, lg, glossary) for h, (t, lg) in todo[start : start + step]}
        with ws.transaction():
            ws.put_item_keys(name, new)
        found.update(new)
    if todo:
        report(progress, "keys", len(todo), len(todo))
    return [found[h] for h in hashes], len(todo)


def cached_item_keys(ws: Workspace, texts: Iterable[tuple[str, str]], glossary: Glossary, n_ru: int,
                     weights: KeyWeights, name_factor: dict[str, float] | None = None,
                     progress: ProgressCallback | None = None, chunk: int = 2000) -> tuple[ItemKeys, int]:
    """:class:`ItemKeys` of the (text, lang) items (RU first), read from the workspace cache ``chunk`` items at a
    time and packed at once (:class:`KeySets`): the archive's keys are never all held as Python sets. Keys of
    texts not seen before are computed and stored. Returns the keys and how many texts were computed."""
    builders = {kind: KeySetsBuilder() for kind in KINDS}
    extras: dict[str, list[frozenset[str]]] = {k: [] for k in EVENT_KINDS}
    seen: dict[frozenset[str], frozenset[str]] = {}
    name, computed, it = keys_cache_name(glossary), 0, iter(texts)
    while part := list(islice(it, chunk)):
        hashes = [text_hash(f"{lg}\n{t}") for t, lg in part]
        found: dict[str, Mapping[str, Collection[str]]] = dict(ws.get_item_key_lists(name, list(dict.fromkeys(hashes))))
        missing = [(t, lg, h) for (t, lg), h in zip(part, hashes, strict=True) if h not in found]
        if missing:
            sets, n = cached_key_sets(ws, [t for t, _, _ in missing], [lg for _, lg, _ in missing], glossary, progress)
            computed += n
            found.update((h, s) for (_, _, h), s in zip(missing, sets, strict=True))
        recs = [found[h] for h in hashes]
        for kind in KINDS:
            builders[kind].add_many([r.get(kind, ()) for r in recs])
        for kind in EVENT_KINDS:
            extras[kind].extend(seen.setdefault(f, f) for f in (frozenset(r.get(kind, ())) for r in recs))
    return ItemKeys(builders["names"].build(), builders["numbers"].build(), builders["cognates"].build(), n_ru,
                    weights, dict(name_factor or {}), extras["events"], extras["field"], extras["backref"]), computed


def build_item_keys(sets: list[dict[str, set[str]]], n_ru: int, weights: KeyWeights,
                    name_factor: dict[str, float] | None = None) -> ItemKeys:
    """:class:`ItemKeys` from per-item key dicts (RU items first); ``name_factor``: see :attr:`ItemKeys.name_factor`."""
    return ItemKeys([s["names"] for s in sets], [s["numbers"] for s in sets], [s["cognates"] for s in sets],
                    n_ru, weights, dict(name_factor or {}), [set(s.get("events", ())) for s in sets],
                    [set(s.get("field", ())) for s in sets], [set(s.get("backref", ())) for s in sets])
