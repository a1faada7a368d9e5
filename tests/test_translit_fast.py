"""The compiled translators give exactly what the reference transliteration gives, for every scheme.

``transliterate`` runs iuliia schemas as ``str.translate`` tables plus context look-ups and kzalign's own
schemes without Step objects; the reference is iuliia's own ``schema.translate`` (and, for kzalign's schemes,
the explained steps joined). Compared on seed texts, hand-picked edge cases, random strings and the eval words.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from kzalign.core.translit import (
    _CYR_WORD,
    SIMILARITY_SCHEMES,
    _iuliia,
    _own_schemes,
    explain,
    schemes,
    translator,
    transliterate,
    transliterate_reference,
)

ALL = schemes()

TRICKY = [
    "", " ", "\n\t ", "е", "Е", "ё", "Ё", "ъ", "Ъ", "ь", "Ь", "й", "Й", "и", "ы", "ю", "я", "ц", "к", "с",
    "ее", "ЕЁ", "Её", "еЁ", "ЪЕ", "ъе", "Ъе", "ьи", "ЬИ", "Ьи", "ий", "ИЙ", "ый", "ЫЙ", "ой", "ая", "ия",
    "кий", "КИЙ", "Кий", "ый", "Ые", "ЯЯ", "юЮ", "цы", "ЦЫ", "Цы", "кс", "КС", "ье", "ЬЕ", "Ье",
    "ель", "Ель", "ЕЛЬ", "ёж", "Ёж", "ЁЖ", "съел", "СЪЕЛ", "Съел", "подъезд", "ПОДЪЕЗД", "Ильин", "ИЛЬИН",
    "Йошкар-Ола", "ЙОШКАР-ОЛА", "Юлия", "ЮЛИЯ", "Мусаев", "МУСАЕВ", "Касым-Жомарт", "КАСЫМ-ЖОМАРТ",
    "Жомарт", "ЖОМАРТ", "жОМАРТ", "Максим", "МАКСИМ", "Айбек", "Амантайулы", "Шалданбай", "Ерлан",
    "Қасым Әлихан Ғани Ұлы Өмір Үкі Іле һә ҚАЗАҚСТАН", "әғқңөұүһі", "ӘҒҚҢӨҰҮҺІ",
    "Ковид-19", "COVID-19", "Т-34", "МиГ-29К", "5G-сеть", "ИЛ2", "ил2", "2ой", "абв123где", "а1е", "е1е",
    "Москва-Сити", "Pfizer и Moderna", "Bиктор", "Вiктор", "Сaша", "ПРИВЕТ мир", "Привет, мир!",
    "«Казахстан – Мексика»", "США,Китай;Россия", "т.е.", "и т.д.", "Е.Е.", "А.Турганбекову", "о_ё", "ё_е",
    "Ёлка\u00a0ёлка", "Юлия, съешь ещё этих мягких французских булок из Йошкар-Олы, да выпей алтайского чаю",
    "й\u0306", "и\u0306ога", "ё\u0308", "Ⅻ век", "²ая", "مرحبا мир", "中国 Китай", "ǅе", "ﬁе",
]

ALPHABET = ("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ" "әғқңөұүһіӘҒҚҢӨҰҮҺІ"
            "abcxyzABCXYZ0123456789" "    -_.,;:!?'\"()«»–—/\n\u00a0\u0306")


def _reference(text: str, scheme: str) -> str:
    """iuliia's own translate; for kzalign's schemes the explained steps, joined."""
    if scheme in _own_schemes():
        return "".join(s.output for s in explain(text, scheme))
    return _iuliia(scheme).translate(text)


def _check(texts: list[str], scheme: str) -> None:
    fast = translator(scheme)
    bad = [(t, fast(t), _reference(t, scheme)) for t in texts if fast(t) != _reference(t, scheme)]
    assert bad == [], (scheme, bad[:5])


def _random_strings(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12))) for _ in range(n)]


@pytest.mark.parametrize("scheme", ALL)
def test_tricky_cases_match_reference(scheme: str) -> None:
    _check(TRICKY + [t.upper() for t in TRICKY] + [t.lower() for t in TRICKY] + [t.title() for t in TRICKY],
           scheme)


@pytest.mark.parametrize("scheme", ALL)
def test_random_strings_match_reference(scheme: str) -> None:
    _check(_random_strings(3000, seed=len(scheme)), scheme)


@pytest.mark.parametrize("scheme", ALL)
def test_seed_texts_match_reference(scheme: str, seeds_dir: Path) -> None:
    lines = [ln for p in sorted(seeds_dir.glob("*.txt")) for ln in p.read_text(encoding="utf-8").splitlines()]
    words = sorted({w for ln in lines for w in re.findall(r"\w+", ln)})
    assert len(words) > 300
    _check(lines + words, scheme)


def test_public_function_uses_the_compiled_path() -> None:
    for scheme in ALL:
        text = "Касым-Жомарт Токаев, ЕЁ подъезд"
        assert transliterate(text, scheme) == transliterate_reference(text, scheme) == _reference(text, scheme)
    # explain still names its rules and agrees with transliterate
    assert "".join(s.output for s in explain("Мусаев, ЖОМАРТ")) == transliterate("Мусаев, ЖОМАРТ") == \
        "Mussayev, JOMART"


def test_eval_words_match_reference(eval_dir: Path) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(eval_dir.glob("*/ru.jsonl")))
    words = sorted(set(_CYR_WORD.findall(text)) | set(re.findall(r"[^\W\d_]{4,}", text)))
    assert len(words) > 10_000
    for scheme in SIMILARITY_SCHEMES:
        _check(words, scheme)


def test_schema_the_table_cannot_finish_keeps_its_own_translate() -> None:
    from iuliia.schema import TranslitSchema

    from kzalign.core.translit import _compile_iuliia

    # a context output holding a letter the table maps would be translated twice: iuliia's translate is kept
    odd = TranslitSchema(name="odd", mapping={"а": "a", "б": "а"}, prev_mapping={"аб": "б"})
    assert _compile_iuliia(odd) == odd.translate
    assert _compile_iuliia(odd)("аб ба") == "aб аa"
    # a well-behaved one is compiled and agrees on every short string over its letters
    ok = TranslitSchema(name="ok", mapping={"а": "a", "б": "b", "в": "v"}, prev_mapping={"аб": "x", "в": "w"},
                        next_mapping={"ба": "y", "а": "z"}, ending_mapping={"вв": "q"})
    fast = _compile_iuliia(ok)
    assert fast != ok.translate
    texts = [a + b + c + d + e for a in " абв" for b in "абвБ" for c in " абвВ" for d in "абв-" for e in "аб вВ"]
    assert [fast(t) for t in texts] == [ok.translate(t) for t in texts]
