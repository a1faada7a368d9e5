"""Ingest: read every input into clean, de-duplicated items in the workspace, in one transaction.

The stage is read → plan → write: :mod:`kzalign.inputs.readers` reads files (seed digests, JSONL, CSV, HTML,
DOCX, PDF, RSS/Atom; format by content and name) into raw items, :mod:`kzalign.inputs.langid` keeps Russian
and English, :mod:`kzalign.inputs.dedup` decides which raw items are versions of one report, and the workspace
(:mod:`kzalign.store.workspace`) records items, every ``file:line`` they were found at and every other version
of their text. Parsing happens before any write, so bad input never leaves a half-ingested workspace.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kzalign.core.dates import dateline_date, parse_date
from kzalign.core.errors import InputError, InputWarning, Problem
from kzalign.core.progress import ProgressCallback, report
from kzalign.core.text import mixed_script_note, mixed_script_words
from kzalign.inputs.dedup import Planned, plan_items, shingles
from kzalign.inputs.digest import RawItem, is_headline, parse_digest
from kzalign.inputs.langid import detect_lang, loaded, preload
from kzalign.inputs.readers import (
    ReadOptions,
    ReadResult,
    collect_files,
    decode_bytes,
    display_path,
    read_file,
)
from kzalign.store.workspace import Workspace, now_iso

log = logging.getLogger(__name__)

__all__ = [
    "IngestReport", "RawItem", "ReadOptions", "collect_files", "dateline_date", "decode_bytes", "detect_lang",
    "display_path", "ingest_paths", "is_headline", "parse_date", "parse_digest", "read_inputs", "shingles",
]


@dataclass
class IngestReport:
    """What an ingest did: counts per language, merges, superseded versions, skipped input, encodings."""

    files: int = 0
    read: int = 0
    added: int = 0
    merged: int = 0
    already_present: int = 0
    superseded: int = 0
    revisions: int = 0
    by_lang: dict[str, int] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)
    formats: dict[str, int] = field(default_factory=dict)
    skipped: list[Problem] = field(default_factory=list)
    #: Inputs skipped without failing (a symlink leading out of an input folder), odd input that was kept (an
    #: unreadable date: the item is kept undated) and other notes to show, each naming file and line.
    warnings: list[Problem] = field(default_factory=list)
    item_ids: list[str] = field(default_factory=list)
    superseded_items: list[tuple[str, str]] = field(default_factory=list)
    #: Reports holding words that mix Cyrillic and Latin look-alike letters (ingested as written; names in them
    #: are matched after folding): one warning per report.
    mixed_script: list[Problem] = field(default_factory=list)
    #: Items of an earlier ingest whose text a corrected version replaced: (item id, where the version was read).
    corrected_items: list[tuple[str, str]] = field(default_factory=list)
    #: Link and sentence-pair decisions made on a text that changed, marked for re-review.
    flagged_decisions: int = 0


def read_inputs(
    paths: Sequence[str | Path], progress: ProgressCallback | None = None, options: ReadOptions | None = None,
) -> tuple[list[RawItem], list[Problem], dict[str, str], int]:
    """Read every input into raw items; returns (items, problems, encodings, number of files)."""
    res = _read_all(paths, progress, options or ReadOptions())
    return res.items, res.problems, res.encodings, res.files


def _read_all(paths: Sequence[str | Path], progress: ProgressCallback | None, opts: ReadOptions) -> ReadResult:
    warnings: list[Problem] = []
    files, problems = collect_files(paths, warnings)
    res = ReadResult(problems=problems, files=len(files), warnings=warnings)
    if files and not loaded():
        report(progress, "loading language model", 0, 0)  # the CLI shows a spinner until "read" starts
        preload()
    report(progress, "read", 0, len(files))
    for i, f in enumerate(files, start=1):
        res.items.extend(read_file(f, res, opts))
        report(progress, "read", i, len(files))
    return res


def ingest_paths(
    ws: Workspace,
    paths: Sequence[str | Path],
    skip_bad: bool = False,
    progress: ProgressCallback | None = None,
    options: ReadOptions | None = None,
) -> IngestReport:
    """Read inputs and add their items to the workspace in one transaction.

    Any bad input fails the whole ingest (nothing written) unless ``skip_bad`` is set, in
    which case bad files/lines are skipped and listed in the report.
    """
    if not paths:
        raise InputError("no input paths given")
    res = _read_all(paths, progress, options or ReadOptions())
    rep = IngestReport(files=res.files, read=len(res.items), encodings=res.encodings, warnings=res.warnings,
                       mixed_script=mixed_script_warnings(res.items))
    for kind in res.formats.values():
        rep.formats[kind] = rep.formats.get(kind, 0) + 1
    problems = [p for p in res.problems if not isinstance(p, InputWarning)]
    kept = [p for p in res.problems if isinstance(p, InputWarning)]  # e.g. unreadable dates: items kept undated
    rep.warnings = kept + rep.warnings
    for w in kept:
        log.warning("%s", w)
    with ws.transaction():
        given_problems: list[Problem] = []
        report(progress, "de-duplicate", 0, len(res.items))
        plan = plan_items(res.items, ws.given_item_hashes(), ws.derived_item_texts(), given_problems,
                          ws.item_version_hashes())
        problems.extend(given_problems)
        if problems and not skip_bad:
            raise InputError(problems, hint="Nothing was ingested. Fix these, or pass --skip-bad to ingest the rest.")
        rep.skipped = problems
        bad = {f"{p.path}:{p.line}" for p in given_problems}
        _apply(ws, [p for p in plan if p.item.where not in bad], rep)
        report(progress, "de-duplicate", len(res.items), len(res.items))
    notify = getattr(progress, "ingest_done", None)
    if callable(notify):  # the CLI prints the summary now, not after the later stages of a run
        notify(rep)
    return rep


def mixed_script_warnings(items: Sequence[RawItem], shown: int = 3) -> list[Problem]:
    """One warning per report whose title or text has words mixing Cyrillic and Latin letters (look-alikes such
    as a/а, e/е, o/о typed with the other keyboard), naming the first ``shown`` words and how they read."""
    out: list[Problem] = []
    for r in items:
        text = f"{r.title}\n{r.text}"
        mixed = mixed_script_words(text)
        if mixed:
            words = [f"{text[a:b]!r}: {mixed_script_note(text[a:b], f)}" for a, b, f in mixed[:shown]]
            more = f" and {len(mixed) - shown} more" if len(mixed) > shown else ""
            out.append(Problem(r.path, r.line, "words mixing Cyrillic and Latin letters: " + "; ".join(words) + more))
    return out


def _row(r: RawItem) -> dict[str, object]:
    return {"lang": r.lang, "title": r.title, "text": r.text, "date": r.date, "url": r.url,
            "source": r.source or r.where, "content_hash": r.content_hash}


def _apply(ws: Workspace, plan: list[Planned], rep: IngestReport) -> None:
    """Write the planned items, sources and revisions (inside the caller's transaction); decisions made on a text
    that a longer or corrected version replaced are marked for re-review."""
    ts = now_iso()
    touched: dict[str, None] = {}
    changed: dict[str, str] = {}
    for p in plan:
        r = p.item
        if p.action == "new":
            ws.insert_item(p.target, {**_row(r), "source": r.source}, r.given_id is not None, ts)
            rep.added += 1
            rep.by_lang[r.lang] = rep.by_lang.get(r.lang, 0) + 1
        elif p.action in ("supersede", "correct"):
            ws.supersede_item(p.target, _row(r), ts)
            rep.superseded += p.action == "supersede"
            (rep.superseded_items if p.action == "supersede" else rep.corrected_items).append((p.target, r.where))
            changed[p.target] = f"text {'corrected' if p.action == 'correct' else 'lengthened'} by {r.where} at {ts}"
        else:
            # a copy of an item we already have: fill in what the first copy lacked, keep a differing text
            ws.fill_item(p.target, r.title, r.date)
            if r.content_hash != ws.item_hash(p.target) and ws.add_item_revision(p.target, _row(r), ts):
                rep.revisions += 1
        fresh = ws.add_item_source(p.target, r.where, r.content_hash)
        if p.action == "copy":
            if fresh:
                rep.merged += 1
            else:
                rep.already_present += 1
        touched[p.target] = None
    rep.item_ids = list(touched)
    rep.flagged_decisions = ws.flag_decisions(changed)
