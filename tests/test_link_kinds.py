"""The kind of a link (translation | same_event | follow_up): stored, listed, named in the evidence, scored."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.core.errors import InputError
from kzalign.stages import link as L
from kzalign.stages.evaluate import eval_links
from kzalign.store.workspace import LINK_KINDS, SCHEMA_VERSION, Workspace


def test_links_table_and_cli_show_the_kind(seeds_linked_db):
    with Workspace(seeds_linked_db) as w:
        table = L.links_table(w)
        rows = w.link_rows()
    assert "kind" in table.columns and set(table["kind"]) <= set(LINK_KINDS)
    for (_r, _e), (_s, _rank, evidence, _sig, kind) in rows.items():
        assert json.loads(evidence)["kind"] == kind
    for kind, text in zip(table["kind"], table["evidence"], strict=True):
        assert text.startswith(L.KIND_LABELS[kind])  # "follow-up of …" or the kind's label
    out = CliRunner().invoke(main, ["links", "--db", str(seeds_linked_db), "--format", "csv"])
    assert out.exit_code == 0 and out.output.startswith("\ufeffru_id,en_id,score,rank,kind,")


def test_link_kind_rule():
    assert L.link_kind(0.85, 1000, 1000, False) == "translation"
    assert L.link_kind(0.85, 1000, 1000, True) == "follow_up"
    assert L.link_kind(0.40, 1000, 1000, False) == "same_event"  # same story, other sentences
    assert L.link_kind(0.85, 400, 120, False) == "same_event"  # a report and a short post about it


def test_old_workspace_gets_kinds_on_open(tmp_path):
    """A v5 workspace's links get a kind when it is opened: follow-ups by their evidence, the rest same_event."""
    db = tmp_path / "old.db"
    with Workspace(db) as w:
        w.conn.execute("CREATE TABLE links_old AS SELECT ru_id, en_id, score, rank, evidence, signature FROM links")
    con = sqlite3.connect(db)
    con.executescript("DROP TABLE links; ALTER TABLE links_old RENAME TO links;"
                      "UPDATE meta SET value='5' WHERE key='schema_version';")
    con.executemany("INSERT INTO links VALUES (?,?,?,?,?,?)", [
        ("r", "e1", 0.9, 1, "{}", "s"), ("r", "e2", 0.3, 2, json.dumps({"follow_up_of": "e1"}), "s")])
    con.commit()
    con.close()
    with Workspace(db) as w:
        assert w.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
        kinds = {k: v[4] for k, v in w.link_rows().items()}
    assert kinds == {("r", "e1"): "same_event", ("r", "e2"): "follow_up"}


def test_replace_links_refuses_an_unknown_kind(ws):
    with pytest.raises(ValueError, match="unknown link kind 'sequel'"):
        ws.replace_links([("r", "e", 0.9, 1, {}, "s", "sequel")])
    ws.replace_links([("r", "e", 0.9, 1, {}, "s")])
    assert ws.link_rows()[("r", "e")][4] == "same_event"


def test_eval_reports_each_kind_and_refuses_unknown_kinds(seeds_linked_db, tmp_path):
    with Workspace(seeds_linked_db) as w:
        links = w.link_scores()
        ids = w.item_ids()
    made = dict(zip(zip(links["ru_id"], links["en_id"], strict=True), links["kind"], strict=True))
    (r1, e1), k1 = next(iter(made.items()))
    other = next(k for k in LINK_KINDS if k != k1)
    unlinked = sorted(ids["en"] - {e for _, e in made})[0]
    gold = tmp_path / "gold.tsv"
    gold.write_text(f"ru_id\ten_id\tkind\n{r1}\t{e1}\t{k1}\n{r1}\t{unlinked}\t{other}\n", encoding="utf-8")
    with Workspace(seeds_linked_db) as w:
        res = eval_links(w, gold)
    assert res["tp"] == 1 and res["fn"] == 1
    kinds = res["kinds"]
    assert isinstance(kinds, dict) and set(kinds) == set(LINK_KINDS)
    assert kinds[k1]["tp"] == 1 and kinds[other]["fn"] == 1 and kinds[other]["tp"] == 0
    r = CliRunner().invoke(main, ["eval", str(gold), "--db", str(seeds_linked_db)])
    assert r.exit_code == 0 and all(k in r.output for k in LINK_KINDS) and r.output.startswith("overall")
    bad = tmp_path / "bad.tsv"
    bad.write_text(f"ru_id\ten_id\tkind\n{r1}\t{e1}\tsequel\n", encoding="utf-8")
    with Workspace(seeds_linked_db) as w, pytest.raises(InputError, match="bad.tsv:2: unknown kind 'sequel'"):
        eval_links(w, bad)
    r = CliRunner().invoke(main, ["eval", str(bad), "--db", str(seeds_linked_db)])
    assert r.exit_code == 1 and "bad.tsv:2" in r.output and "unknown kind" in r.output


def test_follow_up_score_is_its_own_confidence_not_the_date_penalised_probability(seeds_linked_db):
    """A follow-up link's score says how sure it is (its evidence without the date distance, on the same 0–1
    scale as other links), not the same-event probability its months of distance leave (0.02 for the seed's
    talks report, which read as "almost certainly wrong"); the evidence keeps that probability and says so."""
    from kzalign.engines.scoring import THRESHOLD

    with Workspace(seeds_linked_db) as w:
        rows = w.link_rows()
        table = L.links_table(w)
    follow = {k: v for k, v in rows.items() if v[4] == "follow_up"}
    assert follow
    for score, _rank, evidence, _sig, _kind in follow.values():
        ev = json.loads(evidence)
        assert ev["prob"] < 0.1 <= THRESHOLD <= score <= 1.0
    text = table.loc[table["kind"] == "follow_up", "evidence"].iloc[0]
    assert "scored without the date distance (with it 0.0" in text


def test_follow_up_score_rule():
    """The follow-up score is the stage-1 probability of the content logit, capped by the link it follows."""
    import math

    from kzalign.engines.scoring import follow_up_score

    assert follow_up_score(0.0, None) == 0.5
    assert math.isclose(follow_up_score(2.0, None), 1 / (1 + math.exp(-2.0)))
    assert follow_up_score(3.0, 0.6) == 0.6  # no surer than the link it follows
    assert follow_up_score(-1.0, 0.9) < 0.3


def test_eval_labelled_scores_only_links_touching_labelled_items(seeds_linked_db, tmp_path):
    """Links among unlabelled items (other years added to a stream) are not false positives with --labelled."""
    with Workspace(seeds_linked_db) as w:
        links = w.link_scores()
    pairs = sorted(zip(links["ru_id"], links["en_id"], strict=True))
    assert len(pairs) >= 2  # seed 004 links to its two follow-ups
    (r1, e1), (_r2, e2) = pairs[0], pairs[1]
    gold = tmp_path / "gold.tsv"
    gold.write_text(f"ru_id\ten_id\n{r1}\t{e1}\n", encoding="utf-8")
    with Workspace(seeds_linked_db) as w:
        everything = eval_links(w, gold)
        only_e1 = eval_links(w, gold, labelled={e1})
    assert everything["fp"] == len(pairs) - 1 and only_e1["fp"] == 0 and only_e1["tp"] == 1
    assert only_e1["labelled_items"] == 1
    items = tmp_path / "labelled.jsonl"
    items.write_text(json.dumps({"id": e1, "lang": "en", "text": "x"}) + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["eval", str(gold), "--db", str(seeds_linked_db), "--labelled", str(items), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["fp"] == 0 and e2 != e1
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n{"lang": "en"}\n', encoding="utf-8")
    r = CliRunner().invoke(main, ["eval", str(gold), "--db", str(seeds_linked_db), "--labelled", str(bad)])
    assert r.exit_code == 1 and "bad.jsonl:2" in r.output and "without an 'id'" in r.output
