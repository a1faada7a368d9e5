"""The seed text format: news digests holding several reports, each starting at a headline.

A headline is a short line with no final period; a ``DD.MM.YYYY, HH:MM NNNN`` line before a report or
a `` date YYYY-MM-DD ...`` header gives dates, and so does a Russian/English dateline. Some files hold
one untitled report. HTML, DOCX, PDF and feed readers hand their extracted text to the same parser, so a
digest page gives several items whatever its format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kzalign.core.dates import dateline_date, safe_date
from kzalign.core.text import normalize_for_hash, sha1

_DATE_LINE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}),?\s+(\d{1,2}):(\d{2})(?:\s+\d+)?$")
_DIGEST_HEADER = re.compile(r"^date\s+(\d{4}-\d{2}-\d{2})\b(.*)$", re.IGNORECASE)
_INLINE_DMY = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_TERMINAL = ".!?…;:,"
_CLOSERS = "\"'»”’)"


@dataclass
class RawItem:
    """One report as read from an input, before de-duplication."""

    lang: str
    title: str
    text: str
    where: str
    date: str | None = None
    url: str | None = None
    source: str | None = None
    given_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        return sha1(self.lang + "\n" + normalize_for_hash(self.text))

    @property
    def line(self) -> int | None:
        """The line (or entry number) of ``where``, when it has one."""
        tail = self.where.rpartition(":")[2]
        return int(tail) if tail.isdigit() else None

    @property
    def path(self) -> str:
        """The file part of ``where``."""
        head, _, tail = self.where.rpartition(":")
        return head if tail.isdigit() and head else self.where


def is_headline(line: str) -> bool:
    """A headline is a short line that starts like a title and has no final sentence punctuation."""
    if len(line) > 220:
        return False
    n_words = len(line.split())
    if not 1 <= n_words <= 25:
        return False
    if not (line[0].isupper() or line[0].isdigit() or line[0] in "«\"“'"):
        return False
    end = line.rstrip(_CLOSERS) or line
    return end[-1] not in _TERMINAL and line[-1] not in _TERMINAL


class _Digest:
    """State of one pass over a digest: the report being collected and the dates seen so far."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.items: list[RawItem] = []
        self.digest_date: str | None = None
        self.pending_date: str | None = None
        self.cur: dict[str, object] | None = None

    def close(self) -> None:
        """Finish the report being collected: an item of its body, or of its headline alone when it has no body."""
        cur = self.cur
        if cur and cur["body"]:
            body: list[str] = cur["body"]  # type: ignore[assignment]
            d = cur["date"] or dateline_date(body[0]) or self.digest_date
            self.items.append(RawItem(lang="", title=str(cur["title"]), text="\n".join(body),
                                      where=f"{self.where}:{cur['line']}", date=d))  # type: ignore[arg-type]
        elif cur and cur["title"]:
            # a headline with no body: keep it as a one-line item rather than lose it
            self.items.append(RawItem(lang="", title="", text=str(cur["title"]), where=f"{self.where}:{cur['line']}",
                                      date=cur["date"] or self.digest_date))  # type: ignore[arg-type]
        self.cur = None

    def start(self, title: str, lineno: int) -> None:
        self.close()
        self.cur = {"title": title, "body": [], "line": lineno, "date": self.pending_date}
        self.pending_date = None

    def header_or_date(self, line: str) -> bool:
        """Consume a digest header or a ``DD.MM.YYYY, HH:MM`` line; True when the line was one."""
        header = _DIGEST_HEADER.match(line)
        if header:
            self.digest_date = header.group(1)
            inline = _INLINE_DMY.search(header.group(2))
            if inline:
                self.pending_date = safe_date(int(inline.group(3)), int(inline.group(2)), int(inline.group(1)))
            return True
        dl = _DATE_LINE.match(line)
        if dl:
            self.close()
            self.pending_date = safe_date(int(dl.group(3)), int(dl.group(2)), int(dl.group(1)))
            return True
        return False


def parse_digest(text: str, where: str) -> list[RawItem]:
    """Split a seed-format digest into reports (see module docstring); languages are assigned later."""
    st = _Digest(where)
    nonblank = [(i, ln.strip()) for i, ln in enumerate(text.splitlines(), start=1) if ln.strip()]
    for pos, (lineno, line) in enumerate(nonblank):
        if st.header_or_date(line):
            continue
        nxt = nonblank[pos + 1][1] if pos + 1 < len(nonblank) else None
        cur = st.cur
        if is_headline(line) and nxt is not None and not _DATE_LINE.match(nxt):
            if cur and not cur["body"] and cur["title"] == line:
                continue  # the same headline repeated (as in seed 004)
            if cur and not cur["body"] and not cur["title"]:
                cur["title"] = line
                continue
            st.start(line, lineno)
            continue
        if st.cur is None:
            st.start("", lineno)
        st.cur["body"].append(line)  # type: ignore[index, union-attr]
    st.close()
    return st.items
