"""Keys a Russian and an English report can share: glossary names, numbers and dates, cross-script words.

Keys are computed per item (cached in the workspace by item content and glossary signature, so a
re-link computes none for unchanged items) and weighted by a FIXED inverse document frequency taken
from the shipped background sample (:mod:`kzalign.engines.background`), never from the workspace: a pair's
evidence weighs the same whatever else was ingested, and adding items changes no other pair's score.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from kzalign.core.dates import month_number
from kzalign.core.progress import ProgressCallback, report
from kzalign.core.text import has_cyrillic, text_hash

if TYPE_CHECKING:
    from kzalign.glossary import Glossary
    from kzalign.store.workspace import Workspace

#: Bump when a key function changes: cached keys of another version are recomputed.
KEYS_VERSION = "k4"  # k2: glossary names typed with look-alike letters of the other alphabet are found; k3: event evidence;
# k4: event-type rewrites and programme names (events.TYPE_REWRITES, NOT_PARTICIPANTS)
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
    statement costs about as much as transliterating the word; not at module load: keys loads without numpy)."""
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
    shared = sorted(a & b, key=lambda k: (-idf.get(k, 0.0), k))
    if not shared:
        return 0.0, []
    num = sum(idf.get(k, 0.0) ** 2 for k in shared)
    wa, wb = norms if norms is not None else (sum(idf.get(k, 0.0) ** 2 for k in a),
                                              sum(idf.get(k, 0.0) ** 2 for k in b))
    den = min(wa, wb) if mode == "min" else math.sqrt(wa * wb)
    return (num / den if den > 0 else 0.0), shared


@dataclass
class ItemKeys:
    """Name, number and cognate keys of RU items followed by EN items, with their (fixed) idf weights."""

    names: list[set[str]]
    numbers: list[set[str]]
    cognates: list[set[str]]
    n_ru: int
    weights: KeyWeights
    #: Factor on the idf of names that name the field rather than an event (:func:`events.name_weights`).
    name_factor: dict[str, float] = field(default_factory=dict)
    #: Event types, the field's names and back-reference cues of each item (RU items first).
    events: list[set[str]] = field(default_factory=list)
    field_names: list[set[str]] = field(default_factory=list)
    backref: list[set[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.idf: dict[str, dict[str, float]] = {}
        #: Σ idf² of each item's keys, per kind (the overlap's denominators, computed once).
        self.norms: dict[str, list[float]] = {}
        n = len(self.names)
        for extra in ("events", "field_names", "backref"):
            if len(getattr(self, extra)) != n:
                setattr(self, extra, [set() for _ in range(n)])
        for kind in KINDS:
            keys = {k for s in getattr(self, kind) for k in s}
            factor = self.name_factor if kind == "names" else {}
            idf = self.idf[kind] = {k: self.weights.idf(kind, k) * factor.get(k, 1.0) for k in sorted(keys)}
            self.norms[kind] = [sum(idf[k] ** 2 for k in s) for s in getattr(self, kind)]

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


def build_item_keys(sets: list[dict[str, set[str]]], n_ru: int, weights: KeyWeights,
                    name_factor: dict[str, float] | None = None) -> ItemKeys:
    """:class:`ItemKeys` from per-item key dicts (RU items first); ``name_factor``: see :attr:`ItemKeys.name_factor`."""
    return ItemKeys([s["names"] for s in sets], [s["numbers"] for s in sets], [s["cognates"] for s in sets],
                    n_ru, weights, dict(name_factor or {}), [set(s.get("events", ())) for s in sets],
                    [set(s.get("field", ())) for s in sets], [set(s.get("backref", ())) for s in sets])
