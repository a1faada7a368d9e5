"""Text helpers shared by every stage: normalisation, hashing, sentence splitting, script checks."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
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


# -- mixed alphabets -----------------------------------------------------------------------------------
#: Latin letters drawn like Cyrillic ones, and their Cyrillic twins: a word typed with both keyboards
#: ("Тургaнбeкoв" with Latin a, e, o) reads right but matches nothing.
_LOOKALIKE_LAT = "aceopxyiABCEHKMOPTXI"
_LOOKALIKE_CYR = "асеорхуіАВСЕНКМОРТХІ"
_TO_CYR = str.maketrans(_LOOKALIKE_LAT, _LOOKALIKE_CYR)
_TO_LAT = str.maketrans(_LOOKALIKE_CYR, _LOOKALIKE_LAT)
_LAT_RUN = re.compile(r"[A-Za-z]+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")


def mixed_script_words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, folded) of each word of ``text`` that mixes Cyrillic and Latin letters; ``folded`` is the
    word with the look-alike letters of its minority alphabet turned into the majority's (same length)."""
    if text.isascii() or _LAT.search(text) is None or _CYR.search(text) is None:
        return []
    out: list[tuple[int, int, str]] = []
    end = 0
    for run in _LAT_RUN.finditer(text):  # every mixed word has a Latin run: visit only those words
        if run.start() < end:
            continue
        start = run.start()
        while start > 0 and (text[start - 1].isalpha()):
            start -= 1
        word = _LETTER_RUN.match(text, start)
        if word is None:
            continue
        end = word.end()
        cyr, lat = script_counts(word.group())
        if cyr and lat:
            out.append((start, end, word.group().translate(_TO_CYR if cyr >= lat else _TO_LAT)))
    return out


def mixed_script_note(word: str, folded: str) -> str:
    """What is mixed in ``word``: ``Latin a, e, o in a Cyrillic word (read as 'Турганбеков')``."""
    cyr, lat = script_counts(word)
    minority = "Latin" if cyr >= lat else "Cyrillic"
    odd = [c for c in dict.fromkeys(word) if (c.isascii() if minority == "Latin" else not c.isascii()) and c.isalpha()]
    major = "Cyrillic" if minority == "Latin" else "Latin"
    return f"{minority} {', '.join(odd)} in a {major} word (read as {folded!r})"


def fold_lookalikes(text: str) -> str:
    """``text`` with every mixed-alphabet word folded to its majority alphabet (:func:`mixed_script_words`);
    the same length, so positions found in the folded text hold in ``text``."""
    mixed = mixed_script_words(text)
    if not mixed:
        return text
    parts: list[str] = []
    pos = 0
    for start, end, folded in mixed:
        parts += [text[pos:start], folded]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


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


def _razdel_spans(line: str) -> list[tuple[int, int]]:
    """(start, stop) of razdel's sentences in one stripped line; the whole line when razdel cannot split it."""
    hint = _split_hint()
    if hint is not None and hint.search(line) is None:  # razdel would return the line whole
        return [(0, len(line))]
    return [(s.start, s.stop) for s in _razdel_sentenize()(line) if s.text.strip()]


def razdel_sentences(text: str) -> list[str]:
    """razdel's split of each line (lines are segments), with a shortcut for lines razdel returns whole."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            out.extend(line[a:b].strip() for a, b in _razdel_spans(line))
    return out


# -- sentence splitting for translation memories ------------------------------------------------
#: Abbreviations after which a sentence never ends (lower-cased, without the final dot): titles, company
#: forms, Russian address and name abbreviations (``г. Астана``, ``им. Абая``, ``т.е.``).
_ABBR = frozenset(
    "mr mrs ms dr prof st gen gov sen rep col lt capt sgt rev hon pres mt ft co corp inc ltd vs dept "
    "г гг им ул пр просп пл д обл р-н ст св ген проф акад тов зам пос т.е т.к т.н т.ч т.о напр".split()
)
#: Abbreviations that continue the sentence only before a number (``Jan. 5``, ``No. 5``, ``3 hrs. 20 min``):
#: before a capital (``in Jan. The talks``) they end it.
_ABBR_DIGIT = frozenset(
    "no nos vol vols fig figs art p pp approx hrs hr min sec jan feb mar apr jun jul aug sep sept oct nov dec "
    "янв фев февр мар апр авг сент окт нояб дек ок стр рис см тыс млн млрд руб долл".split()
)
#: Abbreviations that end a sentence unless the next word continues them (``долл. США``).
_ABBR_NEXT = {"долл": ("США",), "млн": ("долл",), "млрд": ("долл",)}
#: Words that start a new sentence after an initial or a dotted acronym (``in Washington, D.C. The talks``).
_STARTERS = frozenset(
    "the this that these those it he she they we i in on at but a an and also however after as there his her "
    "its their our for with when while during by it's он она они оно мы это в на по но также кроме при после "
    "как его ее её их с и однако вместе кроме того".split()
)
_LAST_TOKEN = re.compile(r"([\w.\-]+)\.\s*$")
_INITIALS = re.compile(r"(?:^|[\s(«\"“])(?:[A-ZА-ЯЁ]\.[-‑–]?\s?){1,3}$")
_SPEECH_TAIL = re.compile(r"[,!?…][\"»”]?\s[-–—]\s")
_YEAR_ABBR = re.compile(r"(\b\d{4}\s?гг?\.)\s+(?=[«\"]?[А-ЯЁ][а-яё])")
_ACRONYM_END = re.compile(
    r"(\b(?:[A-Z]\.){2,})\s+(?=(?:The|This|That|It|He|She|They|We|In|On|At|But|A|An|Its|His|Her|Their)\b)"
)
# Chinese and Japanese full stops (razdel does not know them): a sentence ends after 。！？ and closing quotes
_CJK = "\u3400-\u9fff\u3040-\u30ff\uac00-\ud7af"  # ideographs, kana, hangul
_CJK_END = re.compile(rf"([。！？]+[”’」』）]*|…+[”’」』）]+(?=\s*[{_CJK}“‘「『（]))(?=\s*[^\s”’」』）])")
_CJK_START = re.compile(f"^[{_CJK}]")
_TERMINAL_END = re.compile(r"[.!?…。！？][\"'»”’)」』）]*$")
_LOWER_START = re.compile(r"^[a-zа-яё]")


def _first_word(text: str) -> str:
    m = re.match(r"[\"«“(]*([\w’'-]+)", text)
    return m.group(1) if m else ""


def _continues(prev: str, nxt: str) -> bool:
    """Whether razdel's boundary between ``prev`` and ``nxt`` is not a sentence boundary."""
    if not any(ch.isalnum() for ch in nxt) or prev.endswith((";", ":")):
        return True
    if prev.rstrip().endswith("…") and _CJK_START.match(nxt):
        return True  # a Chinese "……" inside a sentence (a pause, a stammer), not its end
    first = _first_word(nxt)
    if nxt[:1] in "-–—" and _SPEECH_TAIL.search(prev):
        return True  # «...», - said X. - Continued speech
    m = _LAST_TOKEN.search(prev)
    token = m.group(1).lower() if m else ""
    if token in _ABBR and not (token in ("г", "гг") and re.search(r"\d{4}\s?гг?\.$", prev)):
        return True
    if token in _ABBR_NEXT and first.startswith(_ABBR_NEXT[token]):
        return True
    if token in _ABBR_DIGIT and first[:1].isdigit():
        return True
    if _INITIALS.search(prev) and first.lower() not in _STARTERS and not _YEAR_ABBR.search(prev + " " + nxt):
        return True  # К.-Ж. Токаев, U.S. President, Н.И. Пирогова
    return False


def _join_wrapped(text: str) -> list[str]:
    """Lines of ``text``; a line broken inside a sentence (no final stop, next line lower-case) is joined."""
    lines = [ln.strip() for ln in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if not line:
            continue
        if out and not _TERMINAL_END.search(out[-1]) and _LOWER_START.match(line):
            out[-1] = out[-1] + " " + line
        else:
            out.append(line)
    return out


#: Longest piece of text handed on as one sentence (to the encoder, the translator, the aligner): a longer run
#: without a sentence break (a report pasted as one line, a flattened table) is cut at spaces into pieces of at
#: most this many characters, so memory stays linear in the text with a small constant (issue 26; the longest
#: sentence of the eval data has 458 characters).
MAX_SENTENCE_CHARS = 1000


def bounded_pieces(text: str, limit: int = MAX_SENTENCE_CHARS) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters, at the last space of each piece's second half
    (where there is none, a word is cut at the limit); a text within the limit is returned whole."""
    if len(text) <= limit:
        return [text]
    out: list[str] = []
    start, n = 0, len(text)
    while n - start > limit:
        cut = text.rfind(" ", start + limit // 2, start + limit + 1)
        if cut <= start:
            cut = start + limit
        if piece := text[start:cut].strip():
            out.append(piece)
        start = cut
    if tail := text[start:].strip():
        out.append(tail)
    return out


def split_sentences(text: str, lang: str = "ru") -> list[str]:
    """Split text into sentences a translation memory can trust; linear in the length of ``text``.

    Lines are segments (a headline is a sentence) except that a line wrapped inside a sentence (Word
    or PDF line breaks) is joined to the next; razdel splits inside a line, then its boundaries after
    abbreviations and initials (Jan., No., St., U.S., г., им., т.е., К.-Ж. Токаев) and inside
    ``, - said X. - speech`` are undone, semicolons do not end sentences, and ``2015 г. Документы``
    is split; Chinese and Japanese text is split after 。！？ (and closing quotes). A sentence longer than
    :data:`MAX_SENTENCE_CHARS` is cut into pieces (:func:`bounded_pieces`).
    Measured in BENCHMARKS.md (benchmarks/bench_textsplit.py).
    """
    out: list[str] = []
    for line in _join_wrapped(text):
        cuts = {m.end(1) for rx in (_YEAR_ABBR, _ACRONYM_END, _CJK_END) for m in rx.finditer(line)}
        spans: list[list[int]] = []
        for a, b in _razdel_spans(line):
            parts = [a, *sorted(c for c in cuts if a < c < b), b]
            for x, y in zip(parts, parts[1:], strict=False):
                # only the last 200 characters of the sentence so far matter: merging stays linear
                if spans and _continues(line[max(spans[-1][0], spans[-1][1] - 200):spans[-1][1]],
                                        line[x:min(y, x + 200)].strip()):
                    spans[-1][1] = y
                else:
                    spans.append([x, y])
        for a, b in spans:
            if t := line[a:b].strip():
                out.extend(bounded_pieces(t))
    return out


_CJK_LAST = re.compile(f"[{_CJK}。！？…”’」』）：，、]$")


def join_sentences(sents: Iterable[str]) -> str:
    """Sentences of one group as one text: a space between them, none between Chinese or Japanese ones."""
    out = ""
    for s in sents:
        out += s if not out or (_CJK_LAST.search(out) and _CJK_START.match(s)) else " " + s
    return out


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 report``, ``2 reports``, ``0 reports`` (``many`` for irregular plurals: ``entry``/``entries``).

    The one way kzalign words a count, in the CLI and the HTML report alike (no "pair(s)").
    """
    return f"{n} {word if n == 1 else (many or word + 's')}"
