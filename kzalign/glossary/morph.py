"""Russian morphology for names: pymorphy3 parses, inflected forms, normal forms, nominatives.

Everything here is cached per word, so finding names stays linear in the length of a text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pymorphy3

PROPER_TAGS = ("Name", "Surn", "Patr", "Geox", "Orgn")
#: The same as a set, tested against ``tag.grammemes`` (what ``grammeme in tag`` does, less its per-call checks).
_PROPER = frozenset(PROPER_TAGS)
_NOMN_SING = frozenset({"nomn", "sing"})
RU_TOKEN = re.compile(r"[^\W\d_]+")
#: One or two initials right before a name ("А.", "А. Б."), anchored at the end of a short look-back window.
INITIALS_BEFORE = re.compile(r"(?:(?<![^\W\d_])[А-ЯЁA-Z]\.\s?){1,2}$")
EN_INITIALS_BEFORE = re.compile(r"(?:(?<![^\W\d_])[A-Z]\.\s?){1,2}$")
#: Initials are at most 6 characters ("А. Б. "): a look-back of this many characters always holds them.
_LOOKBACK = 16
_CYR_LOWER = re.compile(r"[а-яәғқңөұүһі]")


def initials_before(text: str, pos: int, pattern: re.Pattern[str] = INITIALS_BEFORE) -> int | None:
    """Start of the initials ending at ``pos`` (e.g. "А." before "Турганбеков"), or None.

    Searches a fixed window before ``pos`` (never the whole preceding text), so calling it for
    every word of a text is linear; the look-behind still sees the character before the window.
    """
    m = pattern.search(text, max(0, pos - _LOOKBACK), pos)
    return m.start() if m else None


@lru_cache(maxsize=1)
def morph() -> pymorphy3.MorphAnalyzer:
    """The shared pymorphy3 analyser (loaded once).

    Given the path of pymorphy3-dicts-ru (the package pymorphy3 itself finds for "ru"), pymorphy3 skips its
    scan of every installed package's entry points (about 5 ms of each process that finds names)."""
    import pymorphy3

    try:
        import pymorphy3_dicts_ru
    except ImportError:  # another provider of the dictionary: let pymorphy3 find it
        return pymorphy3.MorphAnalyzer()
    return pymorphy3.MorphAnalyzer(path=pymorphy3_dicts_ru.get_path(), lang="ru")


@lru_cache(maxsize=200_000)
def parses(word: str) -> tuple[pymorphy3.analyzer.Parse, ...]:
    """pymorphy3 parses of a lower-cased word (cached)."""
    return tuple(morph().parse(word))


@lru_cache(maxsize=200_000)
def known_tags(word: str) -> tuple[bool, tuple[pymorphy3.tagset.OpencorporaTag, ...]]:
    """Whether a lower-cased word is in pymorphy3's dictionary, and its parses' tags in their order (cached).

    For a dictionary word ``MorphAnalyzer.tag`` gives exactly the parses' tags (the same dictionary
    look-up, no normal forms built: a third of the cost); for an unknown word the guessers may order tags
    differently, so they are taken from the parses."""
    an = morph()
    if an.word_is_known(word):
        return True, tuple(an.tag(word))
    return False, tuple(p.tag for p in parses(word))


@lru_cache(maxsize=200_000)
def ru_norms(word: str) -> frozenset[str]:
    """The word (lower-cased, ё→е) and every normal form pymorphy3 gives it."""
    low = word.casefold().replace("ё", "е")
    if not _CYR_LOWER.search(low):
        return frozenset({low})
    return frozenset({low} | {p.normal_form.replace("ё", "е") for p in parses(low)})


@lru_cache(maxsize=50_000)
def ru_forms(word: str) -> frozenset[str]:
    """Every inflected form of a glossary word (lexemes of its nominative, proper-name parses)."""
    low = word.casefold().replace("ё", "е")
    if not _CYR_LOWER.search(low):
        return frozenset({low})
    ps = parses(low)
    chosen = [p for p in ps if "nomn" in p.tag and any(t in p.tag for t in PROPER_TAGS)]
    chosen = chosen or [p for p in ps if "nomn" in p.tag] or list(ps[:1])
    forms = {low}
    for p in chosen:
        forms.update(f.word.replace("ё", "е") for f in p.lexeme)
    return frozenset(forms)


_FUNCTION_POS = ("PREP", "CONJ", "PRCL", "ADVB", "VERB", "INFN", "NPRO")


#: The capitals a proper (Cyrillic) name word starts with.
CYR_CAPITAL = re.compile(r"[А-ЯЁӘҒҚҢӨҰҮҺІ]")


@lru_cache(maxsize=200_000)
def proper_either_way(word: str) -> tuple[bool, bool]:
    """Whether a capitalised Cyrillic word looks like (part of) a proper name at a sentence start, and elsewhere.

    At a sentence start only a first parse with a name tag, or an unknown word that is not read as a
    function word, counts; elsewhere any unknown word or any parse with a name tag. One cached look-up
    per word: a caller tests where the word stands only when the two differ."""
    if not word[:1].isupper() or not CYR_CAPITAL.match(word):
        return False, False
    if len(word) > 1 and word.isupper():
        return False, False  # abbreviations (МИД, РК) are left to the glossary
    known, tags = known_tags(word.casefold())
    named = [not _PROPER.isdisjoint(t.grammemes) for t in tags]
    at_start = (not known and not any(t.POS in _FUNCTION_POS for t in tags[:1])) or any(named[:1])
    return at_start, not known or any(named)


#: Endings of name words that are nominative as written (pymorphy3 reads unknown "-ов" as a plural genitive).
_NOMINATIVE_END = re.compile(r"(ов|ев|ёв|ин|ын|улы|ұлы|кызы|қызы|ко|дзе|швили|ян)$")


@lru_cache(maxsize=50_000)
def ru_nominative(word: str) -> str:
    """The nominative singular of a (proper) name word, keeping its gender; the word itself if unsure."""
    low = word.casefold()
    if _NOMINATIVE_END.search(low):
        return word
    if any(_NOMN_SING <= t.grammemes for t in known_tags(low)[1]):
        return word
    named = sorted(parses(low), key=lambda p: ("Surn" not in p.tag.grammemes,
                                      "Name" not in p.tag.grammemes and "Geox" not in p.tag.grammemes))
    for p in named:
        nom = p.inflect({"nomn", "sing"}) or p.inflect({"nomn"})
        if nom is not None:
            out = nom.word
            return out[:1].upper() + out[1:] if word[:1].isupper() else out
    return word


_KZ_RU_END = re.compile(r"(ов|ев|ёв|ин|ын|ова|ева|ина|ына|улы|ұлы|кызы|қызы|бай|бек|баев|баева|ко|ий|ая|ич|на)$")


def looks_foreign(words: Sequence[str]) -> bool:
    """True when no word of a name has a Kazakh/Russian name ending and its first word is not a given
    name pymorphy3's dictionary knows (Марибель Мартинес Руис, Анибал Гомес Толедо)."""
    return _looks_foreign(tuple(words))


@lru_cache(maxsize=50_000)
def _looks_foreign(words: tuple[str, ...]) -> bool:
    """:func:`looks_foreign` of one name's words (cached: a text names the same people again and again)."""
    words = tuple(w for w in words if len(w) > 1)
    if not words or any(_KZ_RU_END.search(w.casefold()) for w in words):
        return False
    first = words[0].casefold()
    known, tags = known_tags(first)
    return not (known and any("Name" in t.grammemes for t in tags))


def kind_of(words: list[str]) -> str:
    """Glossary kind a name most likely has, from pymorphy3's tags (person, place or other)."""
    tags = [str(p.tag) for w in words for p in parses(w.casefold())[:3]]
    if any(t in tag for tag in tags for t in ("Name", "Surn", "Patr")):
        return "person"
    if any("Geox" in tag for tag in tags):
        return "place"
    return "other"
