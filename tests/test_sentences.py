"""Sentence alignment: the monotone DP, comparable mining, QA flags, the vecalign scorer and the workspace stage."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from kzalign.evaluate import (
    eval_sentence_alignment,
    parse_alignment_line,
    read_alignment_file,
    score_sentence_alignment,
)
from kzalign.sentences import (
    DEFAULT_PARAMS,
    align_parallel,
    align_workspace,
    mine_comparable,
    number_flags,
    pair_key,
    pairs_table,
    qa_flags,
    span_lengths,
    span_matrices,
)
from kzalign.store import link_key, now_iso


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def _spans(base: np.ndarray) -> list[np.ndarray]:
    """Span matrices where a 2-sentence span is the normalised sum of its sentences."""
    two = _unit(base[:-1] + base[1:]) if len(base) > 1 else np.zeros((0, base.shape[1]), np.float32)
    return span_matrices(np.vstack([base, two]), len(base))


def test_dp_finds_one_to_one_merge_and_skip():
    rng = np.random.default_rng(0)
    topics = _unit(rng.normal(size=(6, 64)))
    # RU: t0, t1, t2+t3 (one sentence covering two EN ones), t4, noise ; EN: t0, t1, t2, t3, t4
    noise = _unit(rng.normal(size=(1, 64)))
    ru = _unit(np.vstack([topics[0], topics[1], topics[2] + topics[3], topics[4], noise[0]]))
    en = topics[:5] + 0.05 * _unit(rng.normal(size=(5, 64)))
    en = _unit(en)
    ru_lens = span_lengths(["x" * 100, "x" * 100, "x" * 200, "x" * 100, "x" * 100])
    en_lens = span_lengths(["x" * 110] * 5)
    beads = align_parallel(_spans(ru), _spans(en), ru_lens, en_lens, DEFAULT_PARAMS)
    got = [(b.ru, b.en) for b in beads]
    assert got == [([0], [0]), ([1], [1]), ([2], [2, 3]), ([3], [4]), ([4], [])]


def test_mining_keeps_only_real_correspondences_in_any_order():
    rng = np.random.default_rng(1)
    shared = _unit(rng.normal(size=(2, 64)))
    ru = _unit(np.vstack([shared[0], rng.normal(size=(3, 64)), shared[1]]))
    en = _unit(np.vstack([shared[1] + 0.1 * rng.normal(size=64), rng.normal(size=(4, 64)), shared[0]]))
    beads = mine_comparable(ru, en, DEFAULT_PARAMS)
    assert sorted((b.ru[0], b.en[0]) for b in beads) == [(0, 5), (4, 0)]


def test_number_flags_understand_scales_and_separators():
    assert number_flags("Помощь окажут 10 тысяч человек.", "Aid will be given by 10,000 people.") == []
    assert number_flags("от 150 до 250 литров", "from 150 to 300 liters") == ["number:250"]
    assert number_flags("рост на 2,5%", "growth of 2.5%") == []
    assert number_flags("1,5 млрд долларов", "$1.5 billion") == []


def test_glossary_flags():
    from kzalign.glossary import Glossary, new_entry

    g = Glossary([new_entry("Алмурат Турганбеков", "Almurat Turganbekov", "person",
                            forbidden=["Almurat Turhanbekov"])], "test")
    flags = qa_flags("Посол Алмурата Турганбекова встретили", "Ambassador Almurat Turhanbekov was met", g)
    assert flags == "glossary:missing:Almurat Turganbekov; glossary:forbidden:Almurat Turhanbekov"
    assert qa_flags("Посол Алмурат Турганбеков", "Ambassador Almurat Turganbekov", g) == ""
    assert qa_flags("А.Турганбеков отметил", "A. Turganbekov noted", g) == ""  # initials + surname is fine
    assert qa_flags("А.Турганбеков отметил", "The ambassador noted", g) == "glossary:missing:Almurat Turganbekov"


def test_scorer_matches_vecalign_definitions(tmp_path):
    gold = [([0], [0]), ([1], [1, 2]), ([2], [])]
    assert parse_alignment_line("[0,1]:[0]") == ([0, 1], [0])
    assert parse_alignment_line("[]:[3]  0.5") == ([], [3])
    perfect = score_sentence_alignment([gold], [gold])
    assert perfect["strict"]["f1"] == 1.0 and perfect["lax"]["f1"] == 1.0
    # test splits the 1:2 into 1:1 + deletion; (1,1) is lax-correct, ([],[2]) is neither.
    test = [([0], [0]), ([1], [1]), ([], [2]), ([2], [])]
    s = score_sentence_alignment([gold], [test])
    # precision counts over 4 test beads: strict tp 2 (0:0, 2:[]), lax tp 3
    assert s["strict"]["precision"] == pytest.approx(2 / 4)
    assert s["lax"]["precision"] == pytest.approx(3 / 4)
    # recall: gold non-deletion beads (2) against test non-deletion beads: strict 1/2, lax 2/2
    assert s["strict"]["recall"] == pytest.approx(1 / 2)
    assert s["lax"]["recall"] == pytest.approx(1.0)
    bad = tmp_path / "x.gold"
    bad.write_text("[0]:[0]\nnonsense\n")
    with pytest.raises(Exception, match="x.gold:2"):
        read_alignment_file(bad)


def test_sentalign_targets(eval_dir, sentence_encoder):
    # every 4th document keeps the test quick; the full set is in BENCHMARKS.md
    res = eval_sentence_alignment(eval_dir / "sentalign", sentence_encoder, every=4)
    assert res["docs"] == 47
    assert res["lax"]["f1"] >= 0.98
    assert res["strict"]["f1"] >= 0.93


def test_eval_sentences_cli_json(tmp_path, monkeypatch, sentence_encoder):
    from kzalign.cli import main, review_cmds

    d = tmp_path / "gold"
    d.mkdir()
    (d / "a.ru").write_text("Посол встретился с министром.\nСтороны обсудили торговлю.\nВстреча прошла в Астане.\n")
    (d / "a.en").write_text("The ambassador met the minister.\nThe parties discussed trade.\nThe meeting was held "
                            "in Astana.\n")
    (d / "a.gold").write_text("[0]:[0]\n[1]:[1]\n[2]:[2]\n")
    monkeypatch.setattr(review_cmds, "_encoder", lambda name: sentence_encoder)
    out = CliRunner().invoke(main, ["eval-sentences", str(d), "--json"])
    assert out.exit_code == 0, out.output
    res = json.loads(out.output)
    assert res["strict"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert set(res["lax"]) == {"precision", "recall", "f1"}


RU_PAR = ("Казахстан и Мексика обсудили сотрудничество\n"
          "Посол Казахстана в Мексике встретился с генеральным директором МИД Мексики. "
          "Стороны обменялись мнениями о плане действий на 2026 год. "
          "Особое внимание было уделено институту почетных консулов. "
          "В стране 15 марта 2026 года пройдет референдум.")
EN_PAR = ("Kazakhstan and Mexico discussed cooperation\n"
          "The Ambassador of Kazakhstan to Mexico met the Director General of the Mexican Foreign Ministry. "
          "The parties exchanged views on the action plan for 2026. "
          "Particular attention was paid to the institution of honorary consuls. "
          "A referendum will be held in the country on March 15, 2026.")
RU_CMP = ("Глава МИД Казахстана посетил Германию\n"
          "Министр иностранных дел Казахстана прибыл в Берлин с официальным визитом. "
          "Погода в Берлине была дождливой. "
          "Министр посетил выставку современного искусства. "
          "Вечером состоялся концерт казахской музыки.")
EN_CMP = ("Talks in Berlin\n"
          "Germany and Kazakhstan agreed to expand cooperation on critical raw materials. "
          "Kazakhstan's foreign minister arrived in Berlin on an official visit. "
          "The sides signed a memorandum on hydrogen energy. "
          "Trade between the two countries grew by 20 percent last year.")


def _add_item(ws, iid, lang, text, date="2026-02-24"):
    ws.conn.execute(
        "INSERT INTO items(id, lang, title, text, date, content_hash, added_at) VALUES (?,?,?,?,?,?,?)",
        (iid, lang, "", text, date, iid, now_iso()),
    )


@pytest.fixture()
def linked_ws(ws):
    with ws.transaction():
        for iid, lang, text in (("r1", "ru", RU_PAR), ("e1", "en", EN_PAR), ("r2", "ru", RU_CMP),
                                ("e2", "en", EN_CMP)):
            _add_item(ws, iid, lang, text)
        for r, e in (("r1", "e1"), ("r2", "e2")):
            ws.conn.execute("INSERT INTO links(ru_id, en_id, score, rank, evidence, signature) VALUES "
                            "(?,?,0.8,1,'{}','test')", (r, e))
    return ws


def test_align_workspace_regimes_and_decisions(linked_ws, sentence_encoder):
    ws = linked_ws
    rep = align_workspace(ws, encoder=sentence_encoder)
    assert rep.regimes == {"parallel": 1, "comparable": 1}
    df = pairs_table(ws)
    par = df[df["ru_id"] == "r1"]
    assert len(par) == 5 and (par["regime"] == "parallel").all()
    assert list(par["ru_idx"]) == [json.dumps([i]) for i in range(5)]
    assert list(par["en_idx"]) == [json.dumps([i]) for i in range(5)]
    cmp_ = df[df["ru_id"] == "r2"]
    # only the arrival sentence really corresponds; the rest stays unpaired
    assert [(json.loads(a), json.loads(b)) for a, b in zip(cmp_["ru_idx"], cmp_["en_idx"], strict=True)] == [
        ([1], [2])]
    assert (df["link_id"] == [link_key(r, e) for r, e in zip(df["ru_id"], df["en_id"], strict=True)]).all()
    assert df["flags"].eq("").all()

    # a rejected pair is not proposed again; an accepted one survives a much stricter re-run
    rejected = pair_key("r1", "e1", [2], [2])
    accepted = pair_key("r1", "e1", [1], [1])
    row = ws.conn.execute("SELECT id, ru_id, en_id, ru_idx, en_idx, ru_text, en_text, score, regime FROM pairs "
                          "WHERE id=?", (accepted,)).fetchone()
    payload = dict(zip(("id", "ru_id", "en_id", "ru_idx", "en_idx", "ru_text", "en_text", "score", "regime"), row,
                       strict=True))
    with ws.transaction():
        ws.conn.execute("INSERT INTO decisions(kind, key, decision, decided_at) VALUES ('pair', ?, 'reject', ?)",
                        (rejected, now_iso()))
        ws.conn.execute("INSERT INTO decisions(kind, key, decision, payload, decided_at) VALUES "
                        "('pair', ?, 'accept', ?, ?)", (accepted, json.dumps(payload), now_iso()))
    rep2 = align_workspace(ws, encoder=sentence_encoder, regime="comparable",
                           params=replace(DEFAULT_PARAMS, mine_sim=0.99))
    ids = set(pairs_table(ws)["pair_id"])
    assert accepted in ids and rejected not in ids
    assert rep2.kept_by_decision == 1 and rep2.regimes == {"comparable": 2}

    # rejecting the link afterwards drops its unreviewed pairs but keeps the pair the reviewer accepted
    with ws.transaction():
        ws.conn.execute("INSERT INTO decisions(kind, key, decision, decided_at) VALUES ('link', ?, 'reject', ?)",
                        (link_key("r1", "e1"), now_iso()))
    align_workspace(ws, encoder=sentence_encoder)
    r1 = pairs_table(ws).query("ru_id == 'r1'")
    assert list(r1["pair_id"]) == [accepted]


def test_number_flag_reaches_pairs_table(ws, sentence_encoder):
    with ws.transaction():
        _add_item(ws, "r", "ru", "Власти подготовили около 800 убежищ для населения.")
        _add_item(ws, "e", "en", "Authorities have set up approximately 900 shelters for the population.")
        ws.conn.execute("INSERT INTO links(ru_id, en_id, score, rank, evidence, signature) VALUES "
                        "('r','e',0.9,1,'{\"regime\": \"parallel\"}','t')")
    align_workspace(ws, encoder=sentence_encoder)
    df = pairs_table(ws)
    assert list(df["flags"]) == ["number:800"]
    assert list(df["regime"]) == ["parallel"]
