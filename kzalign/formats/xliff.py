"""The review as XLIFF 1.2 (what every CAT tool imports), and decisions read back from the reviewed file.

One ``<trans-unit>`` per review row: Russian source, English target, the MT draft as an ``<alt-trans>``,
evidence and QA flags as notes. The row id is the unit's ``id``, the kind its ``restype`` and the text
check its ``extradata``. Decisions travel as XLIFF's own attributes: approved="yes" (or state final /
signed-off) accepts, or fixes when the target was edited; state="x-rejected" rejects.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kzalign.core.errors import InputError, Problem
from kzalign.core.safexml import check_xml
from kzalign.core.version import __version__
from kzalign.formats.schema import INSTRUCTIONS, SIGNATURE_PREFIX, ReviewFile, parse_sig

NS = "urn:oasis:names:tc:xliff:document:1.2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
REJECTED = ("x-rejected", "x-reject", "x-kzalign-rejected")
APPROVED_STATES = ("final", "signed-off")
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """Text safe inside XML 1.0 (control characters dropped)."""
    return _BAD_XML.sub("", "" if value is None else str(value))


def review_xliff(rows: list[dict[str, Any]], signature: str, source_lang: str, target_lang: str) -> bytes:
    """XLIFF 1.2 document of the review rows (decisions already made are shown as XLIFF states)."""
    from lxml import etree

    q = f"{{{NS}}}"
    root = etree.Element(q + "xliff", nsmap={None: NS}, version="1.2")
    date = datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    f = etree.SubElement(root, q + "file", {"original": "kzalign-review", "source-language": source_lang,
                                            "target-language": target_lang, "datatype": "plaintext",
                                            "tool-id": "kzalign", "date": date})
    header = etree.SubElement(f, q + "header")
    etree.SubElement(header, q + "tool", {"tool-id": "kzalign", "tool-name": "kzalign", "tool-version": __version__})
    etree.SubElement(header, q + "note", {"from": "kzalign"}).text = SIGNATURE_PREFIX + signature
    etree.SubElement(header, q + "note", {"from": "kzalign"}).text = (
        "Approve a unit to accept it (edit the target first to fix it); set its state to x-rejected to reject it. "
        + INSTRUCTIONS.split(". Then")[0] + ".")
    body = etree.SubElement(f, q + "body")
    for r in rows:
        decision = r.get("decision", "")
        attrs = {"id": xml_text(r["row_id"]), "restype": f"x-kzalign-{r['kind']}", "extradata": r.get("check", ""),
                 "resname": xml_text(f"{r.get('ru_id', '')} -> {r.get('en_id', '')}")}
        if decision:
            attrs["approved"] = "no" if decision == "reject" else "yes"
        tu = etree.SubElement(body, q + "trans-unit", attrs)
        etree.SubElement(tu, q + "source", {XML_LANG: source_lang}).text = xml_text(r["ru_text"])
        state = {"": "needs-review-translation", "reject": "x-rejected"}.get(decision, "final")
        target = r.get("corrected_en") if decision == "fix" and r.get("corrected_en") else r["en_text"]
        etree.SubElement(tu, q + "target", {XML_LANG: target_lang, "state": state}).text = xml_text(target)
        if r.get("mt_en"):
            alt = etree.SubElement(tu, q + "alt-trans", {"origin": "kzalign-mt", "alttranstype": "proposal"})
            etree.SubElement(alt, q + "target", {XML_LANG: target_lang}).text = xml_text(r["mt_en"])
        about = "; ".join(x for x in (f"{r['kind']} score {r.get('score', '')}", r.get("evidence", ""),
                                      r.get("flags", "")) if x)
        etree.SubElement(tu, q + "note", {"from": "kzalign"}).text = xml_text(about)
        if r.get("note"):
            etree.SubElement(tu, q + "note", {"from": r.get("reviewer") or "reviewer"}).text = xml_text(r["note"])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def read_review_xliff(path: Path) -> ReviewFile:
    """Rows of a reviewed XLIFF 1.2 file, as the review table's cells; line numbers are the units' lines."""
    from lxml import etree

    data = path.read_bytes()
    check_xml(data, str(path), strict=True)  # a DTD or entity is refused, never dropped or kept as "&xxe;"
    try:
        tree = etree.ElementTree(etree.fromstring(
            data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)))
    except etree.XMLSyntaxError as exc:
        raise InputError(Problem(str(path), exc.lineno, f"not well-formed XML: {exc.msg}")) from exc
    root = tree.getroot()
    ns = {"x": NS}
    if etree.QName(root).localname != "xliff" or etree.QName(root).namespace != NS:
        raise InputError(Problem(str(path), root.sourceline, "not an XLIFF 1.2 file (root must be <xliff> in "
                                                             f"the {NS} namespace)"))
    sig: dict[str, str] = {}
    for note in root.iterfind(".//x:file/x:header/x:note", ns):
        if (note.text or "").startswith(SIGNATURE_PREFIX):
            sig = parse_sig(note.text[len(SIGNATURE_PREFIX):])
    rows: list[tuple[int, dict[str, str]]] = []
    for tu in root.iterfind(".//x:trans-unit", ns):
        source = tu.find("x:source", ns)
        target = tu.find("x:target", ns)
        state = target.get("state", "") if target is not None else ""
        cells = {"row_id": tu.get("id", ""), "kind": tu.get("restype", "").removeprefix("x-kzalign-"),
                 "check": tu.get("extradata", ""), "_xliff": "1",
                 "ru_text": "".join(source.itertext()) if source is not None else "",
                 "corrected_en": "".join(target.itertext()) if target is not None else "",
                 "decision": "", "reviewer": "", "note": ""}
        if state in REJECTED:
            cells["decision"] = "reject"
        elif tu.get("approved") == "yes" or state in APPROVED_STATES:
            cells["decision"] = "accept"  # becomes fix when the target differs from the English (see review)
        notes = [n for n in tu.iterfind("x:note", ns) if n.get("from") != "kzalign"]
        if notes:
            cells["note"] = " ".join((n.text or "").strip() for n in notes)
            if notes[0].get("from") not in (None, "", "reviewer"):
                cells["reviewer"] = notes[0].get("from", "")
        rows.append((tu.sourceline or 0, cells))
    columns = ["row_id", "kind", "ru_text", "check", "decision", "corrected_en", "reviewer", "note"]
    return ReviewFile(path, "xliff", sig, columns, rows)
