"""Bertalign's alignment algorithm re-implemented on kzalign's encoder, scored beside kzalign's own aligner.

A peer baseline on the dev documents of the peers benchmark (``../shared/eval/sentalign_peers_dev``: Bleualign's
Text+Berg dev document, German -> French, and Bertalign's MAC-Dev, Chinese -> English). Their TEST documents are
held out: this script never reads them.

The re-implementation follows Bertalign (Liu & Zhu 2022) as in its public code (``bertalign/aligner.py`` and
``corelib.py``), with its defaults ``max_align=5, top_k=3, win=5, skip=-0.1, margin=True, len_penalty=True``:

- every sentence and every run of up to ``max_align - 1`` consecutive sentences is encoded (vecalign-style
  overlap layers: layer k holds, at sentence i, the run of k sentences ending at i, "PAD" before the first full
  run; an empty line is "BLANK_LINE"; texts cut at 10,000 characters); lengths are UTF-8 bytes of those texts and
  ``char_ratio`` is source bytes over target bytes of the single sentences;
- first pass: the ``top_k`` nearest target sentences of each source sentence by cosine (exact inner-product
  search, as faiss ``IndexFlatIP``); a 1-1 / 0-1 / 1-0 DP in a band around the diagonal (half-width
  ``max(250, 6% of the longer side)``) where a 1-1 cell earns its cosine if the target is among the source's
  top-k (else 0) and skips cost 0; every 1-1 bead on the best path is an anchor (the "first search path");
- second pass: a DP restricted, for the source rows between two anchors, to target columns from the previous
  anchor's minus ``win`` to the next anchor's plus ``win``; beads are 0-1, 1-0 (``skip`` each) and every x-y with
  x, y >= 1 and x + y <= ``max_align``, scored by the cosine of the ENCODED joined runs minus the mean of the two
  sides' neighbour similarities (each side: the run's vector against the single sentences just before and just
  after the other side's run, averaged when both exist, a missing one counting 0), times the length penalty
  ``log2(1 + min/max)`` of the byte lengths (target scaled by ``char_ratio``).
Ties go to the bead type listed first, as Bertalign's ``>`` scan over ``get_alignment_types`` order does.

kzalign's side is its default sentence aligner (``overlaps="mean"``, the encoder's calibrated params), as
``kzalign eval-sentences`` and ``bench_sentalign.py --modes mean`` run it.

Run (vectors cached in .bench/; ``--live`` encodes without the cache to measure encoding CPU):
  PYTHONPATH=. python benchmarks/bench_peers.py [GOLD_DIR] [--encoder use] [--live]
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from bench_sentalign import MODES, ROOT, TimedEncode, cached_vectors, load_encoder

from kzalign.stages.evaluate import read_sentalign_dir, score_sentence_alignment

DEFAULT_DIR = ROOT.parent / "shared" / "eval" / "sentalign_peers_dev"
LANGS = {"bleualign": "de-fr", "macdev": "zh-en"}  # document-name prefix -> language pair


# -- Bertalign, re-implemented ------------------------------------------------------------------
class Bertalign:
    """Bertalign's two-pass aligner with its default constants; ``align`` returns [(src_ids, tgt_ids), ...]."""

    def __init__(self, max_align: int = 5, top_k: int = 3, win: int = 5, skip: float = -0.1,
                 margin: bool = True, len_penalty: bool = True) -> None:
        self.max_align, self.top_k, self.win, self.skip = max_align, top_k, win, skip
        self.margin, self.len_penalty = margin, len_penalty
        # 0-1, 1-0, then x-y (x outer, y inner) with x + y <= max_align: Bertalign's order, which breaks ties
        self.types = [(0, 1), (1, 0)] + [(x, y) for x in range(1, max_align) for y in range(1, max_align)
                                         if x + y <= max_align]

    # texts and lengths
    @staticmethod
    def clean(lines: list[str]) -> list[str]:
        """Bertalign's clean_text per line (whitespace runs to one space; an empty line kept, see overlaps)."""
        return [re.sub(r"\s+", " ", line.strip()) for line in lines]

    def overlaps(self, sents: list[str]) -> list[list[str]]:
        """Layer k-1 = texts of the runs of k sentences ending at each sentence ("PAD" before the first)."""
        lines = [s.strip() or "BLANK_LINE" for s in sents]
        out = []
        for k in range(1, self.max_align):
            layer = ["PAD"] * min(k - 1, len(lines)) + [" ".join(lines[i : i + k]) for i in range(len(lines) - k + 1)]
            out.append([t[:10000] for t in layer])
        return out

    def texts(self, sents: list[str]) -> list[str]:
        return [t for layer in self.overlaps(self.clean(sents)) for t in layer]

    def side(self, sents: list[str], vec: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(layers, n, dim) vectors and (layers, n) UTF-8 byte lengths of a side's overlap texts."""
        layers = self.overlaps(self.clean(sents))
        vecs = np.array([[vec[t] for t in layer] for layer in layers], dtype=np.float32)
        lens = np.array([[len(t.encode("utf-8")) for t in layer] for layer in layers], dtype=np.float64)
        return vecs, lens

    # first pass
    def first_pass(self, sv: np.ndarray, tv: np.ndarray) -> list[tuple[int, int]]:
        """Anchors (i, j), 1-based cell ends of the 1-1 beads of the best 1-1/skip path over top-k cosines."""
        n, m = len(sv), len(tv)
        sim = sv @ tv.T
        k = min(self.top_k, m)
        top = np.argsort(-sim, axis=1, kind="stable")[:, :k]
        hits = np.zeros((n, m), dtype=np.float32)  # the cosine where j is among i's top-k, else 0
        np.put_along_axis(hits, top, np.take_along_axis(sim, top, axis=1), axis=1)
        w = max(250, int(max(n, m) * 0.06))
        path = [(max(0, int(m / n * i) - w), min(int(m / n * i) + w, m)) for i in range(n + 1)]
        cost: list[np.ndarray] = []
        ptr: list[np.ndarray] = []
        for i in range(n + 1):
            s, e = path[i]
            js = np.arange(s, e + 1)
            if i == 0:  # only 0-1 steps: cost 0
                cost.append(np.zeros(len(js), dtype=np.float32))
                ptr.append(np.zeros(len(js), dtype=np.int8))
                continue
            ps, pe = path[i - 1]
            prev = cost[i - 1]
            c10 = np.where((js >= ps) & (js <= pe), prev[np.clip(js - ps, 0, pe - ps)], -np.inf)
            ok = (js - 1 >= ps) & (js - 1 <= pe)
            c11 = np.where(ok, prev[np.clip(js - 1 - ps, 0, pe - ps)] + hits[i - 1, np.clip(js - 1, 0, m - 1)],
                           -np.inf)
            other = np.where(c11 > c10, c11, c10).astype(np.float32)
            p = np.where(c11 > c10, 2, 1).astype(np.int8)
            row = np.maximum.accumulate(other)  # 0-1 costs 0, so a row is a running maximum
            p[1:][row[:-1] >= other[1:]] = 0  # 0-1 is scanned first: it wins ties
            cost.append(row)
            ptr.append(p)
        anchors = []
        i, j = n, m
        while i or j:
            a = int(ptr[i][j - path[i][0]])
            if a == 2:
                anchors.append((i, j))
            i, j = i - self.types[a][0], j - self.types[a][1]
        return anchors[::-1]

    def second_path(self, anchors: list[tuple[int, int]], n: int, m: int) -> list[tuple[int, int]]:
        """Per source row 0..n, the target columns of the second pass (Bertalign's find_second_search_path)."""
        align = list(anchors) or [(n, m)]  # no anchor at all: Bertalign would fail; one band over everything
        if align[-1][0] != n:
            if align[-1][1] == m:
                align.pop()
            align.append((n, m))
        elif align[-1][1] != m:
            align.pop()
            align.append((n, m))
        path: list[tuple[int, int]] = []
        prev_s, prev_t = 0, 0
        for s, t in align:
            path += [(max(0, prev_t - self.win), min(m, t + self.win))] * (s - prev_s)
            prev_s, prev_t = s, t
        return [path[0], *path]

    # second pass
    def bead_scores(self, sv, tv, sl, tl, ratio, i, js, a1, a2) -> np.ndarray:
        """Modified cosine x length penalty of the a1-a2 beads ending at source i and targets js (1-based)."""
        n, m = sv.shape[1], tv.shape[1]
        s_vec = sv[a1 - 1, i - 1]
        t_vecs = tv[a2 - 1, js - 1]
        score = t_vecs @ s_vec
        if self.margin:
            right = np.where(js + 1 <= m, tv[0, np.minimum(js, m - 1)] @ s_vec, 0.0)
            left = np.where(js - a2 > 0, tv[0, np.maximum(js - a2 - 1, 0)] @ s_vec, 0.0)
            t_nb = np.where((right != 0) & (left != 0), (left + right) / 2, left + right)
            right = t_vecs @ sv[0, i] if i + 1 <= n else np.zeros(len(js))
            left = t_vecs @ sv[0, i - a1 - 1] if i - a1 > 0 else np.zeros(len(js))
            s_nb = np.where((right != 0) & (left != 0), (left + right) / 2, left + right)
            score = score - (t_nb + s_nb) / 2
        if self.len_penalty:
            src_l = sl[a1 - 1, i - 1]
            tgt_l = tl[a2 - 1, js - 1] * ratio
            score = score * np.log2(1 + np.minimum(src_l, tgt_l) / np.maximum(src_l, tgt_l))
        return score

    def second_pass(self, sv, tv, sl, tl, path: list[tuple[int, int]]) -> list[tuple[list[int], list[int]]]:
        n, m = sv.shape[1], tv.shape[1]
        ratio = sl[0].sum() / tl[0].sum()
        cost: list[np.ndarray] = []
        ptr: list[np.ndarray] = []
        for i in range(n + 1):
            s, e = path[i]
            js = np.arange(s, e + 1)
            best = np.full(len(js), -np.inf)
            bp = np.full(len(js), -1, dtype=np.int8)
            for a, (a1, a2) in enumerate(self.types):
                if a == 0 or i - a1 < 0:  # 0-1 steps stay in this row: scanned below
                    continue
                ps, pe = path[i - a1]
                pj = js - a2
                ok = (pj >= ps) & (pj <= pe)
                if not ok.any():
                    continue
                prev = np.where(ok, cost[i - a1][np.clip(pj - ps, 0, pe - ps)], -np.inf)
                if a2 == 0:
                    cur = np.full(len(js), self.skip)
                else:
                    cur = np.zeros(len(js))
                    cur[ok] = self.bead_scores(sv, tv, sl, tl, ratio, i, js[ok], a1, a2)
                sc = prev + cur
                upd = sc > best
                best[upd] = sc[upd]
                bp[upd] = a
            row = np.empty(len(js), dtype=np.float32)
            for x in range(len(js)):  # 0-1 from the cell on the left, scanned first: it wins ties
                if i == 0 and js[x] == 0:
                    row[x], bp[x] = 0.0, 0
                    continue
                if x > 0 and float(row[x - 1]) + self.skip >= best[x]:
                    row[x], bp[x] = float(row[x - 1]) + self.skip, 0
                else:
                    row[x] = best[x]
            cost.append(row)
            ptr.append(bp)
        beads = []
        i, j = n, m
        while i or j:
            a1, a2 = self.types[int(ptr[i][j - path[i][0]])]
            beads.append((list(range(i - a1, i)), list(range(j - a2, j))))
            i, j = i - a1, j - a2
        return beads[::-1]

    def align(self, src: list[str], tgt: list[str], vec: dict[str, np.ndarray]) -> list[tuple[list[int], list[int]]]:
        if not src or not tgt:
            return [([i], []) for i in range(len(src))] + [([], [j]) for j in range(len(tgt))]
        sv, sl = self.side(src, vec)
        tv, tl = self.side(tgt, vec)
        anchors = self.first_pass(sv[0], tv[0])
        return self.second_pass(sv, tv, sl, tl, self.second_path(anchors, len(src), len(tgt)))


# -- benchmark -------------------------------------------------------------------------------------
def lang_of(name: str) -> str:
    return next((lang for prefix, lang in LANGS.items() if name.startswith(prefix)), "other")


def scores(docs, tests) -> dict[str, tuple[float, float]]:
    """Strict and lax F1 per language pair and over all documents."""
    out = {}
    for lang in [*sorted({lang_of(d[0]) for d in docs}), "all"]:
        pick = [k for k, d in enumerate(docs) if lang in ("all", lang_of(d[0]))]
        res = score_sentence_alignment([docs[k][3] for k in pick], [tests[k] for k in pick])
        out[lang] = (res["strict"]["f1"], res["lax"]["f1"])
    return out


def encode_live(enc, texts: list[str]) -> tuple[dict[str, np.ndarray], float]:
    """Vectors of the distinct texts, longest first (as sentence-transformers batches), and the CPU seconds."""
    timed = TimedEncode(enc)
    vec = timed(sorted(dict.fromkeys(texts), key=len, reverse=True))
    return vec, timed.cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gold_dir", nargs="?", default=str(DEFAULT_DIR))
    ap.add_argument("--encoder", default="use")
    ap.add_argument("--live", action="store_true", help="encode without the cache and count encoding CPU")
    args = ap.parse_args()
    from kzalign.stages.sentences import align_documents, needed_texts, params_for

    docs = read_sentalign_dir(args.gold_dir)
    if not Path(args.gold_dir).resolve().name.startswith("sentalign_peers_dev"):
        print(f"note: {args.gold_dir} is not the peers dev folder")
    bert = Bertalign()
    b_texts = [t for _n, src, tgt, _g in docs for side in (src, tgt) for t in bert.texts(side)]
    enc = load_encoder(args.encoder)
    params = replace(params_for(enc), **MODES["mean"])
    k_texts = needed_texts([side for _n, src, tgt, _g in docs for side in (src, tgt)], params)
    print(f"== {args.gold_dir}: {len(docs)} docs, {sum(len(d[3]) for d in docs)} gold beads, encoder "
          f"{args.encoder}; Bertalign encodes {len(set(b_texts))} distinct overlap texts, kzalign {len(k_texts)}")

    rows = {}
    if args.live:
        enc.encode(["warm up"], kind="passage")  # the model loads outside the timings
        b_vec, b_enc = encode_live(enc, b_texts)
    else:
        b_vec, b_enc = cached_vectors(args.encoder, b_texts), float("nan")
    t = time.process_time()
    b_tests = [bert.align(src, tgt, b_vec) for _n, src, tgt, _g in docs]
    rows["Bertalign-like (defaults)"] = (scores(docs, b_tests), b_enc, time.process_time() - t)

    if args.live:
        encode = TimedEncode(enc)
        t = time.process_time()
        k_vec = encode(k_texts)
    else:
        k_vec = cached_vectors(args.encoder, k_texts)
        encode = TimedEncode(enc)  # only called by the cascade mode
        t = time.process_time()
    aligned = align_documents([(src, tgt) for _n, src, tgt, _g in docs], k_vec, params, encode)
    k_total = time.process_time() - t
    k_tests = [[(b.ru, b.en) for b in beads] for beads in aligned]
    rows["kzalign (mean, default)"] = (scores(docs, k_tests), encode.cpu if args.live else float("nan"),
                                       k_total - encode.cpu)

    langs = list(next(iter(rows.values()))[0])
    head = " | ".join(f"{lang + ' strict':>12} {lang + ' lax':>9}" for lang in langs)
    print(f"{'aligner':<28} | {head} | cpu encode + align")
    for label, (sc, enc_cpu, align_cpu) in rows.items():
        cells = " | ".join(f"{sc[lang][0]:>12.4f} {sc[lang][1]:>9.4f}" for lang in langs)
        enc_s = f"{enc_cpu:.1f}s" if enc_cpu == enc_cpu else "cached"
        print(f"{label:<28} | {cells} | {enc_s} + {align_cpu:.1f}s")


if __name__ == "__main__":
    main()
