"""Review round trip at scale: export a review CSV, decide every row, import it, export TMX.

A synthetic workspace with N links of 5 sentence pairs each (no models needed). Prints CPU seconds per stage
for two sizes and the per-row time ratio (≈1 when the round trip is linear in the number of rows). "second"
is a second reviewer's file deciding every row the other way (each import replacing a decision is recorded in
the decision history and reported).

    python benchmarks/bench_review.py --links 200 1000
    python benchmarks/bench_review.py --links 2000 20000 --sample 200
        # a reviewer decides 200 rows of a full export: import CPU and peak Python memory at both sizes
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import tempfile
import time
import tracemalloc
from pathlib import Path

from kzalign.stages.review import export_pairs, export_review, import_review
from kzalign.stages.sentences import pair_key
from kzalign.store.workspace import Workspace


def build(path: Path, n_links: int, per_link: int = 5) -> Workspace:
    ws = Workspace(path)
    items, links, pairs = [], [], []
    for i in range(n_links):
        ru, en = f"r{i}", f"e{i}"
        items += [{"id": ru, "lang": "ru", "title": f"Заголовок {i}", "text": f"текст {i}", "date": "2026-02-24"},
                  {"id": en, "lang": "en", "title": f"Title {i}", "text": f"text {i}", "date": "2026-02-24"}]
        links.append((ru, en, 0.9, 1, "{}", "s"))
        pairs += [{"id": pair_key(ru, en, [j], [j]), "ru_id": ru, "en_id": en, "ru_idx": json.dumps([j]),
                   "en_idx": json.dumps([j]), "ru_text": f"Предложение {i}.{j} о переговорах.",
                   "en_text": f"Sentence {i}.{j} on the talks.", "mt_en": "", "score": 0.8, "regime": "parallel",
                   "flags": ""} for j in range(per_link)]
    with ws.transaction():
        ws.add_items(items)
        ws.replace_links(links)
        ws.replace_pairs(pairs, "s")
    return ws


def _decided(folder: Path, name: str, rows: list[dict[str, str]], choices: tuple[str, ...], who: str) -> Path:
    for k, r in enumerate(rows):
        r["decision"] = choices[k % 3]
        r["corrected_en"] = "Fixed." if r["decision"] == "fix" else ""
        r["reviewer"] = who
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    (folder / name).write_text("\ufeff" + buf.getvalue(), encoding="utf-8")
    return folder / name


def run(n_links: int, folder: Path) -> dict[str, float]:
    ws = build(folder / f"ws{n_links}.db", n_links)
    t = {}
    t0 = time.process_time()
    export_review(ws, folder / f"r{n_links}.csv", what="pairs")
    t["export"] = time.process_time() - t0
    rows = list(csv.DictReader(io.StringIO((folder / f"r{n_links}.csv").read_text(encoding="utf-8-sig"))))
    first = _decided(folder, f"d{n_links}.csv", rows, ("accept", "reject", "fix"), "aigerim")
    t0 = time.process_time()
    rep = import_review(ws, first)
    t["import"] = time.process_time() - t0
    second = _decided(folder, f"e{n_links}.csv", rows, ("reject", "fix", "accept"), "dana")
    t0 = time.process_time()
    rep2 = import_review(ws, second)
    t["second"] = time.process_time() - t0
    t0 = time.process_time()
    out = export_pairs(ws, folder / f"m{n_links}.tmx")
    t["tmx"] = time.process_time() - t0
    t["rows"] = len(rows)
    assert rep.applied == len(rows) and rep2.applied == len(rows) == len(rep2.replaced)
    assert out.units == sum(1 for k in range(len(rows)) if k % 3 != 0)
    ws.close()
    return t


def sample(n_links: int, folder: Path, decided: int) -> dict[str, float]:
    """Import a full export of which only ``decided`` rows carry a decision: CPU and peak traced memory."""
    ws = build(folder / f"ws{n_links}.db", n_links)
    before = _db_bytes(ws)
    export_review(ws, folder / f"r{n_links}.csv", what="pairs")
    growth = _db_bytes(ws) / before
    rows = list(csv.DictReader(io.StringIO((folder / f"r{n_links}.csv").read_text(encoding="utf-8-sig"))))
    path = _decided(folder, f"d{n_links}.csv", rows[:decided], ("accept", "reject", "fix"), "aigerim")
    _decided(folder, "all.csv", rows, ("accept", "reject", "fix"), "aigerim")
    blank = [{**r, "decision": "", "corrected_en": "", "reviewer": ""} for r in rows[decided:]]
    text = path.read_text(encoding="utf-8")
    buf = io.StringIO()
    csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\r\n").writerows(blank)
    path.write_text(text + buf.getvalue(), encoding="utf-8")
    del rows, blank, text
    tracemalloc.start()
    t0 = time.process_time()
    rep = import_review(ws, path)
    cpu = time.process_time() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert rep.applied == decided
    ws.close()
    return {"rows": 5 * n_links, "cpu": cpu, "peak": peak, "growth": growth}


def _db_bytes(ws: Workspace) -> int:
    """The workspace's pages in use (what a VACUUMed file would take)."""
    pages = ws.conn.execute("PRAGMA page_count").fetchone()[0] - ws.conn.execute("PRAGMA freelist_count").fetchone()[0]
    return int(pages * ws.conn.execute("PRAGMA page_size").fetchone()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--links", type=int, nargs=2, default=[200, 1000])
    ap.add_argument("--sample", type=int, default=0, help="decide only this many rows of a full export")
    args = ap.parse_args()
    if args.sample:
        with tempfile.TemporaryDirectory() as d:
            out = [sample(n, Path(d), args.sample) for n in args.links]
        for r in out:
            print(f"{int(r['rows'])} rows exported (workspace x{r['growth']:.2f} after the export), {args.sample} "
                  f"decided: import CPU {r['cpu']:.2f}s, peak traced memory {r['peak']:.1f} MB")
        print(f"peak memory ratio: {out[1]['peak'] / out[0]['peak']:.2f} for {out[1]['rows'] / out[0]['rows']:.0f}x rows")
        return
    with tempfile.TemporaryDirectory() as d:
        res = [run(n, Path(d)) for n in args.links]
    for r in res:
        print(f"{int(r['rows'])} rows, CPU: export {r['export']:.2f}s, import {r['import']:.2f}s, second reviewer "
              f"{r['second']:.2f}s, TMX {r['tmx']:.2f}s")
    small, big = res
    total = [sum(r[k] for k in ("export", "import", "second", "tmx")) / r["rows"] for r in res]
    print(f"per-row time ratio ({int(big['rows'])} vs {int(small['rows'])} rows): {total[1] / total[0]:.2f}")


if __name__ == "__main__":
    main()
