"""Linking benchmark on ../shared/eval: encoder choice (flores/tatoeba P@1), item representations,
margin, names, numbers, the fitted logistic combination and the follow-up rule (2-fold cross-validation
by RU item), and F1 / P@1 per domain (news, social, ecommerce; from meta.tsv).

Usage: python benchmarks/bench_link_eval.py [--encoders use,e5] [--fit] [--extras]
``--fit`` prints the weights/threshold fitted on all dev data (the values kept in kzalign/link.py).
``--extras`` measures what was tried for comparable and not kept: e5 margins next to USE's (an ensemble)
and a cross-lingual word-overlap feature from an encoder-induced word-translation table.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json

import numpy as np
from bench_link_common import WordBags, cached_vectors, load_lines, load_meta, load_set, word_table

from kzalign import link as L
from kzalign.glossary import BUNDLED_DIR, load_glossary

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
        self.keys = L.item_keys(list(self.ru["text"]), list(self.en["text"]), load_glossary([BUNDLED_DIR]))
        self.domain = load_meta(name)

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
            "ri": c.ru, "ei": c.en, "dom": np.array([self.domain.get(a, "?") for a in rid]),
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


STAGE2_NAMES = {"en": ["base", "gap_en"], True: ["base", "gap_ru", "gap_en"], "rel": list(L.STAGE2)}


def fit(c: dict, feats: list[str], gaps: bool | str, mask: np.ndarray) -> tuple[dict, dict]:
    """Stage-1 weights over ``feats`` and stage-2 weights on ``mask``: ``gaps`` False (none), ``"en"`` (the EN
    item's gap to its best pair), True (both items' gaps) or ``"rel"`` (both items' capped lead/gap, kzalign's)."""
    w1 = fit_lr(np.stack([c[f][mask] for f in feats], 1), c["y"][mask])
    bw = {"bias": float(w1[0]), **{f: float(x) for f, x in zip(feats, w1[1:], strict=True)}}
    if not gaps:
        return bw, {"bias": 0.0, "base": 1.0}
    names = STAGE2_NAMES[gaps]
    cols = L.stage2_features(L._linear(c, bw), c["gr"], c["ge"], L.null_base(bw))
    w2 = fit_lr(np.stack([cols[n] for n in names], 1)[mask], c["y"][mask])
    return bw, dict(zip(["bias", *names], map(float, w2), strict=True))


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


def add_follow_ups(c: dict, datas: list[Data], p: np.ndarray, bw: dict, thr: float,
                   link: np.ndarray) -> np.ndarray:
    """``link`` plus kzalign's follow-up links (:func:`kzalign.link.follow_ups`), set by set."""
    link = link.copy()
    base = L._linear(c, bw)
    for d in datas:
        m = np.flatnonzero(c["set"] == d.name)
        fu = L.follow_ups(base[m], p[m], c["ri"][m], c["ei"][m], d.keys, thr)
        link[m[list(fu)]] = True
    return link


def cv_predict(datas: list[Data], c: dict, feats: list[str], gaps: bool | str, threshold: float | None = None,
               follow: bool = False) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """2-fold CV by RU item: fit weights (+ threshold unless given) on one half of both sets, predict the other.

    Returns the held-out links, the two held-out masks and the held-out probabilities.
    """
    link = np.zeros(len(c["y"]), bool)
    prob = np.zeros(len(c["y"]))
    tests = []
    for fold in (0, 1):
        tr, te = c["fold"] != fold, c["fold"] == fold
        bw, w = fit(c, feats, gaps, tr)
        p = probs(c, bw, w)
        thr = threshold if threshold is not None else best_threshold(
            c, p, tr, {d.name: d.gold_in(1 - fold) for d in datas})
        lk = p >= thr
        if follow:
            lk = add_follow_ups(c, datas, p, bw, thr, lk)
        link[te], prob[te] = lk[te], p[te]
        tests.append(te)
    return link, tests, prob


def cv(datas: list[Data], rep: str, head: float, feats: list[str], gaps: bool | str,
       threshold: float | None = None, follow: bool = False, c: dict | None = None) -> dict:
    """Mean held-out (P, R, F1) per set over the two halves of :func:`cv_predict`."""
    c = all_candidates(datas, rep, head) if c is None else c
    link, tests, _ = cv_predict(datas, c, feats, gaps, threshold, follow)
    res: dict[str, list] = {d.name: [] for d in datas}
    for fold, te in enumerate(tests):
        for d in datas:
            m = te & link & (c["set"] == d.name)
            res[d.name].append(prf(set(zip(c["rid"][m], c["eid"][m], strict=True)), d.gold_in(fold)))
    return {k: tuple(np.mean(v, axis=0)) for k, v in res.items()}


def row(label: str, r: dict) -> str:
    return f"{label:34s} " + "  ".join(f"{k} F1 {v[2]:.3f} (P {v[0]:.3f} R {v[1]:.3f})" for k, v in r.items())


def p_at_1(c: dict, score: np.ndarray, mask: np.ndarray, gold: set[tuple[str, str]]) -> tuple[float, int]:
    """Share of RU items (with a gold partner, in ``mask``) whose best-scored candidate is the gold one."""
    best: dict[str, tuple[float, str]] = {}
    for i in np.flatnonzero(mask):
        r = c["rid"][i]
        if r not in best or score[i] > best[r][0]:
            best[r] = (float(score[i]), c["eid"][i])
    gold_ru = {r for r, _ in gold}
    hits = [(r, best[r][1]) in gold if r in best else False for r in gold_ru]
    return (float(np.mean(hits)) if hits else float("nan")), len(hits)


def by_domain(datas: list[Data], c: dict, runs: list[tuple[str, np.ndarray, np.ndarray]]) -> None:
    """F1 (P/R) and P@1 per set and domain of the RU item for each (label, links, probabilities) run, then
    P@1 of the ratio margin alone and the share of gold pairs among the candidates (the recall ceiling)."""
    print(f"{'set':10s} {'domain':9s} {'RU':>3s} {'gold':>4s}  " + "  ".join(
        f"{label + ': F1 (P/R) P@1':27s}" for label, _, _ in runs) + "margin P@1  gold in cand.")
    for d in datas:
        for dom in [*sorted(set(d.domain.values())), "all"]:
            rus = {r for r in d.ru["id"] if dom == "all" or d.domain.get(r) == dom}
            m = (c["set"] == d.name) & np.isin(c["rid"], list(rus))
            gold = {(r, e) for r, e in d.gold if r in rus}
            cols = []
            for _, link, prob in runs:
                pr, rc, f1 = prf(set(zip(c["rid"][m & link], c["eid"][m & link], strict=True)), gold)
                p1, n = p_at_1(c, prob, m, gold)
                cols.append(f"{f1:.3f} ({pr:.3f}/{rc:.3f}) {p1:.3f}")
            print(f"{d.name:10s} {dom:9s} {len(rus):3d} {n:4d}  " + "    ".join(cols)
                  + f"    {p_at_1(c, c['margin'], m, gold)[0]:.3f}      "
                  + f"{len(gold & set(zip(c['rid'][m], c['eid'][m], strict=True))) / max(1, len(gold)):.3f}")


def add_pair_feature(c: dict, datas: list[Data], name: str, fn) -> None:
    """c[name] from ``fn(data, ru_local_idx, en_local_idx)`` set by set."""
    vals = np.zeros(len(c["y"]))
    for d in datas:
        m = c["set"] == d.name
        vals[m] = fn(d, c["ri"][m], c["ei"][m])
    c[name] = vals


def extras(encs: list[str]) -> None:
    """Comparable ideas not kept: e5 margins beside USE's (ensemble), and a word-translation overlap."""
    du, de = [Data(s, encs[0]) for s in SETS], [Data(s, encs[1]) for s in SETS]
    print(f"\n## extras: P@1 of RU items with a partner by ratio margin ({encs[0]}, {encs[1]}, sums of margins)")

    def marg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        S = a @ b.T
        k = L.K_NEIGHBOURS
        return S / ((np.sort(S, 1)[:, -k:].mean(1)[:, None] + np.sort(S, 0)[-k:, :].mean(0)[None, :]) / 2)

    for a, b in zip(du, de, strict=True):
        M = {f"{encs[0]} sent": marg(*a.vectors("sent", 1.0)), f"{encs[1]} sent": marg(*b.vectors("sent", 1.0)),
             f"{encs[0]} whole": marg(*a.vectors("whole", 1.0)), f"{encs[1]} whole": marg(*b.vectors("whole", 1.0))}
        rid, eid, g = a.ru["id"].to_numpy(), a.en["id"].to_numpy(), dict(a.gold)
        rows_ = [i for i, r in enumerate(rid) if r in g]
        combos = [[k] for k in M] + [[f"{encs[0]} sent", f"{encs[1]} sent"], [f"{encs[0]} whole", f"{encs[1]} whole"],
                                     list(M)]
        print(f"{a.name:10s} " + "  ".join(
            f"{'+'.join(k)} {np.mean([eid[sum(M[x] for x in k)[i].argmax()] == g[rid[i]] for i in rows_]):.3f}"
            for k in combos))
    c = all_candidates(du, "sent", 1.0)
    for name, rep in (("m_e5", "sent"), ("mw_e5", "whole")):
        add_pair_feature(c, du, name, lambda d, ri, ei, rep=rep: L.margin_for_pairs(
            *de[SETS.index(d.name)].vectors(rep, 1.0), ri, ei)[1])
    c["m_avg"] = (c["margin"] + c["m_e5"]) / 2
    rest = ["cognates", "names", "numbers"]
    print(f"\n## extras: 2-fold CV F1, {encs[0]} candidates, competition 'rel' (kzalign's stage 2), F1-best threshold")
    variants = [("kzalign features", ["margin"]), (f"+ {encs[1]} sentence-mean margin", ["margin", "m_e5"]),
                ("  mean of both margins", ["m_avg"]), (f"+ {encs[1]} whole-text margin", ["margin", "mw_e5"]),
                (f"+ {encs[0]} and {encs[1]} whole-text margins", ["margin", "margin_whole", "mw_e5"]),
                ("+ all three other margins", ["margin", "m_e5", "margin_whole", "mw_e5"])]
    for label, m in variants:
        link, _, prob = cv_predict(du, c, [*m, *rest], "rel")
        p1 = "  ".join(f"{d.name} {p_at_1(c, prob, c['set'] == d.name, d.gold)[0]:.3f}" for d in du)
        print(row(label, cv(du, "sent", 1.0, [*m, *rest], "rel", c=c)) + f"  P@1 {p1}")
        print(row("  at thr 0.5 + follow-ups", cv(du, "sent", 1.0, [*m, *rest], "rel", 0.5, True, c=c)))
    # what an Encoder "use+e5" (texts -> both unit vectors side by side) would give: sentence-level concatenation
    cat = []
    for a, b in zip(du, de, strict=True):
        d = copy.copy(a)
        d.units = {lg: (np.hstack([a.units[lg][0], b.units[lg][0]]) / np.sqrt(2), a.units[lg][1]) for lg in ("ru", "en")}
        d.whole = {lg: np.hstack([a.whole[lg], b.whole[lg]]) / np.sqrt(2) for lg in ("ru", "en")}
        cat.append(d)
    print(f"{encs[0]}+{encs[1]} concatenated: P@1 (cos | margin) " + "  ".join(
        f"{d.name} {d.p_at_1('sent', 1.0, False):.3f} | {d.p_at_1('sent', 1.0, True):.3f}" for d in cat))
    cc = all_candidates(cat, "sent", 1.0)
    print(row("  kzalign features, concatenated", cv(cat, "sent", 1.0, ["margin", *rest], "rel", c=cc)))
    print(row("  at thr 0.5 + follow-ups", cv(cat, "sent", 1.0, ["margin", *rest], "rel", 0.5, True, c=cc)))
    bags = WordBags()
    ru_bags = {d.name: [bags.ru(t) for t in d.ru["text"]] for d in du}
    en_bags = {d.name: [bags.en(t) for t in d.en["text"]] for d in du}
    ru_words = sorted({w for v in ru_bags.values() for lem, _ in v for w in lem})
    en_words = sorted({w for v in en_bags.values() for b in v for w in b})
    for mode in ("mnn", "csls"):
        table = word_table(encs[0], ru_words, en_words, mode)
        print(f"word table ({mode}): {len(table)} of {len(ru_words)} RU lemmas translated "
              f"({len(en_words)} EN words); e.g. " + ", ".join(
                  f"{k}→{table[k]}" for k in sorted(table)[:: max(1, len(table) // 8)]))
        for d in du:
            tr = [{table[w] for w in lem if w in table} | lat for lem, lat in ru_bags[d.name]]
            idf = L.idf_weights(tr + en_bags[d.name])
            d.lex = (tr, en_bags[d.name], idf)  # type: ignore[attr-defined]
        add_pair_feature(c, du, "lex", lambda d, ri, ei: [
            L.weighted_overlap(d.lex[0][r], d.lex[1][e], d.lex[2])[0] for r, e in zip(ri, ei, strict=True)])
        print(row(f"+ word-translation overlap ({mode})", cv(du, "sent", 1.0, ["margin", "lex", *rest], "rel", c=c)))
        print(row(f"  instead of cognates ({mode})", cv(du, "sent", 1.0, ["margin", "lex", "names", "numbers"],
                                                       "rel", c=c)))
        p1 = [f"{d.name} {p_at_1(c, c['lex'], c['set'] == d.name, d.gold)[0]:.3f}" for d in du]
        print(f"  P@1 by word overlap alone ({mode}): " + "  ".join(p1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoders", default="use,e5")
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--extras", action="store_true", help="ensemble and word-overlap rows (needs use and e5)")
    args = ap.parse_args()
    encs = args.encoders.split(",")
    print("## sentence retrieval P@1 (cos ru→en, en→ru | margin ru→en, en→ru)")
    for enc in encs:
        for name in ("flores", "tatoeba"):
            print(f"{enc:4s} {name:8s} " + " ".join(f"{x:.3f}" for x in retrieval_p1(enc, name)))
    from kzalign.embed import get_encoder

    for enc in encs:
        datas = [Data(s, enc) for s in SETS]
        print(f"\n## {enc}: P@1 of RU items with a partner (cos | margin)")
        for rep, head in (("whole", 1.0), ("sent", 1.0), ("sent", 2.0), ("sent", 3.0)):
            print(f"{rep:5s} head={head:.0f} " + "  ".join(
                f"{d.name} {d.p_at_1(rep, head, False):.3f} | {d.p_at_1(rep, head, True):.3f}" for d in datas))
        print(f"\n## {enc}: ablation, 2-fold CV F1 (P/R) per set")
        h = L.HEAD_WEIGHT
        base4 = ["margin", "cognates", "names", "numbers"]
        steps = [
            ("whole text, cos", "whole", 1.0, ["cos"], False),
            ("whole text, margin", "whole", 1.0, ["margin"], False),
            ("sentence mean, margin", "sent", 1.0, ["margin"], False),
            (f"+ headline x{h:g}", "sent", h, ["margin"], False),
            ("+ cognate words", "sent", h, ["margin", "cognates"], False),
            ("+ names", "sent", h, ["margin", "cognates", "names"], False),
            ("+ numbers", "sent", h, base4, False),
            ("+ competition, EN side (gap)", "sent", h, base4, "en"),
            ("+ competition, both sides (gap)", "sent", h, base4, True),
            ("+ whole-text margin", "sent", h, ["margin", "margin_whole", "cognates", "names", "numbers"], "en"),
            ("+ sentence max-match", "sent", h, ["margin", "maxmatch", "cognates", "names", "numbers"], "en"),
            ("+ length ratio", "sent", h, [*base4, "lenratio"], "en"),
            ("same, cos instead of margin", "sent", h, ["cos", "cognates", "names", "numbers"], True),
            ("competition both sides, lead/gap", "sent", h, base4, "rel"),
            ("+ cos beside margin", "sent", h, [*base4, "cos"], "rel"),
        ]
        c = all_candidates(datas, "sent", h)
        for label, rep, head, feats, gaps in steps:
            cc = c if (rep, head) == ("sent", h) else None
            print(row(label, cv(datas, rep, head, feats, gaps, c=cc)))
        feats = list(L.BASE_FEATURES)
        print(row("+ follow-up rule", cv(datas, "sent", h, feats, "rel", follow=True, c=c)))
        bw_code, w_code, thr_code = L.weights_for(get_encoder(enc))
        for t in [thr_code] + [t for t in (0.3, 0.6) if t != thr_code]:
            print(row(f"kzalign default, thr {t:g}", cv(datas, "sent", h, feats, "rel", threshold=t, follow=True, c=c)))
        print(row("  same, gaps instead of lead/gap", cv(datas, "sent", h, feats, True, threshold=thr_code, follow=True,
                                                      c=c)))
        link, _, prob = cv_predict(datas, c, feats, "rel", thr_code)
        link_fu, _, _ = cv_predict(datas, c, feats, "rel", thr_code, follow=True)
        extra = link_fu & ~link
        print(f"follow-up rule at thr {thr_code:g} (held-out): +{int(extra.sum())} links, "
              f"{int(c['y'][extra].sum())} of them gold")
        print(f"\n## {enc}: per domain of the RU item, held-out (2-fold CV): kzalign default (competition on both"
              f" sides, thr {thr_code:g}, follow-ups) and the previous default (EN-side gap only, thr 0.3)")
        prev_link, _, prev_prob = cv_predict(datas, c, feats, "en", 0.3)
        by_domain(datas, c, [("default", link_fu, prob), ("previous", prev_link, prev_prob)])
        if args.fit:
            allm = np.ones(len(c["y"]), bool)
            bw, w = fit(c, feats, "rel", allm)
            thr = best_threshold(c, probs(c, bw, w), allm, {d.name: d.gold_in(None) for d in datas})
            print(f"\nfit on all ({enc}): BASE_WEIGHTS = {json.dumps({k: round(v, 3) for k, v in bw.items()})}")
            print(f"WEIGHTS = {json.dumps({k: round(v, 3) for k, v in w.items()})}; F1-best THRESHOLD = {thr:.2f}")
            p = L.combine(c, c["gr"], c["ge"], bw_code, w_code)
            lk = add_follow_ups(c, datas, p, bw_code, thr_code, p >= thr_code)
            print(f"weights in kzalign/link.py, thr {thr_code:g} + follow-ups, all dev data (in-sample): " + "  ".join(
                f"{d.name} F1 {v[2]:.3f} (P {v[0]:.3f} R {v[1]:.3f})" for d, v in (
                    (d, prf(set(zip(c["rid"][lk & (c["set"] == d.name)], c["eid"][lk & (c["set"] == d.name)],
                                    strict=True)), d.gold)) for d in datas)))
    if args.extras:
        extras(encs if len(encs) > 1 else [encs[0], "e5"])


if __name__ == "__main__":
    main()
