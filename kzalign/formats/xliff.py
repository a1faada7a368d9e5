"""The review as XLIFF 1.2 (what every CAT tool imports), and decisions read back from the reviewed file.

One ``<trans-unit>`` per review row: Russian source, English target, the MT draft as an ``<alt-trans>``,
evidence, QA flags and the link kind as notes. The row id is the unit's ``id``, the kind its ``restype`` and
the text check its ``extradata``. Sentence pairs are translatable; links (a Russian title against an English
lead) are ``translate="no"``, so confirming them in a CAT tool never puts them in a project TM.

Decisions are read from what CAT tools write (:data:`XLIFF_STATES`, :data:`MEMOQ_STATUS`, :data:`TRADOS_CONF`):
approved units accept (or fix, when the target was edited), rejected ones reject, and units a translator only
confirmed (``state="translated"``, memoQ "Confirmed", Trados "Translated") are marked so that the import can
say so instead of ignoring them silently. The reviewer is the one the file names (phase contact, memoQ or
Trados user, a note's author).
"""

from __future__ import annotations

import pickle
import re
import tempfile
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kzalign.core.errors import InputError, Problem
from kzalign.core.files import atomic_output, blocks, write_atomic
from kzalign.core.safexml import check_xml
from kzalign.core.signature import parse_signature
from kzalign.core.version import __version__
from kzalign.formats.schema import SIGNATURE_PREFIX, ReviewFile

NS = "urn:oasis:names:tc:xliff:document:1.2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MQ_NS = "MQXliff"  # memoQ's namespace (mqxliff and memoQ-written XLIFF)
SDL_NS = "http://sdl.com/FileTypes/SdlXliff/1.0"  # Trados Studio's (SDLXLIFF)
#: XLIFF 1.2 ``<target state>`` -> what it says of the unit. ``needs-translation`` is what "fuzzy"/"needs
#: work" sets in translate-toolkit, Virtaal and Weblate; kzalign never writes it, so it is a reviewer's no.
XLIFF_STATES = {"final": "approved", "signed-off": "approved", "translated": "confirmed",
                "needs-translation": "rejected", "x-rejected": "rejected", "x-reject": "rejected",
                "x-kzalign-rejected": "rejected"}
#: memoQ's ``mq:status`` on a trans-unit (the colours of its translation grid).
MEMOQ_STATUS = {"Reviewer1Confirmed": "approved", "Reviewer2Confirmed": "approved", "Proofread": "approved",
                "ManuallyConfirmed": "confirmed", "Rejected": "rejected"}
#: Trados Studio's confirmation level (``sdl:seg conf``, SDK enum ConfirmationLevel).
TRADOS_CONF = {"ApprovedTranslation": "approved", "ApprovedSignOff": "approved", "Translated": "confirmed",
               "RejectedTranslation": "rejected", "RejectedSignOff": "rejected"}
#: Note authors that name a role or a tool, not a person.
NOT_A_NAME = {"", "kzalign", "reviewer", "translator", "developer", "po-translator", "po-programmer", "system"}
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """Text safe inside XML 1.0 (control characters dropped)."""
    return _BAD_XML.sub("", "" if value is None else str(value))


HOW = ("Sentence pairs: approve a unit to accept it (edit the target first to fix it); reject it with your tool's "
       "Reject (memoQ, Trados), or set its state to needs-translation or x-rejected. Units you only confirm "
       "(state translated) are reported, not recorded, unless imported with --accept-confirmed. Link units are "
       "locked (translate=no): decide links in a CSV or XLSX review. A note of yours is kept with the decision. ")


def review_xliff(rows: list[dict[str, Any]], signature: str, source_lang: str, target_lang: str) -> bytes:
    """XLIFF 1.2 document of the review rows (decisions already made are shown as XLIFF states)."""
    from lxml import etree

    root, body, phases = _document(rows, signature, source_lang, target_lang)
    for r in rows:
        _unit(body, r, source_lang, target_lang, phases)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_review_xliff(out: Path, rows: Iterable[dict[str, Any]], signature: str, source_lang: str,
                       target_lang: str, size: int = 2000) -> None:
    """:func:`review_xliff` written atomically piece by piece: the rows are first spooled to a temporary file
    (the header names every reviewer before the first unit), then rendered ``size`` units at a time, each piece
    exactly as the whole document would have it."""
    with tempfile.TemporaryFile() as spool:
        shown: list[dict[str, Any]] = []  # a row per reviewer of a decision: what the header's phases need
        names: set[str] = set()
        any_rows = False
        for block in blocks(rows, size):
            any_rows = True
            for r in block:
                if r.get("decision") and r.get("reviewer") and str(r["reviewer"]) not in names:
                    names.add(str(r["reviewer"]))
                    shown.append(r)
            pickle.dump(block, spool, protocol=pickle.HIGHEST_PROTOCOL)
        if not any_rows:
            write_atomic(out, review_xliff([], signature, source_lang, target_lang))
            return
        head, tail, phases = _frame(shown, signature, source_lang, target_lang)
        spool.seek(0)
        with atomic_output(out) as fh:
            fh.write(head)
            while True:
                try:
                    block = pickle.load(spool)
                except EOFError:
                    break
                fh.write(_units_xml(block, source_lang, target_lang, phases))
            fh.write(tail)


_SENTINEL = "x-kzalign-split"


def _frame(shown: list[dict[str, Any]], signature: str, source_lang: str, target_lang: str
           ) -> tuple[bytes, bytes, dict[str, str]]:
    """The document's bytes before its first unit and after its last one, and the reviewers' phases."""
    from lxml import etree

    root, body, phases = _document(shown, signature, source_lang, target_lang)
    etree.SubElement(body, f"{{{NS}}}trans-unit", {"id": _SENTINEL})
    doc = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    line = doc.index(f'id="{_SENTINEL}"'.encode())
    start = doc.rindex(b"\n", 0, line) + 1
    end = doc.index(b"\n", line) + 1
    return doc[:start], doc[end:], phases


def _units_xml(rows: list[dict[str, Any]], source_lang: str, target_lang: str, phases: dict[str, str]) -> bytes:
    """The ``<trans-unit>`` elements of ``rows`` as they read inside the whole document (same depth, namespace)."""
    from lxml import etree

    root = etree.Element(f"{{{NS}}}xliff", nsmap={None: NS})
    body = etree.SubElement(etree.SubElement(root, f"{{{NS}}}file"), f"{{{NS}}}body")
    for r in rows:
        _unit(body, r, source_lang, target_lang, phases)
    doc = etree.tostring(root, encoding="UTF-8", pretty_print=True)
    start = doc.index(b"<body>\n") + len(b"<body>\n")
    return doc[start : doc.rindex(b"    </body>")]


def _document(rows: list[dict[str, Any]], signature: str, source_lang: str, target_lang: str
              ) -> tuple[Any, Any, dict[str, str]]:
    """The document without units: its root, its (empty) body, and the phase of each reviewer of ``rows``."""
    from lxml import etree

    q = f"{{{NS}}}"
    root = etree.Element(q + "xliff", nsmap={None: NS}, version="1.2")
    date = datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    f = etree.SubElement(root, q + "file", {"original": "kzalign-review", "source-language": source_lang,
                                            "target-language": target_lang, "datatype": "plaintext",
                                            "tool-id": "kzalign", "date": date})
    header = etree.SubElement(f, q + "header")
    phases = _phases(header, rows)
    etree.SubElement(header, q + "tool", {"tool-id": "kzalign", "tool-name": "kzalign", "tool-version": __version__})
    etree.SubElement(header, q + "note", {"from": "kzalign"}).text = SIGNATURE_PREFIX + signature
    etree.SubElement(header, q + "note", {"from": "kzalign"}).text = HOW + "Then: kzalign review import FILE"
    return root, etree.SubElement(f, q + "body"), phases


def _phases(header: Any, rows: list[dict[str, Any]]) -> dict[str, str]:
    """A ``<phase>`` per reviewer of the decisions shown (its ``contact-name``); reviewer -> phase name."""
    from lxml import etree

    names = sorted({str(r["reviewer"]) for r in rows if r.get("decision") and r.get("reviewer")})
    if not names:
        return {}
    group = etree.SubElement(header, f"{{{NS}}}phase-group")
    phases = {}
    for n, name in enumerate(names, 1):
        phases[name] = f"review-{n}"
        etree.SubElement(group, f"{{{NS}}}phase", {"phase-name": phases[name], "process-name": "review",
                                                   "contact-name": xml_text(name), "tool-id": "kzalign"})
    return phases


def _unit(body: Any, r: dict[str, Any], source_lang: str, target_lang: str, phases: dict[str, str]) -> None:
    """One ``<trans-unit>``: links locked, a decision as approved/state, the reviewer as the target's phase."""
    from lxml import etree

    q = f"{{{NS}}}"
    decision = r.get("decision", "")
    attrs = {"id": xml_text(r["row_id"]), "restype": f"x-kzalign-{r['kind']}", "extradata": r.get("check", ""),
             "resname": xml_text(f"{r.get('ru_id', '')} -> {r.get('en_id', '')}")}
    if r["kind"] == "link":
        attrs["translate"] = "no"  # a title against a lead: never a translation unit for a TM
    if decision:
        attrs["approved"] = "no" if decision == "reject" else "yes"
    tu = etree.SubElement(body, q + "trans-unit", attrs)
    etree.SubElement(tu, q + "source", {XML_LANG: source_lang}).text = xml_text(r["ru_text"])
    state = {"": "needs-review-translation", "reject": "x-rejected"}.get(decision, "final")
    target = r.get("corrected_en") if decision == "fix" and r.get("corrected_en") else r["en_text"]
    tattrs = {XML_LANG: target_lang, "state": state}
    if decision and r.get("reviewer") in phases:
        tattrs["phase-name"] = phases[r["reviewer"]]
    etree.SubElement(tu, q + "target", tattrs).text = xml_text(target)
    if r.get("mt_en"):
        alt = etree.SubElement(tu, q + "alt-trans", {"origin": "kzalign-mt", "alttranstype": "proposal"})
        etree.SubElement(alt, q + "target", {XML_LANG: target_lang}).text = xml_text(r["mt_en"])
    kind = f"; link kind {r['link_kind']}" if r.get("link_kind") else ""
    about = "; ".join(x for x in (f"{r['kind']} score {r.get('score', '')}{kind}", r.get("evidence", ""),
                                  r.get("flags", "")) if x)
    etree.SubElement(tu, q + "note", {"from": "kzalign"}).text = xml_text(about)
    if r.get("note"):
        etree.SubElement(tu, q + "note", {"from": r.get("reviewer") or "reviewer"}).text = xml_text(r["note"])


def read_review_xliff(path: Path) -> ReviewFile:
    """Rows of a reviewed XLIFF 1.2 file, as the review table's cells; line numbers are the units' lines.

    Besides the table's cells each row has ``_status`` (approved, confirmed, rejected or "") and ``_said`` (the
    attribute that said it, for messages).
    """
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
            sig = parse_signature(note.text[len(SIGNATURE_PREFIX):])
    contacts = {ph.get("phase-name", ""): ph.get("contact-name") or ph.get("contact-email") or ""
                for ph in root.iterfind(".//x:file/x:header/x:phase-group/x:phase", ns)}
    rows = [(tu.sourceline or 0, _unit_cells(tu, contacts)) for tu in root.iterfind(".//x:trans-unit", ns)]
    columns = ["row_id", "kind", "ru_text", "check", "decision", "corrected_en", "reviewer", "note"]
    return ReviewFile(path, "xliff", sig, columns, rows)


def _unit_cells(tu: Any, contacts: dict[str, str]) -> dict[str, str]:
    """The review cells of one trans-unit: texts, the decision its status says, the reviewer and notes."""
    ns = {"x": NS}
    source, target = tu.find("x:source", ns), tu.find("x:target", ns)
    cells = {"row_id": tu.get("id", ""), "kind": tu.get("restype", "").removeprefix("x-kzalign-"),
             "check": tu.get("extradata", ""), "_xliff": "1",
             "ru_text": "".join(source.itertext()) if source is not None else "",
             "corrected_en": "".join(target.itertext()) if target is not None else "",
             "decision": "", "reviewer": "", "note": ""}
    status, said = unit_status(tu)
    cells["_status"], cells["_said"] = status, said
    if status == "rejected":
        cells["decision"] = "reject"
    elif status == "approved":
        cells["decision"] = "accept"  # becomes fix when the target differs from the English (see review)
    notes = [n for n in tu.iterfind("x:note", ns) if n.get("from") != "kzalign"]
    if notes:
        cells["note"] = " ".join((n.text or "").strip() for n in notes)
    cells["reviewer"] = _unit_reviewer(tu, contacts, notes)
    return cells


def unit_status(tu: Any) -> tuple[str, str]:
    """(approved | confirmed | rejected | "", what said so): a CAT tool's own status (memoQ, Trados) first,
    since tools that keep one leave XLIFF's attributes as they were, then XLIFF's state and approved."""
    mq = tu.get(f"{{{MQ_NS}}}status", "")
    if mq in MEMOQ_STATUS:
        return MEMOQ_STATUS[mq], f"memoQ status {mq}"
    confs = [seg.get("conf", "") for seg in tu.iter(f"{{{SDL_NS}}}seg")]
    if confs:  # a unit split into segments: any rejected one rejects it, the least advanced one says the rest
        said_by = [TRADOS_CONF.get(c, "") for c in confs]
        for level in ("rejected", "", "confirmed", "approved"):
            if level in said_by:
                conf = confs[said_by.index(level)]
                return level, f"Trados status {conf}" if level else ""
    target = tu.find(f"{{{NS}}}target")
    state = target.get("state", "") if target is not None else ""
    said = XLIFF_STATES.get(state, "")
    if said == "rejected":
        return said, f"state {state}"
    if tu.get("approved") == "yes":
        return "approved", "approved=yes"
    if said == "approved" and tu.get("approved") == "no":
        return "confirmed", f"state {state} with approved=no"  # un-approved: the unit's own flag says so
    return said, f"state {state}" if said else ""


def _unit_reviewer(tu: Any, contacts: dict[str, str], notes: list[Any]) -> str:
    """Who the file says reviewed the unit: the contact of its phase (target, unit or a tool's alt-trans),
    memoQ's or Trados' last user, else the author of its first note; "" when it names nobody."""
    target = tu.find(f"{{{NS}}}target")
    alts = [a for a in tu.iterfind(f"{{{NS}}}alt-trans") if a.get("origin") != "kzalign-mt"]
    for el in (target, tu, *alts):
        if el is not None and contacts.get(el.get("phase-name", "")):
            return contacts[el.get("phase-name")]
    user = tu.get(f"{{{MQ_NS}}}lastchanginguser", "")
    if not user:
        user = next((v.text or "" for v in tu.iter(f"{{{SDL_NS}}}value") if v.get("key") == "last_modified_by"), "")
    user = user.rsplit("\\", 1)[-1].strip()  # Trados: DOMAIN\user
    if user and user.lower() not in NOT_A_NAME:
        return user
    authors = [n.get("from", "") for n in notes if n.get("from", "").strip().lower() not in NOT_A_NAME]
    return authors[0] if authors else ""
