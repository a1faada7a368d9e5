"""Evidence that tells one recurring event from the next in a same-topic news stream: type, people, date.

A stream about one country's diplomacy repeats the same kinds of event every month (a phone call between the
same presidents, talks of the same ministers), so what separates two reports is the date, the event's type and
its specific participants. Everything here is fixed: lexicons of event types in Russian and English, and the
field's names with how much each identifies an event (``kzalign/data/domain/field_names.tsv``); nothing is learnt
from a workspace, so a pair's evidence does not depend on what else was ingested.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kzalign.glossary import Glossary

FIELD_NAMES = Path(__file__).resolve().parent.parent / "data" / "domain" / "field_names.tsv"

#: Event types and the patterns that recognise them (lower-cased text; Russian stems, English words).
EVENT_TYPES: dict[str, tuple[str, str]] = {
    "call": (r"телефон|созвонил|по видеосвяз", r"telephone|\bphone\b|📞|video ?link|videoconferenc|video conferenc"),
    "talks": (r"переговор", r"\btalks\b|negotiat"),
    "meeting": (r"встреч|встрети|\bпринял|беседу с|провел[аи]? беседу|заседани",
                r"\bmeeting\b|\bmet\b|\bmeets?\b|\breceived\b|\breceives\b|sidelines"),
    "visit": (r"визит|прибыл|прилетел|посети|посещ|в рамках поездки", r"\bvisit|\barriv|🛬"),
    "summit": (r"саммит|совет[аеу]? глав|глав государств|совет[аеу]? министров",
               r"summit|heads of state|council meeting|ministers council|ministerial meeting|sco plus"),
    "greetings": (r"поздрав|с днем рождения|юбиле", r"congratulat|greetings|birthday|anniversary"),
    "condolences": (r"соболезн", r"condolence|sympath"),
    "interview": (r"интервью|стать[яюи] |в статье", r"interview|\barticle\b"),
    "signing": (r"подписа|подпишут", r"\bsign(?:s|ed|ing)?\b|signature"),
    "press": (r"пресс-конференц|брифинг|ответ\w* на [^.!?\n]{0,40}вопрос|заявлени\w* для (?:прессы|сми)",
              r"press[- ]conference|press approach|briefing|media questions|statements? (?:to|for) the (?:media|press)"
              r"|answer(?:s|ed|ing)? (?:to )?(?:a |the )?(?:media |journalists'? )?questions?"),
}
#: Types that can describe one in-person event together (a visit's talks, meeting, signing). A press conference
#: is part of the talks or meeting it follows (a joint press conference), but a solo press conference at the end
#: of a visit or a summit is its own event (the stream's labelling rules), so it is not compatible with those.
#: "Talks" may be held by phone ("телефонные переговоры", "telephone talks"): compatible with a call.
_IN_PERSON = frozenset({"talks", "meeting", "visit", "summit", "signing"})
_COMPATIBLE = frozenset({("call", "greetings"), ("call", "condolences"), ("call", "talks"), ("interview", "press"),
                         ("press", "talks"), ("press", "meeting"), ("press", "signing")})
#: Phrases rewritten before the event types are searched: the meeting of a multilateral body is a summit (not a
#: bilateral meeting), and what a post names after "following" / "in conclusion of" is the context of the event
#: it reports, not that event ("answers to media questions following his state visit": a press conference).
#: (pattern, replacement) per language, applied in order to the lower-cased head.
TYPE_REWRITES: dict[str, tuple[tuple[str, str], ...]] = {
    "ru": ((r"(?:в завершение|по завершении)[^.!?,;\n]*", " "),),
    "en": ((r"council meeting", "summit"),
           (r"meeting (?:of|in) the [^.!?,;\n]{0,40}?(?:\bsco\b|shanghai|csto|collective security|\bcis\b|commonwealth"
            r"|eaeu|eurasian|brics|council|heads of)", "summit"),
           (r"\b(?:following|in conclusion of|at the end of|upon completion of|on the results of)\b[^.!?,;\n]*", " ")),
}
#: Class of the field-name rows that are not participants: names of programmes and outlets that contain a
#: person's name ("Moscow. Kremlin. Putin", a TV programme that interviews ministers), removed from a text before
#: the field's names are searched.
NOT_PARTICIPANT = "not_participant"
#: Characters of an item's beginning (title and lead) searched for event types: the event a report is about
#: is named there; later sentences often mention other, earlier events.
HEAD_CHARS = 400
#: Words by which a later report refers back to an earlier event ("the groups established in 2025").
BACK_REFERENCE = (r"ранее|в прошлом году|прошлогодн|созданн|учрежденн|основанн|по итогам|в развитие|договоренност",
                  r"\b(?:established|created|launched|founded|set up|opened|agreed|reached|held) (?:in|on|last|at)\b"
                  r"|last year|earlier this year|previous|\bearlier\b|following up|follow-up|agreements reached")
#: Classes of the field's names (``field_names.tsv``) that identify an event, and those that only do so
#: together with a close date (heads and ministers who take part in most of the field's events).
STRONG_CLASSES = frozenset({"person", "body", "place"})
RECURRING = "recurring"
TOPICAL = "topical"
#: Weight (a factor on the fixed idf) of a glossary name that names the field, not an event: a country, a
#: capital, a generic body, or any glossary ``place`` not listed as a meeting place in the field's names.
TOPICAL_WEIGHT = 0.25


#: How fast ``near`` falls (days) when the Russian report is the later one, and when the English one is.
NEAR_DAYS = 4.0
NEAR_DAYS_EN_LATER = 1.5


_SPACES = re.compile(r"[^\S\n]{2,}|[^\S\n ]")  # runs of spaces and odd ones only: a plain space stays


def lowered(text: str) -> str:
    """Lower-cased text with every run of spaces (no-break spaces too: Russian news sites put them after short
    words, "в\xa0Астане") made one plain space, so the lexicons' spaces match; line breaks kept."""
    return _SPACES.sub(" ", text.lower())


@cache
def _type_patterns() -> dict[str, tuple[re.Pattern[str], re.Pattern[str]]]:
    return {t: (re.compile(ru), re.compile(en)) for t, (ru, en) in EVENT_TYPES.items()}


@cache
def _rewrites(lang: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p), r) for p, r in TYPE_REWRITES["ru" if lang == "ru" else "en"])


def event_types(text: str, lang: str, head: int = HEAD_CHARS) -> set[str]:
    """Event types named in the beginning of a text (title and lead), after :data:`TYPE_REWRITES`."""
    low = lowered(text[:head])
    for pat, repl in _rewrites(lang):
        low = pat.sub(repl, low)
    side = 0 if lang == "ru" else 1
    return {t for t, pats in _type_patterns().items() if pats[side].search(low)}


def compatible(a: str, b: str) -> bool:
    """Whether two event types can describe one event (a visit's talks and its press conference can)."""
    return a == b or (a in _IN_PERSON and b in _IN_PERSON) or (a, b) in _COMPATIBLE or (b, a) in _COMPATIBLE


def type_evidence(a: set[str], b: set[str]) -> tuple[float, float]:
    """(match, mismatch): match 1 when both items name a type they share; mismatch 1 when both name types and
    no type of one can describe the same event as a type of the other (a phone call against a visit)."""
    if not a or not b:
        return 0.0, 0.0
    match = 1.0 if a & b else 0.0
    mismatch = 0.0 if any(compatible(x, y) for x in a for y in b) else 1.0
    return match, mismatch


@dataclass(frozen=True)
class FieldNames:
    """The field's names: class of each key and its pattern in each language (searched one by one: each has a
    literal start the regex engine scans for, 7x faster than one alternation tried at every position)."""

    classes: dict[str, str]
    ru: tuple[tuple[str, re.Pattern[str]], ...]
    en: tuple[tuple[str, re.Pattern[str]], ...]
    not_ru: re.Pattern[str] | None = None  # the :data:`NOT_PARTICIPANT` rows' patterns, one alternation a language
    not_en: re.Pattern[str] | None = None

    def find(self, text: str, lang: str) -> set[str]:
        """Keys of the field's names in a text (lower-cased first: the stream's English posts are lower-cased;
        programme names that contain a person's name, the :data:`NOT_PARTICIPANT` rows, left out)."""
        low = lowered(text)
        drop = self.not_ru if lang == "ru" else self.not_en
        if drop is not None:
            low = drop.sub(" ", low)
        return {k for k, pat in (self.ru if lang == "ru" else self.en) if pat.search(low)}


@cache
def field_names(path: Path = FIELD_NAMES) -> FieldNames:
    """The shipped field names (``key<TAB>class<TAB>Russian pattern<TAB>English pattern`` a line)."""
    classes: dict[str, str] = {}
    ru: list[tuple[str, re.Pattern[str]]] = []
    en: list[tuple[str, re.Pattern[str]]] = []
    drop: tuple[list[str], list[str]] = ([], [])
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, cls, ru_pat, en_pat = line.split("\t")
        if cls == NOT_PARTICIPANT:
            drop[0].append(ru_pat)
            drop[1].append(en_pat)
            continue
        classes[key] = cls
        ru.append((key, re.compile(ru_pat)))
        en.append((key, re.compile(en_pat)))
    not_ru, not_en = (re.compile("|".join(p)) if p else None for p in drop)
    return FieldNames(classes, tuple(ru), tuple(en), not_ru, not_en)


@cache
def reference_signature(path: Path = FIELD_NAMES) -> str:
    """Short hash of the shipped field names and the event lexicons (part of the link signature, ``dom:``)."""
    import hashlib

    h = hashlib.sha1(path.read_bytes())
    h.update(repr((EVENT_TYPES, BACK_REFERENCE, TOPICAL_WEIGHT, TYPE_REWRITES, sorted(_COMPATIBLE),
                 sorted(_IN_PERSON))).encode())
    return h.hexdigest()[:10]


@cache
def _back_reference(lang: str) -> re.Pattern[str]:
    return re.compile(BACK_REFERENCE[0] if lang == "ru" else BACK_REFERENCE[1])


def event_keys(text: str, lang: str) -> dict[str, set[str]]:
    """Per-item event evidence (cached with the other link keys): event types, the field's names (``field``)
    and ``backref`` ({"cue"} when the text uses words that refer back to an earlier event)."""
    low = lowered(text)
    cue = {"cue"} if _back_reference(lang).search(low) else set()
    return {"events": event_types(low, lang), "field": field_names().find(low, lang), "backref": cue}


def actor_evidence(a: set[str], b: set[str], classes: Mapping[str, str]) -> tuple[float, float]:
    """(shared, miss) of two items' field names that identify an event (topical ones left out): the cosine of
    the two sets, and 1 when both name such participants and share none (Putin–Lukashenko vs Putin–Tokayev
    share Putin; Lavrov vs Mishustin share nothing)."""
    a = {k for k in a if classes.get(k) != TOPICAL}
    b = {k for k in b if classes.get(k) != TOPICAL}
    if not a or not b:
        return 0.0, 0.0
    shared = len(a & b)
    return shared / math.sqrt(len(a) * len(b)), 0.0 if shared else 1.0


def name_weights(glossary: Glossary | None) -> dict[str, float]:
    """Factor on the fixed idf of each glossary name that names the field rather than an event: countries,
    capitals and generic bodies (the field names' ``topical`` class) and glossary places that are not listed
    as meeting places. Names not in the result weigh 1 (people, specific bodies, unknown names)."""
    classes = field_names().classes
    out = {k: TOPICAL_WEIGHT for k, c in classes.items() if c == TOPICAL}
    for e in glossary.entries if glossary is not None else []:
        cls = classes.get(e.en)
        if cls == TOPICAL or (e.kind == "place" and cls not in STRONG_CLASSES):
            out[e.en] = TOPICAL_WEIGHT
    return out


def day(value: object) -> date | None:
    """An item's date (ISO ``YYYY-MM-DD`` prefix), or None."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def date_features(days: float | None) -> tuple[float, float, float]:
    """(dated, near, far) of a pair whose English item is ``days`` after the Russian one (None or NaN: undated).

    ``near`` is 1 on the same day and falls by e every :data:`NEAR_DAYS` days when the Russian report is the
    later one (a weekly TV round-up reports the week's events) and every :data:`NEAR_DAYS_EN_LATER` days when
    the English one is (a post about an event is rarely days late); ``far`` grows with the log of the distance
    (a year ≈ 1, capped at 1.5). Undated pairs get zeros: they are decided on the rest of the evidence."""
    if days is None or math.isnan(days):
        return 0.0, 0.0, 0.0
    d = abs(days)
    near = math.exp(-d / (NEAR_DAYS_EN_LATER if days > 0 else NEAR_DAYS))
    return 1.0, near, min(math.log1p(d) / math.log(366.0), 1.5)
