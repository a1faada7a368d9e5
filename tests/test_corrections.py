"""A corrected version of a report (issue 26, finding 8): the same report with an edited sentence replaces the
text (the old one kept as a revision), and every decision made on the old text is marked for re-review."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.inputs.ingest import ingest_paths
from kzalign.stages.review import decisions_table, export_review, import_review
from kzalign.store.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent


def _accept_gold_link(ws: Workspace, folder: Path) -> tuple[str, str]:
    """Export a review, accept the first gold link in it, import it back; returns the link."""
    gold = pd.read_csv(ROOT / "gold" / "seeds_links.tsv", sep="\t", dtype=str)
    ru_id, en_id = gold.iloc[0]["ru_id"], gold.iloc[0]["en_id"]
    out = folder / "review.csv"
    export_review(ws, out, what="links")
    df = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    df.loc[(df["ru_id"] == ru_id) & (df["en_id"] == en_id), "decision"] = "accept"
    reviewed = folder / "reviewed.csv"
    reviewed.write_text(df.to_csv(index=False), encoding="utf-8-sig")
    assert import_review(ws, reviewed).applied == 1
    return ru_id, en_id


def _corrected(text: str) -> str:
    """The text with one sentence edited: a word in its middle replaced."""
    words = text.split(" ")
    mid = len(words) // 2
    words[mid] = "corrected" if words[mid] != "corrected" else "edited"
    return " ".join(words)


def _reviewed_and_corrected(seeds_linked_db: Path, tmp_path: Path) -> tuple[Path, str, pd.Series, Path]:
    """A copy of the linked seeds with a gold link accepted, and a file holding a corrected version of its English
    item: (workspace, English id, the English item before, the corrected file)."""
    db = tmp_path / "w.db"
    shutil.copy(seeds_linked_db, db)
    with Workspace(db) as ws:
        _ru, en_id = _accept_gold_link(ws, tmp_path)
        old = ws.items("en").set_index("id").loc[en_id]
    fix = tmp_path / "corrected.jsonl"
    fix.write_text(json.dumps({"lang": "en", "title": old["title"], "text": _corrected(old["text"])}) + "\n",
                   encoding="utf-8")
    return db, en_id, old, fix


def test_corrected_version_replaces_the_text_and_flags_decisions(seeds_linked_db: Path, tmp_path: Path) -> None:
    db, en_id, old, fix = _reviewed_and_corrected(seeds_linked_db, tmp_path)
    new_text = _corrected(old["text"])
    with Workspace(db) as ws:
        rep = ingest_paths(ws, [fix])
        assert rep.added == 0 and [i for i, _ in rep.corrected_items] == [en_id] and rep.flagged_decisions == 1
        assert ws.items("en").set_index("id").loc[en_id, "text"] == new_text  # applied, not just kept
        assert old["text"] in set(ws.item_revisions()["text"])  # the old text is kept
        dec = decisions_table(ws, "link").set_index("row_id")
        assert dec["recheck"].str.contains(f"text corrected by {fix}").sum() == 1
        assert (dec["recheck"] == "").sum() == len(dec) - 1
        again = ingest_paths(ws, [fix])  # the same correction again: nothing changes
        assert not again.corrected_items and again.already_present == 1


def test_reading_the_old_version_again_does_not_turn_the_text_back(seeds_linked_db: Path, tmp_path: Path,
                                                                  seeds_dir: Path) -> None:
    db = tmp_path / "w.db"
    shutil.copy(seeds_linked_db, db)
    with Workspace(db) as ws:
        en = ws.items("en").iloc[0]
        fix = tmp_path / "corrected.jsonl"
        fix.write_text(json.dumps({"lang": "en", "title": en["title"], "text": _corrected(en["text"])}) + "\n",
                       encoding="utf-8")
        assert len(ingest_paths(ws, [fix]).corrected_items) == 1
        rep = ingest_paths(ws, [seeds_dir])  # every seed version was seen before
        assert not rep.corrected_items and rep.superseded == 0 and rep.added == 0
        assert ws.items("en").set_index("id").loc[en["id"], "text"] == _corrected(en["text"])


def test_cli_lists_the_flag_and_a_new_decision_clears_it(seeds_linked_db: Path, tmp_path: Path) -> None:
    db, en_id, _old, fix = _reviewed_and_corrected(seeds_linked_db, tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(fix), "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "1 item replaced by a corrected version" in res.output and "1 review decision made on a text" in res.output
    res = runner.invoke(main, ["review", "decisions", "--db", str(db), "--format", "csv"])
    assert res.exit_code == 0 and "text corrected by" in res.output
    with Workspace(db) as ws:
        export_review(ws, tmp_path / "again.csv", what="links")
    again = pd.read_csv(tmp_path / "again.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(again.loc[again["flags"].str.startswith("re-review: text corrected by"), "en_id"]) == [en_id]
    with Workspace(db) as ws:
        import_review(ws, tmp_path / "reviewed.csv")  # the reviewer confirms the same decision again
        assert set(decisions_table(ws)["recheck"]) == {""}
