"""Dates in news input: ISO, ``DD.MM.YYYY``, ``30 сентября 2025``, ``September 30, 2025`` and datelines."""

from __future__ import annotations

import re
from datetime import date, datetime

#: Month-name stems, Russian (any case: ``сентября``) and English; a stem under 4 letters must match whole.
MONTH_STEMS = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7, "август": 8,
    "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
}
MONTHS_EN = {
    m: i + 1
    for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august", "september",
         "october", "november", "december"]
    )
}

_RU_DATELINE = re.compile(
    r"^[А-ЯЁA-Z][^\d,]{0,40},\s*(\d{1,2})\s+([а-яё]+)\s+(\d{4})\s*(?:года|г\.)?\s*[–—-]"
)
_EN_DATELINE = re.compile(r"^[A-Z][^\d,]{0,40},\s*([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})\s*[–—-]")


def parse_date(value: str) -> str | None:
    """Parse ISO, ``DD.MM.YYYY`` or ``30 сентября 2025`` / ``September 30, 2025`` into ISO ``YYYY-MM-DD``."""
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    for fmt in ("%d.%m.%Y", "%d.%m.%Y %H:%M", "%Y/%m/%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    m = re.match(r"^(\d{1,2})\s+([А-Яа-яЁё]+)\s+(\d{4})", value)
    if m:
        month = month_number(m.group(2))
        if month:
            return safe_date(int(m.group(3)), month, int(m.group(1)))
    m = re.match(r"^([A-Za-z]+)\s+(\d{1,2}),?\s+(\d{4})", value)
    if m and m.group(1).lower() in MONTHS_EN:
        return safe_date(int(m.group(3)), MONTHS_EN[m.group(1).lower()], int(m.group(2)))
    m = re.match(r"^(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})", value)
    if m and m.group(2).lower() in MONTHS_EN:
        return safe_date(int(m.group(3)), MONTHS_EN[m.group(2).lower()], int(m.group(1)))
    return None


def month_number(word: str) -> int | None:
    """Month number of a Russian (any case: ``сентября`` → 9) or English (``September`` → 9) month name."""
    w = word.casefold()
    for stem, num in MONTH_STEMS.items():
        if w.startswith(stem) and (len(stem) >= 4 or w == stem):
            return num
    return None



def safe_date(y: int, m: int, d: int) -> str | None:
    """ISO date, or None for an impossible one (31.02)."""
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def dateline_date(first_line: str) -> str | None:
    """Date from a news dateline such as ``Мехико, 30 сентября 2025 года –``."""
    m = _RU_DATELINE.match(first_line)
    if m:
        month = month_number(m.group(2))
        return safe_date(int(m.group(3)), month, int(m.group(1))) if month else None
    m = _EN_DATELINE.match(first_line)
    if m and m.group(1).lower() in MONTHS_EN:
        return safe_date(int(m.group(3)), MONTHS_EN[m.group(1).lower()], int(m.group(2)))
    return None
