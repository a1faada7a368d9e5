"""Translator review round trip: export proposals (CSV/XLSX/XLIFF), import validated decisions, export pairs.

Decisions are facts about review rows (a link, a sentence pair, a glossary candidate), kept in the workspace
with who made them and when. Import reads every row first and applies nothing unless all are valid (or
``partial``); it applies pair and glossary decisions before link decisions, so rejecting a link never drops a
sentence pair accepted in the same file, and an accepted or fixed pair is put back at once if it was dropped.
Every exported row is remembered, so a decision from any review file of the workspace can be applied in any
order. File formats are in :mod:`kzalign.formats`.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from kzalign.core.errors import InputError, KzalignError, Problem
from kzalign.core.files import (
    atomic_path,
    garbled_text,
    lost_in_encoding,
    neutralize_formula,
    unneutralize_formula,
    write_atomic,
)
from kzalign.core.signature import make_signature, parse_signature
from kzalign.formats.guard import check_output
from kzalign.formats.review_file import REVIEW_FORMATS, has_decisions, read_review_file, review_format
from kzalign.formats.schema import DECISIONS, EDITABLE, REVIEW_COLUMNS, ReviewFile
from kzalign.formats.sheet import SheetFull
from kzalign.formats.tmx import LANG_CODE, tmx_document
from kzalign.store.workspace import PAIR_FIELDS, Workspace, link_key, now_iso

if TYPE_CHECKING:
    from kzalign.glossary import Glossary

log = logging.getLogger(__name__)

__all__ = ["DECISIONS", "EDITABLE", "REVIEW_COLUMNS", "ReviewFile", "decision_history", "decisions_table",
           "export_pairs", "export_review", "has_decisions", "import_review", "read_review_file"]

WHAT = ("links", "pairs", "glossary", "all")
ROW_FIELDS = [c for c in REVIEW_COLUMNS if c not in EDITABLE and c not in ("check", "signature")]


def text_check(kind: str, ru_text: str, en_text: str) -> str:
    """Short hash of a proposal's source texts; import compares it to spot texts changed since export."""
    # the "h" keeps spreadsheets from reading a hex digest such as 1234e56789 as a number
    return "h" + hashlib.sha1(f"{kind}\t{ru_text}\t{en_text}".encode()).hexdigest()[:10]


def check_lang(code: str, what: str) -> str:
    """A BCP 47 style language code (``ru``, ``ru-RU``, ``en-GB``), else a clear error."""
    if not LANG_CODE.match(code or ""):
        raise KzalignError(f"{what} {code!r} is not a language code such as ru-RU or en-GB")
    return code


# -- proposals -----------------------------------------------------------------------------------
#: Review rows made, remembered and written at a time: an export's memory does not grow with the archive.
BLOCK = 2000


def _link_rows(ws: Workspace, size: int = BLOCK) -> Iterator[list[dict[str, Any]]]:
    from kzalign.stages.link import evidence_text

    kinds = ws.link_kinds()
    for df in ws.links_with_items_blocks(size):
        rows = []
        for rec in df.itertuples(index=False):
            ru = (rec.ru_t or "").strip() or (rec.ru_x or "").strip().split("\n")[0]
            en = (rec.en_t or "").strip() or (rec.en_x or "").strip().split("\n")[0]
            rows.append({"row_id": link_key(rec.ru_id, rec.en_id), "kind": "link", "ru_id": rec.ru_id,
                         "en_id": rec.en_id, "ru_text": ru, "mt_en": "", "en_text": en,
                         "score": round(rec.score, 4), "evidence": evidence_text(rec.evidence) if rec.evidence else "",
                         "flags": "", "link_kind": kinds.get((rec.ru_id, rec.en_id), "translation")})
        yield rows


def _pair_rows(ws: Workspace, size: int = BLOCK) -> Iterator[list[dict[str, Any]]]:
    from kzalign.stages.sentences import pairs_table_blocks

    for df in pairs_table_blocks(ws, size):
        yield [{"row_id": rec.pair_id, "kind": "pair", "ru_id": rec.ru_id, "en_id": rec.en_id,
                "ru_text": rec.ru_text, "mt_en": rec.mt_en, "en_text": rec.en_original, "score": rec.score,
                "evidence": f"link {rec.link_id}, {rec.regime}, RU sentence(s) {rec.ru_idx}, "
                            f"EN sentence(s) {rec.en_idx}", "flags": rec.flags, "link_kind": rec.link_kind}
               for rec in df.itertuples(index=False)]


def _decision_payload(decision: dict[str, object]) -> dict[str, Any]:
    """The JSON payload of a stored decision (``{}`` when it has none)."""
    pay = decision.get("payload")
    return pay if isinstance(pay, dict) else {}


def glossary_key(ru: str, en: str) -> str:
    """Stable row id of a glossary candidate."""
    return "G" + hashlib.sha1(f"{ru}\t{en}".encode()).hexdigest()[:12]


def _glossary_rows(ws: Workspace, glossary: Glossary | None = None,
                   size: int = BLOCK) -> Iterator[list[dict[str, Any]]]:
    if glossary is None:  # the caller resolves the glossary (the CLI: --glossary or the default)
        return
    from kzalign.glossary import extract_candidates

    records = extract_candidates(ws, glossary).fillna("").to_dict("records")
    for start in range(0, len(records), size):
        rows = []
        for rec in records[start : start + size]:
            ru, en = str(rec.get("ru", "")), str(rec.get("en", ""))
            rows.append({"row_id": glossary_key(ru, en), "kind": "glossary", "ru_id": "", "en_id": "",
                         "ru_text": ru, "mt_en": "", "en_text": en, "score": rec.get("score", ""),
                         "evidence": str(rec.get("evidence", "")), "flags": str(rec.get("note", "")),
                         "_candidate": {k: str(v) for k, v in rec.items()}})
        yield rows


#: The row kinds each ``--what`` lists.
KINDS_OF = {"links": ["link"], "pairs": ["pair"], "glossary": ["glossary"], "all": ["link", "pair", "glossary"]}


def proposal_blocks(ws: Workspace, what: str = "all", glossary: Glossary | None = None,
                    size: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """Current proposals of the given kinds, then earlier decided ones no longer proposed, with decisions filled,
    a block of at most ``size`` rows at a time (links, pairs and glossary candidates are read block by block)."""
    if what not in WHAT:
        raise KzalignError(f"unknown --what {what!r}; choose one of {', '.join(WHAT)}")
    kinds = KINDS_OF[what]
    size = size or BLOCK
    dec = ws.decision_map()
    seen: set[tuple[str, str]] = set()  # proposed rows that have a decision (the others need no remembering)
    sources = [src(ws, size) for kind, src in (("link", _link_rows), ("pair", _pair_rows)) if kind in kinds]
    if "glossary" in kinds:
        sources.append(_glossary_rows(ws, glossary, size))
    for source in sources:
        for rows in source:
            seen.update(k for r in rows if (k := (r["kind"], r["row_id"])) in dec)
            yield _with_decisions(rows, dec)
    old = []
    for (kind, key), d in sorted(dec.items()):  # decided rows that are no longer proposed (e.g. rejected ones)
        row = _decision_payload(d).get("row")
        if kind in kinds and (kind, key) not in seen and isinstance(row, dict):
            old.append({**dict(row), "_payload": d["payload"]})
    for start in range(0, len(old), size):
        yield _with_decisions(old[start : start + size], dec)


def _with_decisions(rows: list[dict[str, Any]], dec: dict[tuple[str, str], dict[str, object]]
                    ) -> list[dict[str, Any]]:
    """The rows with their text check and the decision columns filled (flagged when it needs re-review)."""
    for r in rows:
        r["check"] = text_check(r["kind"], r["ru_text"], r["en_text"])
        d = dec.get((r["kind"], r["row_id"]), {})
        for col in EDITABLE:
            r[col] = d.get(col, "")
        if d.get("recheck"):  # decided on a text corrected since: the reviewer sees why to decide it again
            r["flags"] = "; ".join(f for f in (str(r.get("flags") or ""), f"re-review: {d['recheck']}") if f)
    return rows


def proposals(ws: Workspace, what: str = "all", glossary: Glossary | None = None) -> list[dict[str, Any]]:
    """Current proposals of the given kinds plus earlier decided ones no longer proposed, with decisions filled
    (all of :func:`proposal_blocks` in one list)."""
    return [r for rows in proposal_blocks(ws, what, glossary) for r in rows]


def _signature(ws: Workspace, what: str) -> str:
    def short(stage: str) -> str:
        run = ws.last_run(stage)
        return hashlib.sha1(run[0].encode()).hexdigest()[:8] if run else "none"

    return make_signature({"stage": "review", "ws": ws.workspace_id, "what": what, "link_run": short("link"),
                           "pairs_run": short("pairs"), "at": now_iso().replace(":", "")})


def _payload(ws: Workspace, cur: dict[str, Any], old: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a decision must remember: the review row, and the link or pair itself (to restore or export it)."""
    old = old or cur.get("_payload") or {}
    payload: dict[str, Any] = {"row": {c: cur.get(c, "") for c in ROW_FIELDS}}
    if cur["kind"] == "link":
        rec = ws.link_record(cur["ru_id"], cur["en_id"]) or old.get("link")
        payload.update({"ru_id": cur["ru_id"], "en_id": cur["en_id"]})
        if rec:
            payload["link"] = rec
    elif cur["kind"] == "pair":
        rec = ws.pair_record(cur["row_id"]) or {k: old[k] for k in PAIR_FIELDS if k in old}
        payload.update(rec)
    elif cur["kind"] == "glossary":
        cand = cur.get("_candidate") or old.get("candidate") or {}
        payload["candidate"] = {k: (v if isinstance(v, (str, int, float)) else str(v)) for k, v in cand.items()}
    return payload


# -- export ---------------------------------------------------------------------------------------
@dataclass
class ReviewExport:
    """What :func:`export_review` wrote."""

    path: Path
    rows: int
    by_kind: dict[str, int]
    signature: str
    fmt: str = "csv"

    def notices(self) -> list[str]:
        """What a reviewer should know about the file: in XLIFF, link units are locked."""
        n = self.by_kind.get("link", 0)
        if self.fmt != "xliff" or not n:
            return []
        return [f"{n} link unit{'s are' if n != 1 else ' is'} locked (translate=\"no\": a CAT tool never puts a "
                "title against a lead into a TM); decide links in a CSV or XLSX review "
                "(kzalign review export --what links --out links.xlsx)"]


def export_review(ws: Workspace, out: str | Path, what: str = "all", xlsx: bool | None = None,
                  glossary: Glossary | None = None, fmt: str | None = None, source_lang: str = "ru-RU",
                  target_lang: str = "en-GB") -> ReviewExport:
    """Write one review row per proposal as CSV, XLSX or XLIFF 1.2 (by ``fmt`` or the file name).

    Refuses, before anything is written, to overwrite the workspace or a file that has decisions.
    """
    out = check_output(out, workspace=ws.path)
    fmt = "xlsx" if xlsx else review_format(out, fmt)
    if fmt not in REVIEW_FORMATS:
        raise KzalignError(f"unknown review format {fmt!r}; choose one of {', '.join(REVIEW_FORMATS)}")
    check_lang(source_lang, "--source-lang")
    check_lang(target_lang, "--target-lang")
    sig = _signature(ws, what)
    by_kind: dict[str, int] = {}

    def rows() -> Iterator[dict[str, Any]]:
        """Each block of proposals remembered (so any later import can apply its decision), then written."""
        for block in proposal_blocks(ws, what, glossary):
            ws.remember_review_rows([(r["kind"], r["row_id"], _payload(ws, r)) for r in block])
            for r in block:
                by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + 1
                yield {c: r.get(c, "") for c in REVIEW_COLUMNS if c != "signature"}

    # the file is renamed into place only after the workspace has committed the rows it holds
    try:
        with atomic_path(out) as tmp, ws.transaction():
            REVIEW_FORMATS[fmt].write(tmp, rows(), sig, source_lang, target_lang)
    except SheetFull as exc:
        raise KzalignError(f"{out}: {exc}") from exc
    return ReviewExport(out, sum(by_kind.values()), by_kind, sig, fmt)


# -- import ---------------------------------------------------------------------------------------
@dataclass
class ImportReport:
    """What :func:`import_review` applied, and the problems of rows it did not apply (``--partial``)."""

    applied: int = 0
    by_decision: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    glossary_added: int = 0
    restored: int = 0
    #: XLIFF units a translator confirmed (state translated, memoQ Confirmed, Trados Translated) but nobody
    #: approved, and units whose target was edited without any status (OmegaT keeps states as they were):
    #: recorded only with ``accept_confirmed``; ``confirmed_how`` says what the file said.
    confirmed: int = 0
    confirmed_how: list[str] = field(default_factory=list)
    edited: int = 0
    accepted_confirmed: bool = False
    #: Decisions of another reviewer this import replaced: (kind, row id, old decision, old reviewer, new
    #: decision, new reviewer); the full history is :func:`decision_history`.
    replaced: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)

    def notices(self) -> list[str]:
        """Plain sentences on what the file said but the import did not take as a decision (or took only
        because of ``accept_confirmed``), for the command line and reports."""
        out = []
        if self.replaced:
            by: dict[str, int] = {}
            for r in self.replaced:
                by[r[3] or "unknown"] = by.get(r[3] or "unknown", 0) + 1
            n = len(self.replaced)
            names = ", ".join(f"{who} ({k})" for who, k in sorted(by.items(), key=lambda x: (-x[1], x[0])))
            first = self.replaced[0]
            out.append(f"replaced {n} decision{'s' if n != 1 else ''} of another reviewer: {names}; e.g. {first[1]}: "
                       f"{first[3] or 'unknown'}'s {first[2]} -> {first[5]}'s {first[4]}. History: kzalign review "
                       "decisions --history")
        how = f" ({', '.join(self.confirmed_how)})" if self.confirmed_how else ""
        if self.confirmed and self.accepted_confirmed:
            out.append(f"{_units(self.confirmed)} confirmed but not approved{how} taken as accepted "
                       "(--accept-confirmed)")
        elif self.confirmed:
            out.append(f"{_units(self.confirmed)} confirmed but not approved{how}: nothing recorded for "
                       f"{'them' if self.confirmed > 1 else 'it'}. Approve them in the CAT tool (approved=yes or "
                       "state final/signed-off; memoQ: Reviewer 1 confirmed; Trados: Approved) and import "
                       "again, or import with --accept-confirmed to take confirmed units as accepted")
        if self.edited and self.accepted_confirmed:
            out.append(f"{_units(self.edited)} with an edited target but no status taken as fixed "
                       "(--accept-confirmed)")
        elif self.edited:
            out.append(f"{_units(self.edited)} with an edited target but no status (OmegaT saves targets without "
                       "changing states): nothing recorded; import with --accept-confirmed to take the edits "
                       "as fixes")
        return out


@dataclass
class _Planned:
    row: int
    cur: dict[str, Any]
    decision: str
    corrected: str
    reviewer: str
    note: str


def import_review(ws: Workspace, path: str | Path, partial: bool = False, reviewer: str | None = None,
                  glossary: Glossary | None = None, glossary_target: str | Path | None = None,
                  glossary_seed: Path | None = None, accept_confirmed: bool = False) -> ImportReport:
    """Validate every row of a reviewed file, then store its decisions (all or nothing unless ``partial``).

    Accepted glossary candidates are merged into ``glossary_target`` (a folder without glossary files is
    first seeded with ``glossary_seed``'s, so nothing is hidden); ``glossary`` is the one they came from.
    ``accept_confirmed``: XLIFF units only confirmed, or edited without a status, count as approved.
    """
    path = Path(path)
    rf = read_review_file(path)
    _check_workspace(rf, ws)
    known_rows = _known_rows(ws, rf, glossary)
    rep = ImportReport(accepted_confirmed=accept_confirmed)
    _confirmed_units(rf, known_rows, rep)
    plan, problems = _validate(rf, known_rows)
    problems = rf.problems + problems
    if problems and not partial:
        raise InputError(problems, hint="nothing was imported; fix the rows above (or use --partial to apply the "
                                        "rows without problems)" + _encoding_hint(problems))
    rep.problems = problems
    plan.sort(key=lambda p: p.cur["kind"] == "link")  # pair and glossary decisions first: see module docstring
    who = reviewer or _user()
    with ws.transaction():
        known = ws.decision_map()
        accepted_glossary = [c for p in plan if (c := _apply(ws, p, rep, who, path.name, known)) is not None]
        if accepted_glossary:
            from kzalign.glossary import merge_candidates

            if glossary_target is None:
                raise KzalignError("accepted glossary candidates need a glossary folder to go into "
                                   "(glossary_target; the CLI uses --glossary, $KZALIGN_GLOSSARY or glossaries/ in $KZALIGN_HOME)")
            added = merge_candidates(pd.DataFrame(accepted_glossary), glossary_target, seed=glossary_seed).added
            rep.glossary_added = len(added)
    return rep


def _units(n: int) -> str:
    return f"{n} XLIFF unit{'s' if n != 1 else ''}"


def _confirmed_units(rf: ReviewFile, known: dict[str, dict[str, Any]], rep: ImportReport) -> None:
    """Count XLIFF units confirmed but not approved, or edited without a status; with ``accept_confirmed`` give
    them the decision accept (a fix where the target was edited)."""
    how: dict[str, int] = {}
    for _n, cells in rf.rows:
        if not cells.get("_xliff") or cells.get("decision"):
            continue
        cur = known.get(cells.get("row_id", "").strip())
        if cur is None or cur["kind"] == "link":
            continue  # links are locked in CAT tools: a confirmation there says nothing
        if cells.get("_status") == "confirmed":
            rep.confirmed += 1
            how[cells["_said"]] = how.get(cells["_said"], 0) + 1
        elif not cells.get("_status") and not _same_text(cells.get("corrected_en", ""), cur["en_text"]):
            rep.edited += 1
        else:
            continue
        if rep.accepted_confirmed:
            cells["decision"] = "accept"
    rep.confirmed_how = sorted(how, key=lambda k: -how[k])


def _encoding_hint(problems: list[Problem]) -> str:
    if any("lost characters" in p.message for p in problems):
        return ("\nThe file was saved in an encoding that cannot hold all its characters: in Excel use "
                "'Save As' > 'CSV UTF-8' or 'Unicode Text', in LibreOffice choose 'Unicode (UTF-8)', or keep .xlsx.")
    return ""


def _check_workspace(rf: ReviewFile, ws: Workspace) -> None:
    where = str(rf.path)
    if not rf.signature:
        raise InputError(Problem(where, None, "no kzalign signature (signature column, or the about sheet of an "
                                              "XLSX); not a kzalign review file, or the column was deleted"))
    if rf.signature.get("ws") != ws.workspace_id:
        raise InputError(Problem(where, None, f"file comes from another workspace ({rf.signature.get('ws')}); "
                                              f"this workspace is {ws.workspace_id}"))


def _known_rows(ws: Workspace, rf: ReviewFile, glossary: Glossary | None) -> dict[str, dict[str, Any]]:
    """The rows of the file this workspace can take a decision on: current proposals, decided and exported rows.

    Proposals are read block by block and only the file's row ids are kept, so an import's memory follows the
    file, not the archive (a reviewer's 200 decisions on a 100,000-link workspace)."""
    ids = {rid for _n, cells in rf.rows  # rows without a decision are left alone (XLIFF units: see _confirmed_units)
           if (rid := cells.get("row_id", "").strip()) and (cells.get("decision", "").strip() or cells.get("_xliff"))}
    kinds = {cells.get("kind", "").strip() for _n, cells in rf.rows}
    whats = ["links", "pairs"]
    if "glossary" in kinds or any(rid.startswith("G") for rid in ids):
        whats.append("glossary")
    known: dict[str, dict[str, Any]] = {}
    for what in whats:
        for rows in proposal_blocks(ws, what, glossary if what == "glossary" else None):
            known.update((r["row_id"], r) for r in rows if r["row_id"] in ids)
    missing = [(kind, rid) for rid in ids - known.keys() for kind in ("link", "pair", "glossary")]
    for (kind, key), pay in ws.review_rows(missing).items():
        row = pay.get("row")
        if key not in known and isinstance(row, dict) and row.get("kind") == kind:
            known[key] = {**row, "_payload": pay, "check": text_check(kind, row["ru_text"], row["en_text"])}
    return known


def _validate(rf: ReviewFile, known: dict[str, dict[str, Any]]) -> tuple[list[_Planned], list[Problem]]:
    where = str(rf.path)
    plan: list[_Planned] = []
    problems: list[Problem] = []
    first: dict[str, tuple[int, tuple[str, ...]]] = {}
    for rownum, cells in rf.rows:
        decision = cells.get("decision", "").strip().lower()
        if not decision:
            continue  # rows without a decision are left as they are, whatever else was typed in them
        rid = cells.get("row_id", "").strip()
        if not rid:
            problems.append(Problem(where, rownum, "a decision on a row without row_id; keep row_id as exported"))
            continue
        editable = tuple(cells.get(c, "").strip() for c in EDITABLE)
        if rid in first:
            if first[rid][1] != editable:
                problems.append(Problem(where, rownum, f"row_id {rid} appears again with a different decision "
                                                       f"(first at row {first[rid][0]})"))
            continue  # an exact copy of a row is applied once
        first[rid] = (rownum, editable)
        bad, planned = _check_row(rf, rid, cells, decision, known.get(rid))
        problems.extend(Problem(where, rownum, msg) for msg in bad)
        if not bad and planned is not None:
            planned.row = rownum
            plan.append(planned)
    return plan, problems


def _check_row(rf: ReviewFile, rid: str, cells: dict[str, str], decision: str,
               cur: dict[str, Any] | None) -> tuple[list[str], _Planned | None]:
    """Problems of one decided row (empty when it can be applied) and what applying it means."""
    if cur is None:
        return [f"unknown row_id {rid} (not a row of this workspace's review files)"], None
    bad: list[str] = []
    corrected = cells.get("corrected_en", "").strip()
    if cells.get("_xliff") and decision == "accept":  # XLIFF: an approved unit whose target was edited is a fix
        decision, corrected = ("fix", corrected) if corrected and corrected != cur["en_text"].strip() else (
            "accept", "")
    if decision not in DECISIONS:
        bad.append(f"unknown decision {cells.get('decision', '')!r}; use accept, reject or fix")
    if decision == "fix" and not corrected:
        bad.append("decision is fix but corrected_en is empty")
    if decision == "fix" and cur["kind"] == "link":
        bad.append("a link cannot be fixed; accept or reject it")
    kind = cells.get("kind", "").strip()
    if kind and kind != cur["kind"]:
        bad.append(f"kind {kind!r} edited (row {rid} is a {cur['kind']})")
    sig = cells.get("signature", "").strip()
    if sig and parse_signature(sig).get("ws") not in (None, rf.signature.get("ws")):
        bad.append("row pasted from another workspace's review file")
    bad.extend(_garbled_cells(cells, cur))
    if bad:
        return bad, None
    ru, en = cells.get("ru_text", cur["ru_text"]), cells.get("en_text", cur["en_text"])
    check = cells.get("check", "").strip()
    if cur["check"] != check:
        bad.append("source text changed since export (re-export and review this row again)")
    elif not (_same_text(ru, cur["ru_text"]) and _same_text(en, cur["en_text"])):
        enc = lost_in_encoding(cur["ru_text"], ru) or lost_in_encoding(cur["en_text"], en)
        shown = ru if ru != cur["ru_text"] else en
        shown = shown if len(shown) <= 60 else shown[:59] + "…"
        bad.append(f"the file was saved in an encoding that lost characters ({enc}: {shown!r}); save it as "
                   "UTF-8 or .xlsx and import again" if enc else
                   "ru_text/en_text edited in the file; put the correction in corrected_en")
    note = cells.get("note", "").strip()
    return bad, _Planned(0, cur, decision, corrected if decision == "fix" else "", cells.get("reviewer", "").strip(),
                         note)


#: The cells a reviewer types (the others are kzalign's and are checked against the workspace instead).
USER_CELLS = ("corrected_en", "reviewer", "note")
_XLIFF_PLACE = {"corrected_en": "<target>", "reviewer": "the reviewer's name", "note": "<note>"}


def _garbled_cells(cells: dict[str, str], cur: dict[str, Any]) -> list[str]:
    """A problem for each cell the reviewer wrote that a lossy save garbled (nothing of the row is applied)."""
    bad = []
    for col in USER_CELLS:
        value = cells.get(col, "").strip()
        if not value or (col == "corrected_en" and _same_text(value, cur["en_text"])):
            continue  # an XLIFF target left as exported is kzalign's text, not the reviewer's
        what = garbled_text(value)
        if what:
            shown = value if len(value) <= 60 else value[:59] + "…"
            where = _XLIFF_PLACE.get(col, col) if cells.get("_xliff") else f"column {col}"
            bad.append(f"{where}: {shown!r} has {what}: the file was saved in an encoding that lost "
                       "characters; save it as UTF-8 CSV or XLSX and import again")
    return bad


def _same_text(a: str, b: str) -> bool:
    """Equal but for whitespace (what spreadsheets and CAT tools may change around or inside a cell), or for the
    formula-neutralising apostrophe a workbook made from our CSV keeps as text."""
    a = a.strip()
    return a == b or a.split() == b.split() or (a.startswith("'") and unneutralize_formula(a).split() == b.split())


def _apply(ws: Workspace, p: _Planned, rep: ImportReport, who_default: str, file_name: str,
           known: dict[tuple[str, str], dict[str, Any]]) -> dict | None:
    """Store one decision and do what it means; returns an accepted glossary candidate to merge, if any.

    ``known`` is the decisions before this import; only rows of this file change it, each once."""
    kind, key = p.cur["kind"], p.cur["row_id"]
    old = known.get((kind, key))
    old_payload: dict[str, Any] = dict(_decision_payload(old)) if old else {}
    same = old is not None and (old["decision"], old["corrected_en"], old["note"]) == (
        p.decision, p.corrected, p.note) and p.reviewer in ("", old["reviewer"]) and not old.get("recheck")
    payload = _payload(ws, p.cur, old_payload or None)
    if same:
        rep.unchanged += 1
    else:
        who = p.reviewer or who_default
        at = now_iso()
        history = list(old_payload.get("history", []))
        payload["history"] = [*history, {"decision": p.decision, "reviewer": who, "at": at, "file": file_name}]
        ws.record_decision(kind, key, p.decision, p.corrected, who, p.note, payload, file_name, at)
        if old is not None and old["reviewer"] != who and (old["decision"], old["corrected_en"]) != (
                p.decision, p.corrected):
            rep.replaced.append((kind, key, str(old["decision"]), str(old["reviewer"]), p.decision, who))
        rep.applied += 1
        rep.by_decision[p.decision] = rep.by_decision.get(p.decision, 0) + 1
    if kind == "link" and p.decision == "reject":
        ws.drop_link(p.cur["ru_id"], p.cur["en_id"])
    elif kind == "link" and p.decision == "accept" and payload.get("link"):
        rep.restored += ws.restore_link(payload["link"])
    elif kind == "pair" and p.decision == "reject":
        ws.drop_pair(key)
    elif kind == "pair" and payload.get("ru_text") is not None and payload.get("id"):
        rep.restored += ws.restore_pair(payload)
    elif kind == "glossary" and p.decision in ("accept", "fix") and not same:
        cand = dict(payload.get("candidate") or {})
        cand.update({"ru": p.cur["ru_text"], "en": p.corrected or p.cur["en_text"], "status": "approved"})
        if p.note:
            cand["note"] = p.note
        return cand
    return None


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers)
        return "unknown"


# -- decisions as a table -------------------------------------------------------------------------
DECISION_COLUMNS = ["kind", "row_id", "decision", "corrected_en", "reviewer", "decided_at", "review_file", "note",
                    "ru_text", "en_text", "first_decided_at", "first_reviewer", "changes", "reviewers", "recheck"]
HISTORY_COLUMNS = ["kind", "row_id", "decided_at", "decision", "corrected_en", "reviewer", "replaced_decision",
                   "replaced_reviewer", "review_file", "note", "ru_text", "en_text"]


def decisions_table(ws: Workspace, kind: str | None = None) -> pd.DataFrame:
    """Every decision (of one kind, or all) with the texts it is about and its history (first decision, number of
    changes, every reviewer in order), newest first."""
    hist: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for h in decision_history(ws, kind).to_dict("records"):
        hist.setdefault((h["kind"], h["row_id"]), []).append(h)
    rows = []
    for (k, key), d in ws.decision_map(kind).items():
        row = _decision_payload(d).get("row") or {}
        hs = hist.get((k, key)) or [{"decided_at": d["decided_at"], "reviewer": d["reviewer"]}]
        rows.append({"kind": k, "row_id": key, **{c: d[c] for c in ("decision", "corrected_en", "reviewer",
                                                                     "decided_at", "review_file", "note")},
                     "ru_text": row.get("ru_text", ""), "en_text": row.get("en_text", ""),
                     "first_decided_at": hs[0]["decided_at"], "first_reviewer": hs[0]["reviewer"],
                     "changes": len(hs) - 1, "reviewers": " > ".join(dict.fromkeys(h["reviewer"] for h in hs)),
                     "recheck": d.get("recheck", "")})
    df = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    return df.sort_values(["decided_at", "kind", "row_id"], ascending=[False, True, True]).reset_index(drop=True)


def decision_history(ws: Workspace, kind: str | None = None) -> pd.DataFrame:
    """Every decision ever recorded (of one kind, or all), oldest first: who decided what, when, in which file,
    and whose decision it replaced, with the texts of the row. For ``review decisions --history`` and reports."""
    df = ws.decision_history(kind).rename(columns={"key": "row_id"})
    texts: dict[tuple[str, str], dict[str, Any]] = {}
    for (k, key), pay in ws.review_rows(zip(df["kind"], df["row_id"], strict=True)).items():  # decided rows' only
        exported = pay.get("row")
        if isinstance(exported, dict):
            texts[(k, key)] = exported
    for (k, key), d in ws.decision_map(kind).items():
        row = _decision_payload(d).get("row")
        if isinstance(row, dict):
            texts[(k, key)] = row
    for col in ("ru_text", "en_text"):
        df[col] = [str(texts.get((k, key), {}).get(col, "")) for k, key in zip(df["kind"], df["row_id"], strict=True)]
    return df.reindex(columns=HISTORY_COLUMNS).reset_index(drop=True)


# -- export for reuse -----------------------------------------------------------------------------
def _write_tsv(out: Path, ws: Workspace, df: pd.DataFrame, sig: str, langs: tuple[str, str]) -> None:
    lines = [f"{_one_line(r.ru_text)}\t{_one_line(r.en_text)}" for r in df.itertuples(index=False)]
    write_atomic(out, "".join(line + "\n" for line in lines))


def _write_jsonl(out: Path, ws: Workspace, df: pd.DataFrame, sig: str, langs: tuple[str, str]) -> None:
    write_atomic(out, "".join(json.dumps(_jsonl_record(r), ensure_ascii=False, default=str) + "\n"
                              for r in df.itertuples(index=False)))


def _write_tmx(out: Path, ws: Workspace, df: pd.DataFrame, sig: str, langs: tuple[str, str]) -> None:
    write_atomic(out, tmx_document(_tmx_units(ws, df), sig, langs[0], langs[1], now_iso()))


#: Formats of ``kzalign export``, by name: a description and ``write(out, ws, pairs, signature, (src, tgt))``.
EXPORT_FORMATS: dict[str, tuple[str, Callable[[Path, Workspace, pd.DataFrame, str, tuple[str, str]], None]]] = {
    "tmx": ("TMX 1.4b translation memory (CAT tools)", _write_tmx),
    "tsv": ("tab-separated ru<TAB>en, one pair a line (MT training)", _write_tsv),
    "jsonl": ("one JSON record a pair, with ids, score and decision", _write_jsonl),
}


@dataclass
class PairsExport:
    """What :func:`export_pairs` wrote, decisions it could not export, and a hint when it wrote nothing."""

    path: Path
    units: int
    fmt: str
    warnings: list[str] = field(default_factory=list)
    hint: str = ""


def accepted_pairs(ws: Workspace, include_unreviewed: bool = False) -> pd.DataFrame:
    """Accepted and fixed pairs (fixed ones with the corrected English); optionally unreviewed ones too (only
    translations, as :func:`export_pairs` writes them)."""
    return _exportable(ws, include_unreviewed)[0]


#: Link kinds whose accepted pairs a TMX takes by default: translations and reports of the same event (a
#: reviewer's accept says the sentences match); follow-ups only when asked for.
TM_LINK_KINDS = ("translation", "same_event")


def _exportable(ws: Workspace, include_unreviewed: bool,
                link_kinds: tuple[str, ...] = TM_LINK_KINDS) -> tuple[pd.DataFrame, list[str]]:
    """The pairs to export, plus a warning for each accepted/fixed pair that cannot be exported and for pairs
    left out as not translations (unreviewed ones never go in; accepted ones of other link kinds)."""
    from kzalign.stages.sentences import pairs_table

    df = pairs_table(ws)
    keep = df["decision"].isin(["accept", "fix"])
    if include_unreviewed:
        keep |= df["decision"] == ""
    df = df[keep]
    extra, warnings = _decided_missing(ws, set(df["pair_id"]))
    if extra:
        df = pd.concat([df, pd.DataFrame(extra)], ignore_index=True)
    decided = df["decision"].isin(["accept", "fix"])
    not_translation = df["flags"].fillna("").str.contains("not-translation:", regex=False)
    kind_ok = df["link_kind"].fillna("translation").isin(link_kinds)
    for kind, n in df[decided & ~kind_ok]["link_kind"].value_counts().sort_index().items():
        warnings.append(f"{n} accepted pair{'s' if n != 1 else ''} from {kind} links left out (not translations; "
                        f"add --link-kind {kind} to export them)")
    n = int((~decided & not_translation).sum())
    if n:
        what = "pair that is not a translation" if n == 1 else "pairs that are not translations"
        warnings.append(f"{n} unreviewed {what} (comparable texts, or links of another kind) left out; accept "
                        f"{'it' if n == 1 else 'them'} in a review to export {'it' if n == 1 else 'them'}")
    df = df[(decided & kind_ok) | (~decided & ~not_translation)]
    return df.sort_values(["ru_id", "en_id", "pair_id"]).reset_index(drop=True), warnings


def _decided_missing(ws: Workspace, have: set[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Accepted/fixed pairs missing from the pairs table, rebuilt from their decisions (with a warning for
    those whose text the workspace no longer keeps)."""
    from kzalign.stages.sentences import kind_flag

    extra, warnings = [], []
    kinds = ws.link_kinds()
    for (_k, key), d in ws.decision_map("pair").items():
        if d["decision"] not in ("accept", "fix") or key in have:
            continue
        pay: dict[str, Any] = d["payload"]  # type: ignore[assignment]
        if not pay.get("ru_text") or not pay.get("en_text"):
            warnings.append(f"pair {key} was {d['decision']}ed ({d['review_file']}) but its text is not kept in "
                            "the workspace; re-run 'kzalign pairs' and review it again")
            continue
        row = pay.get("row")
        kind = (kinds.get((pay["ru_id"], pay["en_id"])) or (row.get("link_kind") if isinstance(row, dict) else "")
                or "translation")
        extra.append({"pair_id": key, "link_id": link_key(pay["ru_id"], pay["en_id"]), "ru_id": pay["ru_id"],
                      "en_id": pay["en_id"], "ru_idx": pay.get("ru_idx", "[]"), "en_idx": pay.get("en_idx", "[]"),
                      "ru_text": pay["ru_text"], "mt_en": pay.get("mt_en", ""),
                      "en_text": d["corrected_en"] if d["decision"] == "fix" else pay["en_text"],
                      "en_original": pay["en_text"], "score": pay.get("score", 0.0), "regime": pay.get("regime", ""),
                      "flags": kind_flag(kind, str(pay.get("regime", ""))), "decision": d["decision"],
                      "reviewer": d["reviewer"], "ru_date": None, "en_date": None, "link_kind": kind})
    return extra, warnings


def export_pairs(ws: Workspace, out: str | Path, fmt: str = "tmx", include_unreviewed: bool = False,
                 source_lang: str = "ru-RU", target_lang: str = "en-GB",
                 link_kinds: tuple[str, ...] = TM_LINK_KINDS) -> PairsExport:
    """Write accepted sentence pairs as TMX 1.4b, TSV (ru, en) or JSONL for translation memories and MT.

    Only translations go in: accepted pairs of links of ``link_kinds``, and (``include_unreviewed``) unreviewed
    pairs that are translations (a translation link, not mined from comparable texts).
    """
    if fmt not in EXPORT_FORMATS:
        raise KzalignError(f"unknown format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    check_lang(source_lang, "--source-lang")
    check_lang(target_lang, "--target-lang")
    out = check_output(out, workspace=ws.path)
    df, warnings = _exportable(ws, include_unreviewed, tuple(link_kinds))
    if not len(df):  # an empty memory is never written: it would look like a successful export
        raise KzalignError("\n  ".join([f"nothing to export, {out} not written: {_nothing_hint(ws, include_unreviewed)}",
                                        *(f"warning: {w}" for w in warnings)]))
    sig = make_signature({"stage": "export", "ws": ws.workspace_id, "fmt": fmt, "units": len(df),
                          "kinds": "+".join(sorted(link_kinds))})
    EXPORT_FORMATS[fmt][1](out, ws, df, sig, (source_lang, target_lang))
    if fmt == "tsv":
        warnings += _formula_warning(df)
    return PairsExport(out, len(df), fmt, warnings)


def _formula_warning(df: pd.DataFrame) -> list[str]:
    """A warning when sentences of a TSV export start like spreadsheet formulas (kept as they are: TM data)."""
    risky = [r.pair_id for r in df.itertuples(index=False)
             if neutralize_formula(_one_line(r.ru_text)) != _one_line(r.ru_text)
             or neutralize_formula(_one_line(r.en_text)) != _one_line(r.en_text)]
    if not risky:
        return []
    return [f"{len(risky)} pair(s) start with =, +, - or @ (e.g. {risky[0]}), which a spreadsheet runs as a formula; "
            "written unchanged (translation-memory data): open this TSV in a text tool, not a spreadsheet"]


def _nothing_hint(ws: Workspace, include_unreviewed: bool) -> str:
    n_pairs = ws.count_pairs()
    if n_pairs == 0:
        return "the workspace has no sentence pairs: run 'kzalign pairs' (or 'kzalign run') first"
    if include_unreviewed:
        return "every sentence pair was rejected, or is not a translation and not accepted"
    return ("no accepted or fixed sentence pairs yet: review them "
            "('kzalign review export --what pairs --out review.csv', then 'kzalign review import review.csv'), "
            "or add --unreviewed to export unreviewed pairs too")


def _jsonl_record(r: Any) -> dict[str, Any]:
    return {"id": r.pair_id, "link_id": r.link_id, "ru_id": r.ru_id, "en_id": r.en_id,
            "ru_idx": _idx(r.ru_idx), "en_idx": _idx(r.en_idx), "ru": r.ru_text, "en": r.en_text, "mt_en": r.mt_en,
            "score": r.score, "regime": r.regime, "link_kind": r.link_kind, "decision": r.decision or None, "ru_date": r.ru_date,
            "en_date": r.en_date}


def _idx(value: Any) -> list[int]:
    """Sentence indices as a JSON array (the workspace keeps them as JSON text)."""
    if isinstance(value, (list, tuple)):
        return [int(x) for x in value]
    try:
        return [int(x) for x in json.loads(value or "[]")]
    except (TypeError, ValueError):
        return []


def _tmx_units(ws: Workspace, df: pd.DataFrame) -> list[dict[str, Any]]:
    decided = ws.decision_map("pair")
    units = []
    for r in df.itertuples(index=False):
        d = decided.get(("pair", r.pair_id))
        hist: list[dict[str, Any]] = list(_decision_payload(d).get("history", [])) if d else []
        first = hist[0] if hist else d or {}
        units.append({
            "tuid": r.pair_id, "source": r.ru_text, "target": r.en_text,
            "creationid": first.get("reviewer", ""), "creationdate": first.get("at") or first.get("decided_at"),
            "changeid": d["reviewer"] if d else "", "changedate": d["decided_at"] if d else None,
            "props": {"x-score": f"{float(r.score):.4f}", "x-link-id": r.link_id, "x-ru-id": r.ru_id,
                      "x-en-id": r.en_id, "x-ru-date": r.ru_date, "x-en-date": r.en_date, "x-regime": r.regime, "x-link-kind": r.link_kind,
                      "x-decision": r.decision},
        })
    return units


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
