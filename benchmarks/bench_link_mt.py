"""What machine translation could add to linking comparable reports, and two more ideas for comparable.

No real ru→en model can be installed here, so MT is replaced by an *oracle*: the human reference
translation of each comparable RU item. The comparable set cuts WMT documents in two (RU = first half,
EN = second half); 182 of its RU items come from documents that docalign holds whole, and docalign's EN
partner is segment-aligned with its RU text, so its first n lines translate the comparable RU item
exactly. A real model's drafts are worse than that, so these numbers bound what MT can add from above.
MT-English is scored against English with the English encoder (minilm), as ``kzalign link`` does.

Also measured (comparable and docalign, USE): per-language centering / all-but-the-top of the sentence
vectors (Mu & Viswanath 2018), and a greedy one-to-one "competitive linking" pass (Melamed 2000).

Usage: python benchmarks/bench_link_mt.py
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from bench_link_common import EVAL, cached_vectors
from bench_link_eval import SETS, Data, cv_predict, p_at_1, prf

from kzalign import link as L

REST = ["cognates", "names", "numbers"]


def oracle_translations(d: Data) -> list[str | None]:
    """For each comparable RU item, the first lines of the human translation of its document (or None)."""
    da_en = {j["id"]: j["text"] for j in map(json.loads, open(EVAL / "docalign" / "en.jsonl", encoding="utf-8"))}
    gold = pd.read_csv(EVAL / "docalign" / "gold.tsv", sep="\t", dtype=str)
    meta_d = pd.read_csv(EVAL / "docalign" / "meta.tsv", sep="\t", dtype=str).dropna(subset=["ru_id"])
    meta_c = pd.read_csv(EVAL / "comparable" / "meta.tsv", sep="\t", dtype=str).dropna(subset=["ru_id"])
    partner = dict(zip(gold["ru_id"], gold["en_id"], strict=True))
    doc_en = {doc: da_en[partner[r]] for r, doc in zip(meta_d["ru_id"], meta_d["doc_id"], strict=True) if r in partner}
    doc_of = dict(zip(meta_c["ru_id"], meta_c["doc_id"], strict=True))
    out: list[str | None] = []
    for rid, text in zip(d.ru["id"], d.ru["text"], strict=True):
        full = doc_en.get(doc_of.get(rid, ""))
        out.append("\n".join(full.splitlines()[: len(text.splitlines())]) if full else None)
    return out


def pooled(encoder: str, texts: list[str], lang: str) -> np.ndarray:
    units, counts = [], []
    for t in texts:
        u = L.item_units("", t, lang)
        units += u
        counts.append(len(u))
    return L.pool_units(cached_vectors(encoder, units), counts, 1.0)


def held_out(d: Data, c: dict, feats: list[str], thr: float | None) -> tuple[float, float, float, float]:
    """2-fold CV on one set: (P, R, F1, P@1) of the held-out halves."""
    link, tests, prob = cv_predict([d], c, feats, "rel", thr, False)
    res = [prf(set(zip(c["rid"][te & link], c["eid"][te & link], strict=True)), d.gold_in(fold))
           for fold, te in enumerate(tests)]
    p, r, f = np.mean(res, axis=0)
    return p, r, f, p_at_1(c, prob, np.ones(len(prob), bool), d.gold)[0]


def oracle_mt() -> None:
    d = Data("comparable", "use")
    oracle = oracle_translations(d)
    has = np.array([o is not None for o in oracle])
    mt_v = pooled("minilm", [o or t for o, t in zip(oracle, d.ru["text"], strict=True)], "en")
    en_v = pooled("minilm", list(d.en["text"]), "en")
    c = d.candidates("sent", 1.0)
    c["mt"] = L.margin_for_pairs(mt_v, en_v, c["ri"], c["ei"])[1]
    c["avg"] = (c["margin"] + c["mt"]) / 2  # kzalign's combination (ratio margins are scale-free)
    sub = has[c["ri"]]
    c = {k: (v[sub] if isinstance(v, np.ndarray) and len(v) == len(sub) else v) for k, v in c.items()}
    ids = set(d.ru["id"][has])
    d.gold = {(r, e) for r, e in d.gold if r in ids}
    print(f"## comparable, the {has.sum()} RU items with a reference translation ({len(d.gold)} gold links); "
          "2-fold CV by RU item")
    print(f"P@1 by ratio margin alone: cross-lingual (use) {p_at_1(c, c['margin'], np.ones(len(sub.nonzero()[0]), bool), d.gold)[0]:.3f}"
          f"  oracle MT-English vs English (minilm) {p_at_1(c, c['mt'], np.ones(len(c['mt']), bool), d.gold)[0]:.3f}"
          f"  average {p_at_1(c, c['avg'], np.ones(len(c['avg']), bool), d.gold)[0]:.3f}")
    for label, feats in (("cross-lingual only (no MT)", ["margin", *REST]),
                         ("oracle MT only", ["mt", *REST]),
                         ("average of both margins (kzalign)", ["avg", *REST]),
                         ("both margins as features", ["margin", "mt", *REST])):
        for thr in (None, 0.5):
            p, r, f, p1 = held_out(d, c, feats, thr)
            t = "F1-best thr" if thr is None else f"thr {thr}   "
            print(f"{label:34s} {t}  F1 {f:.3f} (P {p:.3f} R {r:.3f})  P@1 {p1:.3f}")


def abtt(x: np.ndarray, dims: int) -> np.ndarray:
    """All-but-the-top: remove the mean and the top ``dims`` principal directions, renormalise."""
    xc = x - x.mean(0)
    if dims:
        _, _, vt = np.linalg.svd(xc, full_matrices=False)
        xc = xc - (xc @ vt[:dims].T) @ vt[:dims]
    return xc / np.maximum(np.linalg.norm(xc, axis=1, keepdims=True), 1e-9)


def margin_p1(d: Data, rv: np.ndarray, ev: np.ndarray) -> float:
    S = rv @ ev.T
    k = L.K_NEIGHBOURS
    M = S / ((np.sort(S, 1)[:, -k:].mean(1)[:, None] + np.sort(S, 0)[-k:, :].mean(0)[None, :]) / 2)
    rid, eid, g = d.ru["id"].to_numpy(), d.en["id"].to_numpy(), dict(d.gold)
    return float(np.mean([eid[M[i].argmax()] == g[r] for i, r in enumerate(rid) if r in g]))


def centering() -> None:
    print("\n## per-language centering of sentence vectors before pooling (use): P@1 by ratio margin")
    for name in SETS:
        d = Data(name, "use")
        res = [f"none {margin_p1(d, *d.vectors('sent', 1.0)):.3f}"]
        for dims in (0, 1, 2, 4, 8):
            v = [L.pool_units(abtt(d.units[lg][0], dims), d.units[lg][1], 1.0) for lg in ("ru", "en")]
            res.append(f"mean{'+top ' + str(dims) if dims else ''} {margin_p1(d, *v):.3f}")
        print(f"{name:10s} " + "  ".join(res))


def competitive(score: np.ndarray, gr: np.ndarray, ge: np.ndarray) -> np.ndarray:
    """Greedy one-to-one matching, best score first (competitive linking)."""
    used_r: set[int] = set()
    used_e: set[int] = set()
    out = np.zeros(len(score), bool)
    for i in np.argsort(-score, kind="stable"):
        if gr[i] not in used_r and ge[i] not in used_e:
            used_r.add(int(gr[i]))
            used_e.add(int(ge[i]))
            out[i] = True
    return out


def competitive_linking() -> None:
    from bench_link_eval import all_candidates

    datas = [Data(s, "use") for s in SETS]
    c = all_candidates(datas, "sent", 1.0)
    _, _, prob = cv_predict(datas, c, ["margin", *REST], "rel", 0.5, True)
    print("\n## competitive linking on kzalign's held-out probabilities (use): F1 (P/R) when a link must also "
          "be in the greedy 1:1 matching")
    for d in datas:
        m = c["set"] == d.name
        cl = np.zeros(len(prob), bool)
        cl[m] = competitive(prob[m], c["gr"][m], c["ge"][m])
        row = [f"P@1 {p_at_1(c, prob, m, d.gold)[0]:.3f} -> {p_at_1(c, prob + cl, m, d.gold)[0]:.3f}"]
        for t in (0.3, 0.5):
            for lab, lk in (("thr", prob >= t), ("thr+1:1", cl & (prob >= t))):
                pr, rc, f = prf(set(zip(c["rid"][m & lk], c["eid"][m & lk], strict=True)), d.gold)
                row.append(f"{lab}@{t} {f:.3f} ({pr:.3f}/{rc:.3f})")
        print(f"{d.name:10s} " + "  ".join(row))


if __name__ == "__main__":
    oracle_mt()
    centering()
    competitive_linking()
