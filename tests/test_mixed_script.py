"""Names typed with look-alike letters of the other alphabet (issue 26, finding 10): "Тургaнбeкoв" (Latin a, e, o)
is flagged by ``glossary check`` and ``ingest`` and matched to its glossary entry after folding; ``translit`` drops
zero-width characters."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.core.text import fold_lookalikes, mixed_script_words
from kzalign.core.translit import transliterate
from kzalign.glossary import BUNDLED_DIR, load_glossary
from kzalign.inputs.ingest import ingest_paths
from kzalign.stages.glossary_check import check_items
from kzalign.store.workspace import Workspace

MIXED = "Тургaнбeкoв"  # Latin a, e, o
RU = f"Посол Казахстана в Мексике Алмурат {MIXED} встретился с депутатами Конгресса."


def test_mixed_words_are_found_and_folded_to_their_majority_alphabet() -> None:
    text = f"{RU} Ambassador Turganbekоv (Cyrillic о) met iPhone users and NATO."
    mixed = mixed_script_words(text)
    assert [(text[a:b], f) for a, b, f in mixed] == [(MIXED, "Турганбеков"), ("Turganbekоv", "Turganbekov")]
    assert fold_lookalikes(text) == text.replace(MIXED, "Турганбеков").replace("Turganbekоv", "Turganbekov")
    assert mixed_script_words("Посол Алмурат Турганбеков met Almurat Turganbekov") == []


def test_glossary_check_flags_the_mixed_name_and_matches_its_entry() -> None:
    glossary = load_glossary([BUNDLED_DIR])
    items = pd.DataFrame([{"id": "r1", "lang": "ru", "title": "", "text": RU, "source": "news.jsonl:1"}])
    found = check_items(items, glossary)
    mixed = found[found["finding"] == "mixed_script"]
    assert list(mixed["found"]) == [MIXED] and list(mixed["expected"]) == ["Almurat Turganbekov"]
    assert "Latin a, e, o in a Cyrillic word" in mixed.iloc[0]["note"]
    assert MIXED not in set(found[found["finding"] == "unknown_ru_name"]["found"])  # matched, not "unverified"
    names = glossary.find_ru(RU)
    assert [(m.surface, m.en) for m in names if m.entry is not None and MIXED in m.surface] == [
        (f"Алмурат {MIXED}", "Almurat Turganbekov")]


def test_ingest_warns_about_mixed_words(tmp_path: Path) -> None:
    src = tmp_path / "news.jsonl"
    src.write_text(json.dumps({"lang": "ru", "text": RU}, ensure_ascii=False) + "\n", encoding="utf-8")
    with Workspace(tmp_path / "w.db") as ws:
        rep = ingest_paths(ws, [src])
    assert rep.added == 1 and len(rep.mixed_script) == 1
    assert rep.mixed_script[0].line == 1 and MIXED in rep.mixed_script[0].message
    res = CliRunner().invoke(main, ["ingest", str(src), "--db", str(tmp_path / "c.db")])
    assert res.exit_code == 0 and "mixing Cyrillic and Latin" in res.output and "news.jsonl:1" in res.output


def test_translit_drops_zero_width_characters() -> None:
    assert transliterate("Тур\u200bганбеков") == "Turganbekov"
    assert transliterate("Е\u200dржан\ufeff") == "Yerzhan"
    res = CliRunner().invoke(main, ["translit", "--no-glossary", "Тур\u200bганбеков", "Нур\u00adлан"])
    assert res.exit_code == 0 and res.output == "Turganbekov\nNurlan\n"
