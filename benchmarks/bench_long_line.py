"""`kzalign run` on a report that is one long line without sentence breaks: peak memory and CPU per MB.

    python benchmarks/bench_long_line.py --mb 2 4 [--encoder use] [--seeds seeds]

For each size, writes a seed-format report (headline, dateline, then one line of ``--mb`` megabytes of
Russian news words with no full stop), and runs ``kzalign run REPORT SEEDS --out OUT --db WS -q`` in a child
process, next to the seeds (so there are English items to link). Prints the child's CPU time (user + system)
and peak RSS (``getrusage(RUSAGE_CHILDREN)`` of that child alone: one child per size, in its own process), the
ratios between the largest and smallest size, and peak RSS per MB above the smallest run.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

VOCAB = ("посол министр встреча сотрудничество Казахстан Мексика парламент группа дружбы стороны обсудили "
         "вопросы торговли инвестиций культуры образования Алмурат Турганбеков Астана 2025 года").split()
ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(rc.returncode, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024, (rc.stderr or "").strip()[-300:].replace("\\n", " "))
"""


def report(path: Path, mb: float) -> None:
    rng = random.Random(1)
    words: list[str] = []
    n, target = 0, int(mb * 1024 * 1024)
    while n < target:
        words.append(rng.choice(VOCAB))
        n += len(words[-1].encode()) + 1
    path.write_text("Посол Казахстана провёл встречу\n23.02.2026, 10:00 100\n" + " ".join(words) + "\n",
                    encoding="utf-8")


def run_one(folder: Path, mb: float, encoder: str, seeds: Path) -> tuple[float, float]:
    src = folder / f"long{mb:g}.txt"
    report(src, mb)
    kz = [sys.executable, "-c", "import sys; from kzalign.cli import main; sys.exit(main())", "run", str(src), str(seeds), "--out", str(folder / f"out{mb:g}"),
          "--db", str(folder / f"w{mb:g}.db"), "--encoder", encoder, "-q"]
    out = subprocess.run([sys.executable, "-c", CHILD, *kz], capture_output=True, text=True, check=True).stdout
    rc, cpu, rss, err = out.split(" ", 3)
    if rc != "0":
        raise SystemExit(f"kzalign run failed on {mb} MB: {err}")
    print(f"{mb:g} MB one-line report: run {float(cpu):.1f} s CPU, peak RSS {float(rss):.0f} MB")
    return float(cpu), float(rss)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, nargs="+", default=[2.0, 4.0])
    ap.add_argument("--encoder", default="use")
    ap.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kzalign-longline-") as tmp:
        res = [(mb, *run_one(Path(tmp), mb, args.encoder, args.seeds)) for mb in args.mb]
    if len(res) > 1:
        (m0, c0, r0), (m1, c1, r1) = res[0], res[-1]
        print(f"{m1:g} MB vs {m0:g} MB: CPU {c1 / c0:.2f}x, peak RSS {r1 / r0:.2f}x; "
              f"{(r1 - r0) / (m1 - m0):.0f} MB of RSS per MB of unbroken text")
    print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
