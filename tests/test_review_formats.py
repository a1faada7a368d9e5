"""Review files as CAT tools and spreadsheets write them: TMX/XLIFF validated against their standards, XLSX
features, Excel/LibreOffice encodings, formula safety, output-path safety, decision order and plurals."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_review import EN, RU, _add_e2_pair, _edit_pair, _fill, _rows, _state, _write

from kzalign.cli import main
from kzalign.core.errors import InputError, KzalignError
from kzalign.core.files import csv_bytes, neutralize_formula, unneutralize_formula
from kzalign.stages.review import export_pairs, export_review, import_review
from kzalign.stages.sentences import pair_key
from kzalign.store.workspace import Workspace, decisions, link_key, now_iso

DATA = Path(__file__).parent / "data"
FIXED = "The parties discussed trade in 10,000 tonnes."


@pytest.fixture()
def filled(ws):
    _fill(ws)
    return ws


def _decide(ws: Workspace, tmp_path: Path, name: str, decided: dict[str, tuple[str, str]], **kw) -> Path:
    """Export a review CSV, fill in {row_id: (decision, corrected_en)} and save it as a spreadsheet would."""
    out = tmp_path / f"{name}_export.csv"
    out.unlink(missing_ok=True)
    export_review(ws, out, **kw)
    rows = _rows(out)
    for r in rows:
        if r["row_id"] in decided:
            r["decision"], r["corrected_en"] = decided[r["row_id"]]
            r["reviewer"] = ""  # whoever imports it (--reviewer) decided it
    path = tmp_path / f"{name}.csv"
    _write(path, rows)
    return path


P1, P2 = pair_key("r1", "e1", [1], [1]), pair_key("r1", "e1", [2], [2])
L1, L2 = link_key("r1", "e1"), link_key("r1", "e2")


# -- TMX --------------------------------------------------------------------------------------------
def test_tmx_valid_against_dtd_and_read_by_translate_toolkit(filled, tmp_path):
    from lxml import etree
    from translate.storage.tmx import tmxfile

    import_review(filled, _decide(filled, tmp_path, "a", {P1: ("accept", ""), P2: ("accept", "")}),
                  reviewer="aigerim")
    import_review(filled, _decide(filled, tmp_path, "b", {P2: ("fix", FIXED)}), reviewer="dana")
    out = tmp_path / "memory.tmx"
    rep = export_pairs(filled, out, "tmx", source_lang="ru-RU", target_lang="en-GB")
    assert rep.units == 2 and not rep.warnings
    doc = etree.parse(str(out))
    dtd = etree.DTD(str(DATA / "tmx14.dtd"))
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()
    assert doc.find("header").get("srclang") == "ru-RU"
    tus = doc.findall("body/tu")
    assert [tu.get("tuid") for tu in tus] == [P1, P2]
    assert tus[1].get("creationid") == "aigerim" and tus[1].get("changeid") == "dana"
    assert tus[0].get("changeid") == "aigerim" and len(tus[1].get("changedate")) == 16  # 20261130T183400Z
    assert [tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in tus[0].findall("tuv")] == \
        ["ru-RU", "en-GB"]
    tm = tmxfile.parsefile(str(out))
    assert [(u.source, u.target) for u in tm.units] == [(RU[0], EN[0]), (RU[1], FIXED)]
    with pytest.raises(KzalignError, match="not a language code"):
        export_pairs(filled, tmp_path / "x.tmx", source_lang="Russian")


def test_jsonl_export_has_index_arrays(filled, tmp_path):
    import_review(filled, _decide(filled, tmp_path, "a", {P1: ("accept", "")}))
    out = tmp_path / "m.jsonl"
    export_pairs(filled, out, "jsonl")
    rec = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert rec["ru_idx"] == [1] and rec["en_idx"] == [1] and rec["decision"] == "accept"


# -- XLIFF ------------------------------------------------------------------------------------------
def test_xliff_validates_and_round_trips_decisions(filled, tmp_path):
    from lxml import etree
    from translate.storage.xliff import xlifffile

    schema = etree.XMLSchema(etree.parse(str(DATA / "xliff-core-1.2-strict.xsd")))
    out = tmp_path / "review.xlf"
    rep = export_review(filled, out, source_lang="ru-RU", target_lang="en-US")
    assert rep.fmt == "xliff" and rep.by_kind == {"link": 2, "pair": 2}
    doc = etree.parse(str(out))
    assert schema.validate(doc), schema.error_log
    assert len(xlifffile.parsefile(str(out)).units) == 4
    ns = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
    units = {tu.get("id"): tu for tu in doc.iterfind(".//x:trans-unit", ns)}
    units[L2].find("x:target", ns).set("state", "x-rejected")  # reject a link
    units[P1].set("approved", "yes")  # approve: accept
    units[P2].set("approved", "yes")  # approve an edited target: fix
    units[P2].find("x:target", ns).text = FIXED
    units[P2].find("x:target", ns).set("state", "final")
    reviewed = tmp_path / "reviewed.xlf"
    doc.write(str(reviewed), xml_declaration=True, encoding="UTF-8")
    res = import_review(filled, reviewed, reviewer="aigerim")
    assert res.by_decision == {"reject": 1, "accept": 1, "fix": 1}
    dec = decisions(filled, "pair").set_index("key")
    assert dec.loc[P2, "decision"] == "fix" and dec.loc[P2, "corrected_en"] == FIXED
    assert import_review(filled, reviewed).unchanged == 3  # importing it again changes nothing
    again = tmp_path / "again.xlf"
    export_review(filled, again)
    doc2 = etree.parse(str(again))
    assert schema.validate(doc2), schema.error_log
    u2 = {tu.get("id"): tu for tu in doc2.iterfind(".//x:trans-unit", ns)}
    assert u2[P2].get("approved") == "yes" and u2[P2].find("x:target", ns).text == FIXED
    assert u2[L2].find("x:target", ns).get("state") == "x-rejected"
    # a fixed link is refused, naming the unit's line
    units[L1].set("approved", "yes")
    units[L1].find("x:target", ns).text = "Something else"
    doc.write(str(tmp_path / "bad.xlf"), xml_declaration=True, encoding="UTF-8")
    with pytest.raises(InputError, match=r"bad\.xlf:\d+: a link cannot be fixed"):
        import_review(filled, tmp_path / "bad.xlf")


# -- XLSX -------------------------------------------------------------------------------------------
def _exported_sheet(ws, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "review.xlsx"
    export_review(ws, out)
    wb = load_workbook(out)
    return wb, wb["review"], [c.value for c in wb["review"][1]]


def test_xlsx_has_dropdown_filter_frozen_header(filled, tmp_path):
    wb, sh, header = _exported_sheet(filled, tmp_path)
    col = sh.cell(row=1, column=header.index("decision") + 1).column_letter
    dvs = sh.data_validations.dataValidation
    assert len(dvs) == 1 and dvs[0].formula1 == '"accept,reject,fix"' and f"{col}2" in str(dvs[0].sqref)
    assert sh.auto_filter.ref.startswith("A1:") and sh.freeze_panes == "B2"
    assert sh.column_dimensions["E"].width >= 40  # ru_text
    assert wb["about"]["A3"].value == "signature" and filled.workspace_id in wb["about"]["B3"].value


def test_xlsx_formula_without_saved_value_is_refused(filled, tmp_path):
    wb, sh, header = _exported_sheet(filled, tmp_path)
    cell = sh.cell(row=3, column=header.index("decision") + 1)
    cell.value = '=IF(1>0,"reject","")'  # written by openpyxl/pandas: no cached value
    wb.save(tmp_path / "formula.xlsx")
    before = _state(filled)
    with pytest.raises(InputError, match=rf"formula\.xlsx:3: cell {cell.coordinate} holds a formula .*save the file "
                                         "in Excel or LibreOffice"):
        import_review(filled, tmp_path / "formula.xlsx")
    assert _state(filled) == before


# -- spreadsheet encodings and dialects ---------------------------------------------------------------
def _excel_rows(filled, tmp_path, decided):
    out = tmp_path / "export.csv"
    export_review(filled, out)
    rows = _rows(out)
    for r in rows:
        if r["row_id"] in decided:
            r["decision"] = decided[r["row_id"]]
    return rows


def _save_as(path: Path, rows, delimiter: str, encoding: str, errors: str = "strict") -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding, errors=errors))
    return path


def test_excel_russian_locale_and_unicode_text_saves_import(filled, tmp_path):
    rows = _excel_rows(filled, tmp_path, {P1: "accept", L2: "reject"})
    ansi = _save_as(tmp_path / "ansi.csv", rows, ";", "cp1251")  # Excel, Russian Windows: "CSV (;)"
    assert import_review(filled, ansi).by_decision == {"accept": 1, "reject": 1}
    rows = _excel_rows(filled, tmp_path, {P2: "accept"})
    utf16 = _save_as(tmp_path / "unicode.txt", rows, "\t", "utf-16")  # Excel "Unicode Text"
    assert import_review(filled, utf16).by_decision == {"accept": 1}
    export_pairs(filled, tmp_path / "m.tsv", "tsv")
    assert (tmp_path / "m.tsv").read_text(encoding="utf-8").splitlines() == [f"{RU[0]}\t{EN[0]}",
                                                                            f"{RU[1]}\t{EN[1]}"]


def test_lossy_encodings_are_named(ws, tmp_path):
    _fill(ws)
    # an English name with letters that Windows-1251 cannot hold
    _edit_pair(ws, P2, en_text="Aníbal Gómez Toledo met the ambassador.")
    rows = _excel_rows(ws, tmp_path, {P2: "accept"})
    lossy = _save_as(tmp_path / "ru.csv", rows, ";", "cp1251", errors="replace")
    before = _state(ws)
    with pytest.raises(InputError) as exc:
        import_review(ws, lossy)
    msg = str(exc.value)
    assert "ru.csv:5: the file was saved in an encoding that lost characters (cp1251" in msg
    assert "edited" not in msg and "CSV UTF-8" in msg
    western = _save_as(tmp_path / "en.csv", rows, ",", "cp1252", errors="replace")  # Cyrillic becomes ?
    with pytest.raises(InputError, match=r"en\.csv:5: the file was saved in an encoding that lost characters"):
        import_review(ws, western)
    assert _state(ws) == before


def test_leading_apostrophes_survive_the_round_trip(ws, tmp_path):
    for v in ["=1", "'=1", "''+1", "'+7 (727)", "'s", "'", "-", "plain", ""]:
        assert unneutralize_formula(neutralize_formula(v)) == v
    _fill(ws)
    title = "'+7 (727) 272-00-00: телефон посольства"
    _edit_pair(ws, P1, ru_text=title)
    out = tmp_path / "r.csv"
    export_review(ws, out)
    assert "\"''+7 (727) 272-00-00: телефон посольства\"" in out.read_text(encoding="utf-8-sig") or \
        "''+7 (727) 272-00-00: телефон посольства" in out.read_text(encoding="utf-8-sig")
    rows = _rows(out)
    next(r for r in rows if r["row_id"] == P1)["decision"] = "accept"
    _write(tmp_path / "reviewed.csv", rows)
    assert import_review(ws, tmp_path / "reviewed.csv").by_decision == {"accept": 1}
    export_pairs(ws, tmp_path / "m.tsv", "tsv")
    assert (tmp_path / "m.tsv").read_text(encoding="utf-8").startswith(title + "\t")


def test_csv_writer_is_one_dialect():
    data = csv_bytes([{"a": "=cmd", "b": "Алматы"}, {"a": "'+x", "b": "line\nbreak"}])
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [["a", "b"], ["'=cmd", "Алматы"], ["''+x", "line\nbreak"]]


# -- spreadsheet edits: applied correctly or refused naming the row -------------------------------------------
def test_reordered_deleted_columns_and_blank_rows(filled, tmp_path):
    rows = _excel_rows(filled, tmp_path, {P1: "accept", L2: "reject"})
    keep = ["decision", "note", "row_id", "check", "ru_text", "en_text", "signature"]  # reordered, some deleted
    slim = [{k: r[k] for k in keep} for r in rows]
    slim.insert(1, dict.fromkeys(keep, ""))  # a blank row
    path = tmp_path / "slim.csv"
    _write(path, slim)
    assert import_review(filled, path).by_decision == {"accept": 1, "reject": 1}
    no_check = [{k: r[k] for k in keep if k != "check"} for r in rows]
    _write(tmp_path / "nocheck.csv", no_check)
    with pytest.raises(InputError, match=r"nocheck\.csv:1: the header lacks check"):
        import_review(filled, tmp_path / "nocheck.csv")
    no_sig = [{k: r[k] for k in keep if k != "signature"} for r in rows]
    _write(tmp_path / "nosig.csv", no_sig)
    with pytest.raises(InputError, match="no kzalign signature"):
        import_review(filled, tmp_path / "nosig.csv")


def test_unterminated_quote_names_the_line(filled, tmp_path):
    rows = _excel_rows(filled, tmp_path, {P1: "accept"})
    path = _write(tmp_path / "q.csv", rows) or tmp_path / "q.csv"
    text = path.read_text(encoding="utf-8-sig").replace(f"{P2},", f'{P2},"', 1)
    path.write_text(text, encoding="utf-8")
    before = _state(filled)
    with pytest.raises(InputError, match=r"q\.csv:\d+: broken CSV"):
        import_review(filled, path)
    assert _state(filled) == before


# -- decisions are facts applied in a safe order ------------------------------------------------------
def test_link_rejection_and_pair_accept_in_one_file_keep_the_pair(filled, tmp_path):
    p3 = _add_e2_pair(filled)  # a pair on the link that gets rejected
    reviewed = _decide(filled, tmp_path, "a", {L2: ("reject", ""), p3: ("fix", "It will snow.")})
    rep = import_review(filled, reviewed)
    assert rep.by_decision == {"reject": 1, "fix": 1}
    out = export_pairs(filled, tmp_path / "m.tmx")
    assert out.units == 1 and "It will snow." in out.path.read_text(encoding="utf-8")
    assert not [k for k in filled.link_rows() if k[1] == "e2"]


def test_reject_then_accept_brings_the_pair_back_at_once(filled, tmp_path):
    first = _decide(filled, tmp_path, "first", {P1: ("reject", "")})
    second = _decide(filled, tmp_path, "second", {P1: ("accept", "")})  # exported before the rejection
    import_review(filled, first)
    assert filled.pair_record(P1) is None
    rep = import_review(filled, second)
    assert rep.restored == 1 and filled.pair_record(P1) is not None
    assert export_pairs(filled, tmp_path / "m.tmx").units == 1
    # and a later rejection of its link keeps it
    import_review(filled, _decide(filled, tmp_path, "third", {L1: ("reject", "")}))
    assert export_pairs(filled, tmp_path / "m2.tmx").units == 1


def test_export_hints_and_warnings(filled, tmp_path):
    for fmt in ("tmx", "tsv", "jsonl"):  # an empty export writes nothing and fails (issue 25 #8)
        r = CliRunner().invoke(main, ["export", "--db", str(filled.path), "--format", fmt,
                                      "--out", str(tmp_path / f"m.{fmt}")])
        assert r.exit_code == 1 and "nothing to export" in r.output and "not written" in r.output, r.output
        assert "no accepted or fixed sentence pairs yet" in r.output and "--unreviewed" in r.output
        assert not (tmp_path / f"m.{fmt}").exists()
    with filled.transaction():  # an accepted pair whose text the workspace no longer has
        filled.record_decision("pair", "Pgone", "accept", "", "x", "", {"row": {}}, "old.csv", now_iso())
    r = CliRunner().invoke(main, ["export", "--db", str(filled.path), "--out", str(tmp_path / "m2.tmx")])
    assert "warning: pair Pgone was accepted (old.csv) but its text is not kept" in r.output


# -- outputs never destroy data --------------------------------------------------------------------------
def test_outputs_never_overwrite_the_workspace_or_reviewed_files(filled, tmp_path):
    db = str(filled.path)
    before = Path(db).read_bytes()
    for args in (["review", "export", "--db", db, "--out", db], ["export", "--db", db, "--out", db],
                 ["export", "--db", db, "--out", db + "-wal"]):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 1 and "refusing to overwrite the workspace" in r.output, r.output
    with Workspace(db, create=False) as again:  # the file is still the workspace, read afresh
        assert sum(again.count_items().values()) == 3
    other = tmp_path / "other.db"
    Workspace(other).close()
    r = CliRunner().invoke(main, ["export", "--db", db, "--out", str(other)])
    assert r.exit_code == 1 and "is a SQLite database" in r.output
    reviewed = _decide(filled, tmp_path, "a", {P1: ("accept", "")})
    for args in (["review", "export", "--db", db, "--out", str(reviewed)],
                 ["export", "--db", db, "--format", "tsv", "--out", str(reviewed)]):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 1 and "refusing to overwrite a reviewed file" in r.output
    assert Path(db).read_bytes()[:16] == before[:16]


# -- command line: messages and listing formats -----------------------------------------------------------
def test_cli_messages_use_plurals(filled, tmp_path):
    db = str(filled.path)
    r = CliRunner().invoke(main, ["review", "export", "--db", db, "--out", str(tmp_path / "r.csv")])
    assert r.exit_code == 0 and "2 links, 2 pairs" in r.output
    rows = _rows(tmp_path / "r.csv")
    rows[2]["decision"] = "accept"
    _write(tmp_path / "d.csv", rows)
    r = CliRunner().invoke(main, ["review", "import", "--db", db, str(tmp_path / "d.csv")])
    assert r.exit_code == 0 and "imported 1 decision (1 accepted)\n" in r.output
    r = CliRunner().invoke(main, ["review", "import", "--db", db, str(tmp_path / "d.csv")])
    assert "imported 0 decisions (no new decisions); 1 decision already recorded" in r.output
    assert "(s)" not in r.output


def test_emit_formats(capsysbinary):
    import click

    from kzalign.cli import emit

    rows = [{"ru_idx": "[1, 2]", "text": "=HYPERLINK(x)", "n": 1.5}, {"ru_idx": "[3]", "text": "a\tb\nc", "n": None}]

    @click.command()
    @click.argument("fmt")
    def show(fmt):
        emit(rows, fmt)

    out = CliRunner().invoke(show, ["csv"]).stdout_bytes
    assert out.startswith(b"\xef\xbb\xbf") and b"'=HYPERLINK(x)" in out and b"\r\n" in out
    lines = CliRunner().invoke(show, ["jsonl"]).output.splitlines()
    assert json.loads(lines[0])["ru_idx"] == [1, 2] and json.loads(lines[1])["n"] is None
    tsv = CliRunner().invoke(show, ["tsv"]).output.splitlines()
    assert tsv[2] == "[3]\ta b c\t"


def test_review_files_of_earlier_versions_still_import(filled, tmp_path):
    """Files exported before the header moved to the first line: '# ...' lines, signature in a comment."""
    out = tmp_path / "new.csv"
    export_review(filled, out)
    rows = _rows(out)
    sig = rows[0]["signature"]
    for r in rows:
        del r["signature"]
    rows[2]["decision"] = "accept"
    head = f"# kzalign review file (all). Fill in decision...\r\n# signature: {sig}\r\n"
    _write(tmp_path / "old.csv", rows, head)
    assert import_review(filled, tmp_path / "old.csv").by_decision == {"accept": 1}


def test_review_decisions_listing(filled, tmp_path):
    import_review(filled, _decide(filled, tmp_path, "a", {P1: ("accept", ""), L2: ("reject", "")}), reviewer="ai")
    import_review(filled, _decide(filled, tmp_path, "b", {P1: ("fix", FIXED)}), reviewer="dana")
    db = str(filled.path)
    r = CliRunner().invoke(main, ["review", "decisions", "--db", db])
    assert r.exit_code == 0 and "1 fixed, 1 rejected" in r.output
    r = CliRunner().invoke(main, ["review", "decisions", "--db", db, "--kind", "pair", "--format", "jsonl"])
    rec = json.loads(r.output.splitlines()[0])
    assert rec["decision"] == "fix" and rec["reviewer"] == "dana" and rec["first_reviewer"] == "ai"
    assert rec["changes"] == 1 and rec["corrected_en"] == FIXED
    r = CliRunner().invoke(main, ["review", "decisions", "--db", db, "--format", "csv"])
    assert r.stdout_bytes.startswith(b"\xef\xbb\xbfkind,row_id,decision")


def test_whitespace_changes_are_not_edits(filled, tmp_path):
    rows = _excel_rows(filled, tmp_path, {P1: "accept", P2: "accept"})
    for r in rows:
        if r["row_id"] == P2:
            r["ru_text"] = "  " + r["ru_text"].replace(" ", "\u00a0 ", 1) + "\n"  # a tool re-spaced the cell
        if r["row_id"] == P1:
            r["en_text"] = r["en_text"].replace("met", "meets")
    _write(tmp_path / "ws.csv", rows)
    with pytest.raises(InputError) as exc:
        import_review(filled, tmp_path / "ws.csv")
    assert [p.line for p in exc.value.problems] == [4] and "edited in the file" in str(exc.value)


def test_review_csv_header_is_the_first_line_for_other_readers(filled, tmp_path):
    import pandas as pd

    out = tmp_path / "r.csv"
    export_review(filled, out)
    df = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    assert list(df.columns)[:3] == ["row_id", "kind", "ru_id"] and len(df) == 4
    assert set(df["signature"]) == {df["signature"][0]} and filled.workspace_id in df["signature"][0]


def test_quote_that_swallows_rows_is_named(filled, tmp_path):
    rows = _excel_rows(filled, tmp_path, {P1: "accept", P2: "accept"})
    _write(tmp_path / "q.csv", rows)
    lines = (tmp_path / "q.csv").read_bytes().decode("utf-8-sig").split("\r\n")
    lines[3] = lines[3].replace(",accept,", ',"accept,', 1)  # the quote closes in the next row's first cell
    lines[4] = lines[4].replace(",", '",', 1)
    (tmp_path / "q.csv").write_bytes("\r\n".join(lines).encode("utf-8"))
    before = _state(filled)
    with pytest.raises(InputError, match=r"q\.csv:4: \d+ cells but 17 columns in the header"):
        import_review(filled, tmp_path / "q.csv")
    assert _state(filled) == before


# -- a real spreadsheet: LibreOffice, headless (skipped where it is not installed) ------------------------
def _soffice(src: Path, to: str, profile: Path) -> Path:
    import shutil
    import subprocess

    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    subprocess.run([exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", to,
                    "--outdir", str(src.parent), str(src)], check=True, capture_output=True, timeout=180)
    return src.with_suffix("." + to.split(":")[0])


def test_libreoffice_opened_review_files(filled, tmp_path):
    """LibreOffice headless reads our UTF-8 CSV as Windows-1252 (it ignores the BOM): the workbook it makes
    holds "ÐŸÐ¾Ñ..." text, which import repairs exactly; its headless CSV export of a workbook with Cyrillic
    writes "?" for it, which import names."""
    from openpyxl import load_workbook

    export_review(filled, tmp_path / "review.csv")
    book = _soffice(tmp_path / "review.csv", "xlsx", tmp_path / "lo-profile")
    wb = load_workbook(book)
    sh = wb.active
    header = [c.value for c in sh[1]]
    assert header[0].startswith("\u00ef\u00bb\u00bf")  # the BOM, garbled
    col = header.index("decision") + 1
    sh.cell(row=4, column=col).value = "accept"  # P1
    sh.cell(row=3, column=col).value = "reject"  # L2
    wb.save(tmp_path / "lo.xlsx")
    assert import_review(filled, tmp_path / "lo.xlsx").by_decision == {"accept": 1, "reject": 1}
    assert import_review(filled, _soffice(tmp_path / "lo.xlsx", "csv", tmp_path / "lo-profile")).unchanged == 2
    export_review(filled, tmp_path / "ours.xlsx")  # a workbook with real Cyrillic, saved as CSV by LibreOffice
    wb = load_workbook(tmp_path / "ours.xlsx")
    wb["review"].cell(row=5, column=col).value = "accept"
    wb.save(tmp_path / "ours.xlsx")
    before = _state(filled)
    with pytest.raises(InputError, match=r"ours\.csv:\d+: the file was saved in an encoding that lost characters"):
        import_review(filled, _soffice(tmp_path / "ours.xlsx", "csv", tmp_path / "lo-profile"))
    assert _state(filled) == before


def _as_libreoffice_reads_it(text: str) -> str:
    """UTF-8 bytes read as Windows-1252 the way LibreOffice does (bytes 1252 lacks become U+F1xx)."""
    out = []
    for b in text.encode("utf-8"):
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(0xF100 + b))
    return "".join(out)


def test_utf8_read_as_western_is_repaired_exactly(filled, tmp_path):
    from openpyxl import Workbook

    from kzalign.core.files import repair_mojibake

    for t in ["Казахстан и Мексика — «группа»", "Aníbal Gómez", "plain ASCII", "Ã©tat"]:
        assert repair_mojibake(_as_libreoffice_reads_it(t)) == t
    rows = _excel_rows(filled, tmp_path, {P1: "accept"})
    wb = Workbook()
    sh = wb.active
    sh.append([_as_libreoffice_reads_it("\ufeff" + c) if i == 0 else c for i, c in enumerate(rows[0])])
    for r in rows:
        sh.append([_as_libreoffice_reads_it(v) for v in r.values()])
    wb.save(tmp_path / "garbled.xlsx")
    assert import_review(filled, tmp_path / "garbled.xlsx").by_decision == {"accept": 1}
