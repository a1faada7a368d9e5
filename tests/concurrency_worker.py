"""One process of the concurrency checks (tests/test_reliability.py, benchmarks/bench_reliability.py).

    python tests/concurrency_worker.py writer DB N SEED TAG OUT.json
        N write transactions; each reads a counter and the decisions inside the transaction and writes
        counter+1 and one decision (a lost update or a lost decision shows in the final counts)
    python tests/concurrency_worker.py reader DB STOPFILE SEED OUT.json
        opens the workspace again and again (as read-only commands do) until STOPFILE exists; every
        read must succeed and counts must never go down
    python tests/concurrency_worker.py hold DB SECONDS READYFILE
        holds the write lock for SECONDS (a long ``kzalign run``)
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kzalign.store.workspace import Workspace  # noqa: E402


def writer(db: str, n: int, seed: int, tag: str) -> dict[str, object]:
    rnd = random.Random(seed)
    errors: list[str] = []
    for i in range(n):
        try:
            with Workspace(db) as ws, ws.transaction():
                seen = len(ws.decision_by_key("pair"))
                count = int(ws.get_meta("counter") or 0)
                time.sleep(rnd.random() * 0.004)  # widen the window a lost update would need
                ws.record_decision("pair", f"{tag}-{i}", "accept", note=f"saw {seen}")
                ws.set_meta("counter", str(count + 1))
        except Exception:  # noqa: BLE001 - the check reports every failure
            errors.append(traceback.format_exc(limit=2))
        time.sleep(rnd.random() * 0.004)
    return {"errors": errors}


def reader(db: str, stop: str, seed: int) -> dict[str, object]:
    rnd = random.Random(seed)
    errors: list[str] = []
    reads, last = 0, (-1, -1)
    while not Path(stop).exists():
        try:
            with Workspace(db, create=False) as ws:
                now = (len(ws.decision_by_key("pair")), int(ws.get_meta("counter") or 0))
                ws.items()
            if now < last:
                errors.append(f"counts went down: {last} -> {now}")
            last = now
            reads += 1
        except Exception:  # noqa: BLE001
            errors.append(traceback.format_exc(limit=2))
        time.sleep(rnd.random() * 0.003)
    return {"errors": errors, "reads": reads}


def hold(db: str, seconds: float, ready: str) -> None:
    with Workspace(db) as ws, ws.transaction():
        ws.set_meta("holder", "yes")
        Path(ready).write_text("locked")
        time.sleep(seconds)


def run_trial(folder: Path, n: int, seed: int) -> dict[str, object]:
    """Two writer processes (``n`` transactions each) and a reader on one new workspace; what was lost."""
    folder.mkdir(parents=True, exist_ok=True)
    db, stop = folder / "ws.db", folder / "stop"
    Workspace(db).close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    me = [sys.executable, str(Path(__file__).resolve())]
    t0 = time.perf_counter()
    rd = subprocess.Popen([*me, "reader", str(db), str(stop), str(seed), str(folder / "r.json")], env=env)
    rnd = random.Random(seed)
    writers = []
    for k in range(2):
        time.sleep(rnd.random() * 0.05)
        writers.append(subprocess.Popen([*me, "writer", str(db), str(n), str(seed * 10 + k), f"w{k}",
                                         str(folder / f"w{k}.json")], env=env))
    rcs = [w.wait(timeout=600) for w in writers]
    stop.write_text("")
    rcs.append(rd.wait(timeout=120))
    results = [json.loads((folder / f).read_text()) for f in ("w0.json", "w1.json", "r.json")
               if (folder / f).exists()]
    with Workspace(db, create=False) as ws:
        decisions, counter = len(ws.decision_by_key("pair")), int(ws.get_meta("counter") or 0)
    errors = [e for r in results for e in r["errors"]]
    ok = rcs == [0, 0, 0] and len(results) == 3 and not errors and decisions == counter == 2 * n
    return {"ok": ok, "decisions": decisions, "counter": counter, "expected": 2 * n, "rcs": rcs,
            "errors": errors, "reads": results[-1].get("reads", 0) if results else 0,
            "seconds": round(time.perf_counter() - t0, 2)}


def main(argv: list[str]) -> None:
    role = argv[0]
    if role == "hold":
        hold(argv[1], float(argv[2]), argv[3])
        return
    if role == "writer":
        res = writer(argv[1], int(argv[2]), int(argv[3]), argv[4])
        out = argv[5]
    else:
        res = reader(argv[1], argv[2], int(argv[3]))
        out = argv[4]
    Path(out).write_text(json.dumps(res), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
