"""The fast paths of link keys give exactly what the plain implementations give.

``strip_accents`` decomposes each distinct character once, ``phonetic_key`` collapses doubled letters with
one regex, ``cognate_keys`` folds each distinct word once, the number regex tries only digits, ``find_ru``
tries only words that begin like a glossary name, and ``ru_names``/``en_names`` visit only words that may
be capitalised: each is checked here against the straightforward version (tests/plain_names.py) on tricky,
random and seed input.
"""

from __future__ import annotations

import random
import re
import unicodedata

import plain_names
import pytest

from kzalign.core.text import has_cyrillic
from kzalign.core.translit import _FOLD, phonetic_key, strip_accents, transliterate
from kzalign.engines.keys import _NUM, cognate_keys
from kzalign.glossary import BUNDLED_DIR, Glossary, load_glossary
from kzalign.glossary.matcher import _EN_CAPITAL_TOKEN, EN_TOKEN


def _plain_strip_accents(text: str) -> str:
    return "".join(b if (b := unicodedata.normalize("NFD", ch)[0]).isascii() else ch for ch in text)


def _plain_phonetic_key(text: str) -> str:
    s = "".join(ch for ch in _plain_strip_accents(text).lower() if ch.isalpha() and ch.isascii())
    for a, b in _FOLD:
        s = s.replace(a, b)
    return re.sub(r"(.)\1+", r"\1", s)


def _plain_cognate_keys(text: str, prefix: int = 5) -> set[str]:
    out: set[str] = set()
    for w in re.findall(r"[^\W\d_]{4,}", text):
        k = _plain_phonetic_key(transliterate(w, "wikipedia") if has_cyrillic(w) else w)
        if len(k) >= 4:
            out.add(k[:prefix])
    return out


_TRICKY = ["", "abc", "José Ñúñez", "x-Men", "X--Men", "O'Neil’s", "ǅemal", "Åsa", "ﬁne", "Ωmega", "İstanbul",
           "Kelvin K", "1-Men", "_Men", "aaa-bbb-Ccc", "Мексика и Mexico", "ß", "Ǆ", "\u212b", "ﬀ"]


def _random_texts(n: int, seed: int = 0) -> list[str]:
    rnd = random.Random(seed)
    alphabet = "aZkÉéÅåK\u212a\u212b-'’ _1.,ЖжЁёМм\u01c5\u00df\n\t«»İıǄ"
    return [("".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 24)))) for _ in range(n)]


def test_strip_accents_matches_plain_version() -> None:
    every = "".join(chr(i) for i in range(0x3000))
    assert strip_accents(every) == _plain_strip_accents(every)
    for t in _TRICKY + _random_texts(2000):
        assert strip_accents(t) == _plain_strip_accents(t)


def test_phonetic_key_and_cognates_match_plain_versions(seeds_dir) -> None:
    texts = _TRICKY + _random_texts(2000, 1) + ["Ааа Ббббб ссСс kkk Zzz", "Юрий Щербаков xxx yyy"]
    texts += [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    for t in texts:
        assert phonetic_key(t) == _plain_phonetic_key(t)
        assert cognate_keys(t) == _plain_cognate_keys(t)


def test_capital_tokens_are_the_capitalised_en_tokens() -> None:
    def ok(w: str) -> bool:
        return w[:1].isupper() and re.match(r"[A-Z]", strip_accents(w[:1])) is not None

    for t in _TRICKY + _random_texts(5000, 2):
        want = [m.span() for m in EN_TOKEN.finditer(t) if ok(m.group())]
        assert [m.span() for m in _EN_CAPITAL_TOKEN.finditer(t) if ok(m.group())] == want, t


def test_number_regex_matches_plain_version() -> None:
    plain = re.compile(r"(?<![\w.,])\d{1,3}(?:[  ]\d{3})+(?:[.,]\d+)?(?![\w])|(?<![\w])\d+(?:[.,]\d+)?(?![\w])")
    rnd = random.Random(3)
    texts = ["1 000 000,5 и 12,345.6 x1 1x .5 ,7 ٣٤ 2025 г.", "a1 000 b 10 000 000"]
    texts += ["".join(rnd.choice("0123 ,.a_\u0663-x") for _ in range(rnd.randint(0, 16))) for _ in range(20000)]
    for t in texts:
        assert [m.span() for m in _NUM.finditer(t)] == [m.span() for m in plain.finditer(t)], t


@pytest.fixture(scope="module")
def bundled() -> Glossary:
    return load_glossary([BUNDLED_DIR])


def test_find_ru_matches_a_walk_over_every_word(bundled, seeds_dir) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    texts += ["А.Турганбеков и Алмурат Турганбеков встретились в Мехико; Турганбекова, Касым-Жомарта Токаева."]
    assert any(plain_names.find_ru(bundled, t) for t in texts)
    for t in texts:
        assert bundled.find_ru(t) == plain_names.find_ru(bundled, t)


def test_ru_names_match_a_walk_over_every_word(bundled, seeds_dir) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    texts += ["Посол Алмурат Турганбеков и г-н Марибель Мартинес Руис, а также Иван Петров-Водкин встретились.",
              "и Иванов и Петров, Сидоров. Абвгд Ежзик ёжик Ёлкин ǅемал Ωмега", "А. Б. Иванов встретился с Ж.Петровым"]
    texts += _random_texts(3000, 4)
    assert sum(len(plain_names.ru_names(bundled, t)) for t in texts) > 20
    for t in texts:
        assert bundled.ru_names(t) == plain_names.ru_names(bundled, t), t
