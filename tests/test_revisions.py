"""Near-duplicates never lose text: a longer later version supersedes, the shorter is kept as a revision."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from kzalign.cli import main
from kzalign.inputs.ingest import ingest_paths
from kzalign.store.workspace import Workspace

SHORT = [
    "Kazakhstan and Mexico Discussed Cooperation",
    "Ambassador of Kazakhstan to Mexico Almurat Turganbekov met with the Director General for Africa, Central Asia "
    "and the Middle East at the Ministry of Foreign Affairs of Mexico, Anibal Gomez Toledo.",
    "During the talks, the parties exchanged views and agreed on approaches to implementing the action plan for "
    "cooperation between the two countries' foreign ministries for 2026. The steady development of bilateral "
    "dialogue and the parties' interest in its further deepening were noted.",
    "Particular attention was paid to the development of the institution of Honorary Consuls in the regions.",
]
ADDED = ("The Embassy of Kazakhstan intends to further expand this mechanism, viewing it as an effective tool for "
         "strengthening regional ties and business contacts, and both sides agreed to hold consultations in Astana.")


def _write(path: Path, date: str, lines: list[str]) -> Path:
    path.write_text(f"{date}, 10:00 100\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_longer_later_version_supersedes_and_keeps_the_shorter(tmp_path: Path) -> None:
    early = _write(tmp_path / "early.txt", "23.02.2026", SHORT)
    late = _write(tmp_path / "late.txt", "24.02.2026", [*SHORT, ADDED])
    for order in ((early, late), (late, early)):
        db = tmp_path / f"{order[0].stem}.db"
        with Workspace(db) as w:
            reps = [ingest_paths(w, [p]) for p in order]
            items = w.items()
            assert len(items) == 1
            assert ADDED in items.iloc[0]["text"]  # the added paragraph is never lost
            assert items.iloc[0]["date"] == "2026-02-23"  # first publication
            assert sorted(Path(s).name for s in items.iloc[0]["sources"]) == ["early.txt:2", "late.txt:2"]
            revs = w.item_revisions()
            assert len(revs) == 1 and ADDED not in revs.iloc[0]["text"] and revs.iloc[0]["date"] == "2026-02-23"
        if order[0] is early:
            assert reps[1].superseded == 1 and reps[1].superseded_items[0][1].endswith("late.txt:2")
        else:
            assert reps[1].merged == 1 and reps[1].revisions == 1


def test_summary_and_items_revisions_cli(tmp_path: Path) -> None:
    early = _write(tmp_path / "early.txt", "23.02.2026", SHORT)
    late = _write(tmp_path / "late.txt", "24.02.2026", [*SHORT, ADDED])
    db = str(tmp_path / "k.db")
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(early), "--db", db]).exit_code == 0
    res = runner.invoke(main, ["ingest", str(late), "--db", db])
    assert res.exit_code == 0, res.output
    assert "1 item replaced by a longer version (the shorter text kept as a revision with its date)" in res.output
    res = runner.invoke(main, ["items", "--revisions", "--db", db, "--format", "csv"])
    assert res.exit_code == 0 and "early.txt:2" in res.output and "2026-02-23" in res.output


def test_identical_copies_add_no_revision(ws: Workspace, seeds_dir: Path) -> None:
    rep = ingest_paths(ws, [seeds_dir])
    again = ingest_paths(ws, [seeds_dir])
    assert again.revisions == 0 and again.superseded == 0
    assert len(ws.item_revisions()) == rep.revisions


def test_ingest_hands_its_summary_over_as_soon_as_it_ends(ws: Workspace, seeds_dir: Path) -> None:
    """``kzalign run`` prints the ingest summary before the later stages: ingest calls ``progress.ingest_done``."""
    from kzalign.cli import _Bars

    seen: list[tuple[str, int, int]] = []
    handed: list[object] = []

    class Progress:
        def __call__(self, stage: str, done: int, total: int) -> None:
            seen.append((stage, done, total))

        def ingest_done(self, rep: object) -> None:
            handed.append(rep)

    rep = ingest_paths(ws, [seeds_dir], progress=Progress())
    assert handed == [rep]
    assert ("read", 5, 5) in seen and ("de-duplicate", 21, 21) in seen
    bars = _Bars()
    bars("loading model use", 0, 0)  # no count: a spinner (drawn only on a terminal)
    assert bars.spinner is not None and bars.spinner.label == "loading model use"
    bars("embed", 0, 3)
    assert bars.spinner is None
    bars.close()
