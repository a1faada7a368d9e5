"""Reliability probes (issue 17): concurrent processes, a multi-MB item, a glossary with 10,000 spellings.

    python benchmarks/bench_reliability.py concurrency --trials 50 [--n 30]
        two writer processes and a reader on one workspace per trial; counts trials that lost a write,
        saw an error or a count going down
    python benchmarks/bench_reliability.py bigitem --mb 5 [--src PATH]
        name finding (Glossary.ru_names) and linker name keys on a generated single-line Russian item;
        prints seconds and peak memory of a fresh process. --src runs another checkout's kzalign
        (e.g. one made with `git archive main | tar -x -C /tmp/kzmain`) for a before/after ratio.
    python benchmarks/bench_reliability.py run --mb 5
        the whole `kzalign run seeds/ huge.jsonl --no-translate` with one generated single-line Russian item
        of MB megabytes (3% generated surnames, a full stop every ~12 words): wall time and peak RSS
    python benchmarks/bench_reliability.py same --src PATH [--per-file 150]
        names (ru_names/en_names spans, forms, English) and linker keys of this checkout and of PATH's on
        the seeds and the first items of ../shared/eval comparable and docalign: how many texts differ
    python benchmarks/bench_reliability.py variants --n 10000 [--src PATH]
        `kzalign glossary check` on the seeds with a glossary row of N variant spellings added
        (--rows R spreads them over R rows; the current kzalign refuses more than 200 on one row)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

_BIG = r"""
import json, random, resource, sys, time
from pathlib import Path
from kzalign.glossary import load_glossary, name_keys
rnd = random.Random(0)
words = ["Посол", "встретился", "с", "депутатами", "и", "обсудил", "сотрудничество", "в", "Мехико", "отметил"]
syl = ["ка", "ра", "ба", "ле", "но", "ту", "ма", "си", "ор", "ан"]
out, size, n = [], 0, int(float(sys.argv[1]) * 1e6)
while size < n:
    r = rnd.random()
    w = ("Алмурат Турганбеков" if r < 0.03 else
         "".join(rnd.choice(syl) for _ in range(3)).capitalize() + "ов" if r < 0.08 else rnd.choice(words))
    out.append(w); size += len(w.encode()) + 1
text = " ".join(out)
g = load_glossary([sys.argv[2]])
t0 = time.perf_counter(); names = g.ru_names(text); t1 = time.perf_counter()
keys = name_keys(text, "ru", g); t2 = time.perf_counter()
print(json.dumps({"mb": len(text.encode()) / 1e6, "ru_names_s": round(t1 - t0, 2), "name_keys_s": round(t2 - t1, 2),
                  "names": len(names), "keys": len(keys),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


_NAMES = r"""
import glob, json, sys
from kzalign.glossary import load_glossary, name_keys
g = load_glossary([sys.argv[1]])
root, n = sys.argv[2], int(sys.argv[3])
texts = []
for part in ("comparable", "docalign"):
    for lang in ("ru", "en"):
        with open(f"{root}/../shared/eval/{part}/{lang}.jsonl", encoding="utf-8") as fh:
            texts += [(lang, json.loads(line)["text"]) for _, line in zip(range(n), fh)]
for p in sorted(glob.glob(f"{root}/seeds/*.txt")):
    t = open(p, encoding="utf-8").read()
    texts += [("ru", t), ("en", t)]
out = []
for lang, t in texts:
    ms = g.ru_names(t) if lang == "ru" else g.en_names(t)
    out.append([[m.start, m.end, m.surface, m.en, m.form, m.verified] for m in ms] + [sorted(name_keys(t, lang, g))])
print(json.dumps(out, ensure_ascii=False))
"""


def _root(src: str | None) -> Path:
    """The checkout whose kzalign runs (``python -c`` puts the working directory first on sys.path)."""
    return Path(src).resolve() if src else ROOT


def _env(src: str | None) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(_root(src)), "OMP_NUM_THREADS": "1"}


def _glossary_dir(src: str | None) -> Path:
    base = _root(src)
    for cand in (base / "kzalign" / "data" / "glossaries", base / "glossaries"):
        if cand.is_dir():
            return cand
    raise SystemExit(f"no glossary under {base}")


def concurrency(trials: int, n: int) -> None:
    import concurrency_worker

    bad, t0 = [], time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(trials):
            res = concurrency_worker.run_trial(Path(tmp) / f"t{seed}", n, seed)
            if not res["ok"]:
                bad.append(res)
            print(f"trial {seed}: ok={res['ok']} decisions={res['decisions']}/{res['expected']} "
                  f"reads={res['reads']} {res['seconds']}s", flush=True)
    print(json.dumps({"trials": trials, "writes_per_trial": 2 * n, "failed_trials": len(bad),
                      "seconds": round(time.perf_counter() - t0, 1)}))
    for b in bad[:3]:
        print(json.dumps(b)[:2000])


def bigitem(mb: float, src: str | None) -> None:
    out = subprocess.run([sys.executable, "-c", _BIG, str(mb), str(_glossary_dir(src))], env=_env(src),
                         cwd=_root(src), capture_output=True, text=True, check=True)
    print(out.stdout.strip())


def same(src: str, per_file: int) -> None:
    runs = [subprocess.run([sys.executable, "-c", _NAMES, str(_glossary_dir(x)), str(ROOT), str(per_file)],
                           env=_env(x), cwd=_root(x), capture_output=True, text=True, check=True).stdout
            for x in (None, src)]
    a, b = (json.loads(r) for r in runs)
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    print(json.dumps({"texts": len(a), "names": sum(len(r) - 1 for r in a), "differ": len(differ),
                      "first": differ[:5]}))


def run_huge(mb: float) -> None:
    import random
    import resource

    rnd = random.Random(0)
    vocab = ("посол министр встреча сотрудничество Казахстан Мексика парламент группа дружбы стороны обсудили "
             "вопросы торговли инвестиций культуры образования Алмурат Турганбеков Мехико").split()
    syl = ["ка", "ра", "ба", "ле", "но", "ту", "ма", "си", "ор", "ан"]
    words, size = [], 0
    while size < mb * 1e6:
        w = "".join(rnd.choice(syl) for _ in range(3)).capitalize() + "ов" if rnd.random() < 0.03 else rnd.choice(vocab)
        w += "." if rnd.random() < 0.08 else ""
        words.append(w)
        size += len(w.encode()) + 1
    with tempfile.TemporaryDirectory() as tmp:
        huge = Path(tmp) / "huge.jsonl"
        huge.write_text(json.dumps({"id": "huge-ru", "lang": "ru", "date": "2025-10-01", "text": " ".join(words)},
                                   ensure_ascii=False) + "\n", encoding="utf-8")
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", "import sys; from kzalign.cli import main; main(sys.argv[1:])",
                              "run", str(ROOT / "seeds"), str(huge), "--out", f"{tmp}/out", "--db", f"{tmp}/ws.db",
                              "--no-translate", "-q"], env=_env(None), cwd=ROOT, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        outputs = sorted(p.name for p in (Path(tmp) / "out").iterdir()) if res.returncode == 0 else []
    print(json.dumps({"mb": round(size / 1e6, 2), "seconds": round(dt, 1), "rc": res.returncode, "outputs": outputs,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}))


def variants(n: int, rows: int, src: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "g"
        folder.mkdir()
        for f in _glossary_dir(src).glob("*.csv"):
            (folder / f.name).write_bytes(f.read_bytes())
        per = max(1, n // rows)
        lines = [f"Тестов{r} Тест{r},Test{r} Testov,person,"
                 + "|".join(f"Testov{r}v{i}" for i in range(per)) + ",,approved,,bench\n" for r in range(rows)]
        (folder / "zz_bench.csv").write_text("ru,en,kind,variants,forbidden,status,note,source\n" + "".join(lines),
                                             encoding="utf-8")
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", "import sys; from kzalign.cli import main; main(sys.argv[1:])", "glossary", "check", str(ROOT / "seeds"),
                              "--glossary", str(folder), "--out", str(Path(tmp) / "qa.csv")],
                             env=_env(src), cwd=_root(src), capture_output=True, text=True)
        dt = time.perf_counter() - t0
    print(json.dumps({"variants": n, "rows": rows, "seconds": round(dt, 2), "rc": res.returncode,
                      "message": (res.stdout + res.stderr).strip().splitlines()[-1:]}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("concurrency")
    c.add_argument("--trials", type=int, default=50)
    c.add_argument("--n", type=int, default=30, help="write transactions per writer and trial")
    b = sub.add_parser("bigitem")
    b.add_argument("--mb", type=float, default=5.0)
    b.add_argument("--src", help="another checkout's root (its kzalign is imported)")
    r = sub.add_parser("run")
    r.add_argument("--mb", type=float, default=5.0)
    s = sub.add_parser("same")
    s.add_argument("--src", required=True)
    s.add_argument("--per-file", type=int, default=150)
    v = sub.add_parser("variants")
    v.add_argument("--n", type=int, default=10_000)
    v.add_argument("--rows", type=int, default=50)
    v.add_argument("--src")
    a = ap.parse_args()
    if a.cmd == "concurrency":
        concurrency(a.trials, a.n)
    elif a.cmd == "bigitem":
        bigitem(a.mb, a.src)
    elif a.cmd == "run":
        run_huge(a.mb)
    elif a.cmd == "same":
        same(a.src, a.per_file)
    else:
        variants(a.n, a.rows, a.src)


if __name__ == "__main__":
    main()
