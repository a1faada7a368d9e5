"""Text helpers shared by every stage: normalisation, hashing, sentence splitting, script checks."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

_WS = re.compile(r"\s+")
_NONWORD = re.compile(r"[^\w]+", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)
_CYR = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
_LAT = re.compile(r"[A-Za-z]")
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def clean(text: str) -> str:
    """NFC-normalise, turn non-breaking spaces into spaces, trim each line and drop control characters."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\ufeff", "")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def normalize_for_hash(text: str) -> str:
    """Casefold and strip punctuation and spacing so trivially different copies hash alike."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _WS.sub(" ", _NONWORD.sub(" ", text)).strip()


def sha1(text: str) -> str:
    """Hex SHA-1 of UTF-8 text (the workspace's content hash)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def text_hash(text: str) -> str:
    """Hash of the exact text (cache key for embeddings and translations)."""
    return sha1(text)


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits): the maximal runs of word characters."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def script_counts(text: str) -> tuple[int, int]:
    """Numbers of Cyrillic and Latin letters in ``text``."""
    if text.isascii():  # common case (English text): no Cyrillic, count letters without a regex
        raw = text.encode("ascii")
        return 0, len(raw) - len(raw.translate(None, _ASCII_LETTERS))
    return len(_CYR.findall(text)), len(_LAT.findall(text))


def has_cyrillic(text: str) -> bool:
    """Whether ``text`` has a Cyrillic letter (``script_counts(text)[0] > 0``, without counting)."""
    return _CYR.search(text) is not None


@lru_cache(maxsize=1)
def _razdel_sentenize():
    from razdel import sentenize

    return sentenize


@lru_cache(maxsize=1)
def _split_hint() -> re.Pattern[str] | None:
    """Where razdel might split: a delimiter of its splitter followed, inside its right window, by space
    and then something else.

    razdel only considers splitting at a match of its splitter's pattern (``.?!…;``, quotes, closing
    brackets, smileys), and its first two rules join every match whose right context (the splitter's
    window of characters) is all space (``empty_side``) or does not start with a space
    (``no_space_prefix``). A line this pattern does not find — most one-sentence lines — is therefore
    returned whole by razdel; the pattern may find a few more places than razdel looks at, never fewer.
    """
    try:
        splitter = _razdel_sentenize().split
        return re.compile(rf"(?:{splitter.re.pattern})(?=\s{{1,{splitter.window - 1}}}\S)", re.UNICODE)
    except (AttributeError, TypeError, re.error):  # another razdel version: no shortcut, razdel splits all
        return None


def split_sentences(text: str, lang: str = "ru") -> list[str]:
    """Split text into sentences: each line is a segment, then razdel splits inside a line.

    razdel is rule-based and offline (no model download), and handles Russian initials
    such as "А.Турганбеков" and English abbreviations well enough for news text.
    """
    sentenize = _razdel_sentenize()
    hint = _split_hint()
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if hint is not None and hint.search(line) is None:  # razdel would return the line whole
            out.append(line)
        else:
            out.extend(s.text.strip() for s in sentenize(line) if s.text.strip())
    return out
