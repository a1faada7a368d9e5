"""Linking in a same-topic stream (issue 23): dates both ways, event types, abstention, seed follow-ups."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.engines import events as EV
from kzalign.glossary import BUNDLED_DIR, load_glossary
from kzalign.inputs.ingest import ingest_paths
from kzalign.stages import link as L
from kzalign.store.workspace import Workspace

RU_CALL = ("Владимир Путин провел телефонный разговор с Касым-Жомартом Токаевым\n"
           "Президенты обсудили торгово-экономическое сотрудничество и подготовку к саммиту ОДКБ.")
EN_CALL = ("🇷🇺 🇰🇿 📞 president vladimir putin had a telephone conversation with president of the republic of "
           "kazakhstan kassym-jomart")


def test_event_types_in_both_languages():
    assert EV.event_types(RU_CALL, "ru") >= {"call"}
    assert EV.event_types(EN_CALL, "en") == {"call"}
    assert EV.event_types("🛬 russia’s foreign minister sergey lavrov arrives in kazakhstan", "en") == {"visit"}
    assert EV.event_types("Сергей Лавров прибыл в Астану с визитом", "ru") == {"visit"}
    assert EV.type_evidence({"call"}, {"visit"}) == (0.0, 1.0)  # a phone call is not a visit
    assert EV.type_evidence({"talks"}, {"meeting", "visit"}) == (0.0, 0.0)  # one visit's talks and meeting
    assert EV.type_evidence({"call"}, {"call"}) == (1.0, 0.0)


def test_event_types_read_news_site_spaces_press_conferences_and_context():
    """Failing before the stream's error analysis: Russian sites' no-break spaces hid multi-word cues; a solo press
    conference was "compatible" with the summit it followed; "following his state visit" made a press conference a
    visit; a TV programme's name ("Moscow. Kremlin. Putin") made Putin a participant of Lavrov's interview."""
    assert EV.event_types("Путин дал ясный ответ на\xa0самые острые вопросы", "ru") == {"press"}
    assert EV.event_types("Путин провел переговоры по\xa0видеосвязи", "ru") >= {"call"}
    assert EV.type_evidence({"press"}, {"summit"}) == (0.0, 1.0)  # the press conference after a summit: its own event
    assert EV.type_evidence({"press"}, {"talks"}) == (0.0, 0.0)  # a joint press conference is part of the talks
    assert EV.type_evidence({"talks"}, {"call"}) == (0.0, 0.0)  # "telephone talks"
    post = "🎙 president vladimir putin's answers to media questions following his state visit to kazakhstan"
    assert EV.event_types(post, "en") == {"press"}
    arrival = "🛬 putin arrives in astana to take part in the meeting of the shanghai cooperation organisation"
    assert EV.event_types(arrival, "en") == {"visit", "summit"}  # a multilateral body's meeting is a summit
    assert EV.event_types("putin took part in a sco heads of state council meeting", "en") == {"summit"}
    lavrov = "🎙 foreign minister sergey lavrov's answers to questions of the moscow. kremlin. putin tv programme"
    assert EV.field_names().find(lavrov, "en") >= {"Sergey Lavrov"}
    assert "Vladimir Putin" not in EV.field_names().find(lavrov, "en")
    assert "Vladimir Putin" in EV.field_names().find("Владимир\xa0Путин ответил программе «Москва. Кремль. Путин»",
                                                      "ru")


def test_field_names_weigh_by_what_identifies_an_event():
    glossary = load_glossary([BUNDLED_DIR])
    weights = EV.name_weights(glossary)
    assert weights["Kazakhstan"] < 1 and weights["Mexico City"] < 1  # a country and a capital: topical
    assert "Almurat Turganbekov" not in weights  # a person weighs fully
    found = EV.field_names().find("lavrov met kazakhstan's deputy pm – foreign minister murat nurtleu", "en")
    assert {"Sergey Lavrov", "Murat Nurtleu", "Kazakhstan"} <= found  # found in lower-cased snippets too
    assert EV.actor_evidence({"Vladimir Putin", "Alexander Lukashenko"}, {"Sergey Lavrov"},
                             EV.field_names().classes) == (0.0, 1.0)


def _link_pair(ws: Workspace, ru_date: str | None, en_date: str | None, encoder: object) -> dict[str, object]:
    ws.add_items([{"id": "r", "lang": "ru", "text": RU_CALL, "date": ru_date},
                  {"id": "e", "lang": "en", "text": EN_CALL, "date": en_date}])
    L.link_workspace(ws, encoder=encoder, glossary=load_glossary([BUNDLED_DIR]), threshold=0.0)
    score, _rank, evidence, _sig, _kind = ws.link_rows()[("r", "e")]
    return {"score": score, **json.loads(evidence)}


def test_date_distance_is_evidence_both_ways_and_undated_pairs_say_so(tmp_path, use_encoder):
    """The same two texts link on the same day, not six months apart (either way); undated, they are decided
    on the rest of the evidence (here: linked) and the evidence says so."""
    res = {}
    for label, dates in (("same", ("2024-03-02", "2024-03-02")), ("later", ("2024-03-02", "2024-09-02")),
                         ("earlier", ("2024-09-02", "2024-03-02")), ("undated", (None, "2024-03-02"))):
        with Workspace(tmp_path / f"{label}.db") as w:
            res[label] = _link_pair(w, *dates, encoder=use_encoder)
    assert min(res["same"]["score"], res["undated"]["score"]) >= L.THRESHOLD
    # not linked, and far from it (0.16 with the CV-chosen model, whose date prior is hand-set: far -8)
    assert max(res["later"]["score"], res["earlier"]["score"]) < L.THRESHOLD / 2
    assert res["undated"].get("undated") is True and "undated" in L.evidence_text(res["undated"])
    assert res["later"]["days"] == 184 and res["earlier"]["days"] == -184


def test_unreadable_date_is_named_and_the_item_kept_undated(tmp_path):
    src = tmp_path / "news.jsonl"
    src.write_text(json.dumps({"id": "a", "lang": "en", "text": "Talks were held in Astana.", "date": "2024-03-02"})
                   + "\n" + json.dumps({"id": "b", "lang": "en", "text": "A call took place.", "date": "31.02.24x"})
                   + "\n", encoding="utf-8")
    with Workspace(tmp_path / "w.db") as w:
        rep = ingest_paths(w, [src])
        items = w.items().set_index("id")
    assert rep.added == 2 and not rep.skipped
    assert [str(x) for x in rep.warnings] == [f"{src}:2: unreadable date '31.02.24x' (use YYYY-MM-DD): the item is "
                                              "kept without a date"]
    assert pd.isna(items.loc["b", "date"]) and items.loc["a", "date"] == "2024-03-02"
    r = CliRunner().invoke(main, ["ingest", str(src), "--db", str(tmp_path / "cli.db")])
    assert r.exit_code == 0 and "news.jsonl:2: unreadable date" in r.output


def _rows(path, prefix: str = "", keep=None) -> list[dict[str, object]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        j = json.loads(line)
        if keep is None or j["id"] in keep:
            out.append({"id": prefix + j["id"], "lang": j["lang"], "title": j.get("title") or "", "text": j["text"],
                        "date": j.get("date")})
    return out


def test_translations_link_and_orphans_on_both_sides_abstain(eval_dir, ws, use_encoder):
    """Real translations (WMT news) with orphans on both sides: every translation linked, as a translation;
    no orphan linked."""
    meta = pd.read_csv(eval_dir / "docalign" / "meta.tsv", sep="\t", dtype=str)
    news = meta[meta["domain"] == "news"]
    pairs = news.dropna(subset=["ru_id", "en_id"]).head(12)
    orphans = set(news[news["en_id"].isna()]["ru_id"].dropna().head(4)) | set(
        news[news["ru_id"].isna()]["en_id"].dropna().head(4))
    keep = set(pairs["ru_id"]) | set(pairs["en_id"]) | orphans
    ws.add_items(_rows(eval_dir / "docalign" / "ru.jsonl", keep=keep) + _rows(eval_dir / "docalign" / "en.jsonl",
                                                                             keep=keep))
    L.link_workspace(ws, encoder=use_encoder, glossary=load_glossary([BUNDLED_DIR]))
    links = {k: v[4] for k, v in ws.link_rows().items()}
    gold = set(zip(pairs["ru_id"], pairs["en_id"], strict=True))
    assert gold <= set(links) and all(links[p] == "translation" for p in gold)
    assert not {p for p in links if p[0] in orphans or p[1] in orphans}


def test_seed_report_links_to_its_two_follow_ups_among_a_stream(eval_dir, seeds_dir, tmp_path, use_encoder):
    """Seed 004 links exactly to its two Feb-2026 follow-ups when a same-topic stream (a third of the dev
    stream's items, dated) shares the workspace; the talks report is a follow-up."""
    from pathlib import Path

    gold = pd.read_csv(Path(__file__).resolve().parent.parent / "gold" / "seeds_links.tsv", sep="\t", dtype=str)
    stream = _rows(eval_dir / "stream" / "ru.jsonl", "s:")[::3] + _rows(eval_dir / "stream" / "en.jsonl", "s:")[::3]
    with Workspace(tmp_path / "w.db") as w:
        ingest_paths(w, [seeds_dir])
        w.add_items(stream)
        L.link_workspace(w, encoder=use_encoder, glossary=load_glossary([BUNDLED_DIR]))
        rows = w.link_rows()
    seed = {k: v[4] for k, v in rows.items() if not k[0].startswith("s:")}
    assert set(seed) == set(zip(gold["ru_id"], gold["en_id"], strict=True))
    assert seed[("ru-b2a57faec49a", "en-ac4d3ae11b6e")] == "follow_up"
    assert not {k for k in rows if k[0].startswith("s:") != k[1].startswith("s:")}  # nothing across


def test_competition_never_lifts_a_poor_best_candidate_nor_drops_a_clear_pair():
    """The competition stage moves a pair's logit at most COMPETITION_BOUND from its own evidence's: the best of
    poor candidates (an orphan's nearest loosely related text) stays unlinked however far it leads."""
    import numpy as np

    from kzalign.engines import scoring as S

    model = S.model_for("use")
    rng = np.random.default_rng(0)
    n = 60
    feats = {"margin": rng.uniform(0.3, 1.6, n), "cos": rng.uniform(0.1, 0.9, n), "cognates": rng.uniform(0, 0.5, n),
             "names": rng.uniform(0, 0.5, n), "numbers": np.zeros(n)}
    ru, en = rng.integers(0, 8, n), np.arange(n)
    p = S.combine(feats, ru, en, model)
    z1 = S.linear(feats, model.base)
    z = np.log(p / (1 - p))
    assert np.all(np.abs(z - z1) <= S.COMPETITION_BOUND + 1e-6)
    # an orphan's poor best candidate (stage 1 about 2 %) far ahead of its rivals on both sides: unbounded, the
    # competition stage alone would make it a link
    m = np.array([0.765, 0.262, 0.262])
    poor = {"margin": m, "cos": np.full(3, 0.3), "cognates": np.zeros(3), "names": np.zeros(3), "numbers": np.zeros(3)}
    ru, en = np.array([0, 0, 1]), np.array([0, 1, 0])
    base = S.linear(poor, model.base)
    unbounded = S.sigmoid(S.linear(S.stage2_features(base, ru, en, S.null_base(model.base, model.null_cos)),
                                   model.stage2))
    assert S.sigmoid(base[0]) < 0.05 and unbounded[0] >= model.threshold
    assert S.combine(poor, ru, en, model)[0] < model.threshold


def test_close_items_sharing_a_person_are_always_candidates():
    from datetime import date

    from kzalign.engines.candidates import close_pairs

    ru_days = [date(2024, 3, 2), date(2024, 3, 2), None]
    en_days = [date(2024, 3, 1), date(2024, 3, 20), date(2024, 3, 5), date(2024, 3, 2)]
    ru_names = [{"Vladimir Putin"}, {"Sergey Lavrov"}, {"Vladimir Putin"}]
    en_names = [{"Vladimir Putin"}, {"Vladimir Putin"}, {"Sergey Lavrov", "Kazakhstan"}, {"Kazakhstan"}]
    pairs = close_pairs(ru_days, en_days, ru_names, en_names, lambda k: k != "Kazakhstan")
    # a day apart with Putin; 3 days apart with Lavrov; not 18 days apart, not undated, not by a topical name
    assert pairs == {(0, 0), (1, 2)}


def test_date_evidence_of_the_shipped_model_falls_with_the_distance_both_ways():
    """The date part of a dated pair's score (hand-set priors, chosen by cross-validation) never rises as the
    two items move apart, whichever is later, and a year apart outweighs a shared participant and event type."""
    from kzalign.engines import scoring as S

    w = S.MODELS["use"].base
    date_w = {k: w[k] for k in ("dated", "near", "far")}
    for sign in (1, -1):
        days = np.arange(0, 800, 3) * sign
        feats = dict(zip(("dated", "near", "far"), np.array([EV.date_features(float(d)) for d in days]).T,
                         strict=True))
        z = S.linear(feats, date_w)
        assert (np.diff(z) <= 1e-12).all()
        assert z[0] - z[365 // 3] > w["actors"] + w["type_match"]
