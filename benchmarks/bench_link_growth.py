"""How linking grows with the archive (issue 23): CPU of ``link_workspace`` at n items a side, encoder excluded.

A same-topic archive of n Russian and n English items is made from the dev stream's (and its distractors')
items, copied with their dates shifted by periods of 4,383 days (12 years) so that copies never fall within a week of
each other (the close-pair candidates then grow with the archive as a real one would: per period, not
quadratically). Sentence vectors and keys are cached by text, so every run measures what linking adds to the
encoder: candidates, close pairs, margins, features, scoring, decisions and writes. The fitted exponent of
CPU against n is printed (1 = linear).

Usage: python benchmarks/bench_link_growth.py [--sizes 1000,4000,10000]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
from datetime import date, timedelta

import numpy as np
from bench_link_common import EVAL, ROOT

from kzalign.engines.embed import get_encoder
from kzalign.glossary import BUNDLED_DIR, load_glossary
from kzalign.stages import link as L
from kzalign.store.workspace import Workspace

OUT = ROOT / ".bench" / "growth"
#: Days between two copies of the stream (about 12 years: longer than the stream's span).
PERIOD_DAYS = 4383


def stream_items() -> dict[str, list[dict[str, str | None]]]:
    """The stream's and distractors' items by language."""
    out: dict[str, list[dict[str, str | None]]] = {"ru": [], "en": []}
    for p in sorted((EVAL / "stream").glob("*.jsonl")):
        for line in p.read_text(encoding="utf-8").splitlines():
            j = json.loads(line)
            out[j["lang"]].append({"id": j["id"], "lang": j["lang"], "title": j.get("title") or "",
                                   "text": j["text"], "date": j.get("date")})
    return out


def archive(n: int, items: dict[str, list[dict[str, str | None]]]) -> list[dict[str, str | None]]:
    """n items a side: copies of the stream's items, the k-th copy's dates k periods later."""
    rows = []
    for src in items.values():
        for i in range(n):
            r = dict(src[i % len(src)])
            k = i // len(src)
            d = date.fromisoformat(str(r["date"])[:10]) if r.get("date") else None
            r["id"] = f"{r['id']}#{k}"
            r["date"] = (d + timedelta(days=PERIOD_DAYS * k)).isoformat() if d else None
            rows.append(r)
    return rows


def cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,4000,10000")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    get_encoder("use")
    glossary = load_glossary([BUNDLED_DIR])
    items = stream_items()
    warm = OUT / "warm.db"  # sentence vectors and keys of every stream text, computed once
    if not warm.exists():
        with Workspace(warm) as ws:
            ws.add_items(archive(max(len(v) for v in items.values()), items))
            L.link_workspace(ws, encoder="use", glossary=glossary)
    sizes, cpus = [], []
    for n in map(int, args.sizes.split(",")):
        path = OUT / f"n{n}.db"
        shutil.copy(warm, path)
        with Workspace(path) as ws:
            ws.conn.execute("DELETE FROM items")
            ws.conn.execute("DELETE FROM links")
            ws.conn.execute("DELETE FROM runs")
            ws.add_items(archive(n, items))
            t = cpu()
            rep = L.link_workspace(ws, encoder="use", glossary=glossary)
            secs = cpu() - t
        path.unlink()
        sizes.append(n)
        cpus.append(secs)
        print(json.dumps({"n_a_side": n, "cpu_s": round(secs, 2), "candidates": rep.candidates, "links": rep.links,
                          "keys_computed": rep.keys_computed}), flush=True)
    if len(sizes) > 1:
        slope = np.polyfit([math.log(s) for s in sizes], [math.log(c) for c in cpus], 1)[0]
        print(f"fitted exponent (CPU ~ n^k): k = {slope:.2f}")


if __name__ == "__main__":
    main()
