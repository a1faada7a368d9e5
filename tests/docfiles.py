"""Small input files built by the tests: saved news pages with boilerplate, Word documents, PDFs, feeds."""

from __future__ import annotations

import html
import zlib
from pathlib import Path

NAV = ('<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>'
       '<li><a href="/about">About the Ministry</a></li><li><a href="/contacts">Contacts</a></li></ul></nav>'
       '<form class="search"><input placeholder="Search"></form></header>')
FOOTER = ('<div class="share">Tell a friend <a href="#">Facebook</a> <a href="#">Telegram</a></div>'
          '<div class="views">Views: 1234</div><footer><p>© 2026 Ministry of Foreign Affairs of the Republic of '
          'Kazakhstan. All rights reserved.</p><ul><li><a href="/privacy">Privacy policy</a></li>'
          '<li><a href="/sitemap">Sitemap</a></li></ul></footer>')


def news_page(lines: list[str], title: str = "News", head: str = "", lang: str = "en") -> str:
    """A saved page: menus, search, share buttons, a view counter and a footer around the report lines."""
    body = "\n".join(f"<p>{html.escape(line)}</p>" for line in lines if line.strip())
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>{head}'
            f"</head><body>{NAV}<main><article>{body}</article></main>{FOOTER}</body></html>")


def seed_pages(seeds_dir: Path, out: Path) -> Path:
    """The five seeds saved as HTML pages (each seed line a paragraph, boilerplate around)."""
    out.mkdir(parents=True, exist_ok=True)
    for f in sorted(seeds_dir.glob("*.txt")):
        lines = f.read_text(encoding="utf-8").splitlines()
        lang = "ru" if f.name.startswith("004") else "en"
        (out / f"{f.stem}.html").write_text(news_page(lines, "Ministry of Foreign Affairs – News", lang=lang),
                                            encoding="utf-8")
    return out


def write_docx(path: Path, paragraphs: list[str | list[str]], title: str = "") -> Path:
    """A Word file written by python-docx; a list paragraph is joined with manual line breaks (<w:br/>)."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    for para in paragraphs:
        if isinstance(para, str):
            document.add_paragraph(para)
            continue
        p = document.add_paragraph()
        for i, part in enumerate(para):
            run = p.add_run(part)
            if i < len(para) - 1:
                run.add_break()
    document.save(str(path))
    return path


def write_pdf(path: Path, lines: list[str] | None) -> Path:
    """A one-page PDF with these text lines in Helvetica (ASCII), or with no text layer at all (``None``)."""
    if lines is None:  # a "scanned" page: only a grey rectangle, no text
        content = b"0.5 g 72 72 468 648 re f"
    else:
        ops = ["BT /F1 11 Tf 14 TL 60 760 Td"]
        for line in lines:
            esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({esc}) Tj T*")
        ops.append("ET")
        content = "\n".join(ops).encode("latin-1")
    stream = zlib.compress(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>MFA Kazakhstan</title><link>https://www.gov.kz/memleket/entities/mfa</link>
<description>News</description>
<item><title>Kazakhstan and Mexico Discussed Cooperation</title><link>https://example.org/news/1</link>
<pubDate>Mon, 23 Feb 2026 10:00:00 +0500</pubDate>
<description>&lt;p&gt;Ambassador of Kazakhstan to Mexico Almurat Turganbekov met with the Director General of the Ministry of Foreign Affairs of Mexico.&lt;/p&gt;&lt;p&gt;The parties discussed the action plan for 2026.&lt;/p&gt;</description></item>
<item><title>Посол Казахстана провёл встречу в Мехико</title><link>https://example.org/news/2</link>
<pubDate>Tue, 30 Sep 2025 09:00:00 +0500</pubDate>
<description>Посол Казахстана в Мексике Алмурат Турганбеков провёл встречу с депутатами парламента Мексики.</description></item>
</channel></rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Akorda</title><id>urn:akorda</id><updated>2026-02-24T12:00:00Z</updated>
<entry><title>President Congratulates President of Estonia</title><id>urn:akorda:1</id>
<link href="https://example.org/akorda/1"/><updated>2026-02-24T12:00:00Z</updated>
<content type="html">&lt;p&gt;In his message, Kassym-Jomart Tokayev noted that the state visit gave new impetus to cooperation.&lt;br/&gt;The President wished the people of Estonia peace and prosperity.&lt;/p&gt;</content></entry>
</feed>
"""
