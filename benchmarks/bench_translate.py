"""Benchmark the translate stage: sentences/second, peak memory and kzalign's overhead around CTranslate2.

Usage:
  python benchmarks/bench_translate.py [--batch-sizes 8,32,128] [--beam 2] [--threads 1] [--sentences 997]
  python benchmarks/bench_translate.py --flores ../shared/eval/flores     # BLEU/chrF with an installed model

Without --flores it builds the tiny random-weight argos package of the tests (tests/tinyargos.py) in a
temporary argos folder, ingests the FLORES dev Russian side (or the seed text when absent) as items of
10 sentences, and for each batch size runs, in a fresh subprocess (so peak RSS is per setting):
translate_workspace on an empty cache, the same again on a full cache, and the raw
``translate_batch`` calls on the same tokenised, identically batched input. Overhead = kzalign time
minus raw CTranslate2 time (tokenising, detokenising, names, guards, cache reads/writes, splitting);
"sp" is the SentencePiece part of it (encoding the input and decoding the outputs, timed alone) and
"excl. sp" the rest, kzalign's own Python work, both against CTranslate2's time. Overheads are
compared in CPU time (sentences/second are wall clock); each figure is the best of --reps runs. Peak
RSS is the child's own high-water mark (VmHWM; ru_maxrss of a child would report the parent's size at
fork).
With --flores DIR it translates DIR/ru.txt with the installed ru→en model (your argos folder, not the
tiny one) and scores it against DIR/en.txt with sacrebleu.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = Path(os.environ.get("KZALIGN_EVAL", ROOT.parent / "shared" / "eval"))


def _source_sentences(limit: int) -> list[str]:
    flores = EVAL / "flores" / "ru.txt"
    if flores.is_file():
        lines = [x.strip() for x in flores.read_text(encoding="utf-8").splitlines() if x.strip()]
    else:
        from kzalign.core.text import split_sentences

        text = next((ROOT / "seeds").glob("004_*.txt")).read_text(encoding="utf-8")
        lines = split_sentences(text)
    return lines[:limit]


SIZES = {
    "tiny": {"d_model": 32, "num_heads": 2, "ffn": 64, "num_layers": (1, 1), "quantization": "float32"},
    # the shape of a real argos ru_en package (transformer base, int8); random weights, timing only
    "base": {"d_model": 512, "num_heads": 8, "ffn": 2048, "num_layers": (6, 6), "quantization": "int8"},
}


def _build_model(work: Path, eos_bias: float, size: str) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    from tinyargos import build_tiny_package, seed_texts

    return build_tiny_package(work, seed_texts(ROOT / "seeds"), eos_bias=eos_bias, **SIZES[size])


def _rss_mb(field: str = "VmHWM") -> float:
    """This process's resident memory from /proc (VmHWM: peak, VmRSS: now); ru_maxrss where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(batch_size: int, beam: int, threads: int, n: int, work: Path, glossary: bool,
            reps: int = 3) -> dict[str, object]:
    """One setting, in this process: translate_workspace (cold, warm) and the raw CTranslate2 calls."""
    from kzalign.core.text import split_sentences
    from kzalign.engines.translate import load_translator, translate_workspace
    from kzalign.glossary import BUNDLED_DIR, load_glossary
    from kzalign.inputs.ingest import ingest_paths
    from kzalign.store.workspace import Workspace

    import_rss = _rss_mb("VmRSS")
    sents = _source_sentences(n)
    items = [
        {"id": f"b{i // 10}", "lang": "ru", "text": "\n".join(sents[i : i + 10])} for i in range(0, len(sents), 10)
    ]
    jsonl = work / f"items-{batch_size}.jsonl"
    jsonl.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in items) + "\n", encoding="utf-8")
    db = work / f"ws-{batch_size}.db"
    db.unlink(missing_ok=True)
    ws = Workspace(db)
    ingest_paths(ws, [jsonl])
    tr = load_translator(beam_size=beam, batch_size=batch_size, threads=threads)
    assert tr is not None
    gl = load_glossary([BUNDLED_DIR]) if glossary else None
    # warm-up (model pages, allocator) on a few sentences outside the timings
    tr.translate(sents[:4])

    t0 = time.perf_counter()
    rep = translate_workspace(ws, tr, glossary=gl)
    t_cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    rep_warm = translate_workspace(ws, tr, glossary=gl)
    t_warm = time.perf_counter() - t0
    # raw CTranslate2 on the same input, batched the same way (chunks of 4 batches, sorted by length)
    uniq = list(dict.fromkeys(s for it in items for line in it["text"].splitlines() for s in split_sentences(line)))
    uniq.sort(key=len)
    chunk = batch_size * 4
    texts = [uniq[i : i + chunk] for i in range(0, len(uniq), chunk)]
    chunks = [tr.tokenize(x) for x in texts]

    def raw() -> list[list[list[str]]]:
        outputs = []
        for toks in chunks:
            out: list[list[str]] = [[] for _ in toks]
            for idx in tr.batches(toks):
                batch = [toks[i] for i in idx]
                for i, r in zip(idx, tr.model.translate_batch(batch, **tr.batch_options(batch)), strict=True):
                    out[i] = r.hypotheses[0]
            outputs.append(out)
        return outputs

    # SentencePiece alone: encode the same input and decode the same outputs, as translate() does
    outputs = raw()

    def sp() -> None:
        for x, out in zip(texts, outputs, strict=True):
            tr.tokenize(x)
            for pieces in out:
                tr.detokenize(pieces)

    # kzalign (forced: everything translated and written again) and raw CTranslate2, alternated and
    # repeated, best of each: on a shared machine the minimum is the least disturbed measurement. Both
    # wall and CPU time (all threads of this process) are taken; the overhead is compared in CPU time,
    # which other jobs on the machine do not inflate (with --threads 1 nothing here runs in parallel).
    def timed(fn: Callable[[], object]) -> tuple[float, float]:
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - w0, time.process_time() - c0

    t_kz, t_raw, t_sp = [], [], []
    for _ in range(reps):
        t_kz.append(timed(lambda: translate_workspace(ws, tr, glossary=gl, force=True)))
        t_raw.append(timed(raw))
        t_sp.append(timed(sp))
    t_kz_best, t_raw_best = min(w for w, _ in t_kz), min(w for w, _ in t_raw)
    c_kz, c_raw, c_sp = (min(c for _, c in t) for t in (t_kz, t_raw, t_sp))
    peak_rss = _rss_mb()  # before the tracemalloc run, which adds its own bookkeeping
    # Python-side peak (tracemalloc slows Python down, so it gets its own, untimed, forced run)
    tracemalloc.start()
    translate_workspace(ws, tr, glossary=gl, force=True)
    py_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    ws.close()
    return {
        "batch_size": batch_size, "beam": beam, "threads": threads, "sentences": rep.sentences,
        "translated": rep.translated, "flagged": rep.flagged, "cold_s": t_cold, "warm_s": t_warm,
        "warm_cached": rep_warm.cached, "raw_ct2_s": t_raw_best, "kz_s": t_kz_best,
        "sent_per_s": rep.sentences / t_kz_best, "raw_sent_per_s": rep.sentences / t_raw_best,
        "wall_overhead_pct": 100 * (t_kz_best - t_raw_best) / t_raw_best,
        "kz_cpu_s": c_kz, "raw_ct2_cpu_s": c_raw, "sp_cpu_s": c_sp,
        "overhead_s": c_kz - c_raw, "overhead_pct": 100 * (c_kz - c_raw) / c_raw,
        "overhead_us_per_sent": 1e6 * (c_kz - c_raw) / rep.sentences,
        "own_pct": 100 * (c_kz - c_raw - c_sp) / c_raw,
        "peak_rss_mb": peak_rss, "import_rss_mb": import_rss, "py_peak_mb": py_peak / 2**20,
        "src_pieces": sum(len(t) for toks in chunks for t in toks) / max(1, len(uniq)),
        "out_pieces": sum(len(o) for out in outputs for o in out) / max(1, len(uniq)),
    }


def run_flores(flores: Path, beam: int, batch_size: int, threads: int) -> int:
    """BLEU and chrF of the installed ru→en model on FLORES dev (pending where no real model is installed)."""
    import sacrebleu

    from kzalign.engines.translate import load_translator, mt_status, translate_sentences
    from kzalign.store.workspace import Workspace

    tr = load_translator(beam_size=beam, batch_size=batch_size, threads=threads)
    if tr is None:
        print(mt_status())
        print("FLORES chrF/BLEU: pending a real ru→en model.")
        return 2
    src = (flores / "ru.txt").read_text(encoding="utf-8").splitlines()
    ref = (flores / "en.txt").read_text(encoding="utf-8").splitlines()
    if len(src) != len(ref):
        raise SystemExit(f"{flores}: ru.txt has {len(src)} lines, en.txt {len(ref)}")
    with tempfile.TemporaryDirectory() as tmp, Workspace(Path(tmp) / "ws.db") as ws:
        t0 = time.perf_counter()
        out = translate_sentences(ws, tr, src)
        secs = time.perf_counter() - t0
    hyp = [m for m, _ in out]
    bleu_metric, chrf_metric = sacrebleu.metrics.BLEU(), sacrebleu.metrics.CHRF()
    bleu = bleu_metric.corpus_score(hyp, [ref])
    chrf = chrf_metric.corpus_score(hyp, [ref])
    flagged = sum(1 for _, f in out if f)
    print(f"{tr.signature}: FLORES dev ru→en BLEU {bleu.score:.1f} chrF {chrf.score:.1f} "
          f"({len(src)} sentences, {len(src) / secs:.1f} sent/s, {flagged} flagged)")
    print(f"sacrebleu: {bleu_metric.get_signature()} | {chrf_metric.get_signature()}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch-sizes", default="8,32,128")
    ap.add_argument("--beam", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sentences", type=int, default=997)
    ap.add_argument("--size", choices=sorted(SIZES), default="tiny", help="random model size")
    ap.add_argument("--eos-bias", type=float, default=3.0,
                    help="tiny model: </s> logit bias (3 = short outputs; 0 = outputs run to the length cap)")
    ap.add_argument("--reps", type=int, default=3, help="timed repetitions (best of each is reported)")
    ap.add_argument("--glossary", action="store_true",
                    help="protect the shipped glossary's names (as 'kzalign run' does); counted as overhead")
    ap.add_argument("--flores", type=Path, help="FLORES folder with ru.txt/en.txt: score the installed model")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    if args.flores:
        return run_flores(args.flores, args.beam, 32, args.threads)
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.beam, args.threads, args.sentences, args.work, args.glossary,
                                args.reps)))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-translate-") as tmp:
        work = Path(tmp)
        env = dict(os.environ, ARGOS_PACKAGES_DIR=str(work / "argos"))
        os.environ.update(ARGOS_PACKAGES_DIR=env["ARGOS_PACKAGES_DIR"])
        from kzalign.engines.argos import install_from_file

        install_from_file(_build_model(work, args.eos_bias, args.size))
        print(f"{args.size} random-weight model ({SIZES[args.size]}, SentencePiece 400, eos bias {args.eos_bias}), "
              f"beam {args.beam}, "
              f"{args.threads} thread(s), glossary {'on' if args.glossary else 'off'}, source: {'FLORES dev ru' if (EVAL / 'flores').is_dir() else 'seed 004'}")
        print("sent/s: wall clock, best of the repetitions; kz/ct2/sp: CPU seconds, best of the repetitions; "
              "overhead = (kz - ct2) / ct2 in CPU time")
        print(f"{'batch':>5} {'sents':>5} {'sent/s':>8} {'ct2 sent/s':>10} {'kz cpu':>7} {'ct2 cpu':>7} {'sp cpu':>6} "
              f"{'overhead':>9} {'excl. sp':>8} {'us/sent':>8} {'cached s':>8} {'peak RSS':>9} {'py peak':>8}")
        for bs in [int(x) for x in args.batch_sizes.split(",")]:
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(bs), "--beam", str(args.beam), "--threads",
                 str(args.threads), "--sentences", str(args.sentences), "--work", str(work),
                 "--reps", str(args.reps)]
                + (["--glossary"] if args.glossary else []),
                env=env, capture_output=True, text=True, check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{r['batch_size']:>5} {r['sentences']:>5} {r['sent_per_s']:>8.1f} {r['raw_sent_per_s']:>10.1f} "
                  f"{r['kz_cpu_s']:>7.3f} {r['raw_ct2_cpu_s']:>7.3f} {r['sp_cpu_s']:>6.3f} {r['overhead_pct']:>8.1f}% "
                  f"{r['own_pct']:>7.1f}% {r['overhead_us_per_sent']:>8.0f} {r['warm_s']:>8.3f} "
                  f"{r['peak_rss_mb']:>7.0f}MB {r['py_peak_mb']:>6.1f}MB")
            last = r
        print(f"(RSS after imports, before the model: {last['import_rss_mb']:.0f}MB; mean pieces per sentence: "
              f"source {last['src_pieces']:.1f}, output {last['out_pieces']:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
