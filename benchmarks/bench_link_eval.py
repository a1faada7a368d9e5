"""Linking with scores that mean the same in any workspace: ablation on ../shared/eval (2-fold CV by RU item).

Compares the margin's reference (the workspace's own k nearest neighbours, as kzalign did before, vs the
fixed background sample in kzalign/data/background), absolute features (cos, names, numbers, cognates with
fixed idf), competition features (an item's other candidates) and the follow-up rule. Rows with "thr 0.5"
use that threshold; the others the F1-best threshold of the training half.

Usage: python benchmarks/bench_link_eval.py [--encoder use] [--fit]
``--fit`` prints the weights/threshold fitted on all dev data (the values kept in kzalign/scoring.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
from bench_link_common import ROOT, cached_vectors, load_meta, load_set

from kzalign.engines import candidates as C
from kzalign.engines import keys as K
from kzalign.engines import scoring as S
from kzalign.engines.background import load_background, load_key_weights
from kzalign.engines.embed import get_encoder
from kzalign.glossary import BUNDLED_DIR, load_glossary
from kzalign.stages.link import item_units, pair_margins, pool_units

SETS = ("docalign", "comparable")
GLOSSARY = BUNDLED_DIR
ABS = ["margin_bg", "cognates", "names", "numbers"]
UX = ["margin_ux", "cognates", "names", "numbers"]
MX = ["margin_mx", "cognates", "names", "numbers"]


def pooled(encoder: str, texts: list[str], lang: str) -> np.ndarray:
    units, counts = [], []
    for t in texts:
        u = item_units("", t, lang)
        units += u
        counts.append(len(u))
    return pool_units(cached_vectors(encoder, units, verbose=True), counts, 1.0)


class Data:
    """One eval set: item vectors, keys (explicit glossary, fixed idf) and candidate features."""

    def __init__(self, name: str, encoder: str, glossary: object):
        self.name = name
        self.ru, self.en, self.gold = load_set(name)
        self.rv, self.ev = pooled(encoder, list(self.ru["text"]), "ru"), pooled(encoder, list(self.en["text"]), "en")
        texts = list(self.ru["text"]) + list(self.en["text"])
        langs = ["ru"] * len(self.ru) + ["en"] * len(self.en)
        self.keys = K.build_item_keys(K.item_key_sets(texts, langs, glossary), len(self.ru), load_key_weights())
        self.domain = load_meta(name)
        enc = get_encoder(encoder)
        self.bg = load_background(enc.name, enc.signature)

    def fold_of(self, rid: str) -> int:
        return int(hashlib.sha1(f"{self.name}{rid}".encode()).hexdigest(), 16) % 2

    def gold_in(self, fold: int | None) -> set[tuple[str, str]]:
        return {(r, e) for r, e in self.gold if fold is None or self.fold_of(r) == fold}

    def candidates(self) -> dict[str, np.ndarray]:
        c = C.candidate_pairs(self.rv, self.ev)
        d_ru, d_en = C.workspace_densities(self.rv, self.ev)
        b_ru, b_en = C.density(self.rv, self.bg.en), C.density(self.ev, self.bg.ru)
        feats, _ = S.pair_features(self.keys, c.ru, c.en, C.ratio_margin(c.cos, d_ru[c.ru], d_en[c.en]), c.cos)
        feats["margin_ws"] = feats.pop("margin")
        feats["margin_bg"] = C.ratio_margin(c.cos, b_ru[c.ru], b_en[c.en]).astype(np.float64)
        u_ru = C.pair_density(self.rv, self.ev, self.bg.en, c.ru, c.en)
        u_en = C.pair_density(self.ev, self.rv, self.bg.ru, c.en, c.ru)
        feats["margin_ux"] = C.ratio_margin(c.cos, u_ru, u_en).astype(np.float64)
        feats["margin_mx"] = pair_margins(self.rv, self.ev, self.bg, c.ru, c.en)[1].astype(np.float64)
        i_ru = C.density(self.rv, np.vstack([self.ev, self.bg.en]))
        i_en = C.density(self.ev, np.vstack([self.rv, self.bg.ru]))
        feats["margin_ui"] = C.ratio_margin(c.cos, i_ru[c.ru], i_en[c.en]).astype(np.float64)
        rid, eid = self.ru["id"].to_numpy()[c.ru], self.en["id"].to_numpy()[c.en]
        feats.update({
            "y": np.array([(a, b) in self.gold for a, b in zip(rid, eid, strict=True)], float),
            "fold": np.array([self.fold_of(a) for a in rid]), "rid": rid, "eid": eid,
            "set": np.array([self.name] * len(rid)), "ri": c.ru, "ei": c.en,
        })
        return feats


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


def concat(cs: list[dict]) -> dict:
    return {k: np.concatenate([c[k] for c in cs]) for k in cs[0]}


NULL: dict[str, float] = {}


def null_z(bw: dict) -> float:
    """Stage-1 logit of an ordinary pair (margin 1, cos = the mean background density, nothing shared)."""
    return S.null_base(bw, NULL.get("cos", 0.0))


def with_competition(c: dict, datas: list[Data], z: np.ndarray, kind: str, alone: float = 0.0) -> dict[str, np.ndarray]:
    """Competition features of stage-1 logits ``z``, per set: gaps to the group's best (<= 0), or lead/gap."""
    out = {"gap_ru": np.zeros(len(z)), "gap_en": np.zeros(len(z)), "rel_ru": np.zeros(len(z)),
           "rel_en": np.zeros(len(z))}
    for d in datas:
        m = c["set"] == d.name
        out["gap_ru"][m], out["gap_en"][m] = S.group_gap(z[m], c["ri"][m]), S.group_gap(z[m], c["ei"][m])
        out["rel_ru"][m] = S.group_rel(z[m], c["ri"][m], alone=alone)
        out["rel_en"][m] = S.group_rel(z[m], c["ei"][m], alone=alone)
    return {k: out[k] for k in ({"gap": ("gap_ru", "gap_en"), "rel": ("rel_ru", "rel_en"),
                                 "gapen": ("gap_en",), "relru": ("rel_ru",)}[kind])}


def fit(c: dict, feats: list[str], comp: str | None, mask: np.ndarray) -> tuple[dict, dict | None]:
    """Stage-1 weights; with ``comp`` ("gap" or "rel") a second stage over (stage-1 logit, competition)."""
    w1 = fit_lr(np.stack([c[f][mask] for f in feats], 1), c["y"][mask])
    bw = {"bias": float(w1[0]), **{f: float(x) for f, x in zip(feats, w1[1:], strict=True)}}
    if comp is None:
        return bw, None
    return bw, {"comp": comp}


def predict(c: dict, datas: list[Data], bw: dict, comp: str | None, mask: np.ndarray) -> np.ndarray:
    z = S.linear(c, bw)
    if comp is None:
        return S.sigmoid(z)
    if comp.startswith("max-"):
        return np.maximum(S.sigmoid(z), predict(c, datas, bw, comp[4:], mask))
    cols = {"base": z, **with_competition(c, datas, z, comp, null_z(bw))}
    names = list(cols)
    w2 = fit_lr(np.stack([cols[n] for n in names], 1)[mask], c["y"][mask])
    return S.sigmoid(w2[0] + sum(w * cols[n] for w, n in zip(w2[1:], names, strict=True)))


def f1s(c: dict, link: np.ndarray, mask: np.ndarray, golds: dict) -> dict:
    return {s: prf(set(zip(c["rid"][mask & link & (c["set"] == s)], c["eid"][mask & link & (c["set"] == s)],
                           strict=True)), g) for s, g in golds.items()}


def best_threshold(c: dict, p: np.ndarray, mask: np.ndarray, golds: dict) -> float:
    best = (-1.0, 0.5)
    for t in np.arange(0.05, 0.96, 0.01):
        r = f1s(c, p >= t, mask, golds)
        best = max(best, (float(np.mean([v[2] for v in r.values()])), float(t)))
    return best[1]


def add_follow_ups(c: dict, datas: list[Data], p: np.ndarray, z: np.ndarray, thr: float, link: np.ndarray) -> np.ndarray:
    link = link.copy()
    for d in datas:
        m = np.flatnonzero(c["set"] == d.name)
        fu = S.follow_ups(z[m], p[m], c["ri"][m], c["ei"][m], d.keys, thr)
        link[m[list(fu)]] = True
    return link


def cv(datas: list[Data], c: dict, feats: list[str], comp: str | None = None, threshold: float | None = None,
       follow: bool = False) -> dict:
    """Mean held-out (P, R, F1) per set over the two halves, and the held-out probabilities."""
    res: dict[str, list] = {d.name: [] for d in datas}
    prob = np.zeros(len(c["y"]))
    for fold in (0, 1):
        tr, te = c["fold"] != fold, c["fold"] == fold
        bw, _ = fit(c, feats, comp, tr)
        p = predict(c, datas, bw, comp, tr)
        thr = threshold if threshold is not None else best_threshold(c, p, tr, {d.name: d.gold_in(1 - fold)
                                                                                for d in datas})
        link = p >= thr
        if follow:
            link = add_follow_ups(c, datas, p, S.linear(c, bw), thr, link)
        for d in datas:
            m = te & link & (c["set"] == d.name)
            res[d.name].append(prf(set(zip(c["rid"][m], c["eid"][m], strict=True)), d.gold_in(fold)))
        prob[te] = p[te]
    return {k: tuple(np.mean(v, axis=0)) for k, v in res.items()}


def row(label: str, r: dict) -> str:
    return f"{label:40s} " + "  ".join(f"{k} F1 {v[2]:.3f} (P {v[0]:.3f} R {v[1]:.3f})" for k, v in r.items())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", default="use")
    ap.add_argument("--fit", action="store_true")
    args = ap.parse_args()
    glossary = load_glossary([GLOSSARY])
    datas = [Data(s, args.encoder, glossary) for s in SETS]
    c = concat([d.candidates() for d in datas])
    NULL["cos"] = float(np.mean(np.concatenate([np.concatenate([C.density(d.rv, d.bg.en), C.density(d.ev, d.bg.ru)])
                                                for d in datas])))
    print(f"## {args.encoder}: 2-fold CV F1 (P/R) per set; candidates {len(c['y'])}, gold among them "
          f"{int(c['y'].sum())}")
    ws4 = ["margin_ws", "cognates", "names", "numbers"]
    keys3 = ["cognates", "names", "numbers"]
    thr_code = S.model_for(args.encoder).threshold
    steps = [
        ("margin over the workspace alone", ws4, None, None, False),
        ("  + lead/gap (the previous kzalign)", ws4, "rel", None, False),
        ("  + lead/gap, thr 0.5 + follow-ups", ws4, "rel", 0.5, True),
        ("margin over the background alone", ABS, None, None, False),
        ("  + lead/gap", ABS, "rel", None, False),
        ("margin over workspace+background", ["margin_ui", *keys3], None, None, False),
        ("  partner left out (mean density)", UX, None, None, False),
        ("  partner left out (denser side)", MX, None, None, False),
        ("  + cos", [*MX, "cos"], None, None, False),
        ("  + gaps to the best (<= 0)", [*MX, "cos"], "gap", None, False),
        ("  + lead/gap (kzalign)", [*MX, "cos"], "rel", None, False),
        ("  max(no competition, lead/gap)", [*MX, "cos"], "max-rel", None, False),
        ("  mean density instead, + cos, lead/gap", [*UX, "cos"], "rel", None, False),
        ("  without names/numbers/words", ["margin_mx", "cos"], "rel", None, False),
        (f"kzalign default (thr {thr_code:g} + follow-ups)", [*MX, "cos"], "rel", thr_code, True),
        (f"  without follow-ups (thr {thr_code:g})", [*MX, "cos"], "rel", thr_code, False),
        ("  thr 0.4 + follow-ups", [*MX, "cos"], "rel", 0.4, True),
        ("  thr 0.6 + follow-ups", [*MX, "cos"], "rel", 0.6, True),
    ]
    for label, feats, comp, thr, follow in steps:
        print(row(label, cv(datas, c, feats, comp, thr, follow)), flush=True)
    if args.fit:
        allm = np.ones(len(c["y"]), bool)
        bw, _ = fit(c, [*MX, "cos"], None, allm)
        z = S.linear(c, bw)
        cols = {"base": z, **with_competition(c, datas, z, "rel", null_z(bw))}
        w2 = fit_lr(np.stack(list(cols.values()), 1), c["y"])
        p = S.sigmoid(w2[0] + sum(w * v for w, v in zip(w2[1:], cols.values(), strict=True)))
        thr = best_threshold(c, p, allm, {d.name: d.gold_in(None) for d in datas})
        out = {("margin" if k == "margin_mx" else k): round(v, 3) for k, v in bw.items()}
        print(f"\nfit on all ({args.encoder}): NULL_COS = {NULL['cos']:.3f}, BASE_WEIGHTS = {json.dumps(out)}")
        m = S.model_for(args.encoder)
        c["margin"] = c["margin_mx"]
        pc = S.combine(c, c["ri"] + np.where(c["set"] == "docalign", 0, 10_000), c["ei"] + np.where(
            c["set"] == "docalign", 0, 10_000), m)
        lk = add_follow_ups(c, datas, pc, S.linear(c, m.base), m.threshold, pc >= m.threshold)
        print("weights in kzalign/scoring.py, thr + follow-ups, all dev data (in-sample): " + "  ".join(
            f"{k} F1 {v[2]:.3f} (P {v[0]:.3f} R {v[1]:.3f})" for k, v in f1s(c, lk, allm, {
                d.name: d.gold_in(None) for d in datas}).items()))
        print(f"WEIGHTS = {json.dumps(dict(zip(['bias', *cols], [round(float(x), 3) for x in w2], strict=True)))}"
              f"; F1-best threshold {thr:.2f}")
        Path(ROOT / ".bench").mkdir(exist_ok=True)


if __name__ == "__main__":
    main()
