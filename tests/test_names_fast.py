"""The fast name matchers give exactly what the plain walk over every word gives (tests/plain_names.py).

Fast paths checked: the analyser loaded from its dictionary's path (no entry-point scan), capital-token
regexes that start with their character class, find_ru reading only capitalised words and locating them with
``str.find``, words classified once per glossary (with the caches started afresh when full),
``proper_either_way`` (sentence position tested only when it matters), pymorphy3 tags without parses for
dictionary words (``known_tags``), cached unknown names and keys, name keys without NameMatch objects.
"""

from __future__ import annotations

import random

import plain_names
import pytest

from kzalign.glossary import BUNDLED_DIR, Glossary, load_glossary, name_keys, new_entry
from kzalign.glossary import matcher as M
from kzalign.glossary.morph import RU_TOKEN, known_tags, morph, parses, proper_either_way

TRICKY_RU = [
    "", "а", "А", "А.", "Иванов", "иванов", "ИВАНОВ", "Иванов приехал. Петров уехал! Сидоров? Кузнецов… Орлов: Жуков",
    "А. Смирнов и А.Смирнов, А. Б. Смирнов, Ж.Петровым, А.Б.Иванов", "Посол Алмурат Турганбеков прибыл в Мехико.",
    "А. Турганбеков; Турганбекова, Турганбековым; АЛМУРАТ ТУРГАНБЕКОВ", "Касым-Жомарт Токаев и Касым-Жомарта Токаева",
    "Иван Петров-Водкин, Иван Петров - Водкин, Иван Петров–Водкин", "«Казахстан» и «Мексика» — «Кремль»",
    "МИД РК и ООН, ЕАЭС и ШОС сообщили", "Әлихан Смайылов и Ұлықбек Есполов, әлем Әлем, Ғалым Қасым Іле",
    "Иван Smith Петров", "Иван2 Петров", "Иван_Петров", "Ёлкин ёжик Ёлкина, Семён Семёнович", "\nИванов\n\tПетров\n",
    "Марибель Мартинес Руис встретилась с Анибалом Гомесом Толедо", "Мы Им Он Она. В Москве В. Путин",
    "(Иванов) 'Петров' \"Сидоров\" – Кузнецов — Орлов", "x-Иванов аИванов Иванов-x", "ǅемал Ωмега İстанбул ß",
    "Президент Казахстана Касым-Жомарт Токаев провел переговоры с Президентом Мексики",
]
TRICKY_EN = [
    "", "A", "Tokayev", "tokayev", "TOKAYEV", "Kassym-Jomart Tokayev's visit and Tokayev’s speech", "O'Neil’s", "x-Men",
    "X--Men", "K. Tokayev and A. B. Smirnov, K.Tokayev", "José Ñúñez of Mexico City", "İstanbul \u212aelvin \u212bngström",
    "ASTANA, Astana, astana; Nur-Sultan", "Ambassador Almurat Turganbekov met Maribel Martinez Ruiz in Mexico City.",
    "The Ministry of Foreign Affairs of Kazakhstan's", "Kazakhstan–Mexico group", "Ǆ ǅemal Åsa ﬁne", "1-Men _Men",
    "Mr. Turganbekov’s 'Almaty' \"Astana\"", "Kazakh-Mexican", "KAZAKHSTAN and UN, UNESCO",
]


def _vocabulary(seeds_dir) -> list[str]:
    words = [w for p in sorted(seeds_dir.glob("*.txt")) for w in RU_TOKEN.findall(p.read_text(encoding="utf-8"))]
    return sorted(set(words)) + ["А.", "Б.", "Ж.", "K.", "-", "–", "«", "»", ".", "!", "?", ":", "\n", "'s", "’s", "2025",
                                 "Әлихан", "ҰЛЫ", "Есполов", "Иванов", "Петров-Водкин", "o'Neil", "Ёлкин"]


def _random_texts(vocab: list[str], n: int, seed: int) -> list[str]:
    """Word salad from the seeds' words and punctuation, joined by spaces, nothing or a hyphen."""
    rnd = random.Random(seed)
    seps = [" ", " ", " ", "", "-", ". ", ", ", "\n", " – "]
    return ["".join(rnd.choice(vocab) + rnd.choice(seps) for _ in range(rnd.randint(0, 30))) for _ in range(n)]


@pytest.fixture(scope="module")
def bundled() -> Glossary:
    return load_glossary([BUNDLED_DIR])


@pytest.fixture(scope="module")
def lower_start() -> Glossary:
    """A glossary where a name starts with a lower-case word (find_ru must then read every word)."""
    return Glossary([new_entry("посол Мексики", "Ambassador of Mexico", "other"),
                     new_entry("Алмурат Турганбеков", "Almurat Turganbekov", "person"),
                     new_entry("ООН", "UN", "org")], "t")


def _texts(seeds_dir, n_random: int, seed: int) -> list[str]:
    seeds = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    return TRICKY_RU + TRICKY_EN + seeds + _random_texts(_vocabulary(seeds_dir), n_random, seed)


def _same(g: Glossary, texts: list[str], context: list[str] = ()) -> int:  # type: ignore[assignment]
    found = 0
    for t in texts:
        ru = g.ru_names(t, context)
        assert ru == plain_names.ru_names(g, t, context), t
        assert g.find_ru(t) == plain_names.find_ru(g, t), t
        assert g.en_names(t) == plain_names.en_names(g, t), t
        for lang in ("ru", "en"):
            assert name_keys(t, lang, g) == plain_names.name_keys(t, lang, g), (lang, t)
        found += len(ru)
    return found


def test_names_match_the_plain_walk(bundled, seeds_dir) -> None:
    assert _same(bundled, _texts(seeds_dir, 400, 1)) > 150


def test_names_with_english_context_match_the_plain_walk(bundled, seeds_dir) -> None:
    context = TRICKY_EN + [p.read_text(encoding="utf-8")[:2000] for p in sorted(seeds_dir.glob("*.txt"))[4:5]]
    texts = TRICKY_RU + _random_texts(_vocabulary(seeds_dir), 40, 2)
    assert _same(bundled, texts, context) > 50
    assert any(m.form == "recovered" for t in texts for m in bundled.ru_names(t, context))


def test_a_name_starting_in_lower_case_is_found(lower_start, seeds_dir) -> None:
    assert not lower_start._ru_capitals_only
    texts = ["Вчера посол Мексики и Посол мексики встретились; послом Мексики", *_texts(seeds_dir, 100, 3)]
    assert _same(lower_start, texts) > 20
    assert [m.en for m in lower_start.find_ru(texts[0])] == ["Ambassador of Mexico", "Ambassador of Mexico"]


def test_word_caches_started_afresh_give_the_same_names(seeds_dir, monkeypatch) -> None:
    monkeypatch.setattr(M, "_WORD_CACHE", 5)
    g = load_glossary([BUNDLED_DIR])
    assert _same(g, _texts(seeds_dir, 60, 4)) > 20
    assert len(g._ru_words[0]) <= 5 + max(len(set(RU_TOKEN.findall(t))) for t in _texts(seeds_dir, 60, 4))


def test_proper_either_way_is_the_plain_test_both_ways(seeds_dir) -> None:
    words = {w for t in _texts(seeds_dir, 200, 5) for w in RU_TOKEN.findall(t)}
    assert len(words) > 500
    for w in sorted(words):
        want = (plain_names.is_proper_word(w, True), plain_names.is_proper_word(w, False))
        assert proper_either_way(w) == want, w


def test_known_tags_are_the_tags_of_the_parses(seeds_dir) -> None:
    words = {w.casefold() for t in _texts(seeds_dir, 200, 6) for w in RU_TOKEN.findall(t)}
    words |= {"а", "б", "ж", "елкин", "ёлкин", "еж", "ёж", "әлем", "турганбекова", "мехико", "быстрее", "наилучший"}
    assert sum(morph().word_is_known(w) for w in words) > 200
    for w in sorted(words):
        assert known_tags(w) == (morph().word_is_known(w), tuple(p.tag for p in parses(w))), w


def test_names_on_eval_items_match_the_plain_walk(bundled, eval_dir) -> None:
    import json

    texts = []
    for part in ("docalign", "comparable"):
        for lang in ("ru", "en"):
            lines = (eval_dir / part / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines()[:25]
            texts += ["\n" + json.loads(line)["text"] for line in lines]
    assert _same(bundled, texts) > 100
    for w in sorted({w.casefold() for t in texts for w in RU_TOKEN.findall(t)}):
        assert known_tags(w) == (morph().word_is_known(w), tuple(p.tag for p in parses(w))), w


def test_analyser_reads_the_dictionary_pymorphy3_finds_itself() -> None:
    import pymorphy3
    from pymorphy3.analyzer import lang_dict_path

    default = pymorphy3.MorphAnalyzer()
    assert morph()._path in (None, lang_dict_path("ru"))
    assert morph().lang == default.lang == "ru"
    assert morph().dictionary.meta == default.dictionary.meta
    for w in ("турганбекова", "мехико", "казахстан", "абвгд", "посол"):
        assert [tuple(p[:4]) for p in morph().parse(w)] == [tuple(p[:4]) for p in default.parse(w)]


def test_glossaries_stay_equal_whatever_texts_they_read(seeds_dir) -> None:
    a, b = load_glossary([BUNDLED_DIR]), load_glossary([BUNDLED_DIR])
    for t in _texts(seeds_dir, 20, 7):
        name_keys(t, "ru", a)
        name_keys(t, "en", a)
    assert a._ru_words[0] and a._en_words[0] and not b._ru_words[0]
    assert a == b
