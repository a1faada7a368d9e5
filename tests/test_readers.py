"""Readers: saved pages, Word, PDF and feeds in; content checked against the name; bad files named."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from docfiles import ATOM, RSS, news_page, seed_pages, write_docx, write_pdf

from kzalign.cli import main
from kzalign.core.errors import InputError
from kzalign.inputs.ingest import ingest_paths, read_inputs
from kzalign.store.workspace import Workspace

REPORT_EN = [
    "Kazakhstan and Mexico Discussed the Priorities of Cooperation",
    "Ambassador of Kazakhstan to Mexico Almurat Turganbekov met with the Director General of the Ministry.",
    "The parties discussed the action plan for 2026 and the institution of Honorary Consuls.",
]


def _items(paths: list[Path]):
    raw, problems, enc, _ = read_inputs(paths)
    assert not problems, problems
    return raw


def test_saved_page_drops_boilerplate_and_keeps_title_date_url(tmp_path: Path) -> None:
    head = ('<meta property="og:title" content="Kazakhstan and Mexico Discussed the Priorities of Cooperation">'
            '<meta property="article:published_time" content="2026-02-23T10:00:00+05:00">'
            '<link rel="canonical" href="https://www.gov.kz/memleket/entities/mfa/press/news/details/1">')
    page = tmp_path / "page.html"
    page.write_text(news_page(REPORT_EN[1:], "Kazakhstan and Mexico Discussed the Priorities of Cooperation", head),
                    encoding="utf-8")
    [item] = _items([page])
    assert item.lang == "en" and item.title.startswith("Kazakhstan and Mexico Discussed")
    assert item.date == "2026-02-23"
    assert item.url and item.url.endswith("/details/1")
    assert item.text.splitlines() == REPORT_EN[1:]
    for junk in ("Tell a friend", "Views", "Privacy policy", "Contacts", "All rights reserved"):
        assert junk not in item.text


def test_seeds_saved_as_html_give_the_same_16_items(tmp_path: Path, seeds_dir: Path) -> None:
    pages = seed_pages(seeds_dir, tmp_path / "pages")
    with Workspace(tmp_path / "txt.db") as a, Workspace(tmp_path / "html.db") as b:
        rep_txt = ingest_paths(a, [seeds_dir])
        rep_html = ingest_paths(b, [pages])
        assert rep_html.by_lang == rep_txt.by_lang == {"en": 15, "ru": 1}
        assert rep_html.merged == rep_txt.merged == 5
        assert rep_html.formats == {"html": 5}
        ta, tb = a.items(), b.items()
        assert sorted(ta["id"]) == sorted(tb["id"])
        merged = ta.merge(tb, on="id", suffixes=("_t", "_h"))
        assert (merged["text_t"] == merged["text_h"]).all()
        assert (merged["date_t"].fillna("") == merged["date_h"].fillna("")).all()
        assert (merged["title_t"].fillna("") == merged["title_h"].fillna("")).all()  # <title> names the site: not used


def test_docx_paragraphs_and_manual_line_breaks(tmp_path: Path) -> None:
    doc = write_docx(tmp_path / "release.docx", [
        REPORT_EN[0],
        ["Ambassador of Kazakhstan to Mexico Almurat Turganbekov met", "with the Director General of the Ministry."],
        ["The parties discussed the action plan for 2026.", "Honorary Consuls were discussed too."],
    ], title="Press release")
    [item] = _items([doc])
    assert item.title == REPORT_EN[0]
    lines = item.text.splitlines()
    assert lines[0] == "Ambassador of Kazakhstan to Mexico Almurat Turganbekov met with the Director General of the Ministry."
    assert lines[1:] == ["The parties discussed the action plan for 2026.", "Honorary Consuls were discussed too."]
    assert "metwith" not in item.text


def test_pdf_text_layer_is_read_and_unwrapped(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "release.pdf", [
        REPORT_EN[0],
        "Ambassador of Kazakhstan to Mexico Almurat Turganbekov met with the Director",
        "General of the Ministry of Foreign Affairs of Mexico in Mexico City on Monday.",
        "The parties discussed the action plan for 2026.",
    ])
    [item] = _items([pdf])
    assert item.title == REPORT_EN[0]
    assert item.text.splitlines() == [
        "Ambassador of Kazakhstan to Mexico Almurat Turganbekov met with the Director General of the Ministry of "
        "Foreign Affairs of Mexico in Mexico City on Monday.", "The parties discussed the action plan for 2026."]


def test_rss_and_atom_give_one_item_per_entry(tmp_path: Path) -> None:
    (tmp_path / "mfa.rss").write_text(RSS, encoding="utf-8")
    (tmp_path / "akorda.xml").write_text(ATOM, encoding="utf-8")
    raw = _items([tmp_path])
    by_title = {r.title: r for r in raw}
    assert len(raw) == 3
    en = by_title["Kazakhstan and Mexico Discussed Cooperation"]
    assert en.lang == "en" and en.date == "2026-02-23" and en.url == "https://example.org/news/1"
    assert en.text.splitlines() == ["Ambassador of Kazakhstan to Mexico Almurat Turganbekov met with the Director "
                                    "General of the Ministry of Foreign Affairs of Mexico.",
                                    "The parties discussed the action plan for 2026."]
    assert by_title["Посол Казахстана провёл встречу в Мехико"].lang == "ru"
    atom = by_title["President Congratulates President of Estonia"]
    assert atom.date == "2026-02-24" and len(atom.text.splitlines()) == 2


def test_folder_reads_every_format_recursively(tmp_path: Path, seeds_dir: Path) -> None:
    sub = tmp_path / "in" / "deeper"
    sub.mkdir(parents=True)
    (sub / "mfa.rss").write_text(RSS, encoding="utf-8")
    write_docx(tmp_path / "in" / "r.docx", REPORT_EN)
    write_pdf(sub / "r.pdf", ["Akorda News", "Kassym-Jomart Tokayev received the Ambassador of Estonia in Astana today."])
    (tmp_path / "in" / "notes.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # not a supported type: ignored in folders
    raw, problems, _, nfiles = read_inputs([tmp_path / "in"])
    assert not problems and nfiles == 3 and len(raw) == 4


def test_utf16_files_are_decoded(ws: Workspace, tmp_path: Path) -> None:
    text = "Посол Казахстана провёл встречу\nПосол Казахстана в Мексике Алмурат Турганбеков провёл встречу с депутатами.\n"
    (tmp_path / "le.txt").write_bytes(text.encode("utf-16"))  # with BOM
    (tmp_path / "be.txt").write_bytes(text.replace("провёл", "провел").encode("utf-16-be"))  # no BOM
    rep = ingest_paths(ws, [tmp_path])
    assert sorted(rep.encodings.values()) == ["utf-16", "utf-16-be"]
    assert rep.added == 1 and rep.merged == 1
    res = CliRunner().invoke(main, ["ingest", str(tmp_path), "--db", str(tmp_path / "k.db")])
    assert "decoded as UTF-16" in res.output


def test_page_in_its_declared_windows_1251(ws: Workspace, tmp_path: Path) -> None:
    lines = ["Посол Казахстана провёл встречу в Мехико",
             "Посол Казахстана в Мексике Алмурат Турганбеков провёл встречу с депутатами парламента Мексики."]
    page = news_page(lines, lang="ru").replace('<meta charset="utf-8">', '<meta charset="windows-1251">')
    (tmp_path / "old.html").write_bytes(page.encode("cp1251"))
    rep = ingest_paths(ws, [tmp_path / "old.html"])
    assert list(rep.encodings.values()) == ["cp1251"]
    assert ws.items().iloc[0]["title"] == lines[0]


# -- mismatches and damaged files: named, nothing written ------------------------------------------
def _docx_bytes(tmp_path: Path) -> bytes:
    return write_docx(tmp_path / "tmp.docx", REPORT_EN).read_bytes()


BAD = {
    "markup.txt": (lambda tp: news_page(REPORT_EN).encode(), "holds an HTML page, not plain text"),
    "page.html": (lambda tp: b"%PDF-1.4\n%%EOF\n", "content is a PDF but the name says an HTML page"),
    "release.doc": (lambda tp: b"\xd0\xcf\x11\xe0 old word", "unsupported file type '.doc' (save it as .docx"),
    "corrupt.docx": (lambda tp: _docx_bytes(tp)[:300], "cannot read the Word document"),
    "fake.pdf": (lambda tp: b"just some text", "named .pdf but the content is not a PDF"),
    "scan.pdf": (lambda tp: write_pdf(tp / "s.pdf", None).read_bytes(), "no text layer"),
    "empty.rss": (lambda tp: b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
                  "empty feed"),
    "menu.html": (lambda tp: news_page([]).encode(), "no article text"),
    "feed.txt": (lambda tp: RSS.encode(), "holds an RSS/Atom feed, not plain text"),
    "unterminated.csv": (lambda tp: b'id,lang,text\na1,en,"The ambassador met the minister.\na2,en,Talks held.\n',
                         "unterminated quote"),
    "swallowed.csv": (lambda tp: b'id,lang,text\na1,en,"The ambassador met the minister.\na2,en,Talks held in Astana"\n'
                      b'a3,en,Closing remarks.\n', "swallows line 3"),
    "badquote.csv": (lambda tp: b'id,lang,text\na1,en,"The ambassador met the minister.\na2,en,Talks held in Astana\n'
                     b'a3,en,"Closing remarks."\n', "never closes or holds an undoubled quote"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_documents_are_named_and_nothing_is_written(tmp_path: Path, seeds_dir: Path, name: str) -> None:
    make, message = BAD[name]
    path = tmp_path / name
    path.write_bytes(make(tmp_path))
    db = tmp_path / "ws.db"
    with Workspace(db) as w:
        ingest_paths(w, [seeds_dir / "002_e7308348be7d33fc.txt"])
        before = w.items()["id"].tolist()
        with pytest.raises(InputError) as exc:
            ingest_paths(w, [path, seeds_dir / "000_ecd41284ebd81e41.txt"])
        assert message in str(exc.value) and name in str(exc.value)
        assert w.items()["id"].tolist() == before
        rep = ingest_paths(w, [path, seeds_dir / "000_ecd41284ebd81e41.txt"], skip_bad=True)
        assert rep.added >= 1 and any(name in str(p) for p in rep.skipped)
    res = CliRunner().invoke(main, ["ingest", str(path), "--db", str(db)])
    assert res.exit_code == 1 and message in res.output


def test_unterminated_quote_names_its_line(ws: Workspace, tmp_path: Path) -> None:
    p = tmp_path / "u.csv"
    p.write_bytes(BAD["unterminated.csv"][0](tmp_path))
    with pytest.raises(InputError) as exc:
        ingest_paths(ws, [p])
    assert exc.value.problems[0].line == 2


def test_size_limits_are_configurable_and_named(tmp_path: Path) -> None:
    p = tmp_path / "long.txt"
    p.write_text("Посол провёл встречу с министром и обсудил сотрудничество. " * 400, encoding="utf-8")
    db = str(tmp_path / "k.db")
    res = CliRunner().invoke(main, ["ingest", str(p), "--db", db, "--max-item-chars", "5000"])
    assert res.exit_code == 1 and "over the per-item limit of 5,000 (--max-item-chars)" in res.output
    assert "long.txt:1" in res.output
    res = CliRunner().invoke(main, ["ingest", str(p), "--db", db, "--max-file-mb", "1"])
    assert res.exit_code == 0, res.output


def test_huge_single_line_item_is_ingested(ws: Workspace, tmp_path: Path) -> None:
    """A 5 MB one-line report is read, split and de-duplicated (speed: BENCHMARKS.md, bench_ingest_huge)."""
    import random

    rnd = random.Random(5)
    vocab = [w for w in "посол министр встреча сотрудничество казахстан мексика парламент группа дружбы".split()]
    words = " ".join(rnd.choice(vocab) + ("." if rnd.random() < 0.08 else "") for _ in range(600_000))
    p = tmp_path / "huge.txt"
    p.write_text(words + "\n", encoding="utf-8")
    assert p.stat().st_size > 5_000_000
    rep = ingest_paths(ws, [p])
    assert rep.added == 1 and len(ws.items().iloc[0]["text"]) == len(words)
