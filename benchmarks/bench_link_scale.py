"""Scale of the candidate search: link n RU × n EN precomputed 512-d unit vectors (random), time and peak memory.

Usage: python benchmarks/bench_link_scale.py [--sizes 1000,10000,30000,100000]
Each size runs in a fresh process so its peak RSS is its own. Exact blocked search (faiss IndexFlatIP) up to
kzalign.stages.link.EXACT_MAX_PAIRS pairs, an IVF index beyond; without faiss, kzalign's exact numpy blocks.
The header says whether faiss is installed (it is in the default install where PyPI has a wheel) and the
machine's load average, before and after.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one(n: int, dim: int = 512) -> dict[str, float]:
    """Time candidate_pairs on n×n random unit vectors (in this process)."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    try:  # the candidate search may live in its own module
        from kzalign.engines import candidates as L  # type: ignore[attr-defined]
    except ImportError:
        from kzalign.stages import link as L

    rng = np.random.default_rng(0)
    ru = rng.standard_normal((n, dim), dtype=np.float32)
    ru /= np.linalg.norm(ru, axis=1, keepdims=True)
    en = rng.standard_normal((n, dim), dtype=np.float32)
    en /= np.linalg.norm(en, axis=1, keepdims=True)
    t = time.time()
    c = L.candidate_pairs(ru, en)
    secs = time.time() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mode = "exact" if n * n <= L.EXACT_MAX_PAIRS else "ivf"
    return {"n": n, "seconds": round(secs, 1), "peak_rss_mb": round(rss), "candidates": int(len(c.ru)), "mode": mode}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,30000,100000")
    ap.add_argument("--one", type=int, default=None)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    import os

    try:
        import faiss

        engine = f"faiss {faiss.__version__}"
    except ImportError:
        engine = "no faiss (numpy exact search)"
    print(f"# {engine}; {os.cpu_count()} CPUs; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("n_ru=n_en  mode   seconds  peak RSS (MB)  candidate pairs")
    for n in map(int, args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['n']:>10}  {r['mode']:5s}  {r['seconds']:>7}  {r['peak_rss_mb']:>13}  {r['candidates']}", flush=True)
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
