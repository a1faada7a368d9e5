"""What machine translation could add to linking comparable reports (the current model, issue 11).

No real ru→en model can be installed here, so MT is replaced by an *oracle*: the human reference
translation of each comparable RU item. The comparable set cuts WMT documents in two (RU = first half,
EN = second half); 182 of its RU items come from documents that docalign holds whole, and docalign's EN
partner is segment-aligned with its RU text, so its first n lines translate the comparable RU item
exactly. A real model's drafts are worse than that, so these numbers bound what MT can add from above.
MT-English is scored against English with the English encoder (minilm) and its shipped English background,
as ``kzalign link`` does. (Centering and competitive-linking rows: previous model, commit aaae851.)

Usage: python benchmarks/bench_link_mt.py
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from bench_link_common import EVAL
from bench_link_eval import GLOSSARY, MX, Data, cv, pooled

from kzalign.engines.background import Background, load_background
from kzalign.engines.embed import get_encoder
from kzalign.glossary import load_glossary
from kzalign.stages.link import pair_margins

REST = ["cos", "cognates", "names", "numbers"]


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


def p_at_1(c: dict, score: np.ndarray, gold: set[tuple[str, str]]) -> float:
    """Share of RU items with a gold partner whose best-scored candidate is that partner."""
    best: dict[str, tuple[float, str]] = {}
    for r, e, s in zip(c["rid"], c["eid"], score, strict=True):
        if r not in best or s > best[r][0]:
            best[r] = (float(s), e)
    return float(np.mean([(r, best.get(r, (0.0, ""))[1]) in gold for r in {r for r, _ in gold}]))


def oracle_mt() -> None:
    d = Data("comparable", "use", load_glossary([GLOSSARY]))
    oracle = oracle_translations(d)
    has = np.array([o is not None for o in oracle])
    mt_v = pooled("minilm", [o or t for o, t in zip(oracle, d.ru["text"], strict=True)], "en")
    en_v = pooled("minilm", list(d.en["text"]), "en")
    c = d.candidates()
    bg = load_background("minilm", get_encoder("minilm").signature)
    assert bg is not None
    c["mt"] = pair_margins(mt_v, en_v, Background("minilm", bg.en, bg.en, bg.signature), c["ri"], c["ei"])[1]
    c["avg"] = (c["margin_mx"] + c["mt"]) / 2  # kzalign's combination (ratio margins are scale-free)
    sub = has[c["ri"]]
    c = {k: (v[sub] if isinstance(v, np.ndarray) and len(v) == len(sub) else v) for k, v in c.items()}
    ids = set(d.ru["id"][has])
    d.gold = {(r, e) for r, e in d.gold if r in ids}
    print(f"## comparable, the {has.sum()} RU items with a reference translation ({len(d.gold)} gold links); "
          "2-fold CV by RU item")
    print(f"P@1 by ratio margin alone: cross-lingual (use) {p_at_1(c, c['margin_mx'], d.gold):.3f}"
          f"  oracle MT-English vs English (minilm) {p_at_1(c, c['mt'], d.gold):.3f}"
          f"  average {p_at_1(c, c['avg'], d.gold):.3f}")
    for label, feats in (("cross-lingual only (no MT)", [MX[0], *REST]), ("oracle MT only", ["mt", *REST]),
                         ("average of both margins (kzalign)", ["avg", *REST]),
                         ("both margins as features", [MX[0], "mt", *REST])):
        for thr in (None, 0.5):
            p, r, f = cv([d], c, feats, "rel", thr, True)["comparable"]
            t = "F1-best thr" if thr is None else f"thr {thr}   "
            print(f"{label:34s} {t}  F1 {f:.3f} (P {p:.3f} R {r:.3f})")


if __name__ == "__main__":
    oracle_mt()
