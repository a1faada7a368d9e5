"""Links and sentence pairs of this checkout and of another are the same, byte for byte.

Usage:
  python benchmarks/check_outputs_same.py --rev REV [--sets seeds,docalign,comparable,stream] [--keep DIR]
  python benchmarks/check_outputs_same.py --src /path/to/other/checkout

A refactoring (issue 22's layout move, a faster transliteration...) must not change a result. For each set, both
checkouts run, each in a fresh process with PYTHONPATH set to it, the same commands on the same inputs:
``kzalign ingest`` and ``kzalign link --no-mt`` into a new workspace, then ``kzalign links --format jsonl`` and
``kzalign pairs --format jsonl`` (which aligns and lists the pairs). The listings must be identical; the ``signature`` fields may differ only where ``--ignore-signature`` says so (a
deliberate signature change, e.g. a new ``cfg:`` digest). Sets: the seeds; docalign and comparable (RU+EN JSONL of
../shared/eval); the dev stream (ru.jsonl + en.jsonl). ``--rev`` checks REV out into a temporary git worktree.
Exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = Path(os.environ.get("KZALIGN_EVAL", ROOT.parent / "shared" / "eval"))


def set_inputs(name: str) -> list[Path]:
    if name == "seeds":
        return [ROOT / "seeds"]
    return [EVAL / name / "ru.jsonl", EVAL / name / "en.jsonl"]


def listings(src: Path, inputs: list[Path], work: Path) -> dict[str, bytes]:
    """``kzalign links`` and ``kzalign pairs`` listings (JSONL) after ingest, link and pairs with checkout ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    kz = [sys.executable, "-c", "from kzalign.cli import main; main()"]
    db = work / "ws.db"

    def run(*args: str) -> bytes:
        done = subprocess.run([*kz, *args], cwd=src, env=env, capture_output=True)
        if done.returncode:
            raise SystemExit(f"{src}: kzalign {' '.join(args)} failed:\n{done.stderr.decode()[-2000:]}")
        return done.stdout

    run("ingest", *map(str, inputs), "--db", str(db))
    run("link", "--db", str(db), "--no-mt")
    return {"links": run("links", "--db", str(db), "--format", "jsonl"),
            "pairs": run("pairs", "--db", str(db), "--format", "jsonl")}


def normalise(data: bytes, ignore_signature: bool, decisions: bool = False) -> list[str]:
    """The listing's lines; without signatures, or (``decisions``) without any number or evidence text either."""
    lines = data.decode().splitlines()
    if not ignore_signature and not decisions:
        return lines
    out = []
    for line in lines:
        rec = json.loads(line)
        rec.pop("signature", None)
        if decisions:
            rec = {k: v for k, v in rec.items() if k != "evidence" and not isinstance(v, float)}
        out.append(json.dumps(rec, sort_keys=True))
    return out


def max_number_change(a: bytes, b: bytes) -> float:
    """Largest change of a number field between two listings of the same records in the same order."""
    diff = 0.0
    for x, y in zip(a.decode().splitlines(), b.decode().splitlines(), strict=False):
        rx, ry = json.loads(x), json.loads(y)
        diff = max([diff] + [abs(v - ry[k]) for k, v in rx.items() if isinstance(v, float) and
                             isinstance(ry.get(k), float)])
    return diff


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rev", help="a git revision of this repository to compare with")
    ap.add_argument("--src", help="another checkout to compare with")
    ap.add_argument("--sets", default="seeds,docalign,comparable,stream")
    ap.add_argument("--ignore-signature", action="store_true", help="compare records without their signature")
    ap.add_argument("--decisions", action="store_true",
                    help="compare what was decided (which links and pairs, their ranks, kinds, texts), not scores; "
                         "print the largest score change")
    ap.add_argument("--keep", help="write both listings here (for diff)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kz-same-"))
    other = Path(args.src) if args.src else tmp / "other"
    if args.rev:
        subprocess.run(["git", "worktree", "add", "--detach", str(other), args.rev], cwd=ROOT, check=True,
                       capture_output=True)
    differ = 0
    try:
        for name in args.sets.split(","):
            ins = set_inputs(name)
            if not all(p.exists() for p in ins):
                print(f"{name}: skipped (inputs not found)")
                continue
            res = {}
            for tag, src in (("this", ROOT), ("other", other)):
                work = tmp / f"{name}-{tag}"
                work.mkdir()
                res[tag] = listings(src, ins, work)
            for what in ("links", "pairs"):
                a, b = (normalise(res[t][what], args.ignore_signature, args.decisions) for t in ("this", "other"))
                same = a == b
                differ += not same
                change = (f"  largest number change {max_number_change(res['this'][what], res['other'][what]):.2g}"
                          if args.decisions else "")
                print(f"{name:11s} {what:5s}: {len(a):5d} lines (this) {len(b):5d} (other)  identical: {same}{change}")
                if args.keep:
                    keep = Path(args.keep)
                    keep.mkdir(parents=True, exist_ok=True)
                    for t, lines in (("this", a), ("other", b)):
                        (keep / f"{name}_{what}_{t}.jsonl").write_text("\n".join(lines) + "\n")
    finally:
        if args.rev:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print("all identical" if not differ else f"{differ} listings differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
