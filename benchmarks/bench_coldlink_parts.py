"""Where the CPU of a cold `kzalign link` goes, stage by stage, for this checkout and optionally another.

Usage:
  python benchmarks/bench_coldlink_parts.py [--src /tmp/kzmain] [--runs 2]

Same workspace as `bench_engine.py coldlink` (docalign + comparable from ../shared/eval, ids prefixed). Each run
is a fresh process that times (time.process_time) the CLI import, the glossary load and the stages inside
link_workspace, then runs `kzalign link --no-mt` as the command does; checkouts alternate run by run so
that both see the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = Path(os.environ.get("KZALIGN_EVAL", ROOT.parent / "shared" / "eval"))

_CHILD = r"""
import json, sys, time
t0 = time.process_time()
from kzalign.cli import main
import kzalign.glossary as G, kzalign.stages.link as L
acc = {"import cli": time.process_time() - t0}
def timed(mod, name, label):
    f = getattr(mod, name)
    def g(*a, **k):
        c = time.process_time()
        try:
            return f(*a, **k)
        finally:
            acc[label] = acc.get(label, 0.0) + time.process_time() - c
    setattr(mod, name, g)
for mod, name, label in ((G, "load_glossary", "glossary load"), (L, "embed_texts", "encoder"),
                         (L, "cached_item_keys", "keys"), (L, "link_workspace", "link_workspace")):
    timed(mod, name, label)
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    acc["total"] = time.process_time() - t0
    acc["other"] = acc["total"] - sum(v for k, v in acc.items() if k not in ("total", "link_workspace"))
    sys.stderr.write("PARTS " + json.dumps(acc) + "\n")
"""


def workspace(tmp: Path) -> Path:
    """The coldlink workspace: both eval sets ingested, ids prefixed by set."""
    rows: dict[str, list[str]] = {"ru": [], "en": []}
    for lang in rows:
        for s in ("docalign", "comparable"):
            for line in (EVAL / s / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines():
                r = json.loads(line)
                rows[lang].append(json.dumps({**r, "id": f"{s[0]}{r['id']}"}, ensure_ascii=False))
        (tmp / f"{lang}.jsonl").write_text("\n".join(rows[lang]) + "\n", encoding="utf-8")
    db = tmp / "base.db"
    subprocess.run(["kzalign", "ingest", str(tmp / "ru.jsonl"), str(tmp / "en.jsonl"), "--db", str(db)],
                   check=True, capture_output=True)
    return db


def one(src: Path, base: Path, tmp: Path) -> dict[str, float]:
    db = tmp / "run.db"
    shutil.copy(base, db)
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    res = subprocess.run([sys.executable, "-c", _CHILD, "link", "--db", str(db), "--no-mt"], cwd=src, env=env,
                         capture_output=True, text=True, check=True)
    line = [x for x in res.stderr.splitlines() if x.startswith("PARTS ")][-1]
    return json.loads(line[6:])


def alternate(doc: str, runs: int, measure: Callable[[Path, Path, Path], str]) -> None:
    """Parse ``--src``/``--runs``, build the workspace once, and print ``measure(checkout, workspace, tmp)`` for
    this checkout and the other one, alternating run by run (so both see the same load)."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", help="another checkout to compare with (e.g. `git archive main | tar -x -C DIR`)")
    ap.add_argument("--runs", type=int, default=runs)
    args = ap.parse_args()
    srcs = [ROOT] + ([Path(args.src).resolve()] if args.src else [])
    print(f"# load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        base = workspace(tmp)
        for r in range(args.runs):
            for src in srcs if r % 2 == 0 else srcs[::-1]:
                print(f"{str(src):28s} {measure(src, base, tmp)}", flush=True)
    print(f"# load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    alternate(__doc__ or "", 2, lambda src, base, tmp: "  ".join(f"{k} {v:.3f}" for k, v in one(src, base, tmp).items()))


if __name__ == "__main__":
    main()
