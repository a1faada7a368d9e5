"""Probes of issue 24 that were tried and not kept: strict/lax F1 per language on the peers dev documents.

The patch applies to the aligner of commit 207f67c (before the held stretches); it adds lexical anchors, a
member-sentence shortfall and partner-dependent skip costs to ``kzalign/engines/align.py``, all off by default.
Run this script on it, then restore the current aligner:

    git checkout 207f67c -- kzalign/engines/align.py && git apply benchmarks/tried/issue24_evidence.diff
    python benchmarks/tried/issue24_probe.py            # also the USE + e5 ensemble (encodes e5: ~4 min)
    git checkout HEAD -- kzalign/engines/align.py
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_sentalign import cached_vectors, doc_texts  # noqa: E402

from kzalign.engines import align as A  # noqa: E402
from kzalign.stages.evaluate import read_sentalign_dir, score_sentence_alignment  # noqa: E402

PEERS = ROOT.parent / "shared" / "eval" / "sentalign_peers_dev"


def score(docs, vec, cfg, lex: bool = False) -> str:
    tests = []
    for _n, ru, en, _g in docs:
        rv, ev = np.array([vec[s] for s in ru]), np.array([vec[s] for s in en])
        extra = {}
        if lex:
            extra["anchors"] = A.anchor_features([A.anchor_tokens(s) for s in ru], [A.anchor_tokens(s) for s in en])
        beads = A.align_sentences(rv, ev, np.array([len(s) for s in ru]), np.array([len(s) for s in en]), cfg,
                                  **extra)
        tests.append([(b.ru, b.en) for b in beads])
    golds = [d[3] for d in docs]
    out = []
    for label, sel in (("all", range(len(docs))), ("de-fr", [0]), ("zh-en", range(1, len(docs)))):
        r = score_sentence_alignment([golds[i] for i in sel], [tests[i] for i in sel])
        out.append(f"{label} {r['strict']['f1']:.4f}/{r['lax']['f1']:.4f}")
    return "  ".join(out)


def loose(**kw) -> A.AlignConfig:
    return replace(A.DEFAULT_CONFIG, loose=tuple({**dict(A.DEFAULT_CONFIG.loose), **kw}.items()))


def main() -> None:
    docs = read_sentalign_dir(PEERS)
    vec = cached_vectors("use", doc_texts(docs, 1))
    print("default                         ", score(docs, vec, A.DEFAULT_CONFIG))
    for w in (0.2, 0.4, 1.0):
        print(f"lexical anchors {w:<16}", score(docs, vec, loose(lexical=w), lex=True))
    for w, f in ((0.3, 0.3), (1.0, 0.0), (1.0, 0.3)):
        print(f"member shortfall {w}/{f:<11}", score(docs, vec, loose(member=w, member_floor=f)))
    for smin in (0.3, 1.0):
        print(f"partner skip costs min {smin:<8}", score(docs, vec, loose(skip_min=smin)))
    print("max_total 6 (both passes)       ", score(docs, vec, replace(A.DEFAULT_CONFIG, max_total=6)))
    print("max_total 6 (loose pass)        ", score(docs, vec, loose(max_total=6)))
    if "--no-e5" not in sys.argv:
        e5 = cached_vectors("e5", doc_texts(docs, 1))
        for w in (0.5, 0.85):
            ens = {t: np.concatenate([vec[t] * np.sqrt(w), e5[t] * np.sqrt(1 - w)]) for t in vec}
            print(f"USE {w} + e5 ensemble          ", score(docs, ens, A.DEFAULT_CONFIG))


if __name__ == "__main__":
    main()
