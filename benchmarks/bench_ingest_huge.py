"""Ingest of one huge single-line item, and sentence splitting time against text length.

    python benchmarks/bench_ingest_huge.py [--mb 5]

Generates a one-line Russian report of ``--mb`` megabytes (random words from a news vocabulary, a full
stop every ~12 words), ingests it into a fresh workspace in a child process (wall time and the child's
peak RSS), then times ``split_sentences`` on 1/4, 1/2 and all of the text: the time ratios show it is
linear in the length.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VOCAB = ("посол министр встреча сотрудничество казахстан мексика парламент группа дружбы стороны обсудили "
         "вопросы торговли инвестиций культуры образования г. им. т.е. 2025 г. К.-Ж. Токаев").split()

CHILD = """
import sys, time, resource
from kzalign.inputs.ingest import ingest_paths
from kzalign.store.workspace import Workspace
t = time.perf_counter()
with Workspace(sys.argv[2]) as ws:
    rep = ingest_paths(ws, [sys.argv[1]])
print(f"{time.perf_counter() - t:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {rep.added}")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=5.0)
    args = ap.parse_args()
    rnd = random.Random(1)
    words: list[str] = []
    size = 0
    while size < args.mb * 1_000_000:
        w = rnd.choice(VOCAB) + ("." if rnd.random() < 0.08 else "")
        words.append(w.capitalize() if words and words[-1].endswith(".") else w)
        size += len(w.encode("utf-8")) + 1
    text = " ".join(words)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "huge.txt"
        src.write_text(text + "\n", encoding="utf-8")
        out = subprocess.run([sys.executable, "-c", CHILD, str(src), str(Path(tmp) / "ws.db")],
                             capture_output=True, text=True, check=True).stdout.split()
        print(f"ingest of a {src.stat().st_size / 1e6:.1f} MB one-line item: {out[0]} s, peak RSS {out[1]} MB "
              f"(child process), {out[2]} item added")
    from kzalign.core.text import split_sentences

    split_sentences("Разогрев. Warm-up.")
    times = []
    for frac in (0.25, 0.5, 1.0):
        part = text[: int(len(text) * frac)]
        t = time.perf_counter()
        n = len(split_sentences(part))
        times.append(time.perf_counter() - t)
        print(f"split_sentences on {len(part) / 1e6:.2f} M chars: {times[-1]:.2f} s, {n} sentences")
    print(f"time ratios 1/2 : 1/4 = {times[1] / times[0]:.2f}, all : 1/2 = {times[2] / times[1]:.2f} (linear = 2.0); "
          f"peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
