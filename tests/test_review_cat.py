"""Review as translators and CAT tools do it (issue 25): garbled cells refused, XLIFF states of memoQ/Trados/
OmegaT and translate-toolkit, reviewers named in the file, pair kinds kept out of the TMX, decision history."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_review import _fill, _rows, _state

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
