"""Near-duplicate merging that never drops text.

Reports are compared by word 5-gram shingles: when ≥ 85 % of the smaller report's shingles are in the
other, they are versions of one report. A copy becomes a source of the existing item (its text, when it
differs, is kept as a revision); a longer version that adds text supersedes the item's text and the
shorter one is kept as a revision with its date. Items with given ids are never merged.
"""

from __future__ import annotations

from dataclasses import dataclass

from kzalign.core.errors import Problem
from kzalign.core.text import normalize_for_hash
from kzalign.inputs.digest import RawItem

#: Near-duplicate threshold: share of the smaller report's word 5-grams found in the other.
DUP_CONTAINMENT = 0.85
SHINGLE = 5


def shingles(text: str, n: int = SHINGLE) -> set[int]:
    """Hashes of word n-grams, the unit of near-duplicate comparison."""
    toks = normalize_for_hash(text).split()
    if len(toks) < n:
        return {hash(" ".join(toks))} if toks else set()
    return {hash(" ".join(toks[i : i + n])) for i in range(len(toks) - n + 1)}


class DupIndex:
    """Inverted index of shingles to find near-duplicate reports of the same language.

    A posting holds one key as a plain string and becomes a list only when shared, which keeps the
    index of a multi-megabyte item small.
    """

    def __init__(self) -> None:
        self.sh: dict[str, set[int]] = {}
        self.lang: dict[str, str] = {}
        self.postings: dict[int, str | list[str]] = {}

    def add(self, key: str, lang: str, sh: set[int]) -> None:
        """Index report ``key`` (in ``lang``) by its shingles ``sh``."""
        self.sh[key] = sh
        self.lang[key] = lang
        post = self.postings
        for s in sh:
            cur = post.get(s)
            if cur is None:
                post[s] = key
            elif isinstance(cur, str):
                if cur != key:
                    post[s] = [cur, key]
            elif key not in cur:
                cur.append(key)

    def replace(self, key: str, sh: set[int]) -> None:
        """Index ``key`` by a new (longer) text's shingles; postings of the old text only match more."""
        self.add(key, self.lang[key], sh)

    def find(self, lang: str, sh: set[int]) -> str | None:
        """The indexed report of ``lang`` sharing the largest share of the smaller shingle set (ties: the lowest
        key), or None when none reaches the duplicate threshold."""
        counts: dict[str, int] = {}
        post = self.postings
        for s in sh:
            cur = post.get(s)
            if cur is None:
                continue
            for k in (cur,) if isinstance(cur, str) else cur:
                counts[k] = counts.get(k, 0) + 1
        best, best_score = None, 0.0
        for k, c in counts.items():
            if self.lang[k] != lang:
                continue
            score = c / max(1, min(len(sh), len(self.sh[k])))
            if score > best_score or (score == best_score and best is not None and k < best):
                best, best_score = k, score
        return best if best_score >= DUP_CONTAINMENT else None


@dataclass
class Planned:
    """What becomes of one raw item: a ``new`` item, a ``copy`` of ``target``, or a version that
    ``supersede``s the target's text (the old text kept as a revision)."""

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
               existing_derived: list[tuple[str, str, str]], problems: list[Problem]) -> list[Planned]:
    """Decide, for every raw item, which (new or existing) item it becomes part of, and how."""
    index = DupIndex()
    for iid, lang, text in existing_derived:
        index.add(iid, lang, shingles(text))
    plan = _plan_given(raw, existing_given, problems)
    # id-less items: a deterministic order (longest first) so ids do not depend on input order
    derived = sorted((r for r in raw if r.given_id is None), key=lambda r: (-len(r.text), r.content_hash, r.where))
    for r in derived:
        sh = shingles(r.text)
        hit = index.find(r.lang, sh)
        if hit is None:
            iid = item_id(r.lang, r.content_hash)
            index.add(iid, r.lang, sh)
            plan.append(Planned(r, iid, "new"))
        elif len(sh) > len(index.sh[hit]) and not sh <= index.sh[hit]:
            index.replace(hit, sh)
            plan.append(Planned(r, hit, "supersede"))
        else:
            plan.append(Planned(r, hit, "copy"))
    return plan
