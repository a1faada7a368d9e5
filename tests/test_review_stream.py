"""Review export and report of an archive larger than their blocks: written as the rows come, the same bytes as
one table written at once, files that open in openpyxl and translate-toolkit, atomic when a run fails."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from kzalign.core.files import csv_bytes
from kzalign.formats import sheet
from kzalign.formats.review_file import read_review_file
from kzalign.formats.schema import REVIEW_COLUMNS
from kzalign.formats.xliff import review_xliff
from kzalign.stages import review
from kzalign.stages.report import build_report, write_report
from kzalign.stages.review import export_review, import_review, proposals
from kzalign.stages.sentences import pair_key, pairs_table, pairs_table_blocks
from kzalign.store.workspace import Workspace, link_key

N_ITEMS = 300  # a side; 8 pairs a link: 2,400 pair rows, more than a block of 2,000
PAIRS = 8


def _fill_archive(ws: Workspace) -> None:
    """N_ITEMS Russian and English items, a link each (every third also to the next English item), 8 sentence
    pairs per first link, decisions by two reviewers (one on a pair that is gone since), texts that look like
    formulas or error codes."""
    items, links, pairs = [], [], []
    for i in range(N_ITEMS):
        lead = ("=СУММ(1;2) " if i % 50 == 0 else "#N/A " if i % 70 == 1 else "") + f"Новость номер {i}."
        items.append({"id": f"r{i:04d}", "lang": "ru", "title": "" if i % 9 == 0 else f"Заголовок {i}",
                      "text": lead + " Посол встретился с министром.", "date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"})
        items.append({"id": f"e{i:04d}", "lang": "en", "title": f"Title {i}", "text": f"News {i}. The envoy met.",
                      "date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"})
        links.append((f"r{i:04d}", f"e{i:04d}", 0.5 + (i % 50) / 100, 1, '{"title_sim": 0.8}', "sig", "translation"))
        if i % 3 == 0 and i + 1 < N_ITEMS:
            links.append((f"r{i:04d}", f"e{i + 1:04d}", 0.3, 2, "{}", "sig", "follow_up"))
        for k in range(PAIRS):
            pairs.append({"id": pair_key(f"r{i:04d}", f"e{i:04d}", [8 - k], [k + 1]), "ru_id": f"r{i:04d}",
                          "en_id": f"e{i:04d}", "ru_idx": f"[{PAIRS - k}]", "en_idx": f"[{k + 1}]",
                          "ru_text": "#N/A" if k == 4 and i % 50 == 0 else
                          f"{'-' if k == 3 else ''}Предложение {k} новости {i}.",
                          "en_text": f"Sentence {k} of news {i}.", "mt_en": "MT" if k == 1 else "",
                          "score": 0.9 - k / 100, "regime": "parallel", "flags": "short" if k == 2 else ""})
    with ws.transaction():
        ws.add_items(items)
        ws.replace_links(links)
        ws.replace_pairs(pairs, "pairsig")
        ws.record_run("link", "linksig", {})
        ws.record_run("pairs", "pairsig", {})


def _decide(ws: Workspace) -> None:
    """Decisions by two reviewers through a review file, then one decided pair dropped from the table."""
    rows = proposals(ws, "all")
    with ws.transaction():
        for n, r in enumerate(rows[::37]):
            decision = ("accept", "reject", "fix")[n % 3] if r["kind"] == "pair" else ("accept", "reject")[n % 2]
            ws.record_decision(r["kind"], r["row_id"], decision, r["en_text"] + " (fixed)" if decision == "fix" else "",
                               ("Dana", "Aigerim")[n % 2], "", review._payload(ws, r), "file.csv")
        gone = next(r for r in rows if r["kind"] == "pair" and r["row_id"] in {k for _k, k in ws.decision_map("pair")})
        ws.drop_pair(gone["row_id"])


@pytest.fixture()
def archive(ws):
    _fill_archive(ws)
    _decide(ws)
    return ws


def _clean(rows: list[dict]) -> list[dict]:
    return [{c: r.get(c, "") for c in REVIEW_COLUMNS if c != "signature"} for r in rows]


def test_pairs_table_blocks_are_the_table(archive):
    whole = pairs_table(archive)
    parts = list(pairs_table_blocks(archive, size=500))
    assert len(whole) > 2000 and [len(p) for p in parts] == [500] * 4 + [len(whole) - 2000]
    joined = pd.concat(parts, ignore_index=True)
    assert joined.equals(whole)
    assert (whole["decision"] == "fix").any()  # a fixed pair shows its corrected English in both


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize("block", [2000, 97])
def test_streamed_table_same_bytes_as_whole(archive, tmp_path, monkeypatch, fmt, block):
    monkeypatch.setattr(review, "BLOCK", block)
    rep = export_review(archive, tmp_path / f"r.{fmt}", what="all")
    rows = proposals(archive, "all")
    assert rep.rows == len(rows) and rep.by_kind["pair"] > 2000
    cells = [{**r, "signature": rep.signature} for r in _clean(rows)]
    want = csv_bytes(cells, columns=REVIEW_COLUMNS, delimiter="," if fmt == "csv" else "\t")
    assert (tmp_path / f"r.{fmt}").read_bytes() == want
    remembered = archive.review_rows()
    assert {(r["kind"], r["row_id"]) for r in rows} <= set(remembered)  # every block remembered


def test_streamed_xliff_same_bytes_as_whole_and_opens_in_translate_toolkit(archive, tmp_path, monkeypatch):
    from translate.storage import xliff as ttk_xliff

    monkeypatch.setattr(review, "BLOCK", 301)
    rep = export_review(archive, tmp_path / "r.xlf", what="all")
    data = (tmp_path / "r.xlf").read_bytes()
    want = review_xliff(_clean(proposals(archive, "all")), rep.signature, "ru-RU", "en-GB")
    date = re.compile(rb' date="[^"]*"')
    assert date.sub(b"", data) == date.sub(b"", want)
    assert data.count(b"<phase ") == 2  # both reviewers named before the first unit
    store = ttk_xliff.xlifffile.parsestring(data)
    assert len(store.units) == rep.rows
    back = read_review_file(tmp_path / "r.xlf")
    assert len(back.rows) == rep.rows and back.signature["ws"] == archive.workspace_id


def test_streamed_xlsx_opens_with_its_sheet_features(archive, tmp_path):
    from openpyxl import load_workbook

    rep = export_review(archive, tmp_path / "r.xlsx", what="all")
    wb = load_workbook(tmp_path / "r.xlsx")
    sh = wb["review"]
    assert sh.max_row == rep.rows + 1 and [c.value for c in sh[1]] == REVIEW_COLUMNS
    assert all(c.font.b for c in sh[1]) and sh.freeze_panes == "B2"
    assert sh.auto_filter.ref == f"A1:Q{rep.rows + 1}"
    assert [str(dv.sqref) for dv in sh.data_validations.dataValidation] == [f"M2:M{rep.rows + 1}"]
    assert sh.column_dimensions["E"].width == sheet.WIDTHS["ru_text"]
    texts = [c for row in sh.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in texts)  # "=СУММ(...)" and "#N/A" stay text, never a formula or error
    assert any(c.value.startswith("=СУММ") for c in texts) and any(c.value == "#N/A" for c in texts)
    assert all(c.alignment.wrap_text for c in texts if c.column_letter == "E")
    assert wb["about"]["B3"].value == rep.signature
    rf = read_review_file(tmp_path / "r.xlsx")
    csv_rows = proposals(archive, "all")
    assert [cells["row_id"] for _n, cells in rf.rows] == [r["row_id"] for r in csv_rows]


def test_streamed_xlsx_decisions_import(archive, tmp_path):
    from openpyxl import load_workbook

    export_review(archive, tmp_path / "r.xlsx", what="pairs")
    wb = load_workbook(tmp_path / "r.xlsx")
    sh = wb["review"]
    last = sh.max_row
    sh.cell(row=last, column=REVIEW_COLUMNS.index("decision") + 1, value="reject")
    wb.save(tmp_path / "done.xlsx")
    rep = import_review(archive, tmp_path / "done.xlsx", reviewer="Tester")
    assert rep.applied == 1 and rep.by_decision == {"reject": 1}


def test_failed_export_leaves_the_old_file_and_the_workspace(archive, tmp_path, monkeypatch):
    out = tmp_path / "r.csv"
    out.write_bytes(b"an earlier export\r\n")
    before = archive.review_rows()
    calls = {"n": 0}
    real = review._payload

    def failing(ws, cur, old=None):
        calls["n"] += 1
        if calls["n"] > 2500:  # after a block has been written
            raise RuntimeError("disk full")
        return real(ws, cur, old)

    monkeypatch.setattr(review, "_payload", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        export_review(archive, out, what="all")
    assert out.read_bytes() == b"an earlier export\r\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "ws.db", "ws.db-shm", "ws.db-wal"] or \
        not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert archive.review_rows() == before  # the rows of the failed export were not remembered


@pytest.mark.parametrize("fmt", ["xlsx", "xliff"])
def test_failed_export_leaves_no_temporary_file(archive, tmp_path, monkeypatch, fmt):
    monkeypatch.setattr(review, "BLOCK", 500)
    real = review._with_decisions
    calls = {"n": 0}

    def failing(rows, dec):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("interrupted")
        return real(rows, dec)

    monkeypatch.setattr(review, "_with_decisions", failing)
    with pytest.raises(RuntimeError, match="interrupted"):
        export_review(archive, tmp_path / f"r.{fmt}", what="all", fmt=fmt)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".r.")]
    assert not (tmp_path / f"r.{fmt}").exists()


def test_report_of_a_large_workspace_shows_the_newest_items(archive, tmp_path):
    page, stats = build_report(archive, max_items=25)
    assert page.count('<article class="ru-item"') == 25
    assert stats.ru_items == N_ITEMS and stats.pairs == archive.count_pairs()
    assert "This report shows the 25 newest of 300 Russian items" in page and "kzalign review export" in page
    assert page.count('<section class="story"') <= 25 and "The 25 newest of" in page
    dates = re.findall(r'<article class="ru-item" data-date="([^"]*)"', page)
    assert dates == sorted(dates, reverse=True)
    whole, whole_stats = build_report(archive, max_items=None)
    assert whole.count('<article class="ru-item"') == N_ITEMS and whole_stats == stats
    first = re.search(r'<article class="ru-item".*?</article>', page, re.S)
    assert first is not None and first.group(0) in whole  # a shown card is the same as in the full report
    written = write_report(archive, tmp_path / "r.html", max_items=25)
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == page and written.path == tmp_path / "r.html"


def test_report_of_a_small_workspace_is_the_full_one(archive):
    assert build_report(archive)[0] == build_report(archive, max_items=None)[0]  # 300 items: under the cap
    assert "newest of" not in build_report(archive)[0]


def test_export_row_ids_unique_and_decided_gone_row_kept(archive, tmp_path):
    rep = export_review(archive, tmp_path / "r.csv", what="all")
    rf = read_review_file(tmp_path / "r.csv")
    ids = [c["row_id"] for _n, c in rf.rows]
    assert len(ids) == len(set(ids)) == rep.rows
    gone = [k for (kind, k) in archive.decision_map("pair") if archive.pair_record(k) is None]
    assert gone and set(gone) <= set(ids)  # a decided pair no longer in the table is still listed
    assert link_key("r0000", "e0000") in ids


def test_cli_report_max_items(archive, tmp_path):
    from click.testing import CliRunner

    from kzalign.cli import main

    out = tmp_path / "r.html"
    res = CliRunner().invoke(main, ["report", "--db", str(archive.path), "--out", str(out), "--max-items", "7"])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").count('<article class="ru-item"') == 7
    res = CliRunner().invoke(main, ["report", "--db", str(archive.path), "--out", str(out), "--max-items", "0"])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").count('<article class="ru-item"') == N_ITEMS


def test_review_rows_of_some_keys(archive, tmp_path):
    export_review(archive, tmp_path / "r.csv", what="all")
    every = archive.review_rows()
    some = [k for n, k in enumerate(sorted(every)) if n % 3 == 0] + [("pair", "no-such-row")]
    assert archive.review_rows(some) == {k: every[k] for k in some if k in every}
    assert len(archive.review_rows(some)) == len(some) - 1 > 500  # read in parts of 500 keys


def test_decision_history_after_an_export_has_the_rows_texts(archive, tmp_path):
    export_review(archive, tmp_path / "r.csv", what="all")
    hist = review.decision_history(archive)
    assert len(hist) == len(archive.decision_map())
    assert (hist["ru_text"] != "").all() and (hist["en_text"] != "").all()


def test_xlsx_with_more_rows_than_a_worksheet_is_refused(archive, tmp_path, monkeypatch):
    from kzalign.core.errors import KzalignError

    monkeypatch.setattr(sheet, "XLSX_MAX_ROWS", 1000)
    with pytest.raises(KzalignError, match=r"r\.xlsx: more review rows than a worksheet holds \(999 under"):
        export_review(archive, tmp_path / "r.xlsx", what="all")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("ws.db")) == []
    assert export_review(archive, tmp_path / "r.xlsx", what="links").rows < 1000  # links alone fit


def test_import_reads_only_the_rows_the_file_decides(archive, tmp_path, monkeypatch):
    """A few decisions in a full export: the rows looked up are those, wherever they sit in the archive's blocks
    (a link, the last pair, a decided pair no longer proposed), and they are applied."""
    import csv

    monkeypatch.setattr(review, "BLOCK", 97)
    export_review(archive, tmp_path / "r.csv", what="all")
    with open(tmp_path / "r.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    gone = next(k for (_kind, k) in archive.decision_map("pair") if archive.pair_record(k) is None)
    last_pair = [r["row_id"] for r in rows if r["kind"] == "pair" and r["row_id"] != gone][-1]
    chosen = {link_key("r0007", "e0007"): "reject", last_pair: "accept", gone: "reject"}
    for r in rows:
        r["decision"] = chosen.get(r["row_id"], "")
    with open(tmp_path / "done.csv", "w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    rf = read_review_file(tmp_path / "done.csv")
    assert set(review._known_rows(archive, rf, None)) == set(chosen)
    rep = import_review(archive, tmp_path / "done.csv", reviewer="Tester")
    assert rep.applied == 3 and rep.by_decision == {"reject": 2, "accept": 1}
    dec = {k: d["decision"] for (_kind, k), d in archive.decision_map().items()}
    assert {k: dec[k] for k in chosen} == chosen


def test_remembered_rows_are_compressed_and_older_workspaces_converted(archive, tmp_path):
    """Review rows remembered by an export take about half the JSON's bytes; a v9 workspace's plain-JSON rows are
    converted when it is opened, and a decision on one of them still imports."""
    import csv
    import json
    import zlib

    from kzalign.store.schema import SCHEMA_VERSION

    rep = export_review(archive, tmp_path / "r.csv", what="all")
    stored = archive.conn.execute("SELECT payload FROM review_rows").fetchall()
    assert len(stored) == rep.rows and all(isinstance(p, bytes) for (p,) in stored)
    plain = sum(len(zlib.decompress(p)) for (p,) in stored)
    assert sum(len(p) for (p,) in stored) < 0.6 * plain
    remembered = archive.review_rows()
    # the workspace as v9 wrote it: plain JSON text (raw SQL on purpose)
    with archive.transaction():
        archive.conn.executemany("UPDATE review_rows SET payload=? WHERE kind=? AND key=?",
                                 [(json.dumps(p, ensure_ascii=False), k, key) for (k, key), p in remembered.items()])
        archive.set_meta("schema_version", "9")
    path = archive.path
    archive.close()
    with Workspace(path, create=False) as ws:
        assert ws.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert {t for (t,) in ws.conn.execute("SELECT DISTINCT typeof(payload) FROM review_rows")} == {"blob"}
        assert ws.review_rows() == remembered
        link_row = next(c for _n, c in read_review_file(tmp_path / "r.csv").rows if c["kind"] == "link")
        ws.drop_link(link_row["ru_id"], link_row["en_id"])  # gone from the links: found among the remembered rows
        with open(tmp_path / "r.csv", encoding="utf-8-sig", newline="") as f:
            table = list(csv.DictReader(f))
        for r in table:
            r["decision"] = "reject" if r["row_id"] == link_row["row_id"] else ""
        with open(tmp_path / "d.csv", "w", encoding="utf-8-sig", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(table[0]))
            w.writeheader()
            w.writerows(table)
        assert import_review(ws, tmp_path / "d.csv", reviewer="Tester").applied == 1
