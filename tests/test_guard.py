"""Nothing lost, round two (issue 26, findings 1, 4, 7, 11): one output guard for every writer, input folders
that never lead outside themselves, read-only workspaces readable, stale staging folders cleaned."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.core.errors import KzalignError
from kzalign.core.outputs import STAGING_PREFIX, OutputSet
from kzalign.formats.guard import check_output
from kzalign.inputs.readers import ReadOptions, ReadResult, collect_files, read_file

RU = "Президент провёл встречу\nПрезидент Казахстана провёл встречу с послом Франции в Астане сегодня утром.\n"
REVIEWED = ("row_id,kind,ru_id,en_id,ru_text,mt_en,en_text,score,evidence,flags,check,decision,corrected_en,"
            "reviewer,note,signature\nL1,link,ru-1,en-1,а,,b,0.9,,,h1,accept,,anna,,kzalign-review\n")


def _kz(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KZALIGN_GLOSSARY", raising=False)
    (tmp_path / "ru.txt").write_text(RU, encoding="utf-8")
    code, out = _kz("ingest", "ru.txt", "--db", "ws.db")
    assert code == 0, out
    return tmp_path


# -- finding 1: glossary check/export never overwrite the workspace, a reviewed file or a glossary folder -------
@pytest.mark.parametrize("out", ["ws.db", "ws.db-wal", "link-to-ws.db"])
def test_glossary_check_out_never_overwrites_the_workspace(here: Path, out: str) -> None:
    (here / "link-to-ws.db").symlink_to(here / "ws.db")
    assert _kz("ingest", "ru.txt", "--db", "other.db")[0] == 0
    before = _sha(here / "ws.db")  # the repro: checking one workspace, --out naming another
    code, text = _kz("glossary", "check", "--db", "other.db", "--out", out) if out == "ws.db" else \
        _kz("glossary", "check", "--db", "ws.db", "--out", out)
    assert code == 1, text
    assert "workspace" in text or "SQLite" in text
    assert _sha(here / "ws.db") == before


@pytest.mark.parametrize("cmd", [["glossary", "check", "--db", "ws.db"], ["glossary", "export", "--format", "csv"],
                                 ["glossary", "export", "--format", "omegat"]])
def test_glossary_outputs_refuse_workspace_and_reviewed_file(here: Path, cmd: list[str]) -> None:
    (here / "reviewed.csv").write_text(REVIEWED, encoding="utf-8")
    for target in ("ws.db", "reviewed.csv"):
        before = _sha(here / target)
        code, text = _kz(*cmd, "--out", target)
        assert code == 1, text
        assert _sha(here / target) == before


def test_glossary_export_into_a_glossary_folder_is_refused(here: Path) -> None:
    gl = here / "gl"
    gl.mkdir()
    (gl / "places.csv").write_text("ru,en,kind\nАстана,Astana,place\n", encoding="utf-8")
    code, text = _kz("glossary", "export", "--format", "csv", "--out", "gl/people.csv")
    assert code == 1 and "glossary folder" in text
    code, text = _kz("glossary", "export", "--glossary", "gl", "--format", "csv", "--out", "gl/people.csv")
    assert code == 1 and "input folder" in text
    assert not (gl / "people.csv").exists()
    code, text = _kz("glossary", "export", "--glossary", "gl", "--format", "csv", "--out", "gl/places.csv")
    assert code == 1
    code, text = _kz("glossary", "list", "--glossary", "gl", "--format", "jsonl")
    assert code == 0 and "Astana" in text  # the folder still loads


def test_glossary_add_to_workspace_names_it(here: Path) -> None:
    (here / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")  # a CSV beside it is not what is wrong
    code, text = _kz("glossary", "add", "Иван", "Ivan", "--kind", "person", "--to", "ws.db")
    assert code == 1
    assert text.startswith("Error: ws.db:") and "SQLite" in text and "other.csv" not in text


def test_guard_rules(tmp_path: Path) -> None:
    ws = tmp_path / "ws.db"
    sqlite3.connect(ws).execute("CREATE TABLE t(x)").connection.commit()
    hard = tmp_path / "hard.txt"
    os.link(ws, hard)
    inputs = tmp_path / "news"
    inputs.mkdir()
    for bad in (ws, hard, tmp_path / "ws.db-journal", inputs / "out.csv", tmp_path):
        with pytest.raises(KzalignError):
            check_output(bad, workspace=ws, inputs=[inputs])
    with pytest.raises(KzalignError, match="regular"):
        check_output("/dev/null")
    assert check_output(tmp_path / "fine.csv", workspace=ws, inputs=[inputs]) == tmp_path / "fine.csv"
    (tmp_path / "gl").mkdir()
    (tmp_path / "gl" / "people.csv").write_bytes("\ufeffru;en;kind\r\n".encode())  # saved by Excel
    with pytest.raises(KzalignError, match="glossary"):
        check_output(tmp_path / "gl" / "report.csv")
    assert check_output(tmp_path / "gl" / "names.tbx")  # the loader reads only CSV files
    assert check_output(tmp_path / "gl" / "candidates.csv")  # the loader skips candidates files


# -- finding 11: run's outputs inside an input folder; stale staging folders -------------------------------------
def test_run_out_inside_an_input_folder_is_refused_before_work(here: Path) -> None:
    news = here / "news"
    news.mkdir()
    shutil.copy(here / "ru.txt", news / "ru.txt")
    code, text = _kz("run", "news", "--out", "news", "--db", "run.db", "--no-translate", "-q")
    assert code == 1 and "input folder" in text, text
    assert sorted(p.name for p in news.iterdir()) == ["ru.txt"]
    assert not (here / "run.db").exists()  # nothing was ingested: a failed first run leaves no workspace (issue 25)


def test_stale_staging_folder_of_a_killed_run_is_cleaned(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = out / f"{STAGING_PREFIX}{int(dead.stdout)}-abc123"
    live = out / f"{STAGING_PREFIX}{os.getppid()}-def456"  # a run still writing here
    legacy = out / f"{STAGING_PREFIX}k2j4h5g6"
    for d in (stale, live, legacy):
        d.mkdir()
        (d / "items.csv").write_text("x", encoding="utf-8")
    old = time.time() - 7200
    os.utime(legacy, (old, old))
    outputs = OutputSet(out, ["a.txt"])
    outputs.check()
    outputs.stage("a.txt", lambda p: (p.write_text("a", encoding="utf-8"), p)[1])
    outputs.publish()
    assert not stale.exists() and not legacy.exists()
    assert live.exists()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["a.txt"]


# -- finding 4: symlinks out of an input folder, devices and pipes, --max-file-mb on everything -----------------
def test_symlink_out_of_an_input_folder_is_skipped_with_a_warning(here: Path) -> None:
    news = here / "news"
    news.mkdir()
    shutil.copy(here / "ru.txt", news / "ru.txt")
    secret = here / "secret"
    secret.mkdir()
    (secret / "passwd.txt").write_text("root:x:0:0:root:/root:/bin/bash\n" * 3, encoding="utf-8")
    (news / "news.txt").symlink_to(secret / "passwd.txt")
    (news / "inside.txt").symlink_to(news / "ru.txt")  # a link that stays inside is read (as a copy)
    warnings: list = []
    files, problems = collect_files([news], warnings)
    assert [f.name for f in files] == ["inside.txt", "ru.txt"] or [f.name for f in files] == ["inside.txt"]
    assert not problems
    assert any("news.txt" in w.path and "outside the input folder" in w.message for w in warnings)
    code, text = _kz("ingest", "news", "--db", "n.db")
    assert code == 0 and "outside the input folder" in text
    code, text = _kz("items", "--db", "n.db", "--format", "jsonl")
    assert "root:x" not in text


def test_devices_and_pipes_are_refused_naming_them(here: Path) -> None:
    code, text = _kz("ingest", "/dev/zero", "--db", "z.db")
    assert code == 1 and "/dev/zero: not a regular file" in text
    news = here / "news"
    news.mkdir()
    os.mkfifo(news / "pipe.txt")
    shutil.copy(here / "ru.txt", news / "ru.txt")
    warnings: list = []
    files, _ = collect_files([news], warnings)
    assert [f.name for f in files] == ["ru.txt"]
    assert any("pipe.txt" in w.path for w in warnings)
    res = ReadResult()
    assert read_file(news / "pipe.txt", res, ReadOptions()) == []  # named directly: refused, never opened
    assert "not a regular file" in res.problems[0].message


def test_max_file_mb_bounds_every_read(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text(RU * 40_000, encoding="utf-8")  # ~4 MB
    res = ReadResult()
    assert read_file(big, res, ReadOptions(max_file_bytes=2**20)) == []
    assert "--max-file-mb" in res.problems[0].message


# -- finding 7: a workspace on a read-only file system is read by reading commands -------------------------------
def _as_unprivileged(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run kzalign so that file permissions apply: as root without capabilities (root ignores permissions)."""
    cmd = [sys.executable, "-c", "from kzalign.cli import main; main()", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file permissions cannot be made to apply")
        cmd = [setpriv, "--bounding-set=-all", "--inh-caps=-all", *cmd]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("folder_writable", [False, True])
def test_read_only_workspace_can_be_read(here: Path, folder_writable: bool) -> None:
    ro = here / "ro"
    ro.mkdir()
    shutil.copy(here / "ws.db", ro / "ws.db")
    (ro / "ws.db").chmod(0o444)
    ro.chmod(0o755 if folder_writable else 0o555)
    try:
        res = _as_unprivileged(["items", "--db", "ro/ws.db", "--format", "jsonl"], here)
        assert res.returncode == 0, res.stderr
        assert "Президент Казахстана" in res.stdout
        res = _as_unprivileged(["ingest", "ru.txt", "--db", "ro/ws.db"], here)
        assert res.returncode == 1 and "read-only" in res.stderr, res.stderr
    finally:
        ro.chmod(0o755)
    assert _sha(ro / "ws.db") == _sha(here / "ws.db")


def test_read_only_workspace_opens_with_mode_ro(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The code path itself: a workspace whose file is not writable is opened through a ``mode=ro`` URI."""
    from kzalign.store import workspace as wsmod

    seen: list[str] = []
    real = sqlite3.connect

    def spy(target: str, *args: object, **kwargs: object) -> sqlite3.Connection:
        seen.append(str(target))
        return real(target, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(wsmod.os, "access", lambda path, mode: False)
    monkeypatch.setattr(wsmod.sqlite3, "connect", spy)
    with wsmod.Workspace(here / "ws.db", create=False) as ws:
        assert ws.read_only and len(ws.items()) == 1
        with pytest.raises(KzalignError, match="read-only"):
            with ws.transaction():
                pass
    assert seen and all("mode=ro" in s for s in seen)


# -- finding 6: TSV listings and the OmegaT export protect formula cells; review export to .tsv ------------------
def test_tsv_listing_neutralises_formula_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.chdir(tmp_path)
    rows = [{"id": "r1", "lang": "ru", "title": '=HYPERLINK("http://evil","click")',
             "text": "+cmd|' /C calc'!A0 Президент Казахстана провёл встречу с послом Франции в Астане."},
            {"id": "e1", "lang": "en", "title": "@SUM(1+1)", "text": "-2+3 The President of Kazakhstan met the "
                                                                     "Ambassador of France in Astana today."}]
    Path("n.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert _kz("ingest", "n.jsonl", "--db", "ws.db")[0] == 0
    code, text = _kz("items", "--db", "ws.db", "--format", "tsv")
    assert code == 0
    cells = [c for line in text.splitlines()[1:] for c in line.split("\t")]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], cells
    assert "'=HYPERLINK(\"http://evil\",\"click\")" in cells and "'@SUM(1+1)" in cells


def test_omegat_export_flags_formula_terms_and_protects_comments(tmp_path: Path) -> None:
    from kzalign.glossary import Glossary, export_glossary, new_entry

    g = Glossary([new_entry("Астана", "Astana", "place", note="=HYPERLINK(\"http://evil\")"),
                  new_entry("Минус", "-Minus", "other", variants="@Minus")], "sig")
    warnings: list[str] = []
    out = export_glossary(g, tmp_path / "names.txt", "omegat", warnings=warnings)
    lines = [ln.split("\t") for ln in out.read_text(encoding="utf-8").splitlines()]
    assert all(not c[2].startswith(("=", "+", "-", "@")) for c in lines)  # comments protected
    assert ["Минус", "-Minus"] == lines[1][:2] and ["Минус", "@Minus"] == lines[2][:2]  # terms unchanged
    assert "formula" in lines[1][2] and "formula" in lines[2][2] and "formula" not in lines[0][2]
    assert len(warnings) == 2 and "-Minus" in warnings[0]


def test_review_export_to_tsv_writes_tabs_and_reads_back(seeds_linked_db: Path, tmp_path: Path) -> None:
    from kzalign.formats.review_file import read_review_file
    from kzalign.stages.review import export_review, import_review
    from kzalign.store.workspace import Workspace

    db = tmp_path / "ws.db"
    shutil.copy(seeds_linked_db, db)
    with Workspace(db) as ws:
        rep = export_review(ws, tmp_path / "rev.tsv", what="links")
    assert rep.fmt == "tsv" and rep.rows > 0
    import csv
    import io

    raw = (tmp_path / "rev.tsv").read_bytes().decode("utf-8-sig")
    header = raw.splitlines()[0]
    assert header.split("\t")[:3] == ["row_id", "kind", "ru_id"] and "," not in header
    rows = list(csv.reader(io.StringIO(raw, newline=""), delimiter="\t"))
    rows[1][rows[0].index("decision")] = "reject"
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\r\n").writerows(rows)
    (tmp_path / "rev.tsv").write_text("\ufeff" + buf.getvalue(), encoding="utf-8", newline="")
    assert read_review_file(tmp_path / "rev.tsv").rows[0][1]["decision"] == "reject"
    with Workspace(db) as ws:
        assert import_review(ws, tmp_path / "rev.tsv").applied == 1


# -- finding 11: glossaries as Excel saves them; a stated language the text contradicts --------------------------
@pytest.mark.parametrize("encoding,bom", [("utf-8", True), ("cp1251", False), ("utf-16", False)])
def test_glossary_saved_by_excel_loads(tmp_path: Path, encoding: str, bom: bool) -> None:
    from kzalign.glossary import load_glossary

    text = ("ru;en;kind;variants;forbidden;status;note;source\r\n"
            "Турганбеков;Turganbekov;person;Turganbekov A.;;approved;посол;МИД\r\n"
            "Астана;Astana;place;;Akmola;approved;;\r\n")
    path = tmp_path / "names.csv"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode(encoding))
    g = load_glossary([path])
    assert [(e.ru, e.en, e.kind) for e in g.entries] == [("Турганбеков", "Turganbekov", "person"),
                                                        ("Астана", "Astana", "place")]
    assert g.entries[0].variants == ("Turganbekov A.",) and g.entries[0].note == "посол"


def test_stated_language_the_text_contradicts_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.chdir(tmp_path)
    rows = [{"id": "x1", "lang": "ru", "text": "The President of Kazakhstan met the Ambassador of France in Astana."},
            {"id": "x2", "lang": "en", "text": "Президент Казахстана провёл встречу с послом Франции в Астане."},
            {"id": "x3", "lang": "ru", "text": "Президент Казахстана встретился с послом Франции (Ambassador)."}]
    Path("n.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    code, text = _kz("ingest", "n.jsonl", "--db", "ws.db")
    assert code == 0
    assert "n.jsonl:1: lang is 'ru'" in text and "n.jsonl:2: lang is 'en'" in text and "n.jsonl:3" not in text


def test_read_only_workspace_with_a_pending_wal_says_so(tmp_path: Path) -> None:
    """A read-only folder whose workspace still has changes in its -wal (a writer killed before checkpointing)
    and no -shm: SQLite cannot read it without writing; the message names the -wal file and what to do."""
    ro = tmp_path / "ro"
    ro.mkdir()
    script = ("import os, sqlite3, sys\n"
              "from kzalign.store.workspace import Workspace\n"
              "ws = Workspace(sys.argv[1]); ws.conn.execute('PRAGMA wal_autocheckpoint=0')\n"
              "with ws.transaction(): ws.set_meta('x', '1')\n"
              "os._exit(0)\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    subprocess.run([sys.executable, "-c", script, str(ro / "ws.db")], env=env, check=True, timeout=120)
    (ro / "ws.db-shm").unlink()
    assert (ro / "ws.db-wal").stat().st_size > 0
    ro.chmod(0o555)
    try:
        res = _as_unprivileged(["items", "--db", "ro/ws.db"], tmp_path)
    finally:
        ro.chmod(0o755)
    assert res.returncode == 1 and "ws.db-wal" in res.stderr and "read-only" in res.stderr, res.stderr


def test_pairs_tsv_export_warns_about_formula_sentences() -> None:
    import pandas as pd

    from kzalign.stages.review import _formula_warning

    df = pd.DataFrame({"pair_id": ["p1", "p2"], "ru_text": ["Обычное предложение.", "-5% за год"],
                       "en_text": ["A plain sentence.", "-5% a year"]})
    warnings = _formula_warning(df)
    assert len(warnings) == 1 and "p2" in warnings[0] and "unchanged" in warnings[0]
    assert _formula_warning(df.iloc[:1]) == []
