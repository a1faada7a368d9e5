"""Accepted sentence pairs as a TMX 1.4b translation memory (what Trados, memoQ, OmegaT and Phrase import).

Language codes are the caller's (``ru-RU``/``en-GB`` style, to match the TM they go into); each unit carries
who reviewed it and when (``creationid``/``creationdate`` from the first decision, ``changeid``/``changedate``
from the last) and kzalign's ids, score and dates as ``<prop type="x-...">``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from kzalign.core.version import __version__
from kzalign.formats.xliff import xml_text

LANG_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def tmx_date(iso: str | None) -> str:
    """ISO 8601 (``2026-02-24T10:00:00+00:00``) as TMX's ``20260224T100000Z``; "" when unknown."""
    if not iso:
        return ""
    digits = re.sub(r"[^0-9T]", "", str(iso).split("+")[0].replace("Z", ""))
    return digits[:15] + "Z" if len(digits) >= 15 else ""


def tmx_document(units: Iterable[dict[str, Any]], signature: str, source_lang: str, target_lang: str,
                 created: str) -> bytes:
    """TMX 1.4b bytes; each unit: ``tuid``, ``source``, ``target``, optional ``creationid``/``creationdate``/
    ``changeid``/``changedate`` (ISO dates) and ``props`` (type -> value)."""
    from lxml import etree

    root = etree.Element("tmx", version="1.4")
    header = etree.SubElement(root, "header", {
        "creationtool": "kzalign", "creationtoolversion": __version__, "datatype": "plaintext",
        "segtype": "sentence", "adminlang": "en-US", "srclang": source_lang, "o-tmf": "kzalign",
        "creationdate": tmx_date(created),
    })
    etree.SubElement(header, "prop", type="x-kzalign-signature").text = xml_text(signature)
    body = etree.SubElement(root, "body")
    for u in units:
        attrs = {"tuid": xml_text(u["tuid"]), "srclang": source_lang}
        for k in ("creationid", "changeid"):
            if u.get(k):
                attrs[k] = xml_text(u[k])
        for k in ("creationdate", "changedate"):
            if tmx_date(u.get(k)):
                attrs[k] = tmx_date(u.get(k))
        tu = etree.SubElement(body, "tu", attrs)
        for name, value in u.get("props", {}).items():
            if value is not None and str(value) not in ("", "nan", "None"):
                etree.SubElement(tu, "prop", type=name).text = xml_text(value)
        for lang, text in ((source_lang, u["source"]), (target_lang, u["target"])):
            tuv = etree.SubElement(tu, "tuv", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
            etree.SubElement(tuv, "seg").text = xml_text(text)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
