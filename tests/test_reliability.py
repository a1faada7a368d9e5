"""Reliability: concurrent processes, schema migration, all-or-nothing outputs, huge items, hostile glossaries,
glossary locations and terminology exports (issue 17 items 4, 5, 8, 9, 10; issues 12 and 14, glossary parts)."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.core.errors import InputError
from kzalign.glossary import (
    BUNDLED_DIR,
    MAX_FORMS_PER_ROW,
    Glossary,
    export_glossary,
    glossary_files,
    load_glossary,
    name_keys,
    new_entry,
)
from kzalign.store.workspace import MIGRATIONS, SCHEMA_VERSION, Workspace, WorkspaceBusyError

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import concurrency_worker  # noqa: E402

HEADER = "ru,en,kind,variants,forbidden,status,note,source\n"
N_BUNDLED = sum(len(list(csv.DictReader(f.open(encoding="utf-8-sig")))) for f in glossary_files([BUNDLED_DIR]))


@pytest.fixture(scope="module")
def bundled() -> Glossary:
    return load_glossary([BUNDLED_DIR])


# -- concurrency (issue 17 #10, store side of #3) ----------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_writers_and_a_reader_lose_nothing(tmp_path: Path, seed: int) -> None:
    """Real processes: every write transaction's read-modify-write survives, the reader never fails."""
    res = concurrency_worker.run_trial(tmp_path / "trial", n=15 + random.Random(seed).randrange(10), seed=seed)
    assert res["ok"], res
    assert res["reads"] > 0


def _hold_lock(db: Path, seconds: float, tmp_path: Path) -> subprocess.Popen[bytes]:
    ready = tmp_path / "locked"
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    p = subprocess.Popen([sys.executable, str(HERE / "concurrency_worker.py"), "hold", str(db), str(seconds),
                          str(ready)], env=env)
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert time.monotonic() < deadline and p.poll() is None, "lock holder did not start"
        time.sleep(0.05)
    return p


def test_busy_workspace_reads_go_on_and_writers_get_a_clear_message(tmp_path: Path, seeds_dir: Path) -> None:
    db = tmp_path / "w.db"
    Workspace(db).close()
    holder = _hold_lock(db, 120.0, tmp_path)
    try:
        runner = CliRunner()
        r = runner.invoke(main, ["items", "--db", str(db)])  # a reader while another process writes
        assert r.exit_code == 0, r.output
        r = runner.invoke(main, ["ingest", str(seeds_dir / "003_8a12eeeba84bdb19.txt"), "--db", str(db)],
                          env={"KZALIGN_BUSY_TIMEOUT": "0.5"})
        assert r.exit_code == 1
        assert "workspace busy" in r.output and "try again" in r.output
        assert "Traceback" not in r.output and "not a kzalign workspace" not in r.output
        with pytest.raises(WorkspaceBusyError):
            with Workspace(db, timeout=0.2) as ws, ws.transaction():
                pass
    finally:
        holder.kill()  # the long writer is stopped (kill -9): its lock goes with it
        holder.wait(timeout=60)
    with Workspace(db, timeout=5) as ws:  # a writer gets through, nothing was half-done
        assert ws.count_items() == {}
        with ws.transaction():
            ws.record_decision("link", "Lx", "reject")
        assert ws.decision_by_key("link") == {"Lx": "reject"}


def test_writer_killed_mid_transaction_leaves_the_workspace_as_it_was(tmp_path: Path) -> None:
    import signal

    db = tmp_path / "w.db"
    with Workspace(db) as ws, ws.transaction():
        ws.record_decision("link", "Lkeep", "accept")
    holder = _hold_lock(db, 60.0, tmp_path)  # has written meta 'holder' inside its open transaction
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    with Workspace(db, timeout=5) as ws:
        assert ws.get_meta("holder") is None and ws.decision_by_key("link") == {"Lkeep": "accept"}
        with ws.transaction():  # the dead writer's lock is gone at once
            ws.set_meta("after", "1")
        # raw SQL on purpose: SQLite's own check that the killed writer left no damage in the file
        assert ws.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_workspace_file_trouble_is_a_message_not_a_traceback(tmp_path: Path, monkeypatch) -> None:
    import sqlite3

    db = tmp_path / "w.db"
    Workspace(db).close()

    def full(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Workspace, "items", full)
    r = CliRunner().invoke(main, ["items", "--db", str(db)])
    assert r.exit_code == 1 and "no space left for the workspace" in r.output and "Traceback" not in r.output


def test_writer_waits_for_the_lock_then_sees_current_decisions(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    Workspace(db).close()
    holder = _hold_lock(db, 1.5, tmp_path)  # holds the lock, its write not yet committed
    with Workspace(db, timeout=60) as ws, ws.transaction():
        # we got the lock only after the holder committed, and read inside BEGIN IMMEDIATE sees its write
        assert ws.get_meta("holder") == "yes"
    holder.wait(timeout=30)


# -- schema versions and migration -------------------------------------------------------------------
def test_v1_workspace_made_by_earlier_kzalign_opens_and_migrates(tmp_path: Path) -> None:
    """tests/data/workspace_v1.db was written by kzalign 0.1.0's store (schema v1, main at aaae851): items r1 (ru) and
    e1 (en) with one source each, link r1-e1 with an accepted decision, translation (m, hs), a link run."""
    db = tmp_path / "old.db"
    shutil.copy(HERE / "data" / "workspace_v1.db", db)
    with Workspace(db, create=False) as ws:
        assert ws.get_meta("schema_version") == str(SCHEMA_VERSION) and SCHEMA_VERSION == MIGRATIONS[-1][0]
        assert ws.count_items() == {"ru": 1, "en": 1}
        assert ws.items()["sources"].map(len).tolist() == [1, 1]
        assert list(ws.decision_by_key("link").values()) == ["accept"]
        assert ws.cached_translations("m", ["hs"]) == {"hs": ("mt", "")}
        assert ws.last_run("link") is not None
        assert ws.item_revisions().empty  # a table added by a later step exists and is usable
        # raw SQL on purpose: the migration's indexes are schema, which no store method exposes
        names = {r[0] for r in ws.conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"links_en", "runs_stage"} <= names
        assert ws.review_rows() == {}
    with Workspace(db, create=False) as ws:  # opening a current workspace changes nothing
        assert ws.get_meta("schema_version") == str(SCHEMA_VERSION)


def test_new_workspace_equals_migrated_one(tmp_path: Path) -> None:
    def schema(path: Path) -> set[tuple[str, str]]:
        with Workspace(path) as ws:  # raw SQL on purpose: compares the schema objects themselves
            return {(t, n) for t, n in ws.conn.execute("SELECT type, name FROM sqlite_master")}

    old = tmp_path / "old.db"
    shutil.copy(HERE / "data" / "workspace_v1.db", old)
    assert schema(tmp_path / "new.db") == schema(old)


def test_newer_workspace_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    with Workspace(db) as ws:
        ws.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    from kzalign.core.errors import WorkspaceError

    with pytest.raises(WorkspaceError, match="newer than this kzalign"):
        Workspace(db)


def test_store_methods_round_trip(ws: Workspace) -> None:
    with ws.transaction():
        ws.record_decision("pair", "P1", "fix", corrected_en="Fixed.", reviewer="ann", payload={"b": 1, "a": 2})
        ws.replace_links([("r", "e", 0.5, 1, {"names": ["Mexico"]}, "sig"),
                          dict(ru_id="r", en_id="e2", score=0.4, rank=2, evidence="{}", signature="sig")])
        ws.replace_pairs([dict(id="p1", ru_id="r", en_id="e", ru_idx="[0]", en_idx="[0]", ru_text="а",
                               en_text="a", mt_en="", score=0.9, regime="1:1", flags="")], "psig")
        ws.put_translations("m", [("h1", "src", "mt", "")])
    assert ws.decision_by_key("pair") == {"P1": "fix"}
    rec = ws.decision_map("pair")[("pair", "P1")]
    assert rec["corrected_en"] == "Fixed." and rec["payload"] == {"a": 2, "b": 1} and rec["decided_at"]
    assert list(ws.link_scores()["en_id"]) == ["e", "e2"]
    assert ws.link_rows()[("r", "e")][2] == '{"names": ["Mexico"]}'  # (score, rank, evidence, signature)
    with ws.transaction():
        ws.replace_pairs([], "psig", links=[("r", "e")])
    assert ws.count_pairs() == 0
    assert ws.cached_translations("m", ["h1", "h2"]) == {"h1": ("mt", "")}


# -- run: outputs all-or-nothing (issue 17 #4) -----------------------------------------------------------
def test_run_with_unwritable_output_fails_before_any_work(tmp_path: Path, seeds_dir: Path) -> None:
    out, db = tmp_path / "out", tmp_path / "w.db"
    (out / "links.csv").mkdir(parents=True)
    (out / "items.csv").write_text("old items", encoding="utf-8")
    r = CliRunner().invoke(main, ["run", str(seeds_dir), "--out", str(out), "--db", str(db), "-q"])
    assert r.exit_code == 1
    assert f"{out / 'links.csv'}" in r.output and "folder has its name" in r.output
    assert "Traceback" not in r.output
    assert sorted(p.name for p in out.iterdir()) == ["items.csv", "links.csv"]
    assert (out / "items.csv").read_text(encoding="utf-8") == "old items"
    with Workspace(db) as ws:
        assert ws.count_items() == {}


def test_output_failure_during_run_leaves_workspace_and_outputs(tmp_path: Path, seeds_dir: Path, use_encoder,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import kzalign.stages.pipeline as P
    from kzalign.core.outputs import OutputError

    out, db = tmp_path / "out", tmp_path / "w.db"
    out.mkdir()
    old = {n: f"old {n}" for n in ("items.csv", "links.csv", "signature.txt")}
    for n, text in old.items():
        (out / n).write_text(text, encoding="utf-8")
    opts = P.RunOptions(inputs=[str(seeds_dir)], out_dir=out, encoder=use_encoder, glossary=[str(BUNDLED_DIR)],
                        translate=False, pairs=False)
    real = P.write_csv

    def failing(path, rows, **kw):  # the disk fills up while links.csv is written
        if Path(path).name == "links.csv":
            raise OSError(28, "No space left on device")
        return real(path, rows, **kw)

    monkeypatch.setattr(P, "write_csv", failing)
    with Workspace(db) as ws:
        with pytest.raises(OutputError, match="links.csv: cannot write .No space left"):
            P.run_pipeline(ws, opts)
        assert ws.count_items() == {}  # rolled back
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == old  # untouched, no staging left
    monkeypatch.setattr(P, "write_csv", real)
    with Workspace(db) as ws:
        rep = P.run_pipeline(ws, opts)
        assert ws.count_items()["ru"] == 1
    assert sorted(p.name for p in out.iterdir()) == sorted([*old, "report.html"])
    assert rep.outputs["links"] == out / "links.csv" and "ru_id" in (out / "links.csv").read_text("utf-8-sig")


# -- linear-time name finding (issue 17 #5) ----------------------------------------------------------------
def _big_item(n_bytes: int, seed: int = 0) -> tuple[str, int]:
    """A single-line Russian item of about ``n_bytes`` (UTF-8) with known names and generated unknown ones."""
    rnd = random.Random(seed)
    words = ["Посол", "встретился", "с", "депутатами", "и", "обсудил", "сотрудничество", "в", "Мехико", "отметил"]
    syl = ["ка", "ра", "ба", "ле", "но", "ту", "ма", "си", "ор", "ан"]
    out, size, planted = [], 0, 0
    while size < n_bytes:
        r = rnd.random()
        if r < 0.03:
            w, planted = "Алмурат Турганбеков", planted + 1
        elif r < 0.08:
            w = "".join(rnd.choice(syl) for _ in range(3)).capitalize() + "ов"
        else:
            w = rnd.choice(words)
        out.append(w)
        size += len(w.encode()) + 1
    return " ".join(out), planted


def test_name_finding_on_a_5mb_single_line_item(bundled: Glossary) -> None:
    """Once quadratic (the whole preceding text searched per word); now one pass (timing: BENCHMARKS.md)."""
    text, planted = _big_item(5_000_000)
    assert len(text.encode()) >= 5_000_000 and "\n" not in text
    found = bundled.ru_names(text)
    tur = [m for m in found if m.entry is not None and m.en == "Almurat Turganbekov"]
    assert len(tur) == planted
    assert all(text[m.start:m.end] == m.surface for m in found[:1000])
    keys = name_keys(text, "ru", bundled)
    assert {"Almurat Turganbekov", "Mexico City"} <= keys
    assert len(keys) < 2000  # keys stay bounded by distinct names, not by text length


def test_initials_found_without_looking_back_over_the_text(bundled: Glossary) -> None:
    text = "x " * 10_000 + "А.Турганбеков и Б. Турганбеков; А. Б. Турганбеков."
    got = [m.surface for m in bundled.find_ru(text)]
    assert got == ["А.Турганбеков", "Б. Турганбеков", "А. Б. Турганбеков"]


# -- hostile glossaries (issue 17 #8, #9) -------------------------------------------------------------------
def test_huge_glossary_cell_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "g.csv"
    p.write_text(HEADER + "Мексика,Mexico,place,,,approved,,\n" + "Мехико,Mexico City,place,,,approved," + "x" * 140_000
                 + ",\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_glossary([p])
    assert f"{p}:3" in str(exc.value) and "longer than" in str(exc.value)
    r = CliRunner().invoke(main, ["glossary", "list", "--glossary", str(p)])
    assert r.exit_code == 1 and f"{p}:3" in r.output and "Traceback" not in r.output and "_csv" not in r.output
    p.write_text(HEADER + "Мексика,Mexico,place,,,approved," + "n" * 20_000 + ",\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"g.csv:2: column 'note' has 20,000 characters"):
        load_glossary([p])


def test_too_many_variants_on_a_row_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "g.csv"
    variants = "|".join(f"Mexiko{i}" for i in range(10_000))
    p.write_text(HEADER + f"Мексика,Mexico,place,{variants},,approved,,\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"g.csv:2: 10000 variant/forbidden spellings; at most {MAX_FORMS_PER_ROW}"):
        load_glossary([p])


def test_ten_thousand_variants_are_indexed(tmp_path: Path) -> None:
    """10,000 spellings (50 rows of 200) load and match through the index (timing: BENCHMARKS.md)."""
    rows = []
    for r in range(50):
        forms = "|".join(f"Zed{r}x{i}" for i in range(1, 200))
        rows.append(f"Имя{r} Фамилия{r},Zed{r}x0 Sur{r},person,{forms},,approved,,\n")
    p = tmp_path / "g.csv"
    p.write_text(HEADER + "".join(rows), encoding="utf-8")
    g = load_glossary([p])
    got = g.find_en("Met Zed7x150 and zed49x0 Sur49, then Zed3x0's aide Sur3.")
    assert [(m.surface, m.en, m.form) for m in got] == [
        ("Zed7x150", "Zed7x0 Sur7", "variant"), ("zed49x0 Sur49", "Zed49x0 Sur49", "approved"),
        ("Sur3", "Zed3x0 Sur3", "approved")]


# -- glossary locations (issues 14, 17) -------------------------------------------------------------------
def _bundled_state() -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in BUNDLED_DIR.iterdir()}


def test_glossary_add_in_a_new_folder_keeps_the_bundled_entries(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KZALIGN_GLOSSARY", raising=False)
    monkeypatch.setenv("KZALIGN_HOME", str(tmp_path))
    before = _bundled_state()
    runner = CliRunner()
    r = runner.invoke(main, ["glossary", "add", "Айгерим Сейсенова", "Aigerim Seissenova", "--kind", "person",
                             "--source", "test"])
    assert r.exit_code == 0, r.output
    assert "copied the bundled glossary" in r.output
    g = load_glossary([tmp_path / "glossaries"])
    assert len(g.entries) == N_BUNDLED + 1 and N_BUNDLED == 84
    r = runner.invoke(main, ["glossary", "list", "--format", "jsonl"])  # the default now reads $KZALIGN_HOME/glossaries
    assert len(r.output.splitlines()) == N_BUNDLED + 1
    assert _bundled_state() == before  # the installed package is never written


def test_user_glossary_from_environment_and_bundled_is_read_only(tmp_path: Path, monkeypatch) -> None:
    user = tmp_path / "mine"
    monkeypatch.setenv("KZALIGN_GLOSSARY", str(user))
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["glossary", "list"])
    assert r.exit_code == 1 and "KZALIGN_GLOSSARY" in r.output and str(user) in r.output
    user.mkdir()
    r = CliRunner().invoke(main, ["glossary", "add", "Серик Жумангарин", "Serik Zhumangarin", "--kind", "person"])
    assert r.exit_code == 0 and (user / "people.csv").exists(), r.output
    r = CliRunner().invoke(main, ["glossary", "add", "Ерлан Карин", "Yerlan Karin", "--kind", "person",
                                  "--to", str(BUNDLED_DIR)])
    assert r.exit_code == 1 and "bundled glossary" in r.output


def test_glossary_out_never_overwrites_the_workspace(tmp_path: Path, seeds_dir: Path) -> None:
    db = tmp_path / "w.db"
    Workspace(db).close()
    before = db.read_bytes()
    for cmd in (["glossary", "check", str(seeds_dir / "003_8a12eeeba84bdb19.txt")], ["glossary", "extract"]):
        r = CliRunner().invoke(main, [*cmd, "--db", str(db), "--out", str(db), "--glossary", str(BUNDLED_DIR)])
        assert r.exit_code == 1 and "is the workspace" in r.output, r.output
    assert db.read_bytes() == before


# -- exports (issue 14) --------------------------------------------------------------------------------------
def test_tbx_export_validates_against_tbx_basic_schema(tmp_path: Path, bundled: Glossary) -> None:
    etree = pytest.importorskip("lxml.etree")
    rng = etree.RelaxNG(etree.parse(str(HERE / "data" / "tbx" / "TBXcoreStructV03_TBX-Basic_integrated.rng")))
    out = tmp_path / "g.tbx"
    r = CliRunner().invoke(main, ["glossary", "export", "--format", "tbx", "--out", str(out), "--glossary",
                                  str(BUNDLED_DIR), "--source-lang", "ru-RU", "--target-lang", "en-GB"])
    assert r.exit_code == 0, r.output
    doc = etree.parse(str(out))
    assert rng.validate(doc), rng.error_log
    ns = {"t": "urn:iso:std:iso:30042:ed:3.0"}
    assert len(doc.findall(".//t:conceptEntry", ns)) == len(bundled.entries)
    isetov = doc.xpath(".//t:conceptEntry[.//t:term='Арман Исетов']", namespaces=ns)[0]
    status = {t.findtext("t:term", namespaces=ns): t.findtext("t:termNote[@type='administrativeStatus']",
                                                               namespaces=ns)
              for t in isetov.findall(".//t:termSec", ns)}
    assert status["Arman Issetov"] == "preferredTerm-admn-sts"
    assert status["Arman Isetov"] == "deprecatedTerm-admn-sts"
    broken = etree.fromstring(out.read_bytes().replace(b"<term>", b"<terms>").replace(b"</term>", b"</terms>"))
    assert not rng.validate(broken)  # the schema really checks the structure


def test_omegat_export_has_no_header_and_keeps_variants(tmp_path: Path) -> None:
    g = Glossary([new_entry("Арман Исетов", "Arman Issetov", "person", variants="A. Issetov",
                            forbidden="Arman Isetov|Isetov", note="Deputy\tMinister")], "t")
    out = export_glossary(g, tmp_path / "names.txt", "omegat")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [ln.split("\t") for ln in lines] == [
        ["Арман Исетов", "Arman Issetov", "person; never: Arman Isetov | Isetov; Deputy Minister"],
        ["Арман Исетов", "A. Issetov", "variant of Arman Issetov"]]


def test_glossary_list_formats(bundled: Glossary) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["glossary", "list", "--glossary", str(BUNDLED_DIR), "--format", "csv"])
    assert r.exit_code == 0
    assert r.stdout_bytes.startswith("\ufeffru,en,kind,variants,forbidden,status,note,source\r\n".encode())
    r = runner.invoke(main, ["glossary", "list", "--glossary", str(BUNDLED_DIR), "--format", "jsonl",
                             "--kind", "person"])
    recs = [json.loads(x) for x in r.output.splitlines()]
    tok = next(x for x in recs if x["ru"] == "Касым-Жомарт Токаев")
    assert "Tokaev" in tok["forbidden"] and isinstance(tok["variants"], list)
    assert {x["kind"] for x in recs} == {"person"}
