"""Duplicate checking linear in the number of entries (issue 26, finding 5): a feed of near-identical entries
scores a bounded number of candidates per entry, and the all-pairs decisions are kept where no shingle is crowded."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kzalign.inputs import dedup
from kzalign.inputs.digest import RawItem
from kzalign.inputs.ingest import read_inputs

TEMPLATE = ("The National Bank of Kazakhstan announced the official exchange rate of the tenge against the US dollar "
            "euro and rouble for the coming trading day the regulator said in a statement on its website").split()


def _feed(n: int, seed: int = 1) -> list[RawItem]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        w = list(TEMPLATE)
        for j in range(2):
            w[rng.randrange(len(w))] = f"x{i}y{j}"
        out.append(RawItem("en", "", " ".join(w), f"feed.xml:{i + 1}"))
    return out


def _all_pairs(items: list[RawItem], monkeypatch: pytest.MonkeyPatch,
               existing: list[tuple[str, str, str]] | None = None) -> list[tuple[str, str]]:
    """The plan with the caps lifted: every report sharing a shingle is scored (the rule before issue 26)."""
    with monkeypatch.context() as m:
        m.setattr(dedup, "POSTING_CAP", 1 << 30)
        m.setattr(dedup, "BUCKET_CAP", 1 << 30)
        return [(p.target, p.action) for p in dedup.plan_items(items, {}, existing or [], [])]


def test_near_identical_feed_scores_a_bounded_number_of_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """1500 entries sharing most of their shingles: at most 2 × MAX_VERIFY candidates scored per entry once the
    template's shingles are crowded (the all-pairs rule scores every earlier entry: ~1.1 million)."""
    scored = 0
    real = dedup._better

    def counting(*args: object) -> tuple[str | None, float]:
        nonlocal scored
        scored += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(dedup, "_better", counting)
    items = _feed(1500)
    plan = dedup.plan_items(items, {}, [], [])
    assert len(plan) == len(items) and {p.action for p in plan} <= {"new", "copy"}
    assert 0 < scored <= len(items) * 2 * dedup.MAX_VERIFY


def test_same_decisions_as_all_pairs_on_real_reports(seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeds in the workspace, then a shortened and a lengthened copy of every third report and the seeds
    again: the all-pairs plan exactly."""
    items, _, _, _ = read_inputs([seeds_dir])
    existing = [(dedup.item_id(r.lang, r.content_hash), r.lang, r.text) for r in items[1::2]]
    raw = list(items)
    for r in items[::3]:
        words = r.text.split()
        raw.append(RawItem(r.lang, r.title, " ".join(words[: len(words) * 9 // 10]), r.where + "-short"))
        raw.append(RawItem(r.lang, r.title, r.text + " A paragraph added later.", r.where + "-long"))
    plan = [(p.target, p.action) for p in dedup.plan_items(raw, {}, existing, [])]
    assert plan == _all_pairs(raw, monkeypatch, existing)
    assert {a for _, a in plan} == {"new", "copy", "supersede"}


def test_small_near_identical_feed_is_planned_as_all_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer entries than a posting holds: nothing is crowded, the plan is the all-pairs plan."""
    items = _feed(dedup.POSTING_CAP)
    assert [(p.target, p.action) for p in dedup.plan_items(items, {}, [], [])] == _all_pairs(items, monkeypatch)


def test_shingles_are_stable_across_processes() -> None:
    """Shingle hashes do not depend on Python's per-process string hashing (LSH buckets must be reproducible)."""
    import subprocess
    import sys

    code = "from kzalign.inputs.dedup import shingles; print(sorted(shingles('one two three four five six')))"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PYTHONPATH": ":".join(sys.path)}).stdout
            for seed in ("1", "2")}
    assert len(outs) == 1 and outs.pop().strip() == str(sorted(dedup.shingles("one two three four five six")))
