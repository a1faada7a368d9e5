"""Language id keeps Russian and English and refuses their neighbours (accuracy: benchmarks/bench_langid.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kzalign.inputs.langid import detect_lang, heuristic_lang

DATA = Path(__file__).parent / "data" / "langid_neighbours.tsv"


def _rows() -> list[dict[str, str]]:
    with open(DATA, encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.mark.parametrize("text", [
    "Посол Казахстана в Мексике принял участие в церемонии открытия.",
    "Касым-Жомарт Токаев принял Әлихана Смаилова в Акорде.",  # a Kazakh name in Russian text
    "Я не прав.", "Хотите супа? Мы уже поели."
])
def test_russian_is_russian(text: str) -> None:
    assert detect_lang(text) == "ru"


@pytest.mark.parametrize("text", ["The ambassador of Kazakhstan took part in the opening ceremony.",
                                  "Tom is a psychologist.", "Kassym-Jomart Tokayev received the ambassador."])
def test_english_is_english(text: str) -> None:
    assert detect_lang(text) == "en"


def test_neighbours_are_refused_and_italian_is_not_spanish() -> None:
    rows = _rows()
    preds = [(r["lang"], detect_lang(r["text"])) for r in rows]
    rejected = sum(p not in ("ru", "en") for _, p in preds) / len(preds)
    assert rejected >= 0.95
    assert all(p == g for g, p in preds if g in ("it", "es"))
    assert detect_lang("Посолът на България се срещна с министъра на външните работи.") == "bg"


def test_heuristic_fallback_still_answers() -> None:
    assert heuristic_lang("Посол України та міністр обговорили співпрацю, що є важливою для їх країн.") == "uk"
    assert heuristic_lang("") is None and detect_lang("12345 !!!") is None
