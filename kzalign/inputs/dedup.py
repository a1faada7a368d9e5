"""Near-duplicate merging that never drops text.

Reports are compared by word 5-gram shingles: when ≥ 85 % of the smaller report's shingles are in the
other, they are versions of one report. A copy becomes a source of the existing item (its text, when it
differs, is kept as a revision); a longer version that adds text supersedes the item's text and the
shorter one is kept as a revision with its date. Items with given ids are never merged.

Finding a report's versions is linear in the number of reports (issue 26): shingles are stable 64-bit
hashes, the inverted index keeps at most :data:`POSTING_CAP` reports per shingle, and a report whose
shingles are that common (a feed of near-identical entries) also gets the reports it meets in MinHash LSH
bands (buckets capped too). Every candidate is scored exactly by the share above (best share wins, ties go
to the lowest id), so the result is the all-pairs result whenever no shingle is in more than POSTING_CAP
reports; MinHash alone would not do, as it estimates Jaccard similarity and misses a short report inside a
long one (measured in BENCHMARKS.md, ``benchmarks/bench_dedup.py``).
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np

from kzalign.core.errors import Problem
from kzalign.core.text import normalize_for_hash
from kzalign.inputs.digest import RawItem

#: Near-duplicate threshold: share of the smaller report's word 5-grams found in the other.
DUP_CONTAINMENT = 0.85
SHINGLE = 5
#: Reports listed per shingle: a shingle in more reports (boilerplate, a feed's template) is "crowded".
POSTING_CAP = 16
#: MinHash LSH: bands of rows (16 × 4 values), reports kept per bucket, candidates scored per kind of lookup.
BANDS, ROWS = 16, 4
BUCKET_CAP = 32
MAX_VERIFY = 16

_MUL = np.uint64(0x9E3779B97F4A7C15)
_perm = np.random.default_rng(26)  # fixed: the same bands in every process
_PERM_MUL = _perm.integers(1, 2**63, size=BANDS * ROWS, dtype=np.uint64) | np.uint64(1)
_PERM_ADD = _perm.integers(0, 2**63, size=BANDS * ROWS, dtype=np.uint64)
_BAND_MUL = _perm.integers(1, 2**63, size=ROWS, dtype=np.uint64) | np.uint64(1)


@lru_cache(maxsize=1 << 16)
def _token_id(token: str) -> int:
    """A stable 64-bit id of a word (two CRC-32s: Python's own ``hash`` differs between processes)."""
    b = token.encode("utf-8", "surrogatepass")
    return (zlib.crc32(b) << 32) | zlib.crc32(b, 0x5BD1E995)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over the 64-bit hash."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def shingles(text: str, n: int = SHINGLE) -> set[int]:
    """Stable hashes of word n-grams, the unit of near-duplicate comparison (a text shorter than ``n`` words
    is one shingle; an empty one has none)."""
    toks = normalize_for_hash(text).split()
    if not toks:
        return set()
    ids = np.fromiter((_token_id(t) for t in toks), np.uint64, len(toks))
    w = min(n, len(ids))
    m = len(ids) - w + 1
    h = np.zeros(m, np.uint64)
    for j in range(w):
        h = (h * _MUL) ^ ids[j : j + m]
    return set(_mix(h).tolist())


def band_keys(sh: set[int]) -> list[int]:
    """The MinHash LSH bucket keys of a shingle set: two sets share a key with probability ≈ J^ROWS per band."""
    arr = np.fromiter(sh, np.uint64, len(sh))
    sig = np.full(BANDS * ROWS, np.iinfo(np.uint64).max, np.uint64)
    for s in range(0, len(arr), 4096):  # bounded memory for a long report
        x = _mix(arr[s : s + 4096, None] * _PERM_MUL[None, :] + _PERM_ADD[None, :])
        np.minimum(sig, x.min(axis=0), out=sig)
    bands = _mix((sig.reshape(BANDS, ROWS) * _BAND_MUL[None, :]).sum(axis=1) + np.arange(BANDS, dtype=np.uint64))
    return bands.tolist()


def _better(key: str, score: float, best: str | None, best_score: float) -> tuple[str | None, float]:
    """The all-pairs rule: the higher share wins, a tie goes to the lower key."""
    if score > best_score or (score == best_score and best is not None and key < best):
        return key, score
    return best, best_score


class DupIndex:
    """Index of one language's reports by shingle (capped postings) and, for reports with crowded shingles,
    by MinHash LSH band.

    A posting holds one key as a plain string and becomes a list only when shared, which keeps the
    index of a multi-megabyte item small. A report reaches the LSH buckets only when one of its shingles
    was already crowded: any other report sharing a shingle with it is then in that posting or in the bands.
    """

    def __init__(self) -> None:
        self.sh: dict[str, set[int]] = {}
        self.size: dict[str, int] = {}
        self.postings: dict[int, str | list[str]] = {}
        self.buckets: dict[int, str | list[str]] = {}
        self._memo: tuple[set[int], list[int]] | None = None

    def _bands(self, sh: set[int]) -> list[int]:
        if self._memo is None or self._memo[0] is not sh:  # find() then add() of one report: computed once
            self._memo = (sh, band_keys(sh))
        return self._memo[1]

    def add(self, key: str, sh: set[int]) -> None:
        """Index report ``key`` by its shingles ``sh``."""
        self.sh[key] = sh
        self.size[key] = len(sh)
        crowded = _post(self.postings, sh, key, POSTING_CAP)
        if crowded:
            _post(self.buckets, self._bands(sh), key, BUCKET_CAP)

    def replace(self, key: str, sh: set[int]) -> None:
        """Index ``key`` by a new (longer) text's shingles; postings of the old text only match more."""
        self.add(key, sh)

    def _counts(self, sh: set[int]) -> tuple[Counter[str], int]:
        """Shingles shared with each listed report, and how many of ``sh`` are crowded (their count may be short)."""
        post = self.postings
        singles: list[str] = []
        lists: list[list[str]] = []
        crowded = 0
        for s in sh:
            cur = post.get(s)
            if cur is None:
                continue
            if isinstance(cur, str):
                singles.append(cur)
            else:
                lists.append(cur)
                crowded += len(cur) >= POSTING_CAP
        counts = Counter(singles)
        counts.update(chain.from_iterable(lists))
        return counts, crowded

    def find(self, sh: set[int]) -> str | None:
        """The indexed report sharing the largest share of the smaller shingle set (ties: the lowest key), or
        None when none reaches the duplicate threshold."""
        counts, crowded = self._counts(sh)
        n, size = len(sh), self.size
        best: str | None = None
        best_score = 0.0
        if not crowded:  # every report sharing a shingle is listed: the counts are exact
            for k, c in counts.items():
                m = size[k] if size[k] < n else n
                best, best_score = _better(k, c / (m or 1), best, best_score)
            return best if best_score >= DUP_CONTAINMENT else None
        need = DUP_CONTAINMENT * n - crowded  # a count may be short by `crowded`: score the possible ones exactly
        maybe = sorted((-c / (size[k] if size[k] < n else n or 1), k) for k, c in counts.items()
                       if c >= need or c + crowded >= DUP_CONTAINMENT * size[k])
        # a bucket shared by many reports tells little (each band counts 1/its size), a full one (a feed's
        # template, met by every entry) nothing
        weight: dict[str, float] = {}
        for cur in map(self.buckets.get, self._bands(sh)):
            if cur is not None and (isinstance(cur, str) or len(cur) < BUCKET_CAP):
                members = (cur,) if isinstance(cur, str) else cur
                for k in members:
                    weight[k] = weight.get(k, 0.0) + 1.0 / len(members)
        near = sorted((-w, k) for k, w in weight.items() if k not in counts)  # most telling bands first
        for k in chain((k for _, k in maybe[:MAX_VERIFY]), (k for _, k in near[:MAX_VERIFY])):
            other = self.sh[k]
            best, best_score = _better(k, len(sh & other) / max(1, min(n, len(other))), best, best_score)
        return best if best_score >= DUP_CONTAINMENT else None


def _post(index: dict[int, str | list[str]], hashes: Iterable[int], key: str, cap: int) -> bool:
    """Add ``key`` to the lists of ``hashes`` (at most ``cap`` keys each); True when one was already full."""
    full = False
    for s in hashes:
        cur = index.get(s)
        if cur is None:
            index[s] = key
        elif isinstance(cur, str):
            if cur != key:
                index[s] = [cur, key]
        elif key not in cur:
            if len(cur) < cap:
                cur.append(key)
            else:
                full = True
    return full


@dataclass
class Planned:
    """What becomes of one raw item: a ``new`` item, a ``copy`` of ``target``, a longer version that
    ``supersede``s the target's text, or a version that ``correct``s the text of an item of an earlier ingest (an
    edited sentence: text no version seen so far has); in the last two the old text is kept as a revision."""

    item: RawItem
    target: str
    action: str

    @property
    def new(self) -> bool:
        return self.action == "new"


def item_id(lang: str, content_hash: str) -> str:
    """Derived id of an item without a given one: language and content hash."""
    return f"{lang}-{content_hash[:12]}"


def _plan_given(raw: list[RawItem], existing: dict[str, tuple[str, str]], problems: list[Problem]) -> list[Planned]:
    plan: list[Planned] = []
    seen: dict[str, RawItem] = {}
    for r in raw:
        if r.given_id is None:
            continue
        prev = seen.get(r.given_id)
        if prev is not None and prev.content_hash != r.content_hash:
            problems.append(Problem(r.path, r.line, f"id '{r.given_id}' also used at {prev.where} with different text"))
            continue
        if r.given_id in existing and existing[r.given_id][0] != r.content_hash:
            problems.append(Problem(r.path, r.line, f"id '{r.given_id}' is already in the workspace with different text"))
            continue
        new = r.given_id not in existing and prev is None
        seen[r.given_id] = r
        plan.append(Planned(r, r.given_id, "new" if new else "copy"))
    return plan


def plan_items(raw: list[RawItem], existing_given: dict[str, tuple[str, str]],
               existing_derived: list[tuple[str, str, str]], problems: list[Problem],
               known: dict[str, set[str]] | None = None) -> list[Planned]:
    """Decide, for every raw item, which (new or existing) item it becomes part of, and how.

    ``known``: content hashes of every version seen of each existing item (current, revisions, merged copies);
    a version of an existing item that adds words none of them has is a correction (applied, once per ingest),
    one already seen is a copy (so re-reading an old file never turns the text back)."""
    indexes: dict[str, DupIndex] = defaultdict(DupIndex)  # one per language: reports never merge across
    for iid, lang, text in existing_derived:
        indexes[lang].add(iid, shingles(text))
    earlier = {iid for iid, _, _ in existing_derived}
    known = known or {}
    changed: set[str] = set()
    plan = _plan_given(raw, existing_given, problems)
    # a version already seen is a copy of the item that has it, whichever item the shingles would find now
    seen: dict[str, str] = {}
    for iid in sorted(known):
        if iid in earlier:
            for h in known[iid]:
                seen.setdefault(h, iid)
    # id-less items: a deterministic order (longest first) so ids do not depend on input order
    derived = sorted((r for r in raw if r.given_id is None), key=lambda r: (-len(r.text), r.content_hash, r.where))
    for r in derived:
        if r.content_hash in seen:  # re-reading an old file never turns a text back or moves it
            plan.append(Planned(r, seen[r.content_hash], "copy"))
            continue
        index = indexes[r.lang]
        sh = shingles(r.text)
        hit = index.find(sh)
        iid = item_id(r.lang, r.content_hash)
        if hit is None and iid in index.sh:  # the same text (or the version the item grew from), met past the caps
            hit = iid
        if hit is None:
            index.add(iid, sh)
            plan.append(Planned(r, iid, "new"))
            continue
        adds = not sh <= index.sh[hit]
        if adds and len(sh) > len(index.sh[hit]):
            action = "supersede"
        elif adds and hit in earlier and hit not in changed and r.content_hash not in known.get(hit, ()):
            action = "correct"
        else:
            action = "copy"
        if action != "copy":
            index.replace(hit, sh)
            changed.add(hit)
        plan.append(Planned(r, hit, action))
    return plan
