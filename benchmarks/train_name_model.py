"""Learn ``kzalign/data/name_model.tsv``: Cyrillic->Latin edit operations for name similarity.

    python benchmarks/train_name_model.py [--eval ../shared/eval] [--out kzalign/data/name_model.tsv]

Trains on the even (dev) blocks of ``names/wikidata_person_words.tsv`` only, so the odd blocks stay held
out for ``bench_names.py``. Pairs the hand-weighted similarity already calls unrelated (< --min-sim; the
data has some wrong pairs) are left out. EM over all alignments (m2m-aligner style: 0-2 Cyrillic letters
-> 0-3 Latin letters, joint probabilities), then every operation seen at least --min-count times is written
with cost -log P. Unseen letter edits get the fallback costs on the ``*`` lines.
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from collections import defaultdict
from pathlib import Path

from kzalign.core.translit import model_en, model_ru, scheme_similarity

ROOT = Path(__file__).resolve().parent.parent
#: (Cyrillic letters, Latin letters) per operation
SHAPES = [(1, 0), (0, 1), (1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]


def _ops(x: str, y: str, i: int, j: int):
    for a, b in SHAPES:
        if i >= a and j >= b:
            yield a, b, x[i - a:i], y[j - b:j]


def em_step(pairs: list[tuple[str, str]], p: dict[tuple[str, str], float]) -> tuple[dict, float]:
    counts: dict[tuple[str, str], float] = defaultdict(float)
    total_ll = 0.0
    for x, y in pairs:
        n, m = len(x), len(y)
        alpha = [[0.0] * (m + 1) for _ in range(n + 1)]
        alpha[0][0] = 1.0
        for i in range(n + 1):
            for j in range(m + 1):
                if i or j:
                    alpha[i][j] = sum(alpha[i - a][j - b] * p.get((s, t), 0.0) for a, b, s, t in _ops(x, y, i, j))
        z = alpha[n][m]
        if z <= 0:
            continue
        total_ll += math.log(z)
        beta = [[0.0] * (m + 1) for _ in range(n + 1)]
        beta[n][m] = 1.0
        for i in range(n, -1, -1):
            for j in range(m, -1, -1):
                if beta[i][j] == 0.0:
                    continue
                for a, b, s, t in _ops(x, y, i, j):
                    q = p.get((s, t), 0.0)
                    if q:
                        beta[i - a][j - b] += q * beta[i][j]
                        counts[(s, t)] += alpha[i - a][j - b] * q * beta[i][j] / z
    return counts, total_ll


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", default=str(ROOT.parent / "shared" / "eval"))
    ap.add_argument("--out", default=str(ROOT / "kzalign" / "data" / "name_model.tsv"))
    ap.add_argument("--iters", type=int, default=8)
    ap.add_argument("--min-sim", type=float, default=0.5)
    ap.add_argument("--min-count", type=float, default=1.0)
    ap.add_argument("--skip-blocks", type=int, nargs="*", default=[],
                    help="Even blocks to leave out too (to tune settings on them).")
    args = ap.parse_args()

    with open(Path(args.eval) / "names" / "wikidata_person_words.tsv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    train = [r for k, r in enumerate(rows) if (k // 1000) % 2 == 0 and k // 1000 not in args.skip_blocks]
    pairs = [(model_ru(r["ru"]), model_en(r["en"])) for r in train
             if float(scheme_similarity(r["ru"], [r["en"]])[0]) >= args.min_sim]
    pairs = [(x, y) for x, y in pairs if x and y]
    print(f"{len(train)} even-block pairs, {len(pairs)} kept (similarity >= {args.min_sim})")

    p: dict[tuple[str, str], float] = defaultdict(float)
    for x, y in pairs:
        for i in range(len(x) + 1):
            for j in range(len(y) + 1):
                for _, _, s, t in _ops(x, y, i, j):
                    p[(s, t)] += 1.0
    for it in range(args.iters):
        t0 = time.time()
        tot = sum(p.values())
        p = {k: v / tot for k, v in p.items()}
        counts, ll = em_step(pairs, p)
        p = {k: v for k, v in counts.items() if v >= 0.01}
        print(f"  iter {it + 1}: log-likelihood {ll:.1f}, {len(p)} ops ({time.time() - t0:.1f}s)")
    kept = {k: v for k, v in p.items() if v >= args.min_count}
    tot = sum(kept.values())
    cost = {k: -math.log(v / tot) for k, v in kept.items()}
    worst = max(cost.values())
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("# Cyrillic unit, Latin unit ('_' = nothing), cost = -log P(op); made by "
                 "benchmarks/train_name_model.py\n")
        fh.write(f"# trained on {len(pairs)} even-block pairs of wikidata_person_words.tsv, "
                 f"{args.iters} EM iterations, ops seen >= {args.min_count} times\n")
        for name in ("sub", "ins", "del"):
            fh.write(f"*\t{name}\t{worst + 2:.3f}\n")
        for (s, t), c in sorted(cost.items(), key=lambda kv: (kv[0][0], kv[1])):
            fh.write(f"{s or '_'}\t{t or '_'}\t{c:.3f}\n")
    print(f"wrote {len(cost)} ops to {args.out}")


if __name__ == "__main__":
    main()
