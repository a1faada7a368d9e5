"""Linking benchmark on ../shared/eval: encoder choice (flores/tatoeba P@1), item representations,
margin, names, numbers, and the fitted logistic combination (2-fold cross-validation by RU item).

Usage: python benchmarks/bench_link_eval.py [--encoders use,e5] [--fit]
``--fit`` prints the weights/threshold fitted on all dev data (the values kept in kzalign/link.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json

import numpy as np
from bench_link_common import cached_vectors, load_lines, load_set

from kzalign import link as L

SETS = ("docalign", "comparable")


def retrieval_p1(encoder: str, name: str) -> tuple[float, float, float, float]:
    """P@1 ru→en and en→ru by cosine and by ratio margin."""
    r, e = load_lines(name)
    a, b = cached_vectors(encoder, r), cached_vectors(encoder, e)
    S = a @ b.T
    gold = np.arange(len(a))
    k = L.K_NEIGHBOURS
    dr = np.sort(S, axis=1)[:, -k:].mean(1)
    de = np.sort(S, axis=0)[-k:, :].mean(0)
    M = S / ((dr[:, None] + de[None, :]) / 2)
    return ((S.argmax(1) == gold).mean(), (S.argmax(0) == gold).mean(),
            (M.argmax(1) == gold).mean(), (M.argmax(0) == gold).mean())


class Data:
    """One eval set with unit vectors and item keys (computed once)."""

    def __init__(self, name: str, encoder: str):
        self.name = name
        self.ru, self.en, self.gold = load_set(name)
        self.encoder = encoder
        self.units: dict[str, tuple[np.ndarray, list[int]]] = {}
        for lang, df in (("ru", self.ru), ("en", self.en)):
            units, counts = [], []
            for t in df["text"]:
                u = L.item_units("", t, lang)
                units += u
                counts.append(len(u))
            self.units[lang] = (cached_vectors(encoder, units, verbose=True), counts)
        self.whole = {lang: cached_vectors(encoder, list(df["text"]))
                      for lang, df in (("ru", self.ru), ("en", self.en))}
        self.keys = L.item_keys(list(self.ru["text"]), list(self.en["text"]))

    def vectors(self, rep: str, head: float) -> tuple[np.ndarray, np.ndarray]:
        if rep == "whole":
            return self.whole["ru"], self.whole["en"]
        out = []
        for lang in ("ru", "en"):
            v, c = self.units[lang]
            out.append(L.pool_units(v, c, head))
        return out[0], out[1]

    def fold_of(self, rid: str) -> int:
        return int(hashlib.sha1(f"{self.name}{rid}".encode()).hexdigest(), 16) % 2

    def candidates(self, rep: str, head: float, offset: int = 0) -> dict[str, np.ndarray]:
        rv, ev = self.vectors(rep, head)
        c = L.candidate_pairs(rv, ev)
        feats, _ = L.pair_features(self.keys, c.ru, c.en, c.margin, c.cos)
        lr = np.array([len(t) for t in self.ru["text"]], float)
        le = np.array([len(t) for t in self.en["text"]], float)
        feats["lenratio"] = np.abs(np.log((lr[c.ru] + 50) / (le[c.en] + 50)))
        feats["margin_whole"] = L.margin_for_pairs(self.whole["ru"], self.whole["en"], c.ru, c.en)[1]
        vr, cr = self.units["ru"]
        ve, ce = self.units["en"]
        sr, se = np.concatenate([[0], np.cumsum(cr)]), np.concatenate([[0], np.cumsum(ce)])
        mm = []
        for i, j in zip(c.ru, c.en, strict=True):
            S = vr[sr[i]:sr[i + 1]] @ ve[se[j]:se[j + 1]].T
            mm.append((S.max(1).mean() + S.max(0).mean()) / 2)
        feats["maxmatch"] = np.array(mm)
        rid, eid = self.ru["id"].to_numpy()[c.ru], self.en["id"].to_numpy()[c.en]
        feats.update({
            "y": np.array([(a, b) in self.gold for a, b in zip(rid, eid, strict=True)], float),
            "fold": np.array([self.fold_of(a) for a in rid]), "rid": rid, "eid": eid,
            "set": np.array([self.name] * len(rid)), "gr": c.ru + offset, "ge": c.en + offset,
        })
        return feats

    def gold_in(self, fold: int | None) -> set[tuple[str, str]]:
        return {(r, e) for r, e in self.gold if fold is None or self.fold_of(r) == fold}

    def p_at_1(self, rep: str, head: float, margin: bool) -> float:
        c = self.candidates(rep, head)
        score = c["margin"] if margin else c["cos"]
        best: dict[str, tuple[float, str]] = {}
        for r, e, s in zip(c["rid"], c["eid"], score, strict=True):
            if r not in best or s > best[r][0]:
                best[r] = (s, e)
        gold_ru = {r for r, _ in self.gold}
        return float(np.mean([(r, best.get(r, (0, ""))[1]) in self.gold for r in gold_ru]))


def fit_lr(X: np.ndarray, y: np.ndarray, l2: float = 1e-2, iters: int = 60) -> np.ndarray:
    """Logistic regression by Newton's method (bias first)."""
    Xb = np.hstack([np.ones((len(X), 1)), X])
    w = np.zeros(Xb.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(Xb @ w, -30, 30)))
        g = Xb.T @ (p - y) + l2 * w
        H = (Xb * (p * (1 - p))[:, None]).T @ Xb + l2 * np.eye(len(w))
        w -= np.linalg.solve(H, g)
    return w


def prf(pred: set, gold: set) -> tuple[float, float, float]:
    tp = len(pred & gold)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(gold) if gold else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def fit(c: dict, feats: list[str], gaps: bool | str, mask: np.ndarray) -> tuple[dict, dict]:
    """Stage-1 weights over ``feats`` and stage-2 weights (base, gaps; ``"en"``: the EN gap only) on ``mask``."""
    w1 = fit_lr(np.stack([c[f][mask] for f in feats], 1), c["y"][mask])
    bw = {"bias": float(w1[0]), **{f: float(x) for f, x in zip(feats, w1[1:], strict=True)}}
    if not gaps:
        return bw, {"bias": 0.0, "base": 1.0, "gap_ru": 0.0, "gap_en": 0.0}
    base = L._linear(c, bw)
    names = ["base", "gap_en"] if gaps == "en" else ["base", "gap_ru", "gap_en"]
    cols = {"base": base, "gap_ru": L.group_gap(base, c["gr"]), "gap_en": L.group_gap(base, c["ge"])}
    w2 = fit_lr(np.stack([cols[n] for n in names], 1)[mask], c["y"][mask])
    return bw, {"gap_ru": 0.0, **dict(zip(["bias", *names], map(float, w2), strict=True))}


def probs(c: dict, bw: dict, w: dict) -> np.ndarray:
    return L.combine(c, c["gr"], c["ge"], bw, w)


def f1_at(c: dict, p: np.ndarray, t: float, mask: np.ndarray, golds: dict) -> dict:
    out = {}
    for s, gold in golds.items():
        m = mask & (c["set"] == s) & (p >= t)
        out[s] = prf(set(zip(c["rid"][m], c["eid"][m], strict=True)), gold)
    return out


def best_threshold(c: dict, p: np.ndarray, mask: np.ndarray, golds: dict) -> float:
    best = (-1.0, 0.5)
    for t in np.arange(0.05, 0.96, 0.01):
        r = f1_at(c, p, float(t), mask, golds)
        best = max(best, (float(np.mean([v[2] for v in r.values()])), float(t)))
    return best[1]


def concat(cs: list[dict]) -> dict:
    return {k: np.concatenate([c[k] for c in cs]) for k in cs[0]}


def all_candidates(datas: list[Data], rep: str, head: float) -> dict:
    out, off = [], 0
    for d in datas:
        out.append(d.candidates(rep, head, off))
        off += max(len(d.ru), len(d.en))
    return concat(out)


def cv(datas: list[Data], rep: str, head: float, feats: list[str], gaps: bool | str,
       threshold: float | None = None) -> dict:
    """2-fold CV by RU item: fit weights+threshold on one half of both sets, score the other half."""
    c = all_candidates(datas, rep, head)
    res: dict[str, list] = {d.name: [] for d in datas}
    for fold in (0, 1):
        tr, te = c["fold"] != fold, c["fold"] == fold
        bw, w = fit(c, feats, gaps, tr)
        p = probs(c, bw, w)
        thr = threshold if threshold is not None else best_threshold(
            c, p, tr, {d.name: d.gold_in(1 - fold) for d in datas})
        for k, v in f1_at(c, p, thr, te, {d.name: d.gold_in(fold) for d in datas}).items():
            res[k].append(v)
    return {k: tuple(np.mean(v, axis=0)) for k, v in res.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoders", default="use,e5")
    ap.add_argument("--fit", action="store_true")
    args = ap.parse_args()
    encs = args.encoders.split(",")
    print("## sentence retrieval P@1 (cos ru→en, en→ru | margin ru→en, en→ru)")
    for enc in encs:
        for name in ("flores", "tatoeba"):
            print(f"{enc:4s} {name:8s} " + " ".join(f"{x:.3f}" for x in retrieval_p1(enc, name)))
    for enc in encs:
        datas = [Data(s, enc) for s in SETS]
        print(f"\n## {enc}: P@1 of RU items with a partner (cos | margin)")
        for rep, head in (("whole", 1.0), ("sent", 1.0), ("sent", 2.0), ("sent", 3.0)):
            print(f"{rep:5s} head={head:.0f} " + "  ".join(
                f"{d.name} {d.p_at_1(rep, head, False):.3f} | {d.p_at_1(rep, head, True):.3f}" for d in datas))
        print(f"\n## {enc}: ablation, 2-fold CV F1 (P/R) per set")
        h = L.HEAD_WEIGHT
        steps = [
            ("whole text, cos", "whole", 1.0, ["cos"], False),
            ("whole text, margin", "whole", 1.0, ["margin"], False),
            ("sentence mean, margin", "sent", 1.0, ["margin"], False),
            (f"+ headline x{h:g}", "sent", h, ["margin"], False),
            ("+ cognate words", "sent", h, ["margin", "cognates"], False),
            ("+ names", "sent", h, ["margin", "cognates", "names"], False),
            ("+ numbers", "sent", h, ["margin", "cognates", "names", "numbers"], False),
            ("+ competition, EN side", "sent", h, ["margin", "cognates", "names", "numbers"], "en"),
            ("+ competition, both sides", "sent", h, ["margin", "cognates", "names", "numbers"], True),
            ("+ whole-text margin", "sent", h, ["margin", "margin_whole", "cognates", "names", "numbers"], "en"),
            ("+ sentence max-match", "sent", h, ["margin", "maxmatch", "cognates", "names", "numbers"], "en"),
            ("+ length ratio", "sent", h, ["margin", "cognates", "names", "numbers", "lenratio"], "en"),
            ("same, cos instead of margin", "sent", h, ["cos", "cognates", "names", "numbers"], True),
        ]
        for label, rep, head, feats, gaps in steps:
            r = cv(datas, rep, head, feats, gaps)
            print(f"{label:30s} " + "  ".join(f"{k} F1 {v[2]:.3f} (P {v[0]:.3f} R {v[1]:.3f})" for k, v in r.items()))
        feats = list(L.BASE_FEATURES)
        from kzalign.embed import get_encoder

        bw_code, w_code, thr_code = L.weights_for(get_encoder(enc))
        for t in (thr_code, 0.5, 0.6):
            r = cv(datas, "sent", h, feats, L.GAPS, threshold=t)
            print(f"{'kzalign default, thr ' + format(t, 'g'):30s} " + "  ".join(
                f"{k} F1 {v[2]:.3f} (P {v[0]:.3f} R {v[1]:.3f})" for k, v in r.items()))
        if args.fit:
            c = all_candidates(datas, "sent", h)
            allm = np.ones(len(c["y"]), bool)
            bw, w = fit(c, list(L.BASE_FEATURES), L.GAPS, allm)
            thr = best_threshold(c, probs(c, bw, w), allm, {d.name: d.gold_in(None) for d in datas})
            print(f"\nfit on all ({enc}): BASE_WEIGHTS = {json.dumps({k: round(v, 3) for k, v in bw.items()})}")
            print(f"WEIGHTS = {json.dumps({k: round(v, 3) for k, v in w.items()})}; THRESHOLD = {thr:.2f}")
            p = L.combine(c, c["gr"], c["ge"], bw_code, w_code)
            r = f1_at(c, p, thr_code, allm, {d.name: d.gold_in(None) for d in datas})
            print("weights in kzalign/link.py, all dev data (in-sample): " + "  ".join(
                f"{k} F1 {v[2]:.3f} (P {v[0]:.3f} R {v[1]:.3f})" for k, v in r.items()))


if __name__ == "__main__":
    main()
