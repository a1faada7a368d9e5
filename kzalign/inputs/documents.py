"""Readers for documents as press offices hold them: saved web pages, Word files, PDFs and news feeds.

Each reader turns one file into items (text, title, date, url, source) or raises :class:`InputError`
naming the file and saying what is wrong (no article text, no text layer, damaged file, empty feed).
The extracted text goes through the digest parser, so a page or document holding several reports
gives several items, as the text digests do.
"""

from __future__ import annotations

import io
import re
from datetime import date

from kzalign.core.dates import parse_date
from kzalign.core.errors import InputError, Problem
from kzalign.core.safexml import MAX_UNZIPPED_BYTES, check_html, check_xml, check_zip
from kzalign.core.text import clean
from kzalign.inputs.digest import RawItem, parse_digest

_TERMINAL_END = re.compile(r"[.!?…:;][\"'»”’)]*$")
#: Short lines that are page furniture, not report text: counters, share/print links, copyright lines.
_FURNITURE = re.compile(
    r"^(?:views?|просмотр\w*|қаралды|tell a friend|share|поделиться|print|печать|версия для печати|subscribe|"
    r"подписаться|read more|подробнее|back|назад|tags?|теги)\b[\s:|·\d]*(?:\S+\s*){0,4}$"
    r"|^©|all rights reserved|все права защищены",
    re.I,
)
#: Page titles that name a site or section, not a report (not used as an item title).
_GENERIC_TITLE = re.compile(r"^(news|новости|home|главная|press releases?|пресс-релизы?)\b", re.I)


def _finish(items: list[RawItem], title: str | None, day: str | None, url: str | None,
            source: str | None) -> list[RawItem]:
    """Fill what the document's own metadata knows and the text did not say."""
    for it in items:
        if len(items) == 1 and not it.title and title and not _GENERIC_TITLE.match(title):
            it.title = clean(title)
        it.date = it.date or day
        it.url = it.url or url
        it.source = it.source or source
    return items


# -- HTML -----------------------------------------------------------------------------------------------
def read_html(html: str, where: str) -> list[RawItem]:
    """Main text, title and date of a saved news page (trafilatura); menus, share buttons, counters dropped."""
    import trafilatura

    check_html(html, where)
    try:
        doc = trafilatura.bare_extraction(html, with_metadata=True, favor_recall=True, include_comments=False,
                                          include_tables=True, deduplicate=False,
                                          date_extraction_params={"extensive_search": False, "original_date": True})
    except Exception as exc:  # trafilatura/lxml raise many types on broken markup
        raise InputError(Problem(where, None, f"cannot parse the HTML page ({type(exc).__name__}: {exc})")) from exc
    body = clean(getattr(doc, "text", None) or "") if doc is not None else ""
    body = "\n".join(ln for ln in body.splitlines() if not (len(ln) < 120 and _FURNITURE.search(ln)))
    if not body:
        raise InputError(Problem(where, None, "no article text found in the HTML page (only menus or markup)"))
    items = parse_digest(body, where)
    title = _headline(html)
    # the page's date is the report's only when the page holds one report (a digest's items date themselves)
    day = parse_date(str(getattr(doc, "date", "") or "")) if len(items) == 1 else None
    return _finish(items, title, day, getattr(doc, "url", None), getattr(doc, "sitename", None))


def _headline(page: str) -> str | None:
    """The report's headline from ``og:title`` or the first ``<h1>`` (never ``<title>``, which often names the site)."""
    from lxml import html as lxml_html

    try:
        root = lxml_html.fromstring(page)
    except Exception:  # noqa: BLE001 - trafilatura read it; no headline then
        return None
    for value in root.xpath("//meta[@property='og:title']/@content") + [h.text_content() for h in root.iter("h1")]:
        if value and value.strip():
            return value.strip()
    return None


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (a feed entry's content): block elements and <br> become line breaks."""
    from lxml import html as lxml_html

    if "<" not in fragment:
        return clean(fragment)
    try:
        root = lxml_html.fromstring(f"<div>{fragment}</div>")
    except Exception:  # noqa: BLE001 - not markup after all
        return clean(re.sub(r"<[^>]+>", " ", fragment))
    for el in root.iter("script", "style"):
        el.drop_tree()
    for el in root.iter("br", "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr"):
        el.tail = "\n" + (el.tail or "")
    return clean(re.sub(r"[ \t]+", " ", root.text_content()))


# -- RSS / Atom -----------------------------------------------------------------------------------------
def read_feed(text: str, where: str) -> list[RawItem]:
    """One item per entry of an RSS 2.0 or Atom feed (feedparser): title, date, link, content or summary."""
    import feedparser

    check_xml(text, where, allow_doctype=True)  # old RSS 0.91 has a bare <!DOCTYPE rss>; entities never
    feed = feedparser.parse(text)
    entries = list(feed.entries)
    if not entries:
        why = f" ({feed.bozo_exception})" if feed.get("bozo") and feed.get("bozo_exception") else ""
        raise InputError(Problem(where, None, f"empty feed: no entries{why}"))
    items: list[RawItem] = []
    for n, e in enumerate(entries, start=1):
        content = e.get("content") or []
        raw = content[0].get("value", "") if content else e.get("summary", "") or e.get("description", "")
        text = html_to_text(raw)
        title = html_to_text(e.get("title", ""))
        if not text:
            text, title = title, ""
        if not text:
            continue
        stamp = e.get("published_parsed") or e.get("updated_parsed")
        day = date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday).isoformat() if stamp else None
        items.append(RawItem(lang="", title=title, text=text, where=f"{where}:{n}", date=day,
                             url=e.get("link") or None, source=feed.feed.get("title") or None))
    if not items:
        raise InputError(Problem(where, None, "feed entries hold no text"))
    return items


# -- DOCX -----------------------------------------------------------------------------------------------
def unwrap(lines: list[str]) -> list[str]:
    """Join lines broken inside a sentence: a line without a final stop followed by a lower-case start."""
    out: list[str] = []
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        if out and not _TERMINAL_END.search(out[-1]) and line[0].islower():
            prev = out[-1]
            out[-1] = prev[:-1] + line if prev.endswith("-") and prev[-2:-1].isalpha() else prev + " " + line
        else:
            out.append(line)
    return out


def read_docx(data: bytes, where: str, max_bytes: int = MAX_UNZIPPED_BYTES) -> list[RawItem]:
    """Paragraphs (and table cells) of a Word document; manual line breaks never glue words together.

    The ZIP container and its XML parts pass :func:`kzalign.core.safexml.check_zip` first: a zip bomb (over
    ``max_bytes`` unpacked, or compressed like one) or a part with a DTD is refused naming the file.
    """
    check_zip(data, where, max_bytes=max_bytes, what="Word document")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zip/xml/key errors on damaged files
        raise InputError(Problem(where, None, f"cannot read the Word document (damaged file: {type(exc).__name__})")) from exc
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.extend(cell.text for cell in row.cells)
    lines: list[str] = []
    for para in paragraphs:  # python-docx gives a manual line break (<w:br/>) as "\n"
        lines.extend(unwrap(para.replace("\t", " ").replace("\x0b", "\n").splitlines()))
    text = clean("\n".join(lines))
    if not text:
        raise InputError(Problem(where, None, "the Word document holds no text"))
    props = document.core_properties
    return _finish(parse_digest(text, where), props.title or None, None, None, None)


# -- PDF ------------------------------------------------------------------------------------------------
def unwrap_pdf(lines: list[str]) -> list[str]:
    """Rebuild paragraphs from a PDF's visual lines: a full-width line without a final stop continues."""
    lines = [ln.strip() for ln in lines if ln.strip()]
    widths = sorted(len(ln) for ln in lines if len(ln) >= 20)
    full = 0.85 * widths[int(0.9 * (len(widths) - 1))] if widths else 10**9
    out: list[str] = []
    glue = False
    for line in lines:
        if out and (glue or line[0].islower()):
            prev = out[-1]
            out[-1] = prev[:-1] + line if prev.endswith("-") and line[0].islower() else prev + " " + line
        else:
            out.append(line)
        glue = len(line) >= full and not _TERMINAL_END.search(line)
    return out


def read_pdf(data: bytes, where: str) -> list[RawItem]:
    """Text layer of a PDF (pypdf); a scanned PDF without text is refused with that reason."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(Problem(where, None, "the PDF is password-protected"))
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except Exception as exc:  # pypdf raises PdfReadError and others on damaged files
        raise InputError(Problem(where, None, f"cannot read the PDF (damaged file: {type(exc).__name__}: {exc})")) from exc
    text = clean("\n".join(unwrap_pdf("\n".join(pages).splitlines())))
    if not any(ch.isalpha() for ch in text):
        raise InputError(Problem(where, None, f"the PDF has no text layer ({len(pages)} page(s) of images?): "
                                 "run OCR first (e.g. ocrmypdf) and ingest the result"))
    meta = reader.metadata
    return _finish(parse_digest(text, where), getattr(meta, "title", None) if meta else None, None, None, None)
