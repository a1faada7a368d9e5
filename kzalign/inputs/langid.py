"""Language identification that tells Russian and English from their neighbours.

kzalign links Russian with English, so a Bulgarian, Ukrainian, Serbian or Kazakh report must not pass
as Russian, nor an Italian one as Spanish (or English). :func:`detect_lang` asks lingua (a maintained
n-gram detector, offline) to choose among the languages a Kazakhstan news desk meets; without lingua
installed it falls back to the script + function-word heuristic (:func:`heuristic_lang`). Accuracy of
both is measured in BENCHMARKS.md (benchmarks/bench_langid.py).
"""

from __future__ import annotations

import re
from functools import lru_cache

from kzalign.core.text import script_counts, words

#: ISO 639-1 codes lingua chooses among: ru/en and the neighbours that get mistaken for them.
CANDIDATES = ("ru", "en", "uk", "be", "bg", "sr", "mk", "kk", "mn",
              "de", "fr", "es", "it", "pt", "nl", "pl", "tr", "ro", "cs", "sv")
#: Characters looked at: enough for a reliable answer, and detection stays fast on huge items.
SAMPLE_CHARS = 3000

_STOP = {
    "ru": set("и в не на что с по к у о из за от для это как а же так но до при или об также был была были его её их мы они он она который которые этот".split()),
    "en": set("the of and to in a is that for on with as was by at from it be are this which have has an were".split()),
    "uk": set("і та що це як був від для його її але щоб їх також".split()),
    "kk": set("және бен мен да де бұл үшін деп осы бойынша туралы".split()),
    "de": set("der die und das ist nicht mit von zu den des dem auf für".split()),
    "fr": set("le la les et des est une du dans pour que qui sur au".split()),
    "es": set("el los las y en que del por con una para es se al".split()),
    "it": set("il di che è per una della del sono gli alla nel".split()),
}
_UK_LETTERS = re.compile(r"[їєґЇЄҐ]")
_KK_LETTERS = re.compile(r"[әғқңөұүһӘҒҚҢӨҰҮҺ]")


@lru_cache(maxsize=1)
def _lingua():
    """The lingua detector over :data:`CANDIDATES` (models load lazily, once per process), or None."""
    try:
        from lingua import IsoCode639_1, LanguageDetectorBuilder
    except ImportError:
        return None
    codes = [getattr(IsoCode639_1, c.upper()) for c in CANDIDATES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def loaded() -> bool:
    """Whether lingua's detector has been built in this process."""
    return _lingua.cache_info().currsize > 0


def preload() -> bool:
    """Load lingua's models now (about 1.5 s once per process) so the first detection is not the slow one;
    False when lingua is not installed."""
    detector = _lingua()
    if detector is None:
        return False
    detector.detect_language_of("Посол провёл встречу с министром. The ambassador met the minister.")
    return True


def detect_lang(text: str) -> str | None:
    """ISO code of the language of ``text`` (``ru``, ``en``, ``uk``, ``bg``, ``it``...); None without letters."""
    sample = text[:SAMPLE_CHARS]
    cyr, lat = script_counts(sample)
    if cyr == 0 and lat == 0:
        return None
    detector = _lingua()
    if detector is None:
        return heuristic_lang(sample)
    lang = detector.detect_language_of(sample)
    if lang is None:
        return heuristic_lang(sample)
    code = lang.iso_code_639_1.name.lower()
    if code not in ("ru", "en") and _short_text_override(sample, code):
        return "ru" if cyr >= lat else "en"
    return code


#: Letters each Cyrillic neighbour has and Russian has not (a text without any is written in Russian's alphabet).
_NEIGHBOUR_MARKS = re.compile(r"[іїєґўәғқңөұүһјљњћђџѓќѕІЇЄҐЎӘҒҚҢӨҰҮҺЈЉЊЋЂЏЃЌЅ]")
#: Russian letters each neighbour's alphabet lacks.
_NOT_IN_ALPHABET = {"uk": "ыэъё", "be": "ищъ", "sr": "йяюыэщъёь", "mk": "йяюыэщъёь", "bg": "ыэё", "kk": ""}
_RU_ONLY_WORDS = frozenset("я он она оно они мы вы что это этот эта мне меня его ее её был была было были уже "
                           "очень который которая которые также".split())
_EN_ONLY_WORDS = frozenset("the is are was were i i'm don't let's you we of and to with this that it his her "
                           "can't me my he she they just".split())


def _short_text_override(text: str, code: str) -> bool:
    """Whether lingua's neighbour answer on a short text is contradicted by the spelling of ``text``.

    A Cyrillic text that (almost) never uses the neighbours' own letters, and uses a letter the detected
    neighbour does not have or a Russian-only word, is Russian; a plain-ASCII text with English-only
    function words and no other language's function words is English. Such texts are the short,
    ambiguous ones ("Свет погас.", "Tom is a psychologist.").
    """
    toks = words(text)
    if code in _NOT_IN_ALPHABET:
        cyr = script_counts(text)[0]
        if len(_NEIGHBOUR_MARKS.findall(text)) > 0.03 * cyr:  # a Kazakh name (Әлихан) in Russian text is fine
            return False
        lower = text.lower()
        return code == "kk" or any(ch in lower for ch in _NOT_IN_ALPHABET[code]) or any(
            t in _RU_ONLY_WORDS for t in toks)
    if not text.isascii():
        return False
    en = sum(t in _EN_ONLY_WORDS for t in toks)
    other = max(sum(t in stop for t in toks) for lang, stop in _STOP.items() if lang not in ("ru", "en"))
    return en > 0 and en > other


def heuristic_lang(text: str) -> str | None:
    """Script plus function words (kzalign's first detector; the fallback without lingua)."""
    cyr, lat = script_counts(text)
    if cyr == 0 and lat == 0:
        return None
    toks = words(text[:5000])
    counts = {lang: sum(1 for t in toks if t in stop) for lang, stop in _STOP.items()}
    if cyr >= lat:
        counts["uk"] += 3 * len(_UK_LETTERS.findall(text))
        kk_letters = len(_KK_LETTERS.findall(text))
        counts["kk"] += kk_letters // 2 if kk_letters > max(3, 0.01 * cyr) else 0
        cands, default = ["ru", "uk", "kk"], "ru"
    else:
        cands, default = ["en", "de", "fr", "es", "it"], "en"
    best = max(cands, key=lambda lang: (counts[lang], lang == default))
    if counts[best] == 0:
        return default if len(toks) < 8 else None
    return best
