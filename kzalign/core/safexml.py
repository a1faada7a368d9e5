"""The one hardened XML check every reader runs before parsing XML from outside: no DTDs, no entities, no bombs.

XML from a user's files (DOCX parts, XLSX review workbooks, XLIFF, feeds, XHTML) is first scanned with expat,
with the protections of defusedxml: an internal DTD subset, an entity declaration or an external reference is
refused naming the file, so an entity is never expanded (billion laughs), never fetched (XXE) and never left
behind as a literal ``&xxe;``. ZIP containers (DOCX, XLSX) are checked from their central directory before
anything is decompressed: too many members, too much declared uncompressed data, or a compression ratio only a
zip bomb has. Python's zipfile never returns more than a member's declared size, so the check bounds memory.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import IO
from xml.parsers import expat

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from kzalign.core.errors import InputError, Problem

#: Most uncompressed bytes a ZIP container may declare in all (the default of ``--max-file-mb``).
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
#: Most members in one ZIP container (a Word document or workbook has tens).
MAX_ZIP_MEMBERS = 10_000
#: Highest compression ratio accepted for a member over :data:`_RATIO_FLOOR` bytes: XML compresses 5-30x,
#: a zip bomb 1000x or more.
MAX_ZIP_RATIO = 200
_RATIO_FLOOR = 1024 * 1024

__all__ = ["DefusedXmlException", "MAX_UNZIPPED_BYTES", "check_html", "check_xml", "check_zip", "xml_refusal"]


def _refuse(exc: DefusedXmlException) -> str:
    """What a defusedxml refusal means, in words."""
    if isinstance(exc, DTDForbidden):
        return f"has a DTD (<!DOCTYPE {exc.name}>); kzalign reads no DTDs (they can declare entities)"
    if isinstance(exc, EntitiesForbidden):
        return f"declares the entity '{exc.name}'; kzalign refuses XML entity declarations (entity expansion attack)"
    if isinstance(exc, ExternalReferenceForbidden):
        return f"refers to an external entity ({exc.sysid}); kzalign never loads external XML"
    return f"unsafe XML ({exc})"


def xml_refusal(exc: BaseException, where: str, part: str = "") -> InputError:
    """An :class:`InputError` naming the file (and the part inside a ZIP) for a defusedxml refusal."""
    what = _refuse(exc) if isinstance(exc, DefusedXmlException) else f"unsafe XML ({exc})"
    return InputError(Problem(where, None, f"{part + ': ' if part else ''}{what}"))


def check_xml(data: bytes | str, where: str, *, allow_doctype: bool = False, strict: bool = False,
              part: str = "") -> None:
    """Scan XML with expat and raise :class:`InputError` naming ``where`` when it holds a DTD (unless
    ``allow_doctype``: a bare ``<!DOCTYPE rss ...>`` of old feeds), an entity declaration or an external
    reference. Not well-formed XML is left to the format's own reader unless ``strict``."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def doctype(name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool) -> None:
        if not allow_doctype or has_internal_subset:
            raise DTDForbidden(name, sysid, pubid)

    def entity(name: str, *_args: object) -> None:
        raise EntitiesForbidden(name, None, None, None, None, None)

    def external(_context: str, _base: str | None, sysid: str | None, pubid: str | None) -> int:
        raise ExternalReferenceForbidden(_context, _base, sysid, pubid)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    try:
        parser.Parse(data, True)
    except DefusedXmlException as exc:
        raise xml_refusal(exc, where, part) from exc
    except expat.ExpatError as exc:
        if strict:
            raise InputError(Problem(where, exc.lineno, f"{part + ': ' if part else ''}not well-formed XML "
                                     f"({expat.ErrorString(exc.code)})")) from exc
        # a lenient reader (feeds) goes on past the error: the declarations must not be anywhere then
        head = data[:65536] if isinstance(data, str) else data[:65536].decode("latin-1")
        if _ENTITY_DECL.search(head):
            raise InputError(Problem(where, None, f"{part + ': ' if part else ''}declares an XML entity "
                                     "(<!ENTITY ...>); kzalign refuses XML entity declarations")) from exc


_ENTITY_DECL = re.compile(r"<!ENTITY\s", re.I)
_INTERNAL_SUBSET = re.compile(r"<!DOCTYPE[^>\[]*\[", re.I)


def check_html(html: str, where: str) -> None:
    """Refuse an HTML page that declares a DTD internal subset or entities (``<!DOCTYPE html>`` is fine); an
    XHTML page (``<?xml ...>``) gets the full :func:`check_xml`."""
    head = html.lstrip("\ufeff \t\r\n")[:65536]
    if head.startswith("<?xml"):
        check_xml(html, where, allow_doctype=True)
    if _INTERNAL_SUBSET.search(head) or _ENTITY_DECL.search(head):
        raise InputError(Problem(where, None, "declares a DTD with entities (<!DOCTYPE ... [ <!ENTITY ...> ]>); "
                                 "kzalign refuses XML entity declarations"))


def check_zip(source: bytes | str | Path | IO[bytes], where: str, *, max_bytes: int = MAX_UNZIPPED_BYTES,
              xml_parts: bool = True, what: str = "ZIP container") -> None:
    """Refuse a ZIP container (DOCX, XLSX) that would expand beyond ``max_bytes``, has too many members or a
    zip-bomb compression ratio, judged from its central directory before anything is decompressed; then
    (``xml_parts``) run :func:`check_xml` on each ``.xml``/``.rels`` part."""
    fh = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            _check_sizes(infos, where, max_bytes)
            if xml_parts:
                for info in infos:
                    if info.filename.endswith((".xml", ".rels", ".vml")):
                        check_xml(zf.read(info), where, part=info.filename)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise InputError(Problem(where, None, f"cannot read the {what} (damaged file: {type(exc).__name__}: "
                                              f"{exc})")) from exc


def _check_sizes(infos: list[zipfile.ZipInfo], where: str, max_bytes: int) -> None:
    """The zip-bomb checks on declared sizes (see :func:`check_zip`)."""
    if len(infos) > MAX_ZIP_MEMBERS:
        raise InputError(Problem(where, None, f"{len(infos):,} parts in the ZIP container; at most "
                                 f"{MAX_ZIP_MEMBERS:,} (a zip bomb?)"))
    total = sum(i.file_size for i in infos)
    if total > max_bytes:
        raise InputError(Problem(where, None, f"would unpack to {total / 2**20:,.0f} MB, over the limit of "
                                 f"{max_bytes / 2**20:,.0f} MB (--max-file-mb); a zip bomb?"))
    for i in infos:
        if i.file_size > _RATIO_FLOOR and i.file_size > MAX_ZIP_RATIO * max(i.compress_size, 1):
            raise InputError(Problem(where, None, f"{i.filename}: compressed {i.file_size / max(i.compress_size, 1):,.0f}:1"
                                     f" ({i.compress_size:,} bytes unpack to {i.file_size:,}); refused as a zip bomb"))
