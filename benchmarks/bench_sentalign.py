"""Benchmark sentence alignment on vecalign-format gold folders, with ablations and per-bead-type scores.

Usage:
  python benchmarks/make_sentalign_dev.py                      # the harder dev set -> .bench/sentalign_dev
  python benchmarks/bench_sentalign.py [GOLD_DIR ...] [--encoder use|e5|minilm|st:PATH] [--ablate] [--overlaps]
  python benchmarks/bench_sentalign.py --speed 1000             # seconds to align an N x N pair (after encoding)
  python benchmarks/bench_sentalign.py --calibrate              # comparable mining / auto regime
  python benchmarks/bench_sentalign.py DIR ... --modes today,mean,cascade [--encoder e5]
        # per set and mode: strict/lax F1, groups by type, and CPU seconds of encoding (live, no cache) + aligning
Default folders: ../shared/eval/sentalign and .bench/sentalign_dev. Vectors are cached under .bench/.
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

from kzalign.engines.align import DEFAULT_CONFIG, AlignConfig, align_sentences
from kzalign.stages.evaluate import read_sentalign_dir, score_sentence_alignment

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench"


def load_encoder(name: str):
    from kzalign.engines.embed import get_encoder

    enc = get_encoder(name)
    if hasattr(enc, "threads"):
        enc.threads = 1  # shared machine: one BLAS thread is faster under load
    return enc


def cached_vectors(name: str, texts: list[str]) -> dict[str, np.ndarray]:
    """Vectors of texts, cached in .bench/sentalign_<name>_<hash>.npy."""
    uniq = sorted(set(texts))
    key = hashlib.sha1("\n".join(uniq).encode()).hexdigest()[:12]
    path = CACHE / f"sentalign_{name.replace('/', '_').replace(':', '_')}_{key}.npy"
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


def runs(sents: list[str], k: int) -> list[str]:
    return [" ".join(sents[i : i + k]) for i in range(len(sents) - k + 1)]


def doc_texts(docs, overlaps: int) -> list[str]:
    out = []
    for _n, ru, en, _g in docs:
        for side in (ru, en):
            out.extend(side)
            for k in range(2, overlaps + 1):
                out.extend(runs(side, k))
    return out


def align_docs(docs, vec, cfg: AlignConfig, overlaps: int = 0):
    tests = []
    for _name, ru, en, _gold in docs:
        sides = []
        for s in (ru, en):
            ov = {k: np.array([vec[t] for t in runs(s, k)]) for k in range(2, overlaps + 1) if len(s) >= k}
            sides.append((np.array([vec[t] for t in s]).reshape(len(s), -1), np.array([len(t) for t in s]), ov))
        beads = align_sentences(sides[0][0], sides[1][0], sides[0][1], sides[1][1], cfg, sides[0][2], sides[1][2])
        tests.append([(b.ru, b.en) for b in beads])
    return tests


def by_type(docs, tests) -> str:
    """Strict recall of each gold bead type (found exactly), and its count."""
    found: dict[tuple[int, int], list[int]] = {}
    for (_n, _r, _e, gold), test in zip(docs, tests, strict=True):
        tset = {(tuple(a), tuple(b)) for a, b in test}
        for a, b in gold:
            key = (min(len(a), 3), min(len(b), 3)) if a and b else (len(a) > 0, len(b) > 0)
            found.setdefault(key, [0, 0])
            found[key][0] += (tuple(a), tuple(b)) in tset
            found[key][1] += 1
    def name(k):
        return ":".join("3+" if x == 3 else str(int(x)) for x in k)
    return " ".join(f"{name(k)} {v[0]}/{v[1]}" for k, v in sorted(found.items(), key=lambda x: -x[1][1]))


def report(label: str, docs, vec, cfg: AlignConfig, overlaps: int = 0, types: bool = False) -> dict:
    t = time.process_time()
    tests = align_docs(docs, vec, cfg, overlaps)
    cpu = time.process_time() - t
    res = score_sentence_alignment([d[3] for d in docs], tests)
    s, lx = res["strict"], res["lax"]
    print(f"{label:<34} strict P {s['precision']:.4f} R {s['recall']:.4f} F1 {s['f1']:.4f} | lax P "
          f"{lx['precision']:.4f} R {lx['recall']:.4f} F1 {lx['f1']:.4f}  ({cpu:.1f}s cpu)")
    if types:
        print(f"  strict recall by gold type: {by_type(docs, tests)}")
    return res


ABLATIONS = {
    "no adaptive costs (raw cosine)": dict(adaptive=False, floor=0.30, skip=0.30),
    "no length prior (fixed 1.1)": dict(length_prior=False),
    "no length penalty": dict(len_weight=0.0),
    "N=2 (1:2, 2:1, 2:2 only)": dict(max_side=2, max_total=4),
    "N=3": dict(max_side=3),
    "N=4": dict(max_side=4),
    "N=8": dict(max_side=8),
    "N=6, many-to-many up to 2:2": dict(max_total=4),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("gold_dirs", nargs="*",
                    default=[str(ROOT.parent / "shared" / "eval" / "sentalign"), str(CACHE / "sentalign_dev")])
    ap.add_argument("--encoder", default="use")
    ap.add_argument("--ablate", action="store_true", help="score each part switched off")
    ap.add_argument("--overlaps", type=int, default=0, help="also score encoded overlap vectors of runs up to K")
    ap.add_argument("--grid", action="store_true", help="sweep floor/skip/merge/len_weight")
    ap.add_argument("--long", action="store_true",
                    help="also align each folder as ONE long document: coarse-to-fine search vs the full DP")
    ap.add_argument("--speed", type=int, default=0, help="time an N x N alignment (random-order FLORES vectors)")
    ap.add_argument("--calibrate", action="store_true", help="comparable mining and auto-regime calibration")
    ap.add_argument("--modes", default="", help="comma-separated: today (news setting only, as before issue 24), "
                                                "mean (default), cascade, encode; encodes live to measure CPU")
    args = ap.parse_args()
    if args.speed:
        return speed(args.speed, args.encoder)
    if args.modes:
        return modes_report(args.gold_dirs, args.encoder, args.modes.split(","))
    for gold_dir in args.gold_dirs:
        docs = read_sentalign_dir(gold_dir)
        vec = cached_vectors(args.encoder, doc_texts(docs, max(args.overlaps, 1)))
        nb = sum(len(d[3]) for d in docs)
        print(f"== {gold_dir}: {len(docs)} docs, {nb} gold beads, encoder {args.encoder}")
        report("kzalign default", docs, vec, DEFAULT_CONFIG, types=True)
        if args.overlaps:
            report(f"overlaps encoded (runs up to {args.overlaps})", docs, vec, DEFAULT_CONFIG, args.overlaps, types=True)
        if args.ablate:
            for label, change in ABLATIONS.items():
                report(label, docs, vec, replace(DEFAULT_CONFIG, **change))
        if args.grid:
            grid(docs, vec)
        if args.long:
            long_doc(docs, vec)
    if args.calibrate:
        calibrate(Path(args.gold_dirs[0]), args.encoder)


MODES = {
    "today": dict(overlaps="mean", align=replace(DEFAULT_CONFIG, detect=False)),
    "mean": dict(overlaps="mean"),
    "cascade": dict(overlaps="cascade"),
    "encode": dict(overlaps="encode"),
}


class TimedEncode:
    """The cascade's encode callback over a live encoder, adding up its CPU seconds and texts."""

    def __init__(self, enc) -> None:
        self.enc, self.cpu, self.texts = enc, 0.0, 0

    def __call__(self, texts: list[str]) -> dict[str, np.ndarray]:
        t = time.process_time()
        vecs = np.asarray(self.enc.encode(texts, kind="passage"), dtype=np.float32) if texts else []
        self.cpu += time.process_time() - t
        self.texts += len(texts)
        return dict(zip(texts, vecs, strict=True))


def modes_report(gold_dirs: list[str], encoder: str, modes: list[str]) -> None:
    """Each set aligned in each mode with a live encoder: F1, groups by type, CPU of encoding and aligning."""
    from kzalign.stages.evaluate import group_confusion
    from kzalign.stages.sentences import align_documents, needed_texts, params_for

    enc = load_encoder(encoder)
    enc.encode(["warm up"], kind="passage")  # the model loads outside the timings
    for gold_dir in gold_dirs:
        docs = read_sentalign_dir(gold_dir)
        print(f"== {gold_dir}: {len(docs)} docs, encoder {encoder}")
        for mode in modes:
            params = replace(params_for(enc), **MODES[mode])
            encode = TimedEncode(enc)
            t0 = time.process_time()
            vec = encode(needed_texts([side for _n, ru, en, _g in docs for side in (ru, en)], params))
            aligned = align_documents([(ru, en) for _n, ru, en, _g in docs], vec, params, encode)
            total = time.process_time() - t0
            tests = [[(b.ru, b.en) for b in beads] for beads in aligned]
            gold = [d[3] for d in docs]
            res = score_sentence_alignment(gold, tests)
            conf = group_confusion(gold, tests)
            types = " ".join(f"{k} {v['predicted']}/{v['correct']}/{v['gold']}" for k, v in conf.items())
            print(f"  {mode:<8} strict {res['strict']['f1']:.4f} lax {res['lax']['f1']:.4f} | cpu encode "
                  f"{encode.cpu:.1f}s ({encode.texts} texts) + align {total - encode.cpu:.1f}s = {total:.1f}s",
                  flush=True)
            print(f"           groups predicted/correct/gold: {types}", flush=True)


def long_doc(docs, vec) -> None:
    """All documents of a folder concatenated into one: the banded search must match the full DP."""
    ru: list[str] = []
    en: list[str] = []
    gold = []
    for _n, r, e, g in docs:
        gold += [([i + len(ru) for i in a], [j + len(en) for j in b]) for a, b in g]
        ru += r
        en += e
    # and the same with two untranslated stretches: 80 EN sentences at 25%, 50 RU sentences at 60%
    e0, r0 = len(en) // 4, int(len(ru) * 0.6)
    gap_gold = _drop(_drop(gold, 1, e0, e0 + 80), 0, r0, r0 + 50)
    gapped = ("gaps", ru[:r0] + ru[r0 + 50 :], en[:e0] + en[e0 + 80 :], gap_gold)
    for doc in (("all", ru, en, gold), gapped):
        for label, cells in (("coarse-to-fine (default)", DEFAULT_CONFIG.full_cells), ("full DP", 10**12)):
            t = time.time()
            report(f"one doc{' with gaps' if doc[0] == 'gaps' else ''} {len(doc[1])}x{len(doc[2])}, {label}", [doc],
                   vec, replace(DEFAULT_CONFIG, full_cells=cells))
            print(f"  {time.time() - t:.1f}s wall")


def _drop(gold, side: int, lo: int, hi: int):
    """Gold after deleting sentences lo..hi-1 of one side: their partners become skips, later ids shift."""
    out = []
    for a, b in gold:
        ids = [i - (hi - lo) if i >= hi else i for i in (a, b)[side] if not lo <= i < hi]
        a2, b2 = (ids, b) if side == 0 else (a, ids)
        out += [(a2, b2)] if a2 and b2 else [([i], []) for i in a2] + [([], [j]) for j in b2]
    return out


def grid(docs, vec) -> None:
    rows = []
    for floor, skip, merge, many, lw in itertools.product([0.3, 0.45, 0.6], [0.2, 0.4], [0.05, 0.15, 0.3],
                                                          [0.3, 0.8], [0.1, 0.3, 0.6]):
        cfg = replace(DEFAULT_CONFIG, floor=floor, skip=skip, merge=merge, many=many, len_weight=lw)
        r = score_sentence_alignment([d[3] for d in docs], align_docs(docs, vec, cfg))
        rows.append((r["strict"]["f1"], r["lax"]["f1"], floor, skip, merge, many, lw))
    for row in sorted(rows, reverse=True)[:8]:
        print("  strict {:.4f} lax {:.4f} floor {:.2f} skip {:.2f} merge {:.2f} many {:.2f} len {:.2f}"
              .format(*row))


def speed(n: int, encoder: str) -> None:
    """Align an n x n pair built from FLORES sentences (repeated as needed); vectors are encoded first."""
    eval_dir = ROOT.parent / "shared" / "eval" / "flores"
    ru = (eval_dir / "ru.txt").read_text(encoding="utf-8").splitlines()
    en = (eval_dir / "en.txt").read_text(encoding="utf-8").splitlines()
    vec = cached_vectors(encoder, ru + en)
    idx = [i % len(ru) for i in range(n)]
    rv = np.array([vec[ru[i]] for i in idx])
    ev = np.array([vec[en[i]] for i in idx])
    rl, el = np.array([len(ru[i]) for i in idx]), np.array([len(en[i]) for i in idx])
    import resource

    t, c = time.time(), time.process_time()
    beads = align_sentences(rv, ev, rl, el)
    wall, cpu = time.time() - t, time.process_time() - c
    ok = sum(1 for b in beads if b.ru == b.en and len(b.ru) == 1)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n} x {n}: {wall:.2f}s wall, {cpu:.2f}s cpu, {len(beads)} beads, {ok} correct 1:1, peak RSS {rss:.0f} MB")


def calibrate(gold_dir: Path, encoder: str) -> None:
    """Mining precision/recall on parallel docs, false pairs on comparable docs, and auto-regime coverage."""
    from kzalign.engines.embed import get_encoder
    from kzalign.stages.sentences import item_sentences, mine_comparable, parallel_coverage, params_for

    params = params_for(get_encoder(encoder))  # the encoder's calibrated thresholds (USE's by default)
    docs = read_sentalign_dir(gold_dir)
    comp_dir = gold_dir.parent / "comparable"
    items = {}
    for lang in ("ru", "en"):
        for line in (comp_dir / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            items[obj["id"]] = item_sentences("", obj["text"], lang)
    gold = [ln.split("\t") for ln in (comp_dir / "gold.tsv").read_text().splitlines()[1:] if ln.strip()]
    comp = [(items[r], items[e]) for r, e in gold if r in items and e in items]
    par = [(ru, en) for _n, ru, en, _g in docs]
    vec = cached_vectors(encoder, [t for ru, en in comp + par for t in ru + en])
    groups = (("parallel", par), ("comparable", comp))
    for name, group in groups:
        covs, called = [], []
        for ru, en in group:
            rv, ev = np.array([vec[t] for t in ru]), np.array([vec[t] for t in en])
            beads = align_sentences(rv, ev, np.array([len(t) for t in ru]), np.array([len(t) for t in en]))
            covs.append(parallel_coverage(beads, len(ru), len(en), params.parallel_sim))
            good = sum(1 for b in beads if b.ru and b.en and b.score >= params.parallel_sim)
            called.append(covs[-1] >= params.parallel_coverage and good >= params.parallel_min_beads)
        q = np.quantile(covs, [0.01, 0.05, 0.5, 0.95, 0.99])
        print(f"coverage {name}: q01 {q[0]:.2f} q05 {q[1]:.2f} median {q[2]:.2f} q95 {q[3]:.2f} q99 {q[4]:.2f}; "
              f"called parallel {sum(called)}/{len(called)}")
    tp = fp = ngold = neg = 0
    for (_n, ru, en, g) in docs:
        gset = {(x[0], y[0]) for x, y in g if len(x) == 1 and len(y) == 1}
        ngold += len(gset)
        for b in mine_comparable(np.array([vec[t] for t in ru]), np.array([vec[t] for t in en]), params):
            tp += (b.ru[0], b.en[0]) in gset
            fp += (b.ru[0], b.en[0]) not in gset
    for ru, en in comp:
        neg += len(mine_comparable(np.array([vec[t] for t in ru]), np.array([vec[t] for t in en]), params))
    print(f"mining: parallel P {tp / max(tp + fp, 1):.3f} R {tp / max(ngold, 1):.3f}; comparable pairs mined {neg}")


if __name__ == "__main__":
    main()
