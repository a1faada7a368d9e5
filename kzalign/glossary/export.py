"""Terminology exports CAT tools read: TBX-Basic as TBX v3 (ISO 30042:2019) and as TBX 2 (``martif``), OmegaT
glossary, CSV.

* TBX: one concept per entry; the Russian name and the approved English form are
  ``preferredTerm-admn-sts``, English variants ``admittedTerm-admn-sts``, forbidden spellings
  ``deprecatedTerm-admn-sts`` (what Trados/memoQ/Phrase QA flag); kind, note and source travel as
  notes and ``admin type="source"``. TBX v3 (``tbx``: ``conceptEntry/langSec/termSec``) is validated
  against the TBX-Basic RNG in the tests; TBX 2 (``tbx2``: ``martif``, ``termEntry/langSet/tig``, the
  TBX-Basic 2.0 DTD's doctype) is what most CAT tools and translate-toolkit read, and is read back by
  translate-toolkit in the tests.
* OmegaT: tab-separated ``source<TAB>target<TAB>comment`` lines, no header row (OmegaT would take a
  header as an entry). Each variant is a line of its own (OmegaT offers every target of a source
  term); forbidden spellings are listed in the comment, since OmegaT has no forbidden-term field.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from kzalign.core.files import neutralize_formula, write_atomic, write_csv
from kzalign.core.version import __version__
from kzalign.glossary.edit import glossary_table
from kzalign.glossary.entries import COLUMNS, Entry
from kzalign.glossary.matcher import Glossary

TBX_NS = "urn:iso:std:iso:30042:ed:3.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
TBX_RNG_URL = ("https://raw.githubusercontent.com/LTAC-Global/TBX-Basic_dialect/master/DCA/"
               "TBXcoreStructV03_TBX-Basic_integrated.rng")
FORMATS = ("tbx", "tbx2", "omegat", "csv")
TBX2_DOCTYPE = '<!DOCTYPE martif SYSTEM "TBXBasiccoreStructV02.dtd">'


@dataclass(frozen=True)
class _Dialect:
    """Element names of a TBX version: TBX v3 (namespaced) or TBX 2 (``martif``, no namespace)."""

    ns: str
    entry: str
    lang: str
    term: str


_V3 = _Dialect(TBX_NS, "conceptEntry", "langSec", "termSec")
_V2 = _Dialect("", "termEntry", "langSet", "tig")
_STATUS = {"approved": "preferredTerm-admn-sts", "variant": "admittedTerm-admn-sts",
           "forbidden": "deprecatedTerm-admn-sts", "candidate": "admittedTerm-admn-sts"}


def _sub(parent: ET.Element, tag: str, text: str | None = None, d: _Dialect = _V3, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{d.ns}}}{tag}" if d.ns else tag, attrib)
    if text is not None:
        el.text = text
    return el


def _term(lang_sec: ET.Element, term: str, status: str, source: str = "", d: _Dialect = _V3) -> None:
    sec = _sub(lang_sec, d.term, d=d)
    _sub(sec, "term", term, d)
    _sub(sec, "termNote", "properNoun", d, type="partOfSpeech")
    _sub(sec, "termNote", _STATUS[status], d, type="administrativeStatus")
    if source:
        _sub(sec, "admin", source, d, type="source")


def _concept(body: ET.Element, n: int, e: Entry, source_lang: str, target_lang: str, d: _Dialect = _V3) -> None:
    concept = _sub(body, d.entry, d=d, id=f"c{n}")
    _sub(concept, "note", f"kind: {e.kind}", d)
    if e.status != "approved":
        _sub(concept, "note", f"status: {e.status} (not reviewed)", d)
    if e.note:
        _sub(concept, "note", e.note, d)
    ru = _sub(concept, d.lang, d=d, **{XML_LANG: source_lang})
    _term(ru, e.ru, "approved", d=d)
    en = _sub(concept, d.lang, d=d, **{XML_LANG: target_lang})
    _term(en, e.en, "approved" if e.status == "approved" else "candidate", e.source, d)
    for v in e.variants:
        _term(en, v, "variant", d=d)
    for f in e.forbidden:
        _term(en, f, "forbidden", d=d)


def _about(glossary: Glossary) -> str:
    return (f"Exported by kzalign {__version__}; glossary signature {glossary.signature}; "
            f"{len(glossary.entries)} entries.")


def glossary_tbx(glossary: Glossary, source_lang: str = "ru", target_lang: str = "en") -> str:
    """The glossary as a TBX-Basic document (DCA style, TBX v3)."""
    ET.register_namespace("", TBX_NS)
    root = ET.Element(f"{{{TBX_NS}}}tbx", {"type": "TBX-Basic", "style": "dca", XML_LANG: target_lang})
    header = _sub(_sub(root, "tbxHeader"), "fileDesc")
    _sub(_sub(header, "titleStmt"), "title", "kzalign name glossary")
    _sub(_sub(header, "sourceDesc"), "p", _about(glossary))
    body = _sub(_sub(root, "text"), "body")
    for n, e in enumerate(glossary.entries, 1):
        _concept(body, n, e, source_lang, target_lang)
    ET.indent(root, space="  ")
    model = f'<?xml-model href="{TBX_RNG_URL}" type="application/xml" schematypens="http://relaxng.org/ns/structure/1.0"?>'
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + model + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def glossary_tbx2(glossary: Glossary, source_lang: str = "ru", target_lang: str = "en") -> str:
    """The glossary as TBX-Basic 2.0 (``martif``): the TBX most CAT tools and translate-toolkit import."""
    root = ET.Element("martif", {"type": "TBX-Basic", XML_LANG: target_lang})
    head = _sub(root, "martifHeader", d=_V2)
    desc = _sub(head, "fileDesc", d=_V2)
    _sub(_sub(desc, "titleStmt", d=_V2), "title", "kzalign name glossary", _V2)
    _sub(_sub(desc, "sourceDesc", d=_V2), "p", _about(glossary), _V2)
    _sub(_sub(head, "encodingDesc", d=_V2), "p", "TBXBasicXCSV02.xcs", _V2, type="XCSURI")
    body = _sub(_sub(root, "text", d=_V2), "body", d=_V2)
    for n, e in enumerate(glossary.entries, 1):
        _concept(body, n, e, source_lang, target_lang, _V2)
    ET.indent(root, space="  ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + TBX2_DOCTYPE + "\n" + ET.tostring(root, encoding="unicode")
            + "\n")


def _cell(text: str) -> str:
    """A value safe inside a tab-separated line."""
    return " ".join(text.replace("\t", " ").split())


def glossary_omegat(glossary: Glossary, warnings: list[str] | None = None) -> str:
    """The glossary as an OmegaT glossary (UTF-8, tab-separated, no header row).

    Comments are protected as kzalign's CSV cells are (a leading ``'`` before ``=``, ``+``, ``-``, ``@``), so the
    file is safe to open in a spreadsheet. Terms are not: a changed term would be a wrong entry in the TM, so a
    term a spreadsheet would run as a formula is written as it is, flagged in its comment and reported in
    ``warnings``.
    """
    lines = []

    def line(ru: str, en: str, comment: str) -> str:
        risky = [t for t in (ru, en) if neutralize_formula(t) != t]
        if risky:
            comment = "; ".join(x for x in (comment, "kzalign: starts like a spreadsheet formula, do not open "
                                                     "this file in a spreadsheet") if x)
            if warnings is not None:
                warnings.append(f"{ru} → {en}: a term starts with {risky[0][:1]!r}, which a spreadsheet runs as a "
                                "formula; written unchanged for OmegaT and flagged in its comment")
        return "\t".join([_cell(ru), _cell(en), str(neutralize_formula(_cell(comment)))])

    for e in glossary.entries:
        comment = [e.kind] + ([f"status: {e.status}"] if e.status != "approved" else [])
        if e.forbidden:
            comment.append("never: " + " | ".join(e.forbidden))
        if e.note:
            comment.append(e.note)
        lines.append(line(e.ru, e.en, "; ".join(comment)))
        lines.extend(line(e.ru, v, f"variant of {e.en}") for v in e.variants)
    return "\n".join(lines) + ("\n" if lines else "")


def export_glossary(glossary: Glossary, out: str | Path, fmt: str, source_lang: str = "ru",
                    target_lang: str = "en", warnings: list[str] | None = None) -> Path:
    """Write the glossary as ``tbx`` (TBX v3), ``tbx2`` (TBX-Basic 2.0, ``martif``), ``omegat`` (use a
    ``.txt``/``.utf8`` name) or ``csv`` (atomically); what the caller should be told (an OmegaT term that starts
    like a formula) goes to ``warnings``."""
    if fmt == "tbx":
        return write_atomic(out, glossary_tbx(glossary, source_lang, target_lang))
    if fmt == "tbx2":
        return write_atomic(out, glossary_tbx2(glossary, source_lang, target_lang))
    if fmt == "omegat":
        return write_atomic(out, glossary_omegat(glossary, warnings))
    if fmt == "csv":
        return write_csv(out, glossary_table(glossary), columns=COLUMNS)
    raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
