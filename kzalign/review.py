"""Translator review round trip: export proposals to CSV/XLSX, import validated decisions, export accepted pairs.

A review file has ``# ...`` header lines (one holds the signature that ties it to the workspace
and the run that produced it), then one row per proposal with a stable ``row_id``, the texts side
by side, a ``check`` hash of the texts, and empty ``decision``/``corrected_en``/``reviewer``/``note``
columns. Import validates every row before applying anything.
"""

from __future__ import annotations

import csv
import getpass
import hashlib
import io
import json
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .errors import InputError, KzalignError, Problem
from .files import csv_text, unneutralize_formula, write_atomic
from .signature import make_signature, parse_signature
from .store import Workspace, link_key, now_iso

log = logging.getLogger(__name__)

WHAT = ("links", "pairs", "glossary", "all")
DECISIONS = ("accept", "reject", "fix")
REVIEW_COLUMNS = ["row_id", "kind", "ru_id", "en_id", "ru_text", "mt_en", "en_text", "score", "evidence", "flags",
                  "check", "decision", "corrected_en", "reviewer", "note"]
EDITABLE = ("decision", "corrected_en", "reviewer", "note")
SIGNATURE_PREFIX = "signature: "


def text_check(kind: str, ru_text: str, en_text: str) -> str:
    """Short hash of a proposal's source texts; import compares it to spot texts changed since export."""
    # the "h" keeps spreadsheets from reading a hex digest such as 1234e56789 as a number
    return "h" + hashlib.sha1(f"{kind}\t{ru_text}\t{en_text}".encode()).hexdigest()[:10]


# -- proposals -----------------------------------------------------------------------------------
def _decisions(ws: Workspace) -> dict[tuple[str, str], dict[str, Any]]:
    rows = ws.conn.execute(
        "SELECT kind, key, decision, corrected_en, reviewer, note, payload FROM decisions"
    ).fetchall()
    return {(k, key): {"decision": d, "corrected_en": c, "reviewer": r, "note": n, "payload": json.loads(p or "{}")}
            for k, key, d, c, r, n, p in rows}


def _link_rows(ws: Workspace) -> list[dict[str, Any]]:
    from .link import evidence_text

    df = ws.query_df(
        "SELECT l.ru_id, l.en_id, l.score, l.evidence, r.title AS ru_title, r.text AS ru_body, "
        "e.title AS en_title, e.text AS en_body FROM links l "
        "LEFT JOIN items r ON r.id=l.ru_id LEFT JOIN items e ON e.id=l.en_id ORDER BY l.ru_id, l.rank, l.en_id"
    )
    rows = []
    for rec in df.itertuples(index=False):
        ru = (rec.ru_title or "").strip() or (rec.ru_body or "").strip().split("\n")[0]
        en = (rec.en_title or "").strip() or (rec.en_body or "").strip().split("\n")[0]
        rows.append({"row_id": link_key(rec.ru_id, rec.en_id), "kind": "link", "ru_id": rec.ru_id,
                     "en_id": rec.en_id, "ru_text": ru, "mt_en": "", "en_text": en, "score": round(rec.score, 4),
                     "evidence": evidence_text(rec.evidence) if rec.evidence else "", "flags": ""})
    return rows


def _pair_rows(ws: Workspace) -> list[dict[str, Any]]:
    from .sentences import pairs_table

    rows = []
    for rec in pairs_table(ws).itertuples(index=False):
        rows.append({"row_id": rec.pair_id, "kind": "pair", "ru_id": rec.ru_id, "en_id": rec.en_id,
                     "ru_text": rec.ru_text, "mt_en": rec.mt_en, "en_text": rec.en_original, "score": rec.score,
                     "evidence": f"link {rec.link_id}, {rec.regime}, RU sentence(s) {rec.ru_idx}, "
                                 f"EN sentence(s) {rec.en_idx}", "flags": rec.flags})
    return rows


def glossary_key(ru: str, en: str) -> str:
    """Stable row id of a glossary candidate."""
    return "G" + hashlib.sha1(f"{ru}\t{en}".encode()).hexdigest()[:12]


def _glossary_rows(ws: Workspace, glossary: Any = None) -> list[dict[str, Any]]:
    try:
        from .glossary import extract_candidates, load_glossary
    except ImportError:
        log.info("glossary candidates unavailable (kzalign.glossary is missing)")
        return []
    df = extract_candidates(ws, glossary if glossary is not None else load_glossary())
    rows = []
    for rec in df.fillna("").to_dict("records"):
        ru, en = str(rec.get("ru", "")), str(rec.get("en", ""))
        rows.append({"row_id": glossary_key(ru, en), "kind": "glossary", "ru_id": "", "en_id": "", "ru_text": ru,
                     "mt_en": "", "en_text": en, "score": rec.get("score", ""),
                     "evidence": str(rec.get("evidence", "")), "flags": str(rec.get("note", "")),
                     "_candidate": {k: str(v) for k, v in rec.items()}})
    return rows


def proposals(ws: Workspace, what: str = "all", glossary: Any = None) -> list[dict[str, Any]]:
    """Current proposals of the given kind(s) plus earlier decided ones no longer proposed, with decisions filled."""
    if what not in WHAT:
        raise KzalignError(f"unknown --what {what!r}; choose one of {', '.join(WHAT)}")
    rows: list[dict[str, Any]] = []
    if what in ("links", "all"):
        rows += _link_rows(ws)
    if what in ("pairs", "all"):
        rows += _pair_rows(ws)
    if what in ("glossary", "all"):
        rows += _glossary_rows(ws, glossary)
    dec = _decisions(ws)
    kinds = {"links": ["link"], "pairs": ["pair"], "glossary": ["glossary"], "all": ["link", "pair", "glossary"]}[what]
    seen = {(r["kind"], r["row_id"]) for r in rows}
    for (kind, key), d in dec.items():  # decided rows that are no longer proposed (e.g. rejected ones)
        row = d["payload"].get("row")
        if kind in kinds and (kind, key) not in seen and isinstance(row, dict):
            rows.append(dict(row))
    for r in rows:
        r["check"] = text_check(r["kind"], r["ru_text"], r["en_text"])
        d = dec.get((r["kind"], r["row_id"]), {})
        for col in EDITABLE:
            r[col] = d.get(col, "")
    return rows


def _signature(ws: Workspace, what: str) -> str:
    def short(stage: str) -> str:
        run = ws.last_run(stage)
        return hashlib.sha1(run[0].encode()).hexdigest()[:8] if run else "none"

    return make_signature({"stage": "review", "ws": ws.workspace_id, "what": what, "link_run": short("link"),
                           "pairs_run": short("pairs"), "at": now_iso().replace(":", "")})


# -- reading a review file ------------------------------------------------------------------------
@dataclass
class ReviewFile:
    """A parsed review file: header comments, signature fields, and rows with their spreadsheet row numbers."""

    path: Path
    comments: list[str]
    signature: dict[str, str]
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, cells)
    header_row: int = 0


def _parse_records(path: Path, records: list[list[str]]) -> ReviewFile:
    comments: list[str] = []
    header_idx = None
    for idx, rec in enumerate(records):
        first = rec[0].strip() if rec else ""
        if first.startswith("#"):
            comments.append(" ".join(c for c in rec if c).lstrip("#").strip())
            continue
        if not any(c.strip() for c in rec):
            continue
        header_idx = idx
        break
    if header_idx is None:
        raise InputError(Problem(str(path), None, "no header row found; is this a kzalign review file?"))
    columns = [c.strip() for c in records[header_idx]]
    missing = [c for c in ("row_id", "kind", "ru_text", "en_text", "check", *EDITABLE) if c not in columns]
    if missing:
        raise InputError(Problem(str(path), header_idx + 1, f"missing column(s): {', '.join(missing)}"))
    sig: dict[str, str] = {}
    for c in comments:
        if c.startswith(SIGNATURE_PREFIX):
            sig = parse_signature(c[len(SIGNATURE_PREFIX):])
    rows = []
    for idx in range(header_idx + 1, len(records)):
        rec = records[idx]
        if not any(c.strip() for c in rec):
            continue
        cells = {col: unneutralize_formula(rec[i]) if i < len(rec) else "" for i, col in enumerate(columns)}
        rows.append((idx + 1, cells))
    return ReviewFile(path, comments, sig, columns, rows, header_idx + 1)


def read_review_file(path: str | Path) -> ReviewFile:
    """Read a review CSV (any of UTF-8 with/without BOM) or XLSX; row numbers are as a spreadsheet shows them."""
    path = Path(path)
    if not path.exists():
        raise InputError(Problem(str(path), None, "file not found"))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        sheet = wb.worksheets[0]
        records = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        wb.close()
        return _parse_records(path, records)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1251")
        except UnicodeDecodeError as exc:
            raise InputError(Problem(str(path), None, "not UTF-8 text; save it as 'CSV UTF-8'")) from exc
    sample = text[:4096]
    delim = ";" if sample.count(";") > sample.count(",") and "row_id;" in sample else ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    return _parse_records(path, records)


def has_decisions(path: str | Path) -> bool:
    """True when ``path`` is a review file with at least one decision filled in."""
    try:
        rf = read_review_file(path)
    except KzalignError:
        return False
    return any(cells.get("decision", "").strip() for _n, cells in rf.rows)


# -- export ---------------------------------------------------------------------------------------
@dataclass
class ReviewExport:
    """What :func:`export_review` wrote."""

    path: Path
    rows: int
    by_kind: dict[str, int]
    signature: str


def export_review(ws: Workspace, out: str | Path, what: str = "all", xlsx: bool | None = None,
                  glossary: Any = None) -> ReviewExport:
    """Write one review row per proposal (CSV with BOM, or XLSX); refuses to overwrite a file with decisions."""
    out = Path(out)
    if out.exists() and has_decisions(out):
        raise KzalignError(f"{out}: refusing to overwrite a reviewed file (it has decisions); choose another --out")
    xlsx = out.suffix.lower() == ".xlsx" if xlsx is None else xlsx
    rows = proposals(ws, what, glossary)
    sig = _signature(ws, what)
    comments = [
        f"kzalign review file ({what}). Fill in decision (accept|reject|fix), corrected_en for fix, reviewer, note;"
        " do not edit the other columns. Import: kzalign review import FILE",
        SIGNATURE_PREFIX + sig,
    ]
    clean_rows = [{c: r.get(c, "") for c in REVIEW_COLUMNS} for r in rows]
    if xlsx:
        _write_xlsx(out, comments, clean_rows)
    else:
        head = io.StringIO()
        writer = csv.writer(head, lineterminator="\r\n")
        for c in comments:
            writer.writerow(["# " + c])
        write_atomic(out, "\ufeff" + head.getvalue() + csv_text(clean_rows, columns=REVIEW_COLUMNS))
    by_kind: dict[str, int] = {}
    for r in rows:
        by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + 1
    return ReviewExport(out, len(rows), by_kind, sig)


def _write_xlsx(out: Path, comments: list[str], rows: list[dict[str, Any]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    sh = wb.active
    sh.title = "review"
    for c in comments:
        sh.append(["# " + c])
    sh.append(REVIEW_COLUMNS)
    for cell in sh[len(comments) + 1]:
        cell.font = Font(bold=True)
    for r in rows:
        sh.append([r.get(c, "") for c in REVIEW_COLUMNS])
    for row in sh.iter_rows(min_row=len(comments) + 2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
                if cell.column_letter in ("E", "F", "G"):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in {"E": 60, "F": 60, "G": 60, "L": 10, "M": 40}.items():
        sh.column_dimensions[letter].width = width
    sh.freeze_panes = f"A{len(comments) + 2}"
    buf = io.BytesIO()
    wb.save(buf)
    write_atomic(out, buf.getvalue())


# -- import ---------------------------------------------------------------------------------------
@dataclass
class ImportReport:
    """What :func:`import_review` applied, and the problems of rows it did not apply (``--partial``)."""

    applied: int = 0
    by_decision: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    glossary_added: int = 0


def import_review(ws: Workspace, path: str | Path, partial: bool = False, reviewer: str | None = None,
                  glossary: Any = None, glossary_target: str | Path | None = None) -> ImportReport:
    """Validate every row of a reviewed file, then store its decisions (all or nothing unless ``partial``).

    Accepted glossary candidates are merged into ``glossary_target`` (default: the glossary folder).
    """
    path = Path(path)
    rf = read_review_file(path)
    where = str(path)
    if not rf.signature:
        raise InputError(Problem(where, None, "no kzalign signature line in the header; not a kzalign review file"))
    if rf.signature.get("ws") != ws.workspace_id:
        raise InputError(Problem(where, 2, f"file comes from another workspace ({rf.signature.get('ws')}); "
                                           f"this workspace is {ws.workspace_id}"))
    kinds = {cells.get("kind", "").strip() for _n, cells in rf.rows}
    current = {(r["kind"], r["row_id"]): r for r in proposals(ws, "all" if "glossary" in kinds else "links", glossary)}
    if "glossary" not in kinds:
        current.update({(r["kind"], r["row_id"]): r for r in proposals(ws, "pairs")})
    by_id = {key: r for (_k, key), r in current.items()}
    problems: list[Problem] = []
    valid: list[tuple[int, dict[str, str], dict[str, Any]]] = []
    first_seen: dict[str, int] = {}
    for rownum, cells in rf.rows:
        rid = cells.get("row_id", "").strip()
        bad: list[str] = []
        if not rid:
            bad.append("empty row_id")
        elif rid in first_seen:
            bad.append(f"row_id {rid} duplicated (first at row {first_seen[rid]})")
        else:
            first_seen[rid] = rownum
        cur = by_id.get(rid)
        if rid and cur is None:
            bad.append(f"unknown row_id {rid} (not a proposal of this workspace)")
        decision = cells.get("decision", "").strip().lower()
        corrected = cells.get("corrected_en", "").strip()
        if decision and decision not in DECISIONS:
            bad.append(f"unknown decision {cells.get('decision', '')!r}; use accept, reject or fix")
        if decision == "fix" and not corrected:
            bad.append("decision is fix but corrected_en is empty")
        if decision == "fix" and cur is not None and cur["kind"] == "link":
            bad.append("a link cannot be fixed; accept or reject it")
        if cur is not None and not bad:
            check = cells.get("check", "").strip()
            if cur["check"] != check:
                bad.append("source text changed since export (re-export and review this row again)")
            elif text_check(cur["kind"], cells.get("ru_text", ""), cells.get("en_text", "")) != check:
                bad.append("ru_text/en_text edited in the file; put the correction in corrected_en")
        if bad:
            problems.extend(Problem(where, rownum, msg) for msg in bad)
            continue
        if decision:
            valid.append((rownum, cells, cur))
    if problems and not partial:
        raise InputError(problems, hint=f"nothing was imported; fix the row(s) above (or use --partial to import "
                                        f"the {len(valid)} valid decision(s))")
    rep = ImportReport(problems=problems)
    who_default = reviewer or _user()
    with ws.transaction() as conn:
        accepted_glossary = []
        for _rownum, cells, cur in valid:
            decision = cells["decision"].strip().lower()
            corrected = cells.get("corrected_en", "").strip() if decision == "fix" else ""
            who_cell = cells.get("reviewer", "").strip()
            who = who_cell or who_default
            note = cells.get("note", "").strip()
            old = conn.execute("SELECT decision, corrected_en, note, reviewer FROM decisions WHERE kind=? AND key=?",
                               (cur["kind"], cur["row_id"])).fetchone()
            if old is not None and old[:3] == (decision, corrected, note) and who_cell in ("", old[3]):
                rep.unchanged += 1
                continue
            payload = _payload(ws, cur)
            conn.execute(
                "INSERT OR REPLACE INTO decisions(kind, key, decision, corrected_en, reviewer, note, payload, "
                "review_file, decided_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (cur["kind"], cur["row_id"], decision, corrected, who, note,
                 json.dumps(payload, ensure_ascii=False, default=str), path.name, now_iso()),
            )
            if decision == "reject" and cur["kind"] == "link":
                conn.execute("DELETE FROM links WHERE ru_id=? AND en_id=?", (cur["ru_id"], cur["en_id"]))
                conn.execute("DELETE FROM pairs WHERE ru_id=? AND en_id=? AND id NOT IN "
                             "(SELECT key FROM decisions WHERE kind='pair' AND decision IN ('accept','fix'))",
                             (cur["ru_id"], cur["en_id"]))
            elif decision == "reject" and cur["kind"] == "pair":
                conn.execute("DELETE FROM pairs WHERE id=?", (cur["row_id"],))
            elif decision in ("accept", "fix") and cur["kind"] == "glossary":
                cand = dict(payload.get("candidate") or {})
                cand.update({"ru": cur["ru_text"], "en": corrected or cur["en_text"], "status": "approved"})
                if note:
                    cand["note"] = note
                accepted_glossary.append(cand)
            rep.applied += 1
            rep.by_decision[decision] = rep.by_decision.get(decision, 0) + 1
        if accepted_glossary:
            from .glossary import default_glossary_location, merge_candidates

            target = glossary_target or default_glossary_location()
            if target is None:
                raise KzalignError("accepted glossary candidates need a glossary folder: set $KZALIGN_GLOSSARY or "
                                   "create ./glossaries")
            merged = merge_candidates(pd.DataFrame(accepted_glossary), target)
            rep.glossary_added = len(merged.added)
    return rep


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers)
        return "unknown"


def _payload(ws: Workspace, cur: dict[str, Any]) -> dict[str, Any]:
    """What a decision must remember: the review row, and for pairs the pair itself (kept if re-alignment drops it)."""
    row = {c: cur.get(c, "") for c in REVIEW_COLUMNS if c not in EDITABLE and c != "check"}
    payload: dict[str, Any] = {"row": row}
    if cur["kind"] == "link":
        payload.update({"ru_id": cur["ru_id"], "en_id": cur["en_id"]})
    elif cur["kind"] == "pair":
        rec = ws.conn.execute(
            "SELECT id, ru_id, en_id, ru_idx, en_idx, ru_text, en_text, score, regime FROM pairs WHERE id=?",
            (cur["row_id"],),
        ).fetchone()
        if rec:
            payload.update(dict(zip(("id", "ru_id", "en_id", "ru_idx", "en_idx", "ru_text", "en_text", "score",
                                     "regime"), rec, strict=True)))
    elif cur["kind"] == "glossary":
        cand = cur.get("_candidate") or {}
        payload["candidate"] = {k: (v if isinstance(v, (str, int, float)) else str(v)) for k, v in cand.items()}
    return payload


# -- export for reuse -----------------------------------------------------------------------------
EXPORT_FORMATS = ("tmx", "tsv", "jsonl")


@dataclass
class PairsExport:
    """What :func:`export_pairs` wrote."""

    path: Path
    units: int
    fmt: str


def accepted_pairs(ws: Workspace, include_unreviewed: bool = False) -> pd.DataFrame:
    """Accepted and fixed pairs (fixed ones with the corrected English); optionally unreviewed ones too."""
    from .sentences import pairs_table

    df = pairs_table(ws)
    keep = df["decision"].isin(["accept", "fix"])
    if include_unreviewed:
        keep |= df["decision"] == ""
    return df[keep].reset_index(drop=True)


def export_pairs(ws: Workspace, out: str | Path, fmt: str = "tmx", include_unreviewed: bool = False) -> PairsExport:
    """Write accepted sentence pairs as TMX 1.4b, TSV (ru, en) or JSONL for translation memories and MT."""
    if fmt not in EXPORT_FORMATS:
        raise KzalignError(f"unknown format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    out = Path(out)
    df = accepted_pairs(ws, include_unreviewed)
    sig = make_signature({"stage": "export", "ws": ws.workspace_id, "fmt": fmt, "units": len(df)})
    if fmt == "tsv":
        lines = [f"{_one_line(r.ru_text)}\t{_one_line(r.en_text)}" for r in df.itertuples(index=False)]
        write_atomic(out, "".join(line + "\n" for line in lines))
    elif fmt == "jsonl":
        recs = []
        for r in df.itertuples(index=False):
            recs.append(json.dumps({"id": r.pair_id, "link_id": r.link_id, "ru_id": r.ru_id, "en_id": r.en_id,
                                    "ru": r.ru_text, "en": r.en_text, "mt_en": r.mt_en, "score": r.score,
                                    "regime": r.regime, "decision": r.decision or None, "ru_date": r.ru_date,
                                    "en_date": r.en_date}, ensure_ascii=False, default=str))
        write_atomic(out, "".join(x + "\n" for x in recs))
    else:
        write_atomic(out, tmx_text(df, sig))
    return PairsExport(out, len(df), fmt)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def tmx_text(df: pd.DataFrame, signature: str) -> str:
    """TMX 1.4b document with one ``<tu>`` per pair and score, ids and dates as ``<prop>``s."""
    root = ET.Element("tmx", version="1.4")
    ET.SubElement(root, "header", {
        "creationtool": "kzalign", "creationtoolversion": __version__, "datatype": "plaintext",
        "segtype": "sentence", "adminlang": "en", "srclang": "ru", "o-tmf": "kzalign",
        "creationdate": now_iso().replace("-", "").replace(":", "").replace("+0000", "Z"),
    })
    header = root[0]
    ET.SubElement(header, "prop", type="x-kzalign-signature").text = signature
    body = ET.SubElement(root, "body")
    for r in df.itertuples(index=False):
        tu = ET.SubElement(body, "tu", tuid=str(r.pair_id))
        props = [("x-score", f"{float(r.score):.4f}"), ("x-link-id", r.link_id), ("x-ru-id", r.ru_id),
                 ("x-en-id", r.en_id), ("x-ru-date", r.ru_date), ("x-en-date", r.en_date), ("x-regime", r.regime),
                 ("x-decision", r.decision)]
        for name, value in props:
            if value is not None and str(value) != "" and str(value) != "nan":
                ET.SubElement(tu, "prop", type=name).text = str(value)
        for lang, text in (("ru", r.ru_text), ("en", r.en_text)):
            tuv = ET.SubElement(tu, "tuv", {"xml:lang": lang})
            ET.SubElement(tuv, "seg").text = str(text)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
