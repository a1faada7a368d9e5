"""The report for a translator's and press officer's day (issue 25 #7): stories on a timeline by link kind, a chart of
links over time, the "no English counterpart yet" queue (also ``kzalign gaps``), rejected links and fixed/rejected
pairs with reviewers and history, MT glosses, untitled items, the signature in a footer; checked in headless
Chromium with screenshots kept in the test's folder."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.engines.translate import translate_workspace
from kzalign.stages.report import build_report, write_report
from kzalign.stages.review import export_review, import_review
from kzalign.stages.sentences import pair_key
from kzalign.store.workspace import Workspace, link_key

LONG_FIRST = ("Министерство иностранных дел Республики Казахстан сообщает, что в ходе рабочего визита в столицу "
              "соседнего государства делегация обсудила широкий круг вопросов двустороннего сотрудничества и "
              "региональной безопасности. Стороны договорились продолжить диалог.")
ITEMS = [
    {"id": "r1", "lang": "ru", "title": "Казахстан и Мексика обсудили сотрудничество", "date": "2025-09-30",
     "text": "Посол встретился с министром. Стороны обсудили торговлю. Визит продлится два дня."},
    {"id": "r2", "lang": "ru", "title": "Заседание Совета иностранных инвесторов", "date": "2026-01-15",
     "text": "Состоялось заседание Совета иностранных инвесторов."},
    {"id": "r3", "lang": "ru", "title": None, "date": "2026-03-05", "text": LONG_FIRST},
    {"id": "r4", "lang": "ru", "title": "Консультации по водным вопросам с Узбекистаном", "date": "2025-12-01",
     "text": "Прошли консультации по водным вопросам."},
    {"id": "e1", "lang": "en", "title": "Kazakhstan and Mexico discuss cooperation", "date": "2025-10-01",
     "text": "The ambassador met the minister. The sides discussed trade. The visit will last two days."},
    {"id": "e2", "lang": "en", "title": "Kazakh ambassador holds talks in Mexico City", "date": "2026-02-23",
     "text": "The ambassador held talks in Mexico City."},
    {"id": "e3", "lang": "en", "title": "Mexico hosts a trade fair", "date": "2025-10-02", "text": "A fair opened."},
    {"id": "e4", "lang": "en", "title": "Foreign Investors Council meets", "date": "2026-01-16",
     "text": "The Foreign Investors Council met in Astana."},
    {"id": "e5", "lang": "en", "title": "Water talks in Central Asia", "date": "2025-12-03", "text": "Talks on water."},
]
RU = ["Посол встретился с министром.", "Стороны обсудили торговлю.", "Визит продлится два дня."]
EN = ["The ambassador met the minister.", "The sides discussed trade.", "The visit will last two days."]
P1, P2, P3 = (pair_key("r1", "e1", [i], [i]) for i in (1, 2, 3))
PHRASES = {"Казахстан и Мексика обсудили сотрудничество": "Kazakhstan and Mexico discussed cooperation",
           "Консультации по водным вопросам с Узбекистаном": "Water consultations with Uzbekistan"}


class PhraseBook:
    """A translator that knows a few sentences (the Translator interface; unknown ones come back empty)."""

    signature = "phrasebook-1"

    def translate(self, sentences: list[str]) -> list[str]:
        return [PHRASES.get(s, "") for s in sentences]


def _links() -> list[dict[str, object]]:
    def row(ru: str, en: str, score: float, rank: int, kind: str, ev: dict) -> dict[str, object]:
        return {"ru_id": ru, "en_id": en, "score": score, "rank": rank, "evidence": ev, "signature": "linksig",
                "kind": kind}

    return [row("r1", "e1", 0.97, 1, "translation", {"title_sim": 0.9}),
            row("r1", "e2", 0.41, 2, "follow_up", {"follow_up_of": "e1", "anchors": ["Mexico"]}),
            row("r1", "e3", 0.52, 3, "same_event", {}), row("r2", "e4", 0.88, 1, "same_event", {}),
            row("r4", "e5", 0.55, 1, "same_event", {})]


def _decide(ws: Workspace, exported: Path, out: Path, decided: dict[str, tuple[str, str, str]]) -> Path:
    """A copy of an exported review CSV with {row_id: (decision, corrected_en, reviewer)} filled in."""
    with exported.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        if r["row_id"] in decided:
            r["decision"], r["corrected_en"], r["reviewer"] = decided[r["row_id"]]
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return out


def _day(ws: Workspace, tmp: Path, pairs: bool = True) -> None:
    """Items, links of every kind, sentence pairs, MT drafts, and two reviewers' decisions (through import)."""
    with ws.transaction():
        ws.add_items(ITEMS)
        ws.replace_links(_links())
        ws.record_run("link", "linksig", {})
        if pairs:
            ws.replace_pairs([{"id": pair_key("r1", "e1", [i + 1], [i + 1]), "ru_id": "r1", "en_id": "e1",
                               "ru_idx": f"[{i + 1}]", "en_idx": f"[{i + 1}]", "ru_text": RU[i], "en_text": EN[i],
                               "mt_en": "", "score": 0.9 - i / 10, "regime": "parallel", "flags": ""}
                              for i in range(3)], "pairsig")
            ws.record_run("pairs", "pairsig", {})
    translate_workspace(ws, PhraseBook())
    exported = tmp / "review.csv"
    export_review(ws, exported, what="all")
    first = {link_key("r1", "e3"): ("reject", "", "Aigerim"), link_key("r4", "e5"): ("accept", "", "Aigerim"),
             link_key("r2", "e4"): ("accept", "", "Dana")}
    if pairs:
        first.update({P1: ("accept", "", "Dana"), P2: ("fix", "The parties discussed trade.", "Aigerim"),
                      P3: ("reject", "", "Aigerim")})
    import_review(ws, _decide(ws, exported, tmp / "aigerim.csv", first))
    import_review(ws, _decide(ws, exported, tmp / "dana.csv", {link_key("r4", "e5"): ("reject", "", "Dana")}))


@pytest.fixture()
def day_ws(tmp_path: Path):
    w = Workspace(tmp_path / "day.db")
    _day(w, tmp_path)
    yield w
    w.close()


def test_report_shows_reviews_stories_gaps_chart_and_a_footer(day_ws: Workspace) -> None:
    page, stats = build_report(day_ws)
    assert (stats.ru_items, stats.links, stats.pairs, stats.gaps, stats.stories) == (4, 3, 2, 2, 2)
    header = page[page.index("<header>"):page.index("</header>")]
    assert "linksig" not in header and "reviewed by Aigerim, Dana" in header
    footer = page[page.index("<footer>"):page.index("</footer>")]
    assert "linksig" in footer and "pairsig" in footer and "kzalign 0." in footer
    # rejected links stay visible, with who decided and the history
    rejected = re.findall(r'<section class="link rejected" data-status="rejected"[^>]*data-en="(e\d)"', page)
    assert sorted(rejected) == ["e3", "e5"]
    assert "rejected by Dana (" in page and "before: accepted by Aigerim" in page
    # fixed and rejected pairs with their reviewers; the fix shows the corrected English and the original
    assert re.search(r'data-status="fixed"><td lang="ru">Стороны обсудили торговлю\.', page)
    assert "The parties discussed trade." in page and '<span class="was">The sides discussed trade.</span>' in page
    assert re.search(r'data-status="rejected"><td lang="ru">Визит продлится два дня\.', page)
    assert "fixed by Aigerim (" in page and "accepted by Dana (" in page
    # pairs ran and found none for r2-e4: say so, not "run kzalign pairs"
    assert "No sentence pairs found" in page and "run <code>kzalign pairs</code>" not in page
    # MT gloss of Russian titles; an untitled item by its first sentence, cut at a word boundary
    assert '<div class="gloss" lang="en"><b>MT</b>Kazakhstan and Mexico discussed cooperation</div>' in page
    untitled = re.search(r'<span class="untitled">no title</span>([^<]*)</h2>', page)
    assert untitled and untitled.group(1).endswith("…") and LONG_FIRST.startswith(untitled.group(1)[:-1])
    assert len(untitled.group(1)) <= 141 and LONG_FIRST[len(untitled.group(1)) - 1] == " "
    # stories by link kind: r1's timeline has the translation before the follow-up; the rejected link is not in it
    story = page[page.index('<article class="story" data-ru="r1"'):]
    story = story[:story.index("</article>")]
    assert story.index("k-translation") < story.index("k-follow_up") and "Mexico hosts" not in story
    assert "+1 day" in story and "+146 days" in story
    # the to-do queue: r3 (newest) then r4 (its candidate was rejected)
    gaps = page[page.index('id="view-gaps"'):page.index('id="view-chart"')]
    assert gaps.index('data-ru="r3"') < gaps.index('data-ru="r4"') and "1 candidate rejected" in gaps
    assert "MT: Water consultations with Uzbekistan" in gaps
    chart = page[page.index('id="view-chart"'):]
    assert "<title>2025-10: 1 translation</title>" in chart and "<title>2026-02: 1 follow-up</title>" in chart
    assert "<title>2026-03: 1 Russian reports with no English yet</title>" in chart
    assert not re.search(r"(src|href)=\"(https?:)?//", page) and "@import" not in page


def test_writing_the_report_shows_a_bar(day_ws: Workspace, tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    stats = write_report(day_ws, tmp_path / "r.html", progress=lambda s, d, t: seen.append((s, d, t)))
    assert seen[0] == ("report", 0, 4) and seen[-1] == ("report", 4, 4) and stats.path.is_file()


def test_before_pairs_ran_the_report_says_to_run_them(tmp_path: Path) -> None:
    with Workspace(tmp_path / "w.db") as w:
        _day(w, tmp_path, pairs=False)
        page, _ = build_report(w)
    assert "run <code>kzalign pairs</code>" in page and "No sentence pairs found" not in page


def test_gaps_command_lists_the_queue(day_ws: Workspace) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["gaps", "--db", str(day_ws.path), "--format", "jsonl"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert [(g["ru_id"], g["untitled"], g["rejected_links"]) for g in rows] == [("r3", True, 0), ("r4", False, 1)]
    assert rows[1]["mt_title"] == "Water consultations with Uzbekistan" and rows[1]["date"] == "2025-12-01"
    r = runner.invoke(main, ["gaps", "--since", "2026-01-01", "--format", "jsonl", "--db", str(day_ws.path)])
    assert r.exit_code == 0 and [json.loads(line)["ru_id"] for line in r.output.splitlines()] == ["r3"]
    r = runner.invoke(main, ["gaps", "--since", "last week", "--db", str(day_ws.path)])
    assert r.exit_code == 1 and "give a date as YYYY-MM-DD" in r.output
    r = runner.invoke(main, ["gaps", "--format", "csv", "--db", str(day_ws.path)])
    assert r.exit_code == 0 and r.stdout_bytes.startswith(b"\xef\xbb\xbfru_id,date,title,mt_title")
    r = runner.invoke(main, ["gaps", "--db", str(day_ws.path)])
    assert r.exit_code == 0 and "2 Russian reports with no English counterpart yet" in r.output
    assert "Консультации по водным вопросам" in r.output


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_report_views_in_headless_chromium(day_ws: Workspace, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium found (install Debian's 'chromium' package: apt-get install chromium)")
    out = tmp_path / "report.html"
    write_report(day_ws, out)
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
             f"--user-data-dir={tmp_path / 'profile'}"]

    def dom(suffix: str) -> str:
        return subprocess.run([*flags, "--dump-dom", out.as_uri() + suffix], capture_output=True, text=True,
                              timeout=120).stdout

    def hidden(page: str, view: str) -> bool:
        m = re.search(rf'<section class="view( hidden)?" id="view-{view}"', page)
        assert m, view
        return bool(m.group(1))

    page = dom("")
    assert "4 Russian items, 5 links shown" in page  # the filter script ran; rejected links are listed too
    assert not hidden(page, "links") and hidden(page, "stories") and hidden(page, "gaps") and hidden(page, "chart")
    page = dom("?status=rejected")  # two rejected links, and the link holding a rejected pair (only that row)
    assert "2 Russian items, 3 links shown" in page
    assert len(re.findall(r'<tr class="pair" data-pair="[^"]+" data-status="rejected">', page)) == 1
    page = dom("?status=fixed")
    assert "1 Russian item, 1 link shown" in page
    assert len(re.findall(r'<tr class="pair" data-pair="[^"]+" data-status="fixed">', page)) == 1
    assert len(re.findall(r'<tr class="pair hidden"', page)) == 2
    page = dom("?kind=follow_up")
    assert "1 Russian item, 1 link shown" in page
    page = dom("#gaps")
    assert not hidden(page, "gaps") and hidden(page, "links") and 'class="tab on"' not in page
    assert re.search(r'<a href="#gaps" data-view="gaps" class="on">', page)
    page = dom("#links/r4")  # a title in the gaps list or a story opens its item in the Links view
    assert not hidden(page, "links") and hidden(page, "gaps")
    assert re.search(r'<article class="ru-item" data-date="2025-12-01" data-id="r4">', page)
    shots = tmp_path / "screenshots"  # kept with the test's files (pytest --basetemp to keep them somewhere)
    shots.mkdir()
    for view in ("links", "stories", "gaps", "chart"):
        shot = shots / f"report-{view}.png"
        subprocess.run([*flags, "--window-size=1280,1000", f"--screenshot={shot}", f"{out.as_uri()}#{view}"],
                       capture_output=True, timeout=120, check=False)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 15_000, view
