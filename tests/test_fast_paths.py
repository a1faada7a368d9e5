"""The fast paths of the translate stage give exactly what the plain implementations give.

``razdel_sentences`` (under ``split_sentences``) skips razdel for lines razdel cannot split, ``words``/``script_counts`` avoid work
on ASCII text, and ``check_translation`` finds repetitions with C-level comparisons; each is checked
here against the straightforward version on tricky and on random input.
"""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from kzalign.core.text import has_cyrillic, razdel_sentences, script_counts, words
from kzalign.engines.translate import _has_repeats, check_translation

_CYR = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
_LAT = re.compile(r"[A-Za-z]")


def _razdel_split(text: str) -> list[str]:
    from razdel import sentenize

    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            out.extend(s.text.strip() for s in sentenize(line) if s.text.strip())
    return out


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^\w]+", unicodedata.normalize("NFKC", text).casefold()) if w]


def _max_consecutive_repeats(toks: list[str], n: int) -> int:
    best = 1
    for start in range(n):
        run, prev = 1, None
        for i in range(start, len(toks) - n + 1, n):
            gram = tuple(toks[i : i + n])
            run = run + 1 if gram == prev else 1
            prev = gram
            best = max(best, run)
    return best


def _check(src: str, mt: str) -> list[str]:
    """check_translation as first written (plain word lists and letter counts)."""
    flags: list[str] = []
    src_words, mt_words = _words(src), _words(mt)
    if not mt.strip() or (src_words and not mt_words):
        return ["empty"]
    if any(_max_consecutive_repeats(mt_words, n) >= (4 if n == 1 else 3) for n in (1, 2, 3, 4)) or (
        len(mt_words) >= 8 and len(set(mt_words)) / len(mt_words) < 0.35
    ):
        flags.append("repetition")
    cyr_src = len(_CYR.findall(src))
    cyr, lat = len(_CYR.findall(mt)), len(_LAT.findall(mt))
    same = " ".join(src_words) == " ".join(mt_words)
    if cyr_src and (same or cyr > 0.3 * (cyr + lat)):
        flags.append("copied_source")
    ratio = (len(mt) + 10) / (len(src) + 10)
    if ratio < 0.4 or ratio > 2.5:
        flags.append("length_ratio")
    return flags


TRICKY = [
    "Президент принял посла. Стороны обсудили торговлю.",
    "Он сказал: «Всё хорошо». Потом ушёл.",
    "Встреча в 11:00 (UTC+1) на ул. Ленина, т. е. в центре.",
    "А.Турганбеков и Н. Назарбаев прибыли в г. Астану.",
    'Клуб "Барса" — чемпион!   И "Реал" тоже?!',
    "Цена 2.5 млн долл. США; рост 3%.",
    "Ура :) Завтра выходной ;-( а потом =(((  снова работа.",
    "1. Первый пункт. 2. Второй пункт.",
    "Точка в конце.          ",
    "Конец.          Следующее предложение через десять пробелов.",
    "Конец.         Следующее через девять пробелов.",
    "Вопрос? — спросил он. Ответ!",
    "(Скобки.) [Квадратные.] {Фигурные.} Дальше текст.",
    "Mr. Smith met Dr. Jones at 5 p.m. They talked.",
    "Многоточие… Дальше. И ещё…",
    "",
    "   \n\n  ",
]


@pytest.mark.parametrize("text", TRICKY)
def test_split_sentences_matches_razdel(text: str) -> None:
    assert razdel_sentences(text) == _razdel_split(text)


def test_split_sentences_matches_razdel_on_random_text() -> None:
    rnd = random.Random(7)
    alphabet = (list(".?!…;\"„'«»“”‘’()[]{}=:-—") + [" ", " ", " ", "  ", "\t", "\u00a0", "          "]
                + ["т", "е", "г", "др", "Н", "См", "США", "Mr", "1", "22", "слово", "Слово", ":)", ";-(", "=((("])
    for _ in range(3000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 30)))
        assert razdel_sentences(text) == _razdel_split(text), text


@pytest.mark.parametrize("text", ["", "Tokayev met the ambassador.", "Токаев принял посла", "Ёж и ӘҒ",
                                  "e\u0301 ﬁ Ⅻ ß İ", "mixed Текст 123", "\u00a0 ...!"])
def test_words_and_script_counts(text: str) -> None:
    assert words(text) == _words(text)
    assert script_counts(text) == (len(_CYR.findall(text)), len(_LAT.findall(text)))
    assert has_cyrillic(text) == bool(_CYR.search(text))


def test_has_repeats_matches_gram_runs() -> None:
    rnd = random.Random(3)
    for _ in range(20000):
        vocab = ["a", "b", "c", "d"][: rnd.randint(1, 4)]
        toks = [rnd.choice(vocab) for _ in range(rnd.randint(0, 16))]
        want = any(_max_consecutive_repeats(toks, n) >= (4 if n == 1 else 3) for n in (1, 2, 3, 4))
        assert _has_repeats(toks) == want, toks


SOURCES = ["Президент Токаев принял посла Мексики.", "Встреча прошла в Астане.", "2024", "...", "Tokayev"]
OUTPUTS = ["", " ", "...", "President Tokayev received the ambassador of Mexico.", "Президент Токаев принял посла Мексики.",
           "ПРЕЗИДЕНТ ТОКАЕВ ПРИНЯЛ ПОСЛА МЕКСИКИ", "the the the the meeting", "in Astana in Astana in Astana",
           "a b c d a b c d a b c d", "Встреча прошла в Астане.", "Meeting in Астане", "2024", "ok",
           "The meeting took place in Astana, the capital, on Monday, with a very long tail of words added."]


@pytest.mark.parametrize("src", SOURCES)
@pytest.mark.parametrize("mt", OUTPUTS)
def test_check_translation_matches_plain_version(src: str, mt: str) -> None:
    assert check_translation(src, mt) == _check(src, mt)


def test_split_without_the_razdel_shortcut(monkeypatch) -> None:
    """With a razdel whose internals differ, no shortcut is taken and razdel splits every line."""
    import kzalign.core.text as T

    real = T._razdel_sentenize()

    def plain(text: str):  # a sentenize with no ``split`` attribute
        return real(text)

    line = "Посол встретился с министром. Стороны обсудили сотрудничество."
    expected = T.split_sentences(line)
    T._split_hint.cache_clear()
    monkeypatch.setattr(T, "_razdel_sentenize", lambda: plain)
    try:
        assert T._split_hint() is None
        assert T.split_sentences(line) == expected == [
            "Посол встретился с министром.", "Стороны обсудили сотрудничество."]
        assert T.split_sentences("Одна строка без точки") == ["Одна строка без точки"]
    finally:
        T._split_hint.cache_clear()
