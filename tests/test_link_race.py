"""A report ingested while ``link`` runs is linked by the next run (issue 26, finding 2): the run records the
digest of the items it scored, not of the items table at write time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kzalign.glossary import BUNDLED_DIR, load_glossary
from kzalign.stages import link as L
from kzalign.store.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent


def _seed_rows(db: Path) -> dict[str, dict[str, str | None]]:
    with Workspace(db) as ws:
        items = ws.items()
    return {r["id"]: {"id": r["id"], "lang": r["lang"], "title": r["title"], "text": r["text"], "date": r["date"]}
            for r in items.to_dict("records")}


def test_item_ingested_while_link_scores_is_linked_by_the_next_run(seeds_linked_db, tmp_path, use_encoder,
                                                                   monkeypatch):
    gold = pd.read_csv(ROOT / "gold" / "seeds_links.tsv", sep="\t", dtype=str)
    ru_id, late_id = gold.iloc[0]["ru_id"], gold.iloc[0]["en_id"]
    rows = _seed_rows(seeds_linked_db)
    late = rows.pop(late_id)
    db = tmp_path / "w.db"
    glossary = load_glossary([BUNDLED_DIR])
    with Workspace(db) as ws:
        ws.add_items(rows.values())
        real = L._score_workspace

        def score_then_ingest(*args: object, **kw: object) -> L.ScoredPairs:
            sp = real(*args, **kw)  # type: ignore[arg-type]
            with Workspace(db) as other:  # another command's connection commits an item between read and write
                other.add_items([late])
            return sp

        monkeypatch.setattr(L, "_score_workspace", score_then_ingest)
        first = L.link_workspace(ws, encoder=use_encoder, glossary=glossary)
        monkeypatch.setattr(L, "_score_workspace", real)
        assert not first.unchanged and late_id not in {e for _, e in ws.link_rows()}
        assert late_id in set(ws.items()["id"])
        again = L.link_workspace(ws, encoder=use_encoder, glossary=glossary)
        assert not again.unchanged  # before the fix: "nothing changed since the last link run"
        assert (ru_id, late_id) in ws.link_rows()
        assert L.link_workspace(ws, encoder=use_encoder, glossary=glossary).unchanged


def test_digest_of_the_scored_items_equals_the_table_digest(seeds_linked_db):
    """Given the rows the table holds, the digest is the one read from the table (a recorded run stays valid)."""
    with Workspace(seeds_linked_db) as ws:
        run = L._Run(ws.items("ru"), ws.items("en"), None, None, None, 0.5, None, None)  # type: ignore[arg-type]
        assert ws.link_inputs_digest(L._scored_items(run)) == ws.link_inputs_digest()
