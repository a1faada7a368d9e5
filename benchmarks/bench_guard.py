"""Hostile inputs (issue 26, findings 4 and 9): what a zip bomb and a big feed cost to read or refuse.

    python benchmarks/bench_guard.py bomb --mb 400 [--src PATH]
        a Word document whose document.xml holds MB megabytes of blanks (deflated to ~MB kB) ingested in a fresh
        process: wall and CPU time, peak RSS and the message. --src runs another checkout's kzalign (e.g.
        `git archive layout-v2 | tar -x -C /tmp/kzbase`) for a before/after comparison.
    python benchmarks/bench_guard.py xmlcost --entries 5000
        CPU time of the hardened XML check (kzalign.core.safexml.check_xml) against feedparser's parse of
        the same RSS feed, in one process: the share the check adds to reading a feed
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

_INGEST = r"""
import json, resource, sys, time
from kzalign.core.errors import KzalignError
from kzalign.inputs.ingest import ingest_paths
from kzalign.store.workspace import Workspace
t0, c0 = time.monotonic(), time.process_time()
try:
    with Workspace(sys.argv[2]) as ws:
        ingest_paths(ws, [sys.argv[1]])
    message = "ingested"
except KzalignError as exc:
    message = str(exc).splitlines()[0][-160:]
except MemoryError:
    message = "MemoryError"
print(json.dumps({"seconds": round(time.monotonic() - t0, 2), "cpu": round(time.process_time() - c0, 2),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "message": message}))
"""


def make_bomb(path: Path, mb: int) -> Path:
    """A python-docx document whose word/document.xml holds ``mb`` MB of blanks before ``</w:body>`` (written
    in 16 MB chunks): every reader must unpack and parse it, as in the issue's 9 MB → 1.5 GB DOCX."""
    from docfiles import write_docx

    src = write_docx(path.with_suffix(".src.docx"), ["Посол Казахстана провёл встречу с депутатами Конгресса."])
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != "word/document.xml":
                zout.writestr(info, zin.read(info))
                continue
            head, _, tail = zin.read(info).rpartition(b"</w:body>")
            with zout.open("word/document.xml", "w", force_zip64=True) as fh:
                fh.write(head)
                chunk = b" " * (16 * 2**20)
                for _ in range(mb // 16):
                    fh.write(chunk)
                fh.write(b"</w:body>" + tail)
    return path


def bomb(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = make_bomb(Path(tmp) / "bomb.docx", args.mb)
        env = {**os.environ, "PYTHONPATH": str(Path(args.src).resolve() if args.src else ROOT)}
        out = subprocess.run([sys.executable, "-c", _INGEST, str(path), str(Path(tmp) / "ws.db")], env=env, cwd=tmp,
                             capture_output=True, text=True, timeout=1800)
        res = json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else {"stderr": out.stderr[-400:]}
        print(json.dumps({"declared_mb": args.mb, "file_kb": path.stat().st_size // 1024, **res}, ensure_ascii=False))


def xmlcost(args: argparse.Namespace) -> None:
    import feedparser

    from kzalign.core.safexml import check_xml

    entry = ("<item><title>Visit {n}</title><link>https://example.org/{n}</link><pubDate>Tue, 24 Feb 2026 10:00:00 "
             "GMT</pubDate><description>The Ambassador of Kazakhstan met members of the Mexican Congress on 24 "
             "February to discuss cooperation, report {n}.</description></item>")
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>MFA</title>'
            + "".join(entry.format(n=n) for n in range(args.entries)) + "</channel></rss>")
    c0 = time.process_time()
    for _ in range(args.repeat):
        check_xml(feed, "feed.rss", allow_doctype=True)
    check = (time.process_time() - c0) / args.repeat
    c0 = time.process_time()
    feedparser.parse(feed)
    parse = time.process_time() - c0
    print(json.dumps({"entries": args.entries, "mb": round(len(feed.encode()) / 2**20, 2), "check_cpu_s": round(check, 4),
                      "feedparser_cpu_s": round(parse, 3), "check_share": round(check / parse, 4)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bomb")
    b.add_argument("--mb", type=int, default=400)
    b.add_argument("--src", default=None)
    x = sub.add_parser("xmlcost")
    x.add_argument("--entries", type=int, default=5000)
    x.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    {"bomb": bomb, "xmlcost": xmlcost}[args.cmd](args)


if __name__ == "__main__":
    main()
