"""Archive scale: synthetic archives of N reports a side, every stage timed (CPU), its peak memory and the
workspace size after it, with fitted exponents between sizes.

Items are built from the public parallel sentences in ``../shared/eval`` (FLORES dev and Tatoeba, 1,997 pairs):
a Russian report is 3-12 sentences drawn from the pool (the first is its headline), its English counterpart the
same sentences in English; 10 % of each side has no counterpart. Dates spread over a year. The sentence
vectors of the pool are computed once (``--work``/pool.db) and copied into each archive before ingest, so the
figures are **encoder-cached**: no stage encodes (the ``enc`` column says how many texts a stage had to encode).

Each stage runs in its own process (ingest → link → pairs → review export → report), so its peak RSS is its own:

    python benchmarks/bench_archive.py --sizes 1000 4000 10000 [--work /tmp/kzarchive] [--stages ...]

One stage on an archive built before (the workspace is changed: review rows are remembered):

    python benchmarks/bench_archive.py --stage review --folder /tmp/kzarchive/n10000 [--review-format xlsx]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = Path(os.environ.get("KZALIGN_EVAL", ROOT.parent / "shared" / "eval"))
STAGES = ("ingest", "link", "pairs", "review", "report")


def pool() -> tuple[list[str], list[str]]:
    """The parallel sentences (RU, EN) of FLORES dev and Tatoeba."""
    ru: list[str] = []
    en: list[str] = []
    for name in ("flores", "tatoeba"):
        r = (EVAL / name / "ru.txt").read_text(encoding="utf-8").splitlines()
        e = (EVAL / name / "en.txt").read_text(encoding="utf-8").splitlines()
        for a, b in zip(r, e, strict=True):
            if a.strip() and b.strip():
                ru.append(a.strip())
                en.append(b.strip())
    return ru, en


def build_items(n: int, seed: int = 0) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """n RU and n EN items; 90 % of them pairs of the same sentences, the rest drawn on their own."""
    import numpy as np

    ru_pool, en_pool = pool()
    rng = np.random.default_rng(seed)
    day0 = np.datetime64("2024-01-01")
    ru_items, en_items = [], []
    for i in range(n):
        k = int(rng.integers(3, 13))
        idx = rng.choice(len(ru_pool), size=k, replace=False)
        day = day0 + int(rng.integers(0, 365))
        ru_items.append({"id": f"r{i:06d}", "lang": "ru", "text": "\n".join(ru_pool[j] for j in idx),
                         "date": str(day)})
        if rng.random() < 0.1:  # an English report with no Russian counterpart
            idx = rng.choice(len(en_pool), size=int(rng.integers(3, 13)), replace=False)
        en_items.append({"id": f"e{i:06d}", "lang": "en", "text": "\n".join(en_pool[j] for j in idx),
                         "date": str(day + int(rng.integers(0, 3)))})
    return ru_items, en_items


def _usage() -> tuple[float, float]:
    """(CPU seconds, peak RSS in MB) of this process so far."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def _glossary():  # noqa: ANN202 - the glossary class
    from kzalign.glossary import load_glossary

    return load_glossary([ROOT / "glossaries"])


def _encoded(db: Path) -> int:
    from kzalign.engines.embed import get_encoder
    from kzalign.store.workspace import Workspace

    with Workspace(db) as ws:
        if hasattr(ws, "count_vectors"):
            return int(ws.count_vectors(get_encoder().signature))
        # kzalign before issue 27 (to measure the code it replaced)
        sql = "SELECT COUNT(*) FROM embeddings WHERE encoder=?"
        return int(ws.conn.execute(sql, (get_encoder().signature,)).fetchone()[0])


def seed_vectors(db: Path, work: Path, ru_items: list[dict[str, str]], en_items: list[dict[str, str]]) -> int:
    """Copy the vectors of every unit of the items from the pool cache (encoding the few it lacks)."""
    from kzalign.core.text import text_hash
    from kzalign.engines.embed import cache_key, embed_texts, get_encoder
    from kzalign.stages.link import item_units
    from kzalign.store.workspace import Workspace

    enc = get_encoder()
    units = dict.fromkeys(u for it in ru_items + en_items for u in item_units("", it["text"], it["lang"]))
    texts = list(units)
    with Workspace(work / "pool.db") as pool_ws:
        vecs = embed_texts(pool_ws, enc, texts)
    with Workspace(db) as ws, ws.transaction():
        ws.put_vectors(cache_key(enc), [text_hash(t) for t in texts], vecs)
    return len(texts)


def run_stage(stage: str, db: Path, folder: Path, review_format: str = "csv") -> dict[str, float]:
    """Run one stage on workspace ``db`` in this process; its CPU seconds and peak RSS (MB)."""
    from kzalign.store.workspace import Workspace

    gl = _glossary() if stage in ("link", "review", "report") else None
    cpu0, _ = _usage()
    t0 = time.perf_counter()
    with Workspace(db) as ws:
        if stage == "ingest":
            from kzalign.inputs.ingest import ingest_paths

            ingest_paths(ws, [folder / "ru.jsonl", folder / "en.jsonl"])
        elif stage == "link":
            from kzalign.stages.link import link_workspace

            rep = link_workspace(ws, glossary=gl)
            extra = {"links": rep.links, "candidates": rep.candidates}
        elif stage == "pairs":
            from kzalign.stages.sentences import align_workspace

            extra = {"pairs": align_workspace(ws).pairs}
        elif stage == "review":
            from kzalign.stages.review import export_review

            out = folder / f"review.{review_format}"
            extra = {"rows": export_review(ws, out, what="all", glossary=gl, fmt=review_format).rows}
        elif stage == "report":
            from kzalign.stages.report import write_report

            write_report(ws, folder / "report.html", gl)
        ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cpu1, rss = _usage()
    out = {"cpu": cpu1 - cpu0, "wall": time.perf_counter() - t0, "rss": rss, "size": db.stat().st_size}
    return {**out, **(extra if stage in ("link", "pairs", "review") else {})}  # type: ignore[possibly-undefined]


def build(n: int, work: Path) -> Path:
    """A fresh archive folder for size ``n``: the two JSONL files and a workspace seeded with pool vectors."""
    folder = work / f"n{n}"
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("*"):
        f.unlink()
    ru_items, en_items = build_items(n)
    for name, items in (("ru", ru_items), ("en", en_items)):
        with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for it in items:
                fh.write(json.dumps(it, ensure_ascii=False) + "\n")
    seed_vectors(folder / "kzalign.db", work, ru_items, en_items)
    return folder


def exponents(rows: dict[int, dict[str, dict[str, float]]], key: str) -> dict[str, list[float]]:
    """log-log slope of ``key`` between consecutive sizes, per stage."""
    sizes = sorted(rows)
    out: dict[str, list[float]] = {}
    for st in STAGES:
        slopes = []
        for a, b in zip(sizes, sizes[1:], strict=False):
            va, vb = rows[a].get(st, {}).get(key), rows[b].get(st, {}).get(key)
            if va and vb and va > 0 and vb > 0:
                slopes.append(round(math.log(vb / va) / math.log(b / a), 2))
        out[st] = slopes
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000])
    ap.add_argument("--work", type=Path, default=Path("/tmp/kzarchive"))
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--review-format", default="csv", help="format of the review export stage (csv, tsv, xlsx, xliff)")
    args = ap.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, args.folder / "kzalign.db", args.folder, args.review_format)))
        return
    stages = [s for s in args.stages.split(",") if s]
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"# {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          "encoder-cached (pool vectors copied in before ingest)")
    rows: dict[int, dict[str, dict[str, float]]] = {}
    for n in args.sizes:
        folder = build(n, args.work)
        rows[n] = {}
        for st in stages:
            enc0 = _encoded(folder / "kzalign.db")
            proc = subprocess.run([sys.executable, __file__, "--stage", st, "--folder", str(folder)],
                                  capture_output=True, text=True, check=False)
            if proc.returncode:
                print(proc.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"stage {st} failed at n={n}")
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            r["enc"] = _encoded(folder / "kzalign.db") - enc0
            rows[n][st] = r
            more = " ".join(f"{k}={r[k]}" for k in ("links", "candidates", "pairs", "rows") if k in r)
            print(f"n={n:>6} {st:7s} cpu {r['cpu']:8.2f}s wall {r['wall']:8.2f}s peak {r['rss']:7.0f} MB "
                  f"ws {r['size'] / 1e6:8.1f} MB ({r['size'] / n / 2 / 1e3:5.1f} KB/item) enc {r['enc']} {more}",
                  flush=True)
    if len(rows) > 1:
        for key in ("cpu", "rss"):
            print(f"# exponents of {key} between sizes {args.sizes}: {json.dumps(exponents(rows, key))}")
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
