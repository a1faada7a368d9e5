"""Incremental linking (issues 11, 16): cost of a re-link after adding 10 items, and of an unchanged re-link,
against a cold link of the same workspace, all in one process (ratios; the machine is shared).

Workspace: the first N/2 RU and N/2 EN items of docalign+comparable (ids prefixed), default N = 1000.
Cold = a fresh workspace (sentence embeddings, keys, candidates, scores, links all computed).

Usage: python benchmarks/bench_link_incremental.py [--n 1000] [--add 10] [--encoder use]
"""

from __future__ import annotations

import argparse
import json
import time

from bench_link_common import ROOT
from bench_link_invariance import items_of

from kzalign.engines.embed import get_encoder
from kzalign.glossary import load_glossary
from kzalign.stages.link import link_workspace
from kzalign.store.workspace import Workspace

OUT = ROOT / ".bench" / "incremental"


def timed(ws: Workspace, encoder: str, glossary: object) -> tuple[float, float, dict[str, int]]:
    """(wall seconds, CPU seconds, what changed) of one link run."""
    t, c = time.perf_counter(), time.process_time()
    rep = link_workspace(ws, encoder=encoder, glossary=glossary)  # type: ignore[arg-type]
    stats = {"links": rep.links, "added": rep.added, "changed": rep.changed, "removed": rep.removed,
             "keys_computed": rep.keys_computed}
    return time.perf_counter() - t, time.process_time() - c, stats


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--add", type=int, default=10)
    ap.add_argument("--encoder", default="use")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    glossary = load_glossary([ROOT / "glossaries"])
    get_encoder(args.encoder).encode(["warm up"])  # model loading is not linking
    rows = items_of("docalign", "da:") + items_of("comparable", "cp:")
    ru = [r for r in rows if r["lang"] == "ru"]
    en = [r for r in rows if r["lang"] == "en"]
    half, extra = args.n // 2, args.add // 2
    base = ru[:half] + en[:half]
    new = ru[half: half + extra] + en[half: half + args.add - extra]
    path = OUT / "ws.db"
    for p in (path, path.with_name("ws.db-wal"), path.with_name("ws.db-shm")):
        p.unlink(missing_ok=True)
    with Workspace(path) as ws:
        ws.add_items(base)
        cold = timed(ws, args.encoder, glossary)
        ws.add_items(new)
        added = timed(ws, args.encoder, glossary)
        same = timed(ws, args.encoder, glossary)
    out = {"items": len(base), "added_items": len(new),
           "cold": {"wall_s": round(cold[0], 2), "cpu_s": round(cold[1], 2), **cold[2]},
           "after_adding": {"wall_s": round(added[0], 2), "cpu_s": round(added[1], 2), **added[2],
                            "cpu_share_of_cold": round(added[1] / cold[1], 4)},
           "unchanged": {"wall_s": round(same[0], 2), "cpu_s": round(same[1], 2), **same[2],
                         "cpu_share_of_cold": round(same[1] / cold[1], 4)}}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
