"""Review round trip: export (CSV/XLSX), validated import, decisions respected, TMX/TSV/JSONL export."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from kzalign.core.errors import InputError, KzalignError
from kzalign.stages.review import export_pairs, export_review, import_review, read_review_file
from kzalign.stages.sentences import pair_key, pairs_table
from kzalign.store.workspace import Workspace, decisions, link_key

RU = ["=СУММ(1;2) Посол Казахстана встретился с министром.", "Стороны обсудили торговлю на 10 тысяч тонн."]
EN = ["-Kazakhstan's ambassador met the minister.", "The parties discussed trade of 10,000 tonnes."]


def _fill(ws: Workspace) -> None:
    """Three items, two links (r1-e1, r1-e2) and two sentence pairs on r1-e1, written through the store."""
    with ws.transaction():
        ws.add_items([
            {"id": "r1", "lang": "ru", "title": "Посол и министр", "text": " ".join(RU), "date": "2026-02-24"},
            {"id": "e1", "lang": "en", "title": "Ambassador meets minister", "text": " ".join(EN),
             "date": "2026-02-25"},
            {"id": "e2", "lang": "en", "title": "Weather in Astana", "text": "Snow is expected.",
             "date": "2026-02-25"},
        ])
        ws.replace_links([("r1", "e1", 0.91, 1, '{"title_sim": 0.8}', "linksig", "translation"),
                          ("r1", "e2", 0.41, 2, "{}", "linksig", "same_event")])
        ws.replace_pairs([{"id": pair_key("r1", "e1", [i + 1], [i + 1]), "ru_id": "r1", "en_id": "e1",
                           "ru_idx": f"[{i + 1}]", "en_idx": f"[{i + 1}]", "ru_text": RU[i], "en_text": EN[i],
                           "mt_en": "", "score": 0.9 - i / 10, "regime": "parallel", "flags": ""} for i in range(2)],
                         "pairsig")
        ws.record_run("link", "linksig", {})
        ws.record_run("pairs", "pairsig", {})


def _add_e2_pair(ws: Workspace) -> str:
    """Add a sentence pair on the second link (r1-e2), so rejecting that link has a pair to drop; its id."""
    pid = pair_key("r1", "e2", [1], [1])
    with ws.transaction():
        ws.replace_pairs([{"id": pid, "ru_id": "r1", "en_id": "e2", "ru_idx": "[1]", "en_idx": "[1]",
                           "ru_text": "В Астане снег.", "en_text": "Snow is expected.", "score": 0.5,
                           "regime": "comparable"}], "s", links=[("r1", "e2")])
    return pid


def _edit_pair(ws: Workspace, pair_id: str, **fields: object) -> None:
    """Change some fields of a stored sentence pair (e.g. its text, as if the source changed since export)."""
    rec = ws.pair_record(pair_id)
    assert rec is not None, pair_id
    rec.update(fields)
    with ws.transaction():
        ws.replace_pairs([rec], str(rec["signature"]), links=[])  # links=[]: replaces this row only


@pytest.fixture()
def filled(ws):
    _fill(ws)
    return ws


def _rows(path):
    """Rows of an exported review CSV: BOM, header on the first line, signature column."""
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff") and text[1:].startswith("row_id,kind,")
    rows = list(csv.DictReader(io.StringIO(text[1:], newline="")))
    assert all(r["signature"].startswith("kzalign:") for r in rows)
    return rows


def _write(path, rows, head=""):
    """Save rows as a spreadsheet would ("CSV UTF-8": BOM, CRLF)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(("\ufeff" + head + buf.getvalue()).encode("utf-8"))


def _head(path):
    return ""  # review files of kzalign >= 0.2 have no lines above the header


def test_export_is_spreadsheet_safe(filled, tmp_path):
    out = tmp_path / "review.csv"
    rep = export_review(filled, out)
    assert rep.by_kind == {"link": 2, "pair": 2}
    assert filled.workspace_id in rep.signature
    rows = _rows(out)
    assert [r["kind"] for r in rows] == ["link", "link", "pair", "pair"]
    assert rows[0]["row_id"] == link_key("r1", "e1") and rows[0]["ru_text"] == "Посол и министр"
    pair = rows[2]
    assert pair["ru_text"] == "'" + RU[0] and pair["en_text"] == "'" + EN[0]  # formulas neutralised
    assert all(r[c] == "" for r in rows for c in ("decision", "corrected_en", "reviewer", "note"))
    # reading back undoes the neutralisation
    rf = read_review_file(out)
    assert rf.rows[2][0] == 4 and rf.rows[2][1]["ru_text"] == RU[0]


def test_round_trip_reject_fix_and_reexport(filled, tmp_path):
    out = tmp_path / "review.csv"
    export_review(filled, out)
    rows = _rows(out)
    rows[1]["decision"] = "reject"
    rows[1]["reviewer"] = "aigerim"
    rows[3]["decision"] = "Fix"
    rows[3]["corrected_en"] = "The parties discussed trade in 10,000 tonnes."
    rows[2]["decision"] = "accept"
    reviewed = tmp_path / "reviewed.csv"
    _write(reviewed, rows, _head(out))
    before = reviewed.read_bytes()
    rep = import_review(filled, reviewed, reviewer="fallback")
    assert rep.applied == 3 and rep.by_decision == {"reject": 1, "fix": 1, "accept": 1}
    assert reviewed.read_bytes() == before  # the reviewed file is never modified
    dec = decisions(filled, "link").set_index("key")
    assert dec.loc[link_key("r1", "e2"), "decision"] == "reject"
    assert dec.loc[link_key("r1", "e2"), "reviewer"] == "aigerim"
    assert dec.loc[link_key("r1", "e2"), "decided_at"]
    pdec = decisions(filled, "pair").set_index("key")
    assert pdec.loc[pair_key("r1", "e1", [2], [2]), "reviewer"] == "fallback"
    assert len(filled.link_rows()) == 1
    pt = pairs_table(filled).set_index("pair_id")
    assert pt.loc[pair_key("r1", "e1", [2], [2]), "en_text"] == "The parties discussed trade in 10,000 tonnes."
    assert pt.loc[pair_key("r1", "e1", [2], [2]), "en_original"] == EN[1]
    # re-export shows the decisions (the rejected link too); overwriting the reviewed file is refused
    with pytest.raises(KzalignError, match="refusing to overwrite"):
        export_review(filled, reviewed)
    again = tmp_path / "again.csv"
    export_review(filled, again)
    by_id = {r["row_id"]: r for r in _rows(again)}
    assert by_id[link_key("r1", "e2")]["decision"] == "reject"
    assert by_id[pair_key("r1", "e1", [2], [2])]["decision"] == "fix"
    assert by_id[pair_key("r1", "e1", [2], [2])]["corrected_en"] == "The parties discussed trade in 10,000 tonnes."
    # importing the same file again changes nothing
    assert import_review(filled, reviewed).unchanged == 3
    # export of accepted pairs: TMX with the corrected English
    tmx = tmp_path / "memory.tmx"
    assert export_pairs(filled, tmx, "tmx").units == 2
    root = ET.parse(tmx).getroot()
    assert root.get("version") == "1.4"
    header = root.find("header")
    assert header.get("srclang") == "ru-RU" and header.get("creationtool") == "kzalign"
    tus = root.find("body").findall("tu")
    segs = [[s.text for s in tu.iter("seg")] for tu in tus]
    assert segs == [[RU[0], EN[0]], [RU[1], "The parties discussed trade in 10,000 tonnes."]]
    props = {p.get("type"): p.text for p in tus[0].findall("prop")}
    assert props["x-ru-id"] == "r1" and props["x-en-date"] == "2026-02-25" and float(props["x-score"]) == 0.9
    tsv = tmp_path / "m.tsv"
    export_pairs(filled, tsv, "tsv")
    assert tsv.read_text().splitlines()[1] == RU[1] + "\tThe parties discussed trade in 10,000 tonnes."
    jl = tmp_path / "m.jsonl"
    export_pairs(filled, jl, "jsonl")
    assert [json.loads(x)["decision"] for x in jl.read_text().splitlines()] == ["accept", "fix"]


def test_bad_rows_refused_with_row_numbers(filled, tmp_path):
    out = tmp_path / "review.csv"
    export_review(filled, out)
    rows = _rows(out)
    rows[0]["decision"] = "maybe"  # row 2
    rows[1]["decision"] = "fix"  # row 3: fix without corrected_en (and links cannot be fixed)
    rows[2]["decision"] = "accept"  # row 4: valid
    rows[3]["row_id"] = "Pdeadbeef0000"  # row 5: unknown id
    rows[3]["decision"] = "accept"
    rows.append(dict(rows[2], decision="reject"))  # row 6: the same row again, another decision
    rows.append(dict(rows[2]))  # row 7: an exact copy of row 4 (applied once)
    reviewed = tmp_path / "reviewed.csv"
    _write(reviewed, rows, _head(out))
    with pytest.raises(InputError) as exc:
        import_review(filled, reviewed)
    lines = {p.line for p in exc.value.problems}
    assert lines == {2, 3, 5, 6}
    msg = str(exc.value)
    assert f"{reviewed}:2: unknown decision 'maybe'" in msg
    assert "corrected_en is empty" in msg and "unknown row_id Pdeadbeef0000" in msg
    assert "appears again with a different decision (first at row 4)" in msg
    assert decisions(filled, "pair").empty and decisions(filled, "link").empty  # nothing applied
    assert len(filled.link_rows()) == 2
    rep = import_review(filled, reviewed, partial=True)
    assert rep.applied == 1 and {p.line for p in rep.problems} == {2, 3, 5, 6}


def test_changed_source_text_and_other_workspace(filled, tmp_path):
    out = tmp_path / "review.csv"
    export_review(filled, out)
    rows = _rows(out)
    rows[2]["decision"] = "accept"
    rows[3]["decision"] = "accept"
    rows[3]["en_text"] = "edited in the sheet"
    reviewed = tmp_path / "reviewed.csv"
    _write(reviewed, rows, _head(out))
    _edit_pair(filled, rows[2]["row_id"], ru_text="другой текст")
    with pytest.raises(InputError) as exc:
        import_review(filled, reviewed)
    msgs = {p.line: p.message for p in exc.value.problems}
    assert "source text changed since export" in msgs[4]
    assert "edited in the file" in msgs[5]
    other = Workspace(tmp_path / "other.db")
    _fill(other)
    with pytest.raises(InputError, match="another workspace"):
        import_review(other, reviewed)
    other.close()


def test_xlsx_round_trip(filled, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "review.xlsx"
    export_review(filled, out)
    wb = load_workbook(out)
    sh = wb.active
    header = [c.value for c in sh[1]]
    assert header[0] == "row_id" and sh["A2"].value.startswith("L")
    assert wb["about"]["B3"].value.startswith("kzalign:")
    ru_col = header.index("ru_text") + 1
    cell = sh.cell(row=4, column=ru_col)
    assert cell.value == RU[0] and cell.data_type == "s"  # text, not a formula
    sh.cell(row=3, column=header.index("decision") + 1, value="reject")
    sh.cell(row=4, column=header.index("decision") + 1, value="accept")
    reviewed = tmp_path / "reviewed.xlsx"
    wb.save(reviewed)
    rep = import_review(filled, reviewed)
    assert rep.by_decision == {"reject": 1, "accept": 1}


def test_cli_review_commands(filled, tmp_path):
    from kzalign.cli import main

    db = str(filled.path)
    r = CliRunner().invoke(main, ["review", "export", "--db", db, "--out", str(tmp_path / "r.csv"), "--what",
                                  "links"])
    assert r.exit_code == 0, r.output
    rows = _rows(tmp_path / "r.csv")
    assert {x["kind"] for x in rows} == {"link"}
    rows[0]["decision"] = "nope"
    _write(tmp_path / "bad.csv", rows, _head(tmp_path / "r.csv"))
    r = CliRunner().invoke(main, ["review", "import", "--db", db, str(tmp_path / "bad.csv")])
    assert r.exit_code == 1 and "bad.csv:2: unknown decision 'nope'" in r.output
    r = CliRunner().invoke(main, ["export", "--db", db, "--format", "tsv", "--out", str(tmp_path / "x.tsv"),
                                  "--unreviewed"])
    assert r.exit_code == 0 and "wrote 2 sentence pairs" in r.output


# Russian versions of two English seed reports, so the seeds have near-parallel links to review.
RU_EXTRA = [
    {"id": "ru-mexico-mfa", "lang": "ru", "date": "2026-02-24",
     "title": "Казахстан и Мексика обсудили приоритеты внешнеполитического сотрудничества и ход реформ в Казахстане",
     "text": "Состоялась встреча Посла Казахстана в Мексике Алмурата Турганбекова с генеральным директором по делам "
             "Африки, Центральной Азии и Ближнего Востока МИД Мексики Анибалом Гомесом Толедо, сообщает МИД "
             "Республики Казахстан.\nВ ходе переговоров стороны обменялись мнениями и согласовали подходы к "
             "реализации плана действий по сотрудничеству между внешнеполитическими ведомствами двух стран на "
             "2026 год. Отмечено поступательное развитие двустороннего диалога и заинтересованность сторон в его "
             "дальнейшем углублении.\nОсобое внимание было уделено развитию института почетных консулов. "
             "А.Турганбеков отметил, что Посольство Казахстана намерено и далее расширять этот механизм, "
             "рассматривая его как эффективный инструмент укрепления торгово-экономического, гуманитарного и "
             "регионального сотрудничества.\nСтороны высоко оценили активизацию межпарламентского сотрудничества, "
             "включая создание в 2025 году групп дружбы «Казахстан – Мексика» в парламентах двух стран и "
             "проведение их первой онлайн-встречи."},
    {"id": "ru-mexico-parl", "lang": "ru", "date": "2026-02-24",
     "title": "Состоялось первое заседание групп дружбы парламентов Казахстана и Мексики",
     "text": "Состоялось первое заседание групп дружбы парламентов Республики Казахстан и Мексиканских "
             "Соединенных Штатов в обновленном составе. Встреча прошла в онлайн-формате.\nСтороны "
             "проинформировали друг друга об основных политических процессах, происходящих в Казахстане и "
             "Мексике.\nРуководитель казахстанской группы дружбы, депутат Мажилиса Парламента Казахстана "
             "Жаркынбек Амантайулы проинформировал мексиканских коллег о реформах в Казахстане и рассмотрении "
             "предложения о переходе к однопалатному парламенту.\nКазахстанские парламентарии поздравили Мексику "
             "с проведением чемпионата мира по футболу FIFA 2026 года и пожелали успехов и побед."},
]


def _state(ws: Workspace) -> dict[str, list[tuple]]:
    """Every column of every row of the review-relevant tables, to prove an operation changed nothing."""
    # raw read on purpose: a byte-exact snapshot (added_at, signatures...) that no store method returns
    return {t: ws.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
            for t in ("links", "pairs", "decisions", "items")}


def test_seed_round_trip(tmp_path, seeds_dir, sentence_encoder):
    link = pytest.importorskip("kzalign.stages.link")
    from kzalign.inputs.ingest import ingest_paths
    from kzalign.stages.sentences import align_workspace

    extra = tmp_path / "ru_extra.jsonl"
    extra.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in RU_EXTRA), encoding="utf-8")
    ws = Workspace(tmp_path / "seeds.db")

    def run() -> None:
        with ws.transaction():
            ingest_paths(ws, [seeds_dir, extra])
            link.link_workspace(ws, encoder=sentence_encoder)
            align_workspace(ws, encoder=sentence_encoder)

    run()
    links0 = {k: row[0] for k, row in ws.link_rows().items()}  # (ru_id, en_id) -> score
    pairs0 = pairs_table(ws)
    parl = [k for k in links0 if k[0] == "ru-mexico-parl"]
    mfa_pairs = pairs0[pairs0["ru_id"] == "ru-mexico-mfa"]
    assert parl and len(mfa_pairs) >= 3, (links0, pairs0[["ru_id", "en_id", "regime"]])
    rejected = max(parl, key=lambda k: links0[k])
    fixed = mfa_pairs.iloc[1]["pair_id"]
    out = tmp_path / "review.csv"
    export_review(ws, out)
    rows = _rows(out)
    for r in rows:
        if r["row_id"] == link_key(*rejected):
            r["decision"] = "reject"
        if r["row_id"] == fixed:
            r["decision"] = "fix"
            r["corrected_en"] = "Corrected English sentence."
    reviewed = tmp_path / "reviewed.csv"
    _write(reviewed, rows, _head(out))

    # a bad row first: refused with its row number, workspace untouched
    bad_rows = [dict(r) for r in rows]
    bad_rows[2]["decision"] = "approve"
    bad = tmp_path / "bad.csv"
    _write(bad, bad_rows, _head(out))
    before = _state(ws)
    with pytest.raises(InputError, match=r"bad\.csv:4: unknown decision 'approve'"):
        import_review(ws, bad)
    assert _state(ws) == before

    assert import_review(ws, reviewed).applied == 2
    run()
    links1 = {k: row[0] for k, row in ws.link_rows().items()}  # (ru_id, en_id) -> score
    assert rejected not in links1
    assert links1 == {k: v for k, v in links0.items() if k != rejected}
    pairs1 = pairs_table(ws)
    assert not ((pairs1["ru_id"] == rejected[0]) & (pairs1["en_id"] == rejected[1])).any()
    row = pairs1.set_index("pair_id").loc[fixed]
    assert row["en_text"] == "Corrected English sentence." and row["decision"] == "fix"
    keep = ~((pairs0["ru_id"] == rejected[0]) & (pairs0["en_id"] == rejected[1]))
    cols = ["pair_id", "ru_text", "en_original", "score", "regime"]
    assert pairs1[cols].reset_index(drop=True).equals(pairs0.loc[keep, cols].reset_index(drop=True))
    ws.close()


def test_glossary_candidates_round_trip(ws, tmp_path):
    from kzalign.glossary import load_glossary

    gdir = tmp_path / "glossaries"
    gdir.mkdir()
    with ws.transaction():
        ws.add_items([
            {"id": "r", "lang": "ru", "text": "Посол Казахстана встретился с Анибалом Гомесом Толедо в Мехико.",
             "date": "2026-02-24"},
            {"id": "e", "lang": "en", "text": "The Ambassador of Kazakhstan met Anibal Gomez Toledo in Mexico City.",
             "date": "2026-02-24"},
        ])
        ws.replace_links([("r", "e", 0.9, 1, "{}", "s")])
    gloss = load_glossary([gdir])
    out = tmp_path / "g.csv"
    rep = export_review(ws, out, what="glossary", glossary=gloss)
    rows = _rows(out)
    assert rep.by_kind.get("glossary", 0) == len(rows) and rows
    by_ru = {r["ru_text"]: r for r in rows}
    assert "Мехико" in by_ru
    by_ru["Мехико"]["decision"] = "accept"
    person = next(r for r in rows if "Толедо" in r["ru_text"])
    person["decision"] = "fix"
    person["corrected_en"] = "Aníbal Gómez Toledo"
    reviewed = tmp_path / "g_reviewed.csv"
    _write(reviewed, rows, _head(out))
    res = import_review(ws, reviewed, glossary=gloss, glossary_target=gdir)
    assert res.glossary_added == 2
    merged = load_glossary([gdir])
    assert {(e.ru, e.en, e.status) for e in merged.entries} >= {("Мехико", "Mexico", "approved"),
                                                                (person["ru_text"], "Aníbal Gómez Toledo", "approved")}
    # the accepted candidates are now glossary entries, yet re-export still shows the decisions
    again = tmp_path / "g_again.csv"
    export_review(ws, again, what="glossary", glossary=merged)
    decided = {r["ru_text"]: r["decision"] for r in _rows(again)}
    assert decided["Мехико"] == "accept" and decided[person["ru_text"]] == "fix"


def test_cli_pairs_listing(filled):
    from kzalign.cli import main

    r = CliRunner().invoke(main, ["pairs", "--db", str(filled.path), "--no-align", "--format", "jsonl"])
    assert r.exit_code == 0, r.output
    recs = [json.loads(line) for line in r.output.splitlines()]
    assert [x["ru_text"] for x in recs] == RU and {x["link_id"] for x in recs} == {link_key("r1", "e1")}
