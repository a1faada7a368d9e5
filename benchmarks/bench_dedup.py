"""Duplicate checking of a feed of near-identical entries: CPU time against the number of entries, and
agreement with the exact all-pairs rule.

    python benchmarks/bench_dedup.py --n 10000 100000 --compare 3000

Entries are one 31-word template (an exchange-rate notice) with words replaced at random places (seeded):
``two`` (default) replaces two words, so most entries share 16–25 of 27 shingles with every other one (the
probe's feed that never finished); ``one`` replaces one word (many ties at 25/27); ``edge`` replaces a word near
either end (most entries are copies). The de-duplication planner (:func:`kzalign.inputs.dedup.plan_items`) runs
on the raw entries; CPU time by ``time.process_time``. ``--compare N`` also plans the first N entries with the
posting and bucket caps lifted (every report sharing a shingle is scored: the all-pairs rule, quadratic) and
counts entries given the same action (new / copy / supersede), the same action and target, and the same
action with a target of the same share (the all-pairs rule breaks ties by the lowest id of all).
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections import Counter

from kzalign.inputs import dedup
from kzalign.inputs.digest import RawItem

TEMPLATE = ("The National Bank of Kazakhstan announced the official exchange rate of the tenge against the US dollar "
            "euro and rouble for the coming trading day the regulator said in a statement on its website").split()


def feed(n: int, mode: str, seed: int = 1) -> list[RawItem]:
    """``n`` near-identical English entries (see the module docstring for the modes)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        w = list(TEMPLATE)
        if mode == "edge":
            w[rng.choice([0, 1, len(w) - 1, len(w) - 2, 10])] = f"x{i}"
        else:
            for j in range({"one": 1, "two": 2}[mode]):
                w[rng.randrange(len(w))] = f"x{i}y{j}"
        out.append(RawItem("en", "", " ".join(w), f"feed.xml:{i + 1}"))
    return out


def plan(items: list[RawItem]) -> tuple[list[dedup.Planned], float]:
    t = time.process_time()
    p = dedup.plan_items(items, {}, [], [])
    return p, time.process_time() - t


def exact(items: list[RawItem]) -> list[dedup.Planned]:
    """The all-pairs rule: caps lifted, so no shingle is ever crowded and every sharer is scored."""
    caps = dedup.POSTING_CAP, dedup.BUCKET_CAP
    dedup.POSTING_CAP = dedup.BUCKET_CAP = 1 << 30
    try:
        return dedup.plan_items(items, {}, [], [])
    finally:
        dedup.POSTING_CAP, dedup.BUCKET_CAP = caps


def share(a: str, b: str) -> float:
    x, y = dedup.shingles(a), dedup.shingles(b)
    return len(x & y) / max(1, min(len(x), len(y)))


def compare(items: list[RawItem]) -> str:
    got, _ = plan(items)
    t = time.process_time()
    ref = exact(items)
    t_ref = time.process_time() - t
    text = {p.target: p.item.text for p in ref + got if p.new}
    acts = sum(g.action == r.action for g, r in zip(got, ref, strict=True))
    same = sum((g.target, g.action) == (r.target, r.action) for g, r in zip(got, ref, strict=True))
    alike = sum(g.action == r.action and (g.target == r.target or abs(
        share(g.item.text, text[g.target]) - share(r.item.text, text[r.target])) < 1e-9)
        for g, r in zip(got, ref, strict=True))
    return (f"vs all-pairs on {len(items)} entries ({t_ref:.1f} s CPU): same action {acts}, same action and "
            f"target {same}, same action and an equally good target {alike}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--mode", choices=["one", "two", "edge"], default="two")
    ap.add_argument("--compare", type=int, default=0, help="also compare N entries with the all-pairs rule")
    args = ap.parse_args()
    times = []
    for n in args.n:
        p, t = plan(feed(n, args.mode))
        times.append((n, t))
        acts = Counter(x.action for x in p)
        print(f"{n} entries ({args.mode}): {t:.2f} s CPU, {t / n * 1e6:.0f} µs per entry; "
              f"{acts['new']} new, {acts['copy']} copies")
    if len(times) > 1:
        (n0, t0), (n1, t1) = times[0], times[-1]
        print(f"time ratio {t1 / t0:.2f} for {n1 / n0:.0f}x the entries (linear = {n1 / n0:.0f})")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.compare:
        print(compare(feed(args.compare, args.mode)))


if __name__ == "__main__":
    main()
