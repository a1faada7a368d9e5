"""Review as translators and CAT tools do it (issue 25): garbled cells refused, XLIFF states of memoQ/Trados/
OmegaT and translate-toolkit, reviewers named in the file, pair kinds kept out of the TMX, decision history."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_review import RU, _fill, _rows, _state

from kzalign.cli import main
from kzalign.core.errors import InputError
from kzalign.core.files import garbled_text
from kzalign.stages.review import export_review, import_review
from kzalign.stages.sentences import pair_key
from kzalign.store.workspace import decisions, link_key

P1, P2 = pair_key("r1", "e1", [1], [1]), pair_key("r1", "e1", [2], [2])
L1, L2 = link_key("r1", "e1"), link_key("r1", "e2")
NAME = "Aníbal Gómez met the minister."


@pytest.fixture()
def filled(ws):
    _fill(ws)
    return ws


def _save_as(path: Path, rows: list[dict[str, str]], delimiter: str, encoding: str) -> Path:
    """Rows saved as Excel saves a CSV in a legacy code page: letters it cannot hold become ``?``."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    return path


def _reviewed(filled, tmp_path: Path, name: str, decided: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    out = tmp_path / f"{name}_export.csv"
    export_review(filled, out)
    rows = _rows(out)
    for r in rows:
        r.update(decided.get(r["row_id"], {}))
    return rows


# -- 1. garbled cells ------------------------------------------------------------------------------------
def test_correction_saved_as_windows_1251_is_refused(filled, tmp_path):
    rows = _reviewed(filled, tmp_path, "a", {P2: {"decision": "fix", "corrected_en": NAME}})
    lossy = _save_as(tmp_path / "ru_excel.csv", rows, ";", "cp1251")  # Excel, Russian Windows: "CSV (;)"
    assert "An?bal G?mez" in lossy.read_bytes().decode("cp1251")
    before = _state(filled)
    r = CliRunner().invoke(main, ["review", "import", "--db", str(filled.path), str(lossy)])
    assert r.exit_code == 1, r.output
    assert "ru_excel.csv:5: column corrected_en: 'An?bal G?mez met the minister.'" in r.output
    assert "save it as UTF-8 CSV or XLSX" in r.output and "nothing was imported" in r.output
    assert _state(filled) == before and decisions(filled, "pair").empty
    # the same file saved as UTF-8 imports, and the fix keeps the accents
    good = tmp_path / "good.csv"
    good.write_bytes(lossy.read_bytes().decode("cp1251").replace("An?bal G?mez", "Aníbal Gómez").encode("utf-8"))
    assert import_review(filled, good).by_decision == {"fix": 1}
    assert decisions(filled, "pair").set_index("key").loc[P2, "corrected_en"] == NAME


def test_garbled_notes_reviewers_and_mojibake_are_refused(filled, tmp_path):
    rows = _reviewed(filled, tmp_path, "b", {
        P1: {"decision": "accept", "note": "see https://kaztag.kz/ru/news?id=12&p=3"},  # a URL's ? is fine
        P2: {"decision": "fix", "corrected_en": "Aníbal Gómez said.".encode().decode("cp1252")},  # mojibake
        L1: {"decision": "accept", "reviewer": "Gulnar \ufffd"},
        L2: {"decision": "reject", "note": "Ð´ÑƒÐ±Ð»ÑŒ"},  # "дубль" as UTF-8 read as Windows-1252
    })
    path = tmp_path / "b.csv"
    path.write_bytes(("\ufeff" + _csv(rows)).encode("utf-8"))
    with pytest.raises(InputError) as exc:
        import_review(filled, path)
    msg = str(exc.value)
    assert "b.csv:2: column reviewer: 'Gulnar \ufffd' has a replacement character" in msg
    assert "b.csv:3: column note:" in msg and "it should read 'дубль'" in msg
    assert "b.csv:5: column corrected_en:" in msg and "it should read 'Aníbal Gómez said.'" in msg
    assert "b.csv:4" not in msg and decisions(filled, "pair").empty


@pytest.mark.parametrize(("text", "lost"), [
    ("An?bal G?mez", True), ("AnГ­bal", True), ("\ufffd", True), ("Aníbal Gómez", False), ("What? Yes.", False),
    ("Привет, «мир» — №5", False), ("naïve café", False), ("a?b=1", False),
])
def test_garbled_text(text, lost):
    assert (garbled_text(text) is not None) == lost


def _csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


# -- 2. XLIFF as CAT tools write it ----------------------------------------------------------------------
X = "{urn:oasis:names:tc:xliff:document:1.2}"
MQ = "{MQXliff}"
SDL = "{http://sdl.com/FileTypes/SdlXliff/1.0}"
FIXED = "The parties discussed trade in 10,000 tonnes."
DATA = Path(__file__).parent / "data"


def _tt_store(filled, tmp_path: Path, name: str):
    """The review exported as XLIFF and opened with translate-toolkit (what Virtaal, Pootle and Weblate use)."""
    from translate.storage.xliff import xlifffile

    out = tmp_path / f"{name}.xlf"
    export_review(filled, out)
    store = xlifffile.parsefile(str(out))
    return store, {u.xmlelement.get("id"): u for u in store.units}


def _save(store, path: Path) -> Path:
    path.write_bytes(bytes(store))
    return path


def _import(filled, path: Path, *args: str):
    return CliRunner().invoke(main, ["review", "import", "--db", str(filled.path), str(path), *args])


def test_xliff_links_locked_pairs_translatable_and_states_through_translate_toolkit(filled, tmp_path):
    from lxml import etree

    r = CliRunner().invoke(main, ["review", "export", "--db", str(filled.path), "--out", str(tmp_path / "cli.xlf")])
    assert r.exit_code == 0 and "2 link units are locked" in r.output and "decide links in a CSV" in r.output
    store, units = _tt_store(filled, tmp_path, "a")
    assert not units[L1].istranslatable() and not units[L2].istranslatable()  # translate="no"
    assert units[P1].istranslatable() and units[P2].istranslatable()
    # a translator confirms P1 without approving it: reported, nothing recorded
    units[P1].set_state_n(units[P1].S_TRANSLATED)
    units[P1].markapproved(False)
    confirmed = _save(store, tmp_path / "confirmed.xlf")
    r = _import(filled, confirmed)
    assert r.exit_code == 0 and "imported 0 decisions (no new decisions)" in r.output
    assert "1 XLIFF unit confirmed but not approved (state translated): nothing recorded" in r.output
    assert "--accept-confirmed" in r.output and decisions(filled, "pair").empty
    # the reviewer approves P1 (naming herself in a note) and fixes P2 in a phase the file names
    units[P1].markapproved(True)
    units[P1].addnote("checked against the agency's style", origin="Dana Sadykova")
    units[P2].target = FIXED  # translate-toolkit: state translated + approved
    header = store.getheadernode(store.body.getparent(), createifmissing=True)
    group = etree.SubElement(header, X + "phase-group")
    etree.SubElement(group, X + "phase", {"phase-name": "rev", "process-name": "review",
                                          "contact-name": "Aigerim Bekova"})
    header.insert(0, group)  # phase-group comes first in <header>
    units[P2].xmlelement.find(X + "target").set("phase-name", "rev")
    reviewed = _save(store, tmp_path / "reviewed.xlf")
    r = _import(filled, reviewed)
    assert r.exit_code == 0 and "imported 2 decisions (1 accepted, 1 fixed)" in r.output, r.output
    dec = decisions(filled, "pair").set_index("key")
    assert dec.loc[P1, "reviewer"] == "Dana Sadykova" and dec.loc[P2, "reviewer"] == "Aigerim Bekova"
    assert dec.loc[P2, "corrected_en"] == FIXED
    # re-exported: still valid XLIFF 1.2, the reviewers as phases, and read back unchanged
    again = tmp_path / "again.xlf"
    export_review(filled, again)
    doc = etree.parse(str(again))
    schema = etree.XMLSchema(etree.parse(str(DATA / "xliff-core-1.2-strict.xsd")))
    assert schema.validate(doc), schema.error_log
    assert {p.get("contact-name") for p in doc.iter(X + "phase")} == {"Aigerim Bekova", "Dana Sadykova"}
    assert import_review(filled, again).unchanged == 2


def test_accept_confirmed_takes_confirmed_units_and_omegat_edits(filled, tmp_path):
    store, units = _tt_store(filled, tmp_path, "b")
    units[P1].set_state_n(units[P1].S_TRANSLATED)
    units[P1].markapproved(False)
    tgt = units[P2].xmlelement.find(X + "target")
    tgt.text = FIXED  # OmegaT: the target edited, its state left as it was (needs-review-translation)
    path = _save(store, tmp_path / "omegat.xlf")
    r = _import(filled, path)
    assert "1 XLIFF unit with an edited target but no status (OmegaT" in r.output and r.exit_code == 0
    r = _import(filled, path, "--accept-confirmed", "--reviewer", "gulnar")
    assert "imported 2 decisions (1 accepted, 1 fixed)" in r.output, r.output
    assert "taken as accepted (--accept-confirmed)" in r.output
    dec = decisions(filled, "pair").set_index("key")
    assert dec.loc[P2, "corrected_en"] == FIXED and set(dec["reviewer"]) == {"gulnar"}


def test_poxliff_round_trip(filled, tmp_path):
    from translate.storage.poxliff import PoXliffFile

    out = tmp_path / "p.xlf"
    export_review(filled, out)
    store = PoXliffFile.parsefile(str(out))
    units = {u.xmlelement.get("id"): u for u in store.units}
    assert [units[k].istranslatable() for k in (L1, L2, P1, P2)] == [False, False, True, True]
    units[P2].target = FIXED  # Virtaal/Pootle: a typed translation is approved
    path = _save(store, tmp_path / "po.xlf")
    rep = import_review(filled, path, reviewer="gulnar")
    assert rep.by_decision == {"fix": 1} and decisions(filled, "pair").set_index("key").loc[P2, "corrected_en"] == FIXED


def test_memoq_and_trados_statuses_and_users(filled, tmp_path):
    from lxml import etree

    out = tmp_path / "c.xlf"
    export_review(filled, out)
    doc = etree.parse(str(out))
    tus = {tu.get("id"): tu for tu in doc.iter(X + "trans-unit")}
    root = doc.getroot()
    etree.cleanup_namespaces(root, top_nsmap={"mq": "MQXliff", "sdl": SDL[1:-1]})
    tus[P1].set(MQ + "status", "Reviewer1Confirmed")  # memoQ: the reviewer confirmed it
    tus[P1].set(MQ + "lastchanginguser", "aigerim.b")
    tus[P2].set(MQ + "status", "Rejected")
    segs = etree.SubElement(tus[L2], SDL + "seg-defs")  # Trados: rejected translation, by a domain user
    seg = etree.SubElement(segs, SDL + "seg", {"id": "1", "conf": "RejectedTranslation"})
    etree.SubElement(seg, SDL + "value", {"key": "last_modified_by"}).text = "AGENCY\\dana"
    tus[L1].set(MQ + "status", "ManuallyConfirmed")  # a locked link unit: a confirmation says nothing
    path = tmp_path / "memoq_trados.xlf"
    doc.write(str(path), xml_declaration=True, encoding="UTF-8")
    rep = import_review(filled, path)
    assert rep.by_decision == {"accept": 1, "reject": 2} and rep.confirmed == 0
    dec = {(k, key): d for (k, key), d in filled.decision_map().items()}
    assert dec[("pair", P1)]["reviewer"] == "aigerim.b" and dec[("link", L2)]["reviewer"] == "dana"
    assert dec[("pair", P2)]["decision"] == "reject"


# -- 3. TBX-Basic 2.0 (martif) for CAT tools --------------------------------------------------------------
def test_tbx2_export_is_read_back_by_translate_toolkit(tmp_path):
    from translate.storage.tbx import tbxfile

    from kzalign.glossary import BUNDLED_DIR, Glossary, load_glossary, new_entry

    g = Glossary([new_entry("Арман Исетов", "Arman Issetov", "person", variants="A. Issetov",
                            forbidden="Arman Isetov", note="Deputy Minister")], "t")
    out = tmp_path / "names.tbx"
    from kzalign.glossary import export_glossary

    export_glossary(g, out, "tbx2", "ru-RU", "en-GB")
    text = out.read_text(encoding="utf-8")
    assert '<!DOCTYPE martif SYSTEM "TBXBasiccoreStructV02.dtd">' in text and '<martif type="TBX-Basic"' in text
    tb = tbxfile.parsefile(str(out))
    assert [(u.source, u.target) for u in tb.units] == [("Арман Исетов", "Arman Issetov")]
    terms = {t.text: t for t in tb.units[0].get_target_terms("en-GB")}
    assert [t.text for t in tb.units[0].get_source_terms()] == ["Арман Исетов"]
    assert "Deputy Minister" in tb.units[0].getnotes()
    assert set(terms) == {"Arman Issetov", "A. Issetov", "Arman Isetov"}
    assert terms["Arman Isetov"].deprecated and not terms["Arman Issetov"].deprecated
    # the bundled glossary through the command line: every entry comes back
    bundled = load_glossary([BUNDLED_DIR])
    out2 = tmp_path / "bundled.tbx"
    r = CliRunner().invoke(main, ["glossary", "export", "--format", "tbx2", "--out", str(out2), "--glossary",
                                  str(BUNDLED_DIR), "--source-lang", "ru", "--target-lang", "en"])
    assert r.exit_code == 0, r.output
    assert [u.source for u in tbxfile.parsefile(str(out2)).units] == [e.ru for e in bundled.entries]


# -- 5. review history ------------------------------------------------------------------------------------
def test_replacing_another_reviewers_decision_is_said_and_kept(filled, tmp_path):
    db = str(filled.path)
    first = tmp_path / "first.csv"
    first.write_bytes(("\ufeff" + _csv(_reviewed(filled, tmp_path, "h1", {
        P2: {"decision": "fix", "corrected_en": FIXED}, P1: {"decision": "accept"}}))).encode("utf-8"))
    r = _import(filled, first, "--reviewer", "aigerim")
    assert r.exit_code == 0 and "another reviewer" not in r.output
    second = tmp_path / "second.csv"
    second.write_bytes(("\ufeff" + _csv(_reviewed(filled, tmp_path, "h2", {
        P2: {"decision": "reject", "reviewer": "dana"}, P1: {"decision": "accept", "reviewer": "dana"}}))
    ).encode("utf-8"))
    r = _import(filled, second)
    assert r.exit_code == 0, r.output
    assert "replaced 1 decision of another reviewer: aigerim (1)" in r.output
    assert f"{P2}: aigerim's fix -> dana's reject" in r.output
    r = CliRunner().invoke(main, ["review", "decisions", "--db", db, "--history", "--format", "csv"])
    hist = list(csv.DictReader(io.StringIO(r.stdout.lstrip("\ufeff"))))
    p2 = [(h["decision"], h["reviewer"], h["replaced_decision"], h["replaced_reviewer"], h["review_file"])
          for h in hist if h["row_id"] == P2]
    assert p2 == [("fix", "aigerim", "", "", "first.csv"), ("reject", "dana", "fix", "aigerim", "second.csv")]
    assert [h["en_text"] for h in hist if h["row_id"] == P2][0].startswith("The parties discussed")
    r = CliRunner().invoke(main, ["review", "decisions", "--db", db, "--format", "csv"])
    table = {d["row_id"]: d for d in csv.DictReader(io.StringIO(r.stdout.lstrip("\ufeff")))}
    assert table[P2]["reviewers"] == "aigerim > dana" and table[P2]["changes"] == "1"
    assert table[P1]["reviewers"] == "aigerim > dana"  # the same decision by a second reviewer: kept, not "replaced"


def test_history_is_filled_from_decisions_of_older_workspaces(tmp_path):
    from kzalign.store.workspace import MIGRATIONS, Workspace

    before = next(v for v, what, _ in MIGRATIONS if what.startswith("decision_history")) - 1  # later steps may follow
    db = tmp_path / "old.db"
    with Workspace(db) as w:
        with w.transaction():
            hist = [{"decision": "fix", "reviewer": "aigerim", "at": "2026-01-01T10:00:00+00:00", "file": "a.csv"},
                    {"decision": "reject", "reviewer": "dana", "at": "2026-01-02T10:00:00+00:00", "file": "b.csv"}]
            w.record_decision("pair", "P1", "reject", "", "dana", "dup", {"history": hist}, "b.csv", hist[1]["at"])
            w.record_decision("link", "L1", "accept", "", "ann", "", {}, "c.csv", "2026-01-03T10:00:00+00:00")
            # as a workspace of the version before the history table: raw SQL on purpose
            w.conn.execute("DROP TABLE decision_history")
            w.set_meta("schema_version", str(before))
    with Workspace(db, create=False) as w:
        h = w.decision_history()
    assert h[["kind", "key", "decision", "reviewer", "replaced_decision", "replaced_reviewer", "note"]].values.tolist() \
        == [["pair", "P1", "fix", "aigerim", "", "", ""], ["pair", "P1", "reject", "dana", "fix", "aigerim", "dup"],
            ["link", "L1", "accept", "ann", "", "", ""]]


# -- 4. pairs that are not translations -------------------------------------------------------------------
def _set_link_kind(ws, ru_id: str, en_id: str, kind: str) -> None:
    """Give a link another kind, as a re-link would (raw SQL on purpose: only the link stage writes kinds)."""
    with ws.transaction():
        ws.conn.execute("UPDATE links SET kind=? WHERE ru_id=? AND en_id=?", (kind, ru_id, en_id))


def _export(ws, out: Path, *args: str):
    return CliRunner().invoke(main, ["export", "--db", str(ws.path), "--out", str(out), *args])


def test_pairs_that_are_not_translations_are_marked_and_kept_out_of_the_tmx(filled, tmp_path):
    from test_review import _add_e2_pair
    from translate.storage.tmx import tmxfile

    pe2 = _add_e2_pair(filled)  # mined from comparable texts (regime comparable) on the r1-e2 link
    _set_link_kind(filled, "r1", "e2", "translation")
    review = tmp_path / "kinds.csv"
    export_review(filled, review)
    rows = {r["row_id"]: r for r in _rows(review)}
    assert rows[pe2]["flags"] == "not-translation:comparable" and rows[P1]["flags"] == ""
    assert rows[pe2]["link_kind"] == rows[L2]["link_kind"] == "translation"
    r = _export(filled, tmp_path / "u.tmx", "--unreviewed")
    assert "wrote 2 sentence pairs" in r.output and "1 unreviewed pair that is not a translation (comparable" in r.output
    assert [u.source for u in tmxfile.parsefile(str(tmp_path / "u.tmx")).units] == [RU[0], RU[1]]
    # a follow-up report: its pairs are marked in the review files (CSV column, XLIFF note) and stay out of
    # the TMX even when accepted, unless asked for; a same_event pair, once accepted, goes in
    _set_link_kind(filled, "r1", "e2", "follow_up")
    xlf = tmp_path / "kinds.xlf"
    export_review(filled, xlf)
    assert "link kind follow_up" in xlf.read_text(encoding="utf-8")
    csv_path = tmp_path / "kinds2.csv"
    export_review(filled, csv_path)
    rows = {r["row_id"]: r for r in _rows(csv_path)}
    assert rows[pe2]["link_kind"] == "follow_up" and rows[pe2]["flags"] == "not-translation:follow_up"
    assert rows[L2]["link_kind"] == "follow_up" and rows[L1]["link_kind"] == "translation"
    for r in rows.values():
        r["decision"] = "accept" if r["row_id"] in (pe2, P1) else ""
    accepted = tmp_path / "accepted.csv"
    accepted.write_bytes(("\ufeff" + _csv(list(rows.values()))).encode("utf-8"))
    assert import_review(filled, accepted).by_decision == {"accept": 2}
    r = _export(filled, tmp_path / "a.tmx")
    assert "wrote 1 sentence pair" in r.output
    assert "1 accepted pair from follow_up links left out (not translations; add --link-kind follow_up" in r.output
    r = _export(filled, tmp_path / "b.tmx", "--link-kind", "translation", "--link-kind", "follow_up")
    assert "wrote 2 sentence pairs" in r.output and "left out" not in r.output
    props = [{p.get("type"): p.text for p in tu.xmlelement.iter("prop")} for tu in tmxfile.parsefile(
        str(tmp_path / "b.tmx")).units]
    assert [p["x-link-kind"] for p in props] == ["translation", "follow_up"]
    _set_link_kind(filled, "r1", "e2", "same_event")
    r = _export(filled, tmp_path / "c.tmx")
    assert "wrote 2 sentence pairs" in r.output


def test_pairs_of_other_link_kinds_are_flagged_and_follow_ups_mined(ws, sentence_encoder):
    from kzalign.stages.sentences import align_workspace, pairs_table

    ru = "Посол прибыл в Астану. Он встретился с министром. Стороны обсудили торговлю."
    en = "The ambassador arrived in Astana. He met the minister. The parties discussed trade."
    kinds = {"r": "translation", "r2": "same_event", "r3": "follow_up"}
    with ws.transaction():
        for rid in kinds:
            ws.add_items([{"id": rid, "lang": "ru", "title": "", "text": ru, "date": "2026-02-24"},
                          {"id": f"e{rid}", "lang": "en", "title": "", "text": en, "date": "2026-02-24"}])
        ws.replace_links([(rid, f"e{rid}", 0.9, 1, "{}", "t", kind) for rid, kind in kinds.items()])
    align_workspace(ws, encoder=sentence_encoder)
    by = {k: g for k, g in pairs_table(ws).groupby("ru_id")}
    assert set(by["r"]["regime"]) == {"parallel"} and set(by["r"]["flags"]) == {""}
    # the same event told alike: aligned as the texts are, but not a translation for the TM
    assert set(by["r2"]["regime"]) == {"parallel"} and set(by["r2"]["flags"]) == {"not-translation:same_event"}
    # a follow-up report is never parallel: its few matching sentences are mined
    assert set(by["r3"]["regime"]) == {"comparable"} and set(by["r3"]["flags"]) == {"not-translation:follow_up"}
    assert [set(by[r]["link_kind"]) for r in kinds] == [{k} for k in kinds.values()]


def test_garbled_glossary_rows_are_refused(tmp_path):
    from kzalign.glossary import read_glossary_file

    path = tmp_path / "people.csv"
    text = "ru,en,kind,variants,forbidden,status,note,source\r\nАнибал Гомес,Aníbal Gómez,person,,,approved,,\r\n"
    # saved by Excel as "CSV" in a Russian locale, then converted to UTF-8: the lost letters stay lost
    path.write_bytes(text.encode("cp1251", errors="replace").decode("cp1251").encode("utf-8"))
    with pytest.raises(InputError, match=r"people\.csv:2: column 'en': 'An\?bal G\?mez' has a \? inside the word"):
        read_glossary_file(path)
    path.write_bytes(text.replace(",", ";").encode("cp1251", errors="replace"))  # as Excel saved it, read as such
    with pytest.raises(InputError, match=r"people\.csv:2: column 'en': 'An\?bal G\?mez' has a \? inside the word"):
        read_glossary_file(path)


def test_unit_status_of_segmented_and_unapproved_units():
    from lxml import etree

    from kzalign.formats.xliff import unit_status

    def unit(xml: str):
        return unit_status(etree.fromstring(f'<trans-unit xmlns="urn:oasis:names:tc:xliff:document:1.2" '
                                            f'xmlns:sdl="{SDL[1:-1]}" id="u" {xml}</trans-unit>'))

    segs = '><target/><sdl:seg-defs><sdl:seg id="1" conf="{}"/><sdl:seg id="2" conf="{}"/></sdl:seg-defs>'
    assert unit(segs.format("ApprovedTranslation", "ApprovedSignOff"))[0] == "approved"
    assert unit(segs.format("ApprovedTranslation", "Translated"))[0] == "confirmed"
    assert unit(segs.format("ApprovedTranslation", "Draft")) == ("", "")
    assert unit(segs.format("RejectedSignOff", "ApprovedSignOff"))[0] == "rejected"
    assert unit('approved="no"><target state="final"/>') == ("confirmed", "state final with approved=no")
    assert unit('approved="yes"><target state="needs-review-translation"/>')[0] == "approved"
    assert unit('><target state="needs-translation"/>')[0] == "rejected"


def test_reviewer_named_by_a_tools_alt_trans_phase_and_not_by_roles(tmp_path):
    from kzalign.formats.xliff import read_review_xliff

    xlf = tmp_path / "r.xlf"
    xlf.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2">'
        '<file original="x" source-language="ru" target-language="en" datatype="plaintext"><header><phase-group>'
        '<phase phase-name="qa" process-name="review" contact-name="Murat Ospanov"/></phase-group></header><body>'
        '<trans-unit id="a" approved="yes"><source>а</source><target>a</target>'
        '<alt-trans origin="kzalign-mt"><target>x</target></alt-trans>'
        '<alt-trans origin="reviewer-tool" phase-name="qa"><target>a</target></alt-trans></trans-unit>'
        '<trans-unit id="b" approved="yes"><source>б</source><target>b</target>'
        '<note from="translator">ok</note></trans-unit></body></file></xliff>', encoding="utf-8")
    rows = dict((c["row_id"], c) for _n, c in read_review_xliff(xlf).rows)
    assert rows["a"]["reviewer"] == "Murat Ospanov"
    assert rows["b"]["reviewer"] == "" and rows["b"]["note"] == "ok"  # "translator" is a role, not a name
