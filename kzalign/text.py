"""Text helpers shared by every stage: normalisation, hashing, sentence splitting, script checks."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

_WS = re.compile(r"\s+")
_NONWORD = re.compile(r"[^\w]+", re.UNICODE)
_CYR = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
_LAT = re.compile(r"[A-Za-z]")


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
    """Lower-cased word tokens (letters and digits)."""
    return [w for w in _NONWORD.split(unicodedata.normalize("NFKC", text).casefold()) if w]


def script_counts(text: str) -> tuple[int, int]:
    """Numbers of Cyrillic and Latin letters in ``text``."""
    return len(_CYR.findall(text)), len(_LAT.findall(text))


@lru_cache(maxsize=1)
def _razdel_sentenize():
    from razdel import sentenize

    return sentenize


def split_sentences(text: str, lang: str = "ru") -> list[str]:
    """Split text into sentences: each line is a segment, then razdel splits inside a line.

    razdel is rule-based and offline (no model download), and handles Russian initials
    such as "А.Турганбеков" and English abbreviations well enough for news text.
    """
    sentenize = _razdel_sentenize()
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        out.extend(s.text.strip() for s in sentenize(line) if s.text.strip())
    return out
