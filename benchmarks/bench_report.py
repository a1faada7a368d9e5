"""How fast the HTML report of 1,000 links opens in headless Chromium.

    python benchmarks/bench_report.py [--links 1000] [--pairs 5] [--runs 3]
    python benchmarks/bench_report.py --page report.html   # an existing report (e.g. of a synthetic archive)

Builds a synthetic workspace (250 Russian items, each linked to 4 English items, each link with N
sentence pairs, glossary names in every sentence), writes the report with the seed glossary, and opens
it in headless Chromium three times: the page's own clock at the end of its filter script (parse +
script, ``performance.now()``) and at the load event, and the browser's wall time against an empty page
in the same run (the difference is what the report costs).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from kzalign.core.text import sha1
from kzalign.glossary import BUNDLED_DIR, load_glossary
from kzalign.stages.report import write_report
from kzalign.store.workspace import Workspace, now_iso

ROOT = Path(__file__).resolve().parent.parent
RU = "Посол Казахстана в Мексике Алмурат Турганбеков провёл встречу {i} с депутатами группы дружбы «Казахстан – Мексика»."
EN = "Ambassador of Kazakhstan to Mexico Almurat Turganbekov held meeting {i} with the Friendship Group of Mexico."
PROBE = ("<script>document.body.setAttribute('data-script-ms',performance.now().toFixed(0));"
         "addEventListener('load',function(){document.body.setAttribute('data-load-ms',performance.now().toFixed(0));});</script>")


def build(db: Path, n_links: int, n_pairs: int) -> None:
    """A workspace with ``n_links`` links (4 per Russian item) and ``n_pairs`` pairs per link (benchmark data)."""
    ts = now_iso()
    links, pairs = [], []
    with Workspace(db) as ws, ws.transaction():
        n_ru = max(1, n_links // 4)
        for i in range(n_ru):
            text = "\n".join(RU.format(i=f"{i}-{k}") for k in range(8))
            ws.insert_item(f"ru-{i:05d}", {"lang": "ru", "title": f"Встреча {i}: посол Турганбеков в Мехико",
                                           "text": text, "date": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", "url": None,
                                           "source": None, "content_hash": sha1(text)}, False, ts)
        for j in range(n_links):
            text = "\n".join(EN.format(i=f"{j}-{k}") for k in range(8))
            ws.insert_item(f"en-{j:05d}", {"lang": "en", "title": f"Meeting {j}: Ambassador Turganbekov in Mexico City",
                                           "text": text, "date": "2026-02-23", "url": None, "source": None,
                                           "content_hash": sha1(text)}, False, ts)
            ru = f"ru-{j // 4:05d}"
            ev = {"names": ["Almurat Turganbekov", "Mexico"], "numbers": [str(j)], "days": 146, "cos": 0.7, "margin": 1.1}
            links.append((ru, f"en-{j:05d}", 0.5 + (j % 50) / 100, 1 + j % 4, json.dumps(ev), "bench"))
            pairs += [{"id": f"P{j:05d}{k}", "ru_id": ru, "en_id": f"en-{j:05d}", "ru_idx": f"[{k}]", "en_idx": f"[{k}]",
                       "ru_text": RU.format(i=k), "en_text": EN.format(i=k), "mt_en": "", "score": 0.8,
                       "regime": "parallel", "flags": "number_missing" if k == 0 else ""} for k in range(n_pairs)]
        ws.replace_links(links)
        ws.replace_pairs(pairs, "bench")


def open_times(browser: str, page: Path, profile: Path) -> tuple[float, int, int]:
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}"]
    t0 = time.perf_counter()
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=300).stdout
    wall = time.perf_counter() - t0
    script = re.search(r'data-script-ms="(\d+)"', dom)
    load = re.search(r'data-load-ms="(\d+)"', dom)
    return wall, int(script.group(1)) if script else -1, int(load.group(1)) if load else -1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--links", type=int, default=1000)
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--page", type=Path, help="time this report file instead of building one")
    args = ap.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise SystemExit("no Chromium found")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        page = base / "report.html"
        if args.page:
            shutil.copy(args.page, page)
            n = re.search(r'id="kzalign-data">([^<]*)<', page.read_text(encoding="utf-8"))
            counts = json.loads(n.group(1).replace("&quot;", '"')) if n else {}
            stats = SimpleNamespace(ru_items=counts.get("ru"), links=counts.get("links"), pairs=counts.get("pairs"))
            write_s = 0.0
        else:
            build(base / "ws.db", args.links, args.pairs)
            t0 = time.perf_counter()
            with Workspace(base / "ws.db") as ws:
                stats = write_report(ws, page, glossary=load_glossary([BUNDLED_DIR]))
            write_s = time.perf_counter() - t0
        page.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
        blank = base / "blank.html"
        blank.write_text("<!DOCTYPE html><html><body>" + PROBE + "</body></html>", encoding="utf-8")
        rows = []
        for r in range(args.runs):
            rows.append((open_times(browser, blank, base / f"p{r}b"), open_times(browser, page, base / f"p{r}")))
        size = page.stat().st_size / 2**20
        print(f"report: {stats.ru_items} RU items, {stats.links} links, {stats.pairs} pairs, {size:.1f} MB, written in {write_s:.1f}s")
        wall_extra = statistics.median(p[0] - b[0] for b, p in rows)
        print(f"chromium: script done at {statistics.median(p[1] for _, p in rows)} ms, load event at "
              f"{statistics.median(p[2] for _, p in rows)} ms (page clock); wall {statistics.median(p[0] for _, p in rows):.2f}s "
              f"vs empty page {statistics.median(b[0] for b, _ in rows):.2f}s (+{wall_extra:.2f}s), median of {args.runs}")


if __name__ == "__main__":
    main()
