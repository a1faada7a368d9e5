"""Command-line polish (issue 25 #8): global --db/-v/-q anywhere, a spinner while a model loads, an empty
export writes nothing, a failed first ingest leaves no workspace file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from kzalign.cli import hoist_global_options, main
from kzalign.engines.embed import _Lazy, embed_texts
from kzalign.store.workspace import Workspace


@pytest.fixture(scope="module")
def seeds_db(tmp_path_factory, seeds_dir) -> Path:
    db = tmp_path_factory.mktemp("global") / "ws.db"
    r = CliRunner().invoke(main, ["ingest", str(seeds_dir), "--db", str(db), "-q"])
    assert r.exit_code == 0, r.output
    return db


def _ids(output: str) -> list[str]:
    return [json.loads(line)["id"] for line in output.splitlines() if line.startswith("{")]


def test_db_v_q_are_accepted_before_or_after_the_command(seeds_db: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KZALIGN_DB", str(tmp_path / "elsewhere.db"))  # an explicit --db wins over the variable
    runner = CliRunner()
    expected = _ids(runner.invoke(main, ["items", "--db", str(seeds_db), "--format", "jsonl"]).output)
    assert len(expected) == 16
    for args in (["--db", str(seeds_db), "items", "--format", "jsonl"],
                 ["-v", "items", "--format", "jsonl", "--db", str(seeds_db)],
                 ["items", "--format", "jsonl", f"--db={seeds_db}", "-q"],
                 ["-q", "items", "-vv", "--db", str(seeds_db), "--format", "jsonl"]):
        r = runner.invoke(main, args)
        assert r.exit_code == 0, (args, r.output)
        assert _ids(r.output) == expected, args
    r = runner.invoke(main, ["items", "--format", "jsonl", "-vv", "--db", str(seeds_db)])
    assert r.exit_code == 0 and logging.getLogger("kzalign").level == logging.DEBUG
    r = runner.invoke(main, ["glossary", "list", "--kind", "place", "-v", "--format", "tsv"])
    assert r.exit_code == 0 and logging.getLogger("kzalign").level == logging.INFO
    assert not (tmp_path / "elsewhere.db").exists()


def test_option_values_and_arguments_after_dashdash_are_not_taken_for_global_options() -> None:
    args = ["glossary", "add", "Тест", "Test", "--note", "-v", "--kind", "person", "--", "-q"]
    assert hoist_global_options(main, args) == args
    assert hoist_global_options(main, ["links", "--format", "csv", "-vv", "--db", "x.db"]) == [
        "-vv", "--db", "x.db", "links", "--format", "csv"]


class _SlowToLoad(_Lazy):
    """A lazy encoder that records when it loads (stands in for USE/e5, which take seconds)."""

    name = "fake"
    signature = "fake-1"
    dim = 4

    def _load(self) -> object:
        return object()

    def _encode_batch(self, model: object, texts: list[str], kind: str) -> np.ndarray:
        return np.ones((len(texts), self.dim), dtype=np.float32)


def test_model_loading_is_reported_as_a_spinner_before_encoding(ws) -> None:
    seen: list[tuple[str, int, int]] = []
    enc = _SlowToLoad()
    embed_texts(ws, enc, ["one", "two"], progress=lambda s, d, t: seen.append((s, d, t)))
    assert seen[0] == ("loading model fake", 0, 0)  # total 0: the CLI shows a spinner
    assert seen[1:] == [("embed", 0, 2), ("embed", 2, 2)]
    seen.clear()
    embed_texts(ws, enc, ["three"], progress=lambda s, d, t: seen.append((s, d, t)))
    assert seen == [("embed", 0, 1), ("embed", 1, 1)]  # loaded once


def test_a_failed_first_ingest_leaves_no_workspace_behind(tmp_path: Path, seeds_dir: Path) -> None:
    bad = tmp_path / "notes.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0 old word file")
    runner = CliRunner()
    for db in (tmp_path / "new.db", tmp_path / "sub" / "dir" / "new.db"):
        for inputs in ([str(tmp_path / "missing.txt")], [str(bad)]):
            r = runner.invoke(main, ["ingest", *inputs, "--db", str(db)])
            assert r.exit_code == 1, r.output
            assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.doc"], r.output
    r = runner.invoke(main, ["run", str(bad), "--out", str(tmp_path / "out"), "--db", str(tmp_path / "r.db")])
    assert r.exit_code == 1 and not (tmp_path / "r.db").exists()
    existing = tmp_path / "kept.db"
    assert runner.invoke(main, ["ingest", str(seeds_dir), "--db", str(existing), "-q"]).exit_code == 0
    r = runner.invoke(main, ["ingest", str(bad), "--db", str(existing)])
    assert r.exit_code == 1 and existing.exists()  # an existing workspace is kept, unchanged
    with Workspace(existing) as w:
        assert len(w.items()) == 16


def test_work_between_reported_stages_gets_a_spinner_and_quiet_shows_nothing() -> None:
    from kzalign.cli import _Bars

    bars = _Bars()
    bars("loading model use", 0, 0)
    assert bars.spinner is not None and bars.spinner.label == "loading model use"
    bars("embed", 0, 2)
    assert bars.spinner is None and "embed" in bars.bars
    bars("embed", 2, 2)  # done: a "working" spinner covers the unreported step after it (drawn after a second)
    assert bars.spinner is not None and (bars.spinner.label, bars.spinner.delay) == ("working", 1.0)
    bars("keys", 0, 1)
    assert bars.spinner is None and "keys" in bars.bars
    bars.close()
    assert bars.spinner is None and not bars.bars
    quiet = _Bars(quiet=True)
    quiet("loading model use", 0, 0)
    quiet("embed", 0, 2)
    assert quiet.spinner is None and not quiet.bars


def test_commands_without_a_count_show_a_spinner(seeds_db: Path, seeds_dir: Path, tmp_path: Path,
                                                 monkeypatch) -> None:
    import kzalign.cli as cli

    labels: list[str] = []

    class Recorder(cli._Spinner):
        def __init__(self, label: str, delay: float = 0.0) -> None:
            labels.append(label)
            super().__init__(label, delay)

    monkeypatch.setattr(cli, "_Spinner", Recorder)
    runner = CliRunner()
    seed = str(seeds_dir / "003_8a12eeeba84bdb19.txt")
    assert runner.invoke(main, ["glossary", "check", seed, "--db", str(seeds_db)]).exit_code == 0
    assert runner.invoke(main, ["review", "export", "--out", str(tmp_path / "r.csv"), "--db", str(seeds_db)]
                         ).exit_code == 0
    assert labels == ["checking names", "writing the review file"]
    labels.clear()
    assert runner.invoke(main, ["-q", "glossary", "check", seed]).exit_code == 0
    assert labels == []  # -q: no spinner


def test_a_new_workspace_another_process_filled_meanwhile_is_kept(tmp_path: Path) -> None:
    from kzalign.store.workspace import new_or_existing_workspace

    db = tmp_path / "shared.db"
    with pytest.raises(RuntimeError), new_or_existing_workspace(db):
        with Workspace(db) as other, other.transaction():  # a second command writes into the new file meanwhile
            other.add_items([{"id": "e1", "lang": "en", "title": "t", "text": "Some text.", "date": None}])
        raise RuntimeError("this command fails")
    with Workspace(db, create=False) as w:
        assert len(w.items()) == 1
    with pytest.raises(RuntimeError), new_or_existing_workspace(tmp_path / "alone.db"):
        raise RuntimeError("fails before anything was written")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in tmp_path.iterdir()
                                                                 if p.name.startswith("shared.db"))
