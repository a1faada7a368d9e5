"""Link decisions that hold whatever else is in the workspace (issue 11), end to end through link_workspace.

* lone pairs: 20 public WMT news pairs (docalign gold), each alone in its own workspace: linked?
  and 20 RU reports each with an unrelated EN report (the partner of another RU report): linked?
* seeds: the mission's links alone, and with every docalign and comparable item added (ids prefixed);
* pool invariance: docalign's links alone vs with comparable and the seeds added (Jaccard of the
  docalign links, F1 of each), and the same for comparable.

Usage: python benchmarks/bench_link_invariance.py [--encoder use] [--lone 20] [--skip-pools]
Prints a JSON line per measurement; workspaces are kept under .bench/invariance/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
from bench_link_common import EVAL, ROOT

from kzalign.engines.embed import embed_texts, get_encoder
from kzalign.engines.keys import cached_key_sets
from kzalign.glossary import Glossary, load_glossary
from kzalign.inputs.ingest import ingest_paths
from kzalign.stages.link import item_units, link_workspace
from kzalign.store.workspace import Workspace

OUT = ROOT / ".bench" / "invariance"
TEMPLATE: list[Path] = []


def items_of(name: str, prefix: str = "") -> list[dict[str, str | None]]:
    """The RU and EN items of an eval set as rows for Workspace.add_items (ids prefixed)."""
    rows: list[dict[str, str | None]] = []
    for lang in ("ru", "en"):
        df = pd.read_json(EVAL / name / f"{lang}.jsonl", lines=True, dtype={"id": str})
        rows += [{"id": prefix + i, "lang": lang, "text": t} for i, t in zip(df["id"], df["text"], strict=True)]
    return rows


def gold_of(name: str, prefix: str = "") -> set[tuple[str, str]]:
    g = pd.read_csv(EVAL / name / "gold.tsv", sep="\t", dtype=str)
    return {(prefix + r, prefix + e) for r, e in zip(g["ru_id"], g["en_id"], strict=True)}


def template(rows: list[dict[str, str | None]], glossary: Glossary, encoder: str) -> Path:
    """A workspace without items whose caches hold the sentence vectors and keys of ``rows`` and the seeds,
    so each scenario below only links (built once, copied per scenario)."""
    path = OUT / f"template_{encoder}.db"
    if path.exists():
        return path
    texts = [(str(r["lang"]), "", str(r["text"])) for r in rows]
    with Workspace(OUT / "seedsonly.db") as s:
        ingest_paths(s, [ROOT / "seeds"])
        items = s.items()
    texts += list(zip(items["lang"], items["title"], items["text"], strict=True))
    tmp = path.with_suffix(".tmp")
    with Workspace(tmp) as ws:
        embed_texts(ws, encoder, [u for lg, t, x in texts for u in item_units(t, x, lg)])
        cached_key_sets(ws, [f"{t}\n{x}" for _, t, x in texts], [lg for lg, _, _ in texts], glossary)
    tmp.rename(path)
    return path


def linked(path: Path, rows: list[dict[str, str | None]], glossary: Glossary, encoder: str,
           seeds: bool = False) -> set[tuple[str, str]]:
    """Link a fresh workspace (a copy of the caches' template) holding ``rows`` (and the seeds): its links."""
    if path.exists():
        path.unlink()
    if TEMPLATE:
        shutil.copy(TEMPLATE[0], path)
    with Workspace(path) as ws:
        if seeds:
            ingest_paths(ws, [ROOT / "seeds"])
        if rows:
            ws.add_items(rows)
        link_workspace(ws, encoder=encoder, glossary=glossary)
        return set(ws.link_rows())


def prf(pred: set, gold: set) -> dict[str, float]:
    tp = len(pred & gold)
    p, r = tp / max(1, len(pred)), tp / max(1, len(gold))
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / max(1, len(a | b))


def lone_pairs(n: int, glossary: Glossary, encoder: str) -> dict[str, object]:
    """n gold news pairs each alone, and n RU reports each with an unrelated EN report."""
    meta = pd.read_csv(EVAL / "docalign" / "meta.tsv", sep="\t", dtype=str).dropna(subset=["ru_id", "en_id"])
    meta = meta[meta["domain"] == "news"].sort_values("ru_id").head(n + 1)
    rows = {r["id"]: r for r in items_of("docalign")}
    pairs = list(zip(meta["ru_id"], meta["en_id"], strict=True))
    hits, wrong = 0, 0
    for i, (r, e) in enumerate(pairs[:n]):
        hits += (r, e) in linked(OUT / "lone.db", [rows[r], rows[e]], glossary, encoder)
        other = pairs[i + 1][1]
        wrong += bool(linked(OUT / "unrelated.db", [rows[r], rows[other]], glossary, encoder))
    return {"lone_pairs_linked": hits, "unrelated_pairs_linked": wrong, "of": n}


def seeds(glossary: Glossary, encoder: str) -> dict[str, object]:
    gold = pd.read_csv(ROOT / "gold" / "seeds_links.tsv", sep="\t", dtype=str)
    g = set(zip(gold["ru_id"], gold["en_id"], strict=True))
    alone = linked(OUT / "seeds.db", [], glossary, encoder, seeds=True)
    pool = items_of("docalign", "da:") + items_of("comparable", "cp:")
    crowd = linked(OUT / "seeds_pool.db", pool, glossary, encoder, seeds=True)
    seed_links = {p for p in crowd if not p[0].startswith(("da:", "cp:"))}
    return {"seeds_alone_exact": alone == g, "seeds_with_pools_exact": seed_links == g,
            "seeds_alone": sorted(alone), "seeds_with_pools": sorted(seed_links)}


def docs_of(name: str) -> dict[str, str]:
    """Document id of each item id of an eval set (from meta.tsv)."""
    meta = pd.read_csv(EVAL / name / "meta.tsv", sep="\t", dtype=str)
    out: dict[str, str] = {}
    for col in ("ru_id", "en_id"):
        out.update({i: d for i, d in zip(meta[col], meta["doc_id"], strict=True) if isinstance(i, str)})
    return out


def pool_for(name: str, other: str) -> list[dict[str, str | None]]:
    """Distractors for ``name``: the items of ``other`` (ids prefixed). comparable's documents are all in
    docalign (its RU/EN items are halves of docalign's documents, whose whole translations are right partners),
    so comparable's distractors are only docalign's items from the other documents."""
    rows = items_of(other, "x:")
    if name == "comparable":
        mine, theirs = set(docs_of(name).values()), docs_of(other)
        rows = [r for r in rows if theirs.get(str(r["id"])[2:]) not in mine]
    return rows


def pools(glossary: Glossary, encoder: str) -> list[dict[str, object]]:
    out = []
    for name, other in (("docalign", "comparable"), ("comparable", "docalign")):
        t0 = time.time()
        alone = linked(OUT / f"{name}.db", items_of(name), glossary, encoder)
        rows = items_of(name) + pool_for(name, other)
        own = {str(r["id"]) for r in items_of(name)}
        crowd = {p for p in linked(OUT / f"{name}_pool.db", rows, glossary, encoder, seeds=True)
                 if p[0] in own and p[1] in own}
        g = gold_of(name)
        out.append({"set": name, "alone": prf(alone, g), "with_pools": prf(crowd, g),
                    "jaccard": round(jaccard(alone, crowd), 4), "links_alone": len(alone),
                    "links_with_pools": len(crowd), "distractors": len(rows) - len(items_of(name)) + 16,
                    "seconds": round(time.time() - t0, 1)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", default="use")
    ap.add_argument("--lone", type=int, default=20)
    ap.add_argument("--skip-pools", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    get_encoder(args.encoder)
    glossary = load_glossary([ROOT / "glossaries"])
    everything = items_of("docalign") + items_of("comparable") + items_of("docalign", "da:")
    TEMPLATE.append(template(everything, glossary, args.encoder))
    print(json.dumps(lone_pairs(args.lone, glossary, args.encoder)), flush=True)
    print(json.dumps(seeds(glossary, args.encoder)), flush=True)
    if not args.skip_pools:
        for r in pools(glossary, args.encoder):
            print(json.dumps(r), flush=True)
    shutil.rmtree(OUT / "tmp", ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
