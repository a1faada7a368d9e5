"""CPU a `kzalign link` process spends after its command has finished (interpreter shutdown), per checkout.

Usage:
  python benchmarks/bench_exit.py [--src OTHER_CHECKOUT] [--runs 3]

Same workspace as `bench_engine.py coldlink` (docalign + comparable from ../shared/eval, ids prefixed). Each run
is a fresh process running `kzalign link --no-mt` on a fresh copy of the ingested workspace, as the command line
does (standalone click, so the process exits through SystemExit); it reads its own CPU when the command is done,
and the parent reads the child's CPU once it has exited: the difference is the shutdown. Checkouts alternate.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

_CHILD = r"""
import resource, sys
from kzalign.cli import main
try:
    main(["link", "--db", sys.argv[1], "--no-mt"])
finally:
    r = resource.getrusage(resource.RUSAGE_SELF)
    sys.stderr.write("DONE %.4f\n" % (r.ru_utime + r.ru_stime))
    sys.stderr.flush()
"""


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def one(src: Path, base: Path, tmp: Path) -> tuple[float, float]:
    """(CPU until the command was done, CPU of the shutdown) of one cold link with the checkout ``src``."""
    db = tmp / "run.db"
    for p in tmp.glob("run.db*"):
        p.unlink()
    shutil.copy(base, db)
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    c0 = children_cpu()
    res = subprocess.run([sys.executable, "-c", _CHILD, str(db)], cwd=src, env=env, capture_output=True, text=True)
    total = children_cpu() - c0
    done = float([x for x in res.stderr.splitlines() if x.startswith("DONE ")][-1].split()[1])
    return done, total - done


def main() -> None:
    from bench_coldlink_parts import workspace

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", help="another checkout to compare with (e.g. `git archive REV | tar -x -C DIR`)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    srcs = [ROOT] + ([Path(args.src).resolve()] if args.src else [])
    print(f"# load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        base = workspace(tmp)
        for r in range(args.runs):
            for src in srcs if r % 2 == 0 else srcs[::-1]:
                done, shutdown = one(src, base, tmp)
                print(f"{str(src):28s} command {done:.3f} s CPU   shutdown {shutdown:.3f} s CPU", flush=True)
    print(f"# load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
