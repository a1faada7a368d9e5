"""Name benchmarks: cross-script name ranking (Wikidata person-name words), Kazakh official spellings.

    python benchmarks/bench_names.py [--eval ../shared/eval] [--blocks N] [--hand]

1. ``names/wikidata_person_words.tsv``: for each Russian word, rank the English words of its 1,000-row
   block by kzalign's :func:`name_similarity` (learned alignment model blended with the hand-weighted
   ``kazakh``-scheme distance); baseline = Wikipedia-scheme transliteration then plain normalised edit
   distance; ``--hand`` adds the hand-weighted similarity alone (best of six schemes, the pre-model score).
   Reported on all blocks and separately on even (dev: the learned model is trained on them, see
   ``train_name_model.py``) and odd (held-out) blocks.
2. ``names/kz_seed_names.tsv`` and ``tests/data/kz_official_names.tsv`` (held-out, not in the seeds):
   exact match of the ``kazakh`` scheme vs iuliia's ``wikipedia`` scheme.
3. ``names/iuliia_samples.tsv``: every schema reproduces its own samples.
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import numpy as np

from kzalign.core.translit import levenshtein, rank_similarity, scheme_similarity, transliterate

ROOT = Path(__file__).resolve().parent.parent


def _tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def baseline_scores(ru: str, cands: list[str]) -> np.ndarray:
    """Wikipedia-scheme transliteration, then 1 - plain edit distance / longer length (vectorised)."""
    t = transliterate(ru, "wikipedia").lower()
    keys = [c.lower() for c in cands]
    width = max(len(k) for k in keys)
    codes = np.full((len(keys), width), -1)
    lens = np.array([len(k) for k in keys])
    for i, k in enumerate(keys):
        codes[i, : len(k)] = [ord(ch) for ch in k]
    cols = np.arange(width + 1)
    prev = np.tile(cols, (len(keys), 1))
    for i, ch in enumerate(t, 1):
        cur = np.empty_like(prev)
        cur[:, 0] = i
        cur[:, 1:] = np.minimum(prev[:, 1:] + 1, prev[:, :-1] + (codes != ord(ch)))
        prev = np.minimum.accumulate(cur - cols, axis=1) + cols
    dist = prev[np.arange(len(keys)), lens]
    assert dist[0] == levenshtein(t, keys[0])
    return 1 - dist / np.maximum(np.maximum(lens, len(t)), 1)


def ranks(rows: list[dict[str, str]], scorer, block: int = 1000, max_blocks: int | None = None) -> dict[int, list[int]]:
    """Rank of the gold English word for every Russian word, grouped by block index."""
    out: dict[int, list[int]] = {}
    nblocks = (len(rows) + block - 1) // block
    for b in range(nblocks if max_blocks is None else min(nblocks, max_blocks)):
        chunk = rows[b * block:(b + 1) * block]
        cands = [r["en"] for r in chunk]
        rs = []
        for i, r in enumerate(chunk):
            s = scorer(r["ru"], cands)
            gold = s[i]
            # ties broken against us: count every other candidate scoring >= the gold one (same spelling = same answer)
            better = sum(1 for j, v in enumerate(s) if j != i and v >= gold and cands[j] != cands[i])
            rs.append(better + 1)
        out[b] = rs
    return out


def report(name: str, by_block: dict[int, list[int]]) -> None:
    def pk(blocks: list[int], k: int) -> float:
        rs = [r for b in blocks for r in by_block[b]]
        return sum(r <= k for r in rs) / max(len(rs), 1)

    allb = sorted(by_block)
    even, odd = [b for b in allb if b % 2 == 0], [b for b in allb if b % 2 == 1]
    print(f"  {name:<28} all: P@1 {pk(allb, 1):.4f} P@5 {pk(allb, 5):.4f} | dev(even): P@1 {pk(even, 1):.4f} "
          f"P@5 {pk(even, 5):.4f} | held-out(odd): P@1 {pk(odd, 1):.4f} P@5 {pk(odd, 5):.4f}")


def exact(rows: list[dict[str, str]], scheme: str) -> tuple[int, int, list[str]]:
    miss = [f"{r['ru']} -> {transliterate(r['ru'], scheme)} (official {r['en']})" for r in rows
            if transliterate(r["ru"], scheme) != r["en"]]
    return len(rows) - len(miss), len(rows), miss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", default=str(ROOT.parent / "shared" / "eval"))
    ap.add_argument("--blocks", type=int, default=None, help="Only the first N blocks (quick run).")
    ap.add_argument("--hand", action="store_true", help="Also rank by the hand-weighted similarity alone (slow).")
    args = ap.parse_args()
    names = Path(args.eval) / "names"

    rows = _tsv(names / "wikidata_person_words.tsv")
    print(f"wikidata_person_words: {len(rows)} pairs, blocks of 1000")
    t = time.time()
    report("baseline wikipedia+edit", ranks(rows, baseline_scores, max_blocks=args.blocks))
    print(f"    ({time.time() - t:.1f}s)")
    if args.hand:
        t = time.time()
        report("hand-weighted, 6 schemes", ranks(rows, scheme_similarity, max_blocks=args.blocks))
        print(f"    ({time.time() - t:.1f}s)")
    t = time.time()
    report("kzalign name_similarity", ranks(rows, rank_similarity, max_blocks=args.blocks))
    print(f"    ({time.time() - t:.1f}s)")

    for label, path in [("kz_seed_names (eval)", names / "kz_seed_names.tsv"),
                        ("kz_official_names (held-out)", ROOT / "tests" / "data" / "kz_official_names.tsv")]:
        rows = _tsv(path)
        for scheme in ("kazakh", "wikipedia", "bgn_pcgn"):
            ok, n, miss = exact(rows, scheme)
            print(f"{label:<30} {scheme:<10} exact {ok}/{n} = {ok / n:.3f}")
            if scheme == "kazakh":
                for m in miss:
                    print(f"    miss: {m}")

    samples = [r for r in _tsv(names / "iuliia_samples.tsv") if r["schema"] != "schema"]
    bad = [r for r in samples if transliterate(r["cyrillic"], r["schema"]) != r["latin"]]
    print(f"iuliia_samples: {len(samples) - len(bad)}/{len(samples)} reproduced exactly "
          f"({len({r['schema'] for r in samples})} schemas)")


if __name__ == "__main__":
    main()
