"""CPU a `kzalign link` process spends after its command has finished (interpreter shutdown), per checkout.

Usage:
  python benchmarks/bench_exit.py [--src OTHER_CHECKOUT] [--runs 3]

Same workspace as `bench_engine.py coldlink` (docalign + comparable from ../shared/eval, ids prefixed). Each run
is a fresh process running `kzalign link --no-mt` on a fresh copy of the ingested workspace, as the command line
does (standalone click, so the process exits through SystemExit); it reads its own CPU when the command is done,
and the parent reads the child's CPU once it has exited: the difference is the shutdown. Checkouts alternate.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
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
    from bench_coldlink_parts import alternate

    def measure(src: Path, base: Path, tmp: Path) -> str:
        done, shutdown = one(src, base, tmp)
        return f"command {done:.3f} s CPU   shutdown {shutdown:.3f} s CPU"

    alternate(__doc__ or "", 3, measure)


if __name__ == "__main__":
    main()
