"""Commands for the review round trip: review export/import and export (sentence commands: sentence_cmds.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from kzalign.cli import (
    EMIT_FORMATS,
    GlossaryChoice,
    busy,
    counts,
    db_option,
    emit,
    format_option,
    glossary_option,
    main,
    plural,
)
from kzalign.formats.review_file import REVIEW_FORMATS
from kzalign.stages.review import EXPORT_FORMATS

if TYPE_CHECKING:
    from kzalign.glossary import Glossary


def _import_glossary(target: str | None) -> Glossary:
    """The glossary that glossary rows are checked against on import: --glossary's, else the default."""
    from kzalign.glossary import default_glossary_paths, load_glossary

    return load_glossary([Path(target)] if target else default_glossary_paths())


@main.group("review")
def review_group() -> None:
    """Export proposals for a translator's review, and import the decisions back.

    \b
    Formats: CSV (opens in Excel/LibreOffice as it is), XLSX (decision drop-down, filters,
    frozen header) or XLIFF 1.2 for CAT tools (Trados, memoQ, Phrase, OmegaT...).
    """


KIND_NAMES = {"glossary": "glossary candidate"}


def lang_options(fn):
    """``--source-lang``/``--target-lang`` (language codes written into TMX/XLIFF)."""
    fn = click.option("--target-lang", default="en-GB", show_default=True,
                      help="English language code in TMX/XLIFF (match your TM: en-GB, en-US, en).")(fn)
    return click.option("--source-lang", default="ru-RU", show_default=True,
                        help="Russian language code in TMX/XLIFF (match your TM: ru-RU, ru).")(fn)


@review_group.command("export")
@db_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="review.csv, review.xlsx or review.xlf (the format follows the name unless --format is given).")
@click.option("--what", type=click.Choice(["links", "pairs", "glossary", "all"]), default="all", show_default=True)
@click.option("--format", "fmt", type=click.Choice(list(REVIEW_FORMATS)), default=None,
              help="File format (default: from the --out name; CSV otherwise): "
                   + "; ".join(f"{f.name}: {f.description}" for f in REVIEW_FORMATS.values()) + ".")
@click.option("--xlsx", is_flag=True, help="Same as --format xlsx.")
@lang_options
@glossary_option
def review_export_cmd(db: str, out: str, what: str, fmt: str | None, xlsx: bool, source_lang: str, target_lang: str,
                      glossary: GlossaryChoice) -> None:
    """Write one row per proposal with empty decision/corrected_en/reviewer/note columns.

    \b
    Fill in decision = accept | reject | fix (fix: put the right English in corrected_en).
    In XLIFF: approve a unit to accept it (edit the target first to fix it); set its state
    to x-rejected to reject it. Row ids are stable; the signature column (in XLIFF a header
    note) ties the file to this workspace. Files with decisions are never overwritten.
    """
    from kzalign.stages.review import export_review
    from kzalign.store.workspace import open_workspace

    with open_workspace(db) as ws, busy("writing the review file"):
        rep = export_review(ws, out, what=what, fmt="xlsx" if xlsx else fmt, source_lang=source_lang,
                            target_lang=target_lang, glossary=glossary.glossary if what in ("glossary", "all") else None)
    click.echo(f"wrote {rep.path} ({rep.fmt}): {counts(rep.by_kind, KIND_NAMES, 'nothing to review')}")
    for notice in rep.notices():
        click.secho(notice, fg="yellow", err=True)


@review_group.command("import")
@db_option
@click.argument("review_file", type=click.Path(dir_okay=False))
@click.option("--partial", is_flag=True, help="Apply the valid rows even when some rows have problems.")
@click.option("--reviewer", default=None, help="Reviewer name for rows whose reviewer cell is empty.")
@click.option("--glossary", "glossary_path", type=click.Path(), default=None,
              help="Glossary folder/file that accepted candidates go into (default: $KZALIGN_GLOSSARY, else "
                   "glossaries/ in $KZALIGN_HOME or the user data folder).")
@click.option("--accept-confirmed", is_flag=True,
              help="XLIFF: take units a translator only confirmed (state translated, memoQ Confirmed, Trados "
                   "Translated) as accepted, and targets edited without a status (OmegaT) as fixes.")
def review_import_cmd(db: str, review_file: str, partial: bool, reviewer: str | None,
                      glossary_path: str | None, accept_confirmed: bool) -> None:
    """Validate every row of a reviewed file, then store its decisions (nothing is stored if a row is bad).

    \b
    Takes the file as the spreadsheet saved it: CSV in UTF-8, UTF-16 ("Unicode Text"),
    Windows-1251/1252 with , ; or tab, XLSX, or the XLIFF from 'review export'. Pair decisions
    are applied before link decisions, so rejecting a link keeps the pairs accepted with it.
    Importing the same file twice changes nothing. Cells garbled by a lossy save ("An?bal")
    are refused. XLIFF: approved units accept (fix when the target was edited); rejected
    ones (memoQ/Trados Reject, state needs-translation or x-rejected) reject; the reviewer
    is the one the file names (phase contact, memoQ/Trados user, a note's author).
    """
    from kzalign.stages.review import import_review
    from kzalign.store.workspace import open_workspace

    with open_workspace(db) as ws, busy("importing decisions"):
        from kzalign.glossary import BUNDLED_DIR, user_glossary_dir

        rep = import_review(ws, review_file, partial=partial, reviewer=reviewer,
                            glossary_target=glossary_path or user_glossary_dir(), glossary_seed=BUNDLED_DIR,
                            glossary=_import_glossary(glossary_path), accept_confirmed=accept_confirmed)
    for p in rep.problems:
        click.secho(f"skipped {p}", fg="yellow", err=True)
    decided = _decided(rep.by_decision, "no new decisions")
    extra = [plural(rep.unchanged, "decision already recorded", "decisions already recorded")] if rep.unchanged else []
    if rep.restored:
        extra.append(f"{plural(rep.restored, 'link or pair', 'links or pairs')} brought back")
    if rep.glossary_added:
        extra.append(f"{plural(rep.glossary_added, 'glossary entry', 'glossary entries')} added")
    click.echo(f"imported {plural(rep.applied, 'decision')} ({decided})" + "".join(f"; {e}" for e in extra))
    for notice in rep.notices():
        click.secho(notice, fg="yellow", err=True)


@review_group.command("decisions")
@db_option
@click.option("--kind", type=click.Choice(["link", "pair", "glossary"]), default=None, help="Only this kind.")
@click.option("--history", is_flag=True,
              help="Every decision ever imported, oldest first, with the decision (and reviewer) each replaced.")
@format_option(EMIT_FORMATS, "table")
def review_decisions_cmd(db: str, kind: str | None, history: bool, fmt: str) -> None:
    """List the decisions imported so far: who decided what and when, newest first.

    \b
    The reviewers column lists everyone who decided the row, in order; --history shows
    each change (who replaced whose decision, from which file).
    Example: kzalign review decisions --kind pair --format csv > decisions.csv
    """
    from kzalign.stages.review import decision_history, decisions_table
    from kzalign.store.workspace import open_workspace

    with open_workspace(db) as ws:
        df = decision_history(ws, kind) if history else decisions_table(ws, kind)
    if history:
        emit(df, fmt, table_columns=["kind", "row_id", "decided_at", "decision", "reviewer", "replaced_decision",
                                     "replaced_reviewer", "review_file"], max_width=40)
        if fmt == "table":
            click.echo(f"{plural(len(df), 'decision')} recorded, {int((df['replaced_decision'] != '').sum())} "
                       "replacing an earlier one", err=True)
        return
    flagged = int((df["recheck"] != "").sum())
    emit(df, fmt, table_columns=["kind", "row_id", "decision", "reviewer", "decided_at", "reviewers", "ru_text",
                                 "corrected_en", *(["recheck"] if flagged else [])], max_width=40)
    if fmt == "table":
        click.echo(_decided(df["decision"].value_counts().to_dict(), "no decisions yet"), err=True)
        if flagged:
            click.echo(f"{plural(flagged, 'decision')} to re-review: made on a text that was corrected since "
                       "(column recheck); export the review again and decide those rows.", err=True)


def _decided(by_decision: dict[str, int], empty: str) -> str:
    """``3 accepted, 1 fixed, 1 rejected`` (no plural needed)."""
    done = {"accept": "accepted", "fix": "fixed", "reject": "rejected"}
    return ", ".join(f"{by_decision[k]} {w}" for k, w in done.items() if by_decision.get(k)) or empty


@main.command("export")
@db_option
@format_option(list(EXPORT_FORMATS), "tmx", {k: v[0] for k, v in EXPORT_FORMATS.items()})
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
@click.option("--unreviewed", is_flag=True,
              help="Also export unreviewed pairs that are translations (not rejected ones, not comparable ones).")
@click.option("--link-kind", "link_kinds", multiple=True, type=click.Choice(["translation", "same_event", "follow_up"]),
              help="Export accepted pairs of links of this kind (repeat it; default: translation and same_event).")
@lang_options
def export_cmd(db: str, fmt: str, out: str, unreviewed: bool, link_kinds: tuple[str, ...], source_lang: str,
               target_lang: str) -> None:
    """Export accepted sentence pairs (fixed ones with the corrected English) as TMX, TSV or JSONL.

    \b
    Only translations go in: pairs mined from comparable texts or from links of another kind
    (same event, follow-up report) are flagged not-translation and exported only once
    accepted (those of follow-up links only with --link-kind follow_up).
    TMX 1.4b units carry the reviewer and the dates of the review (creationid/changeid,
    creationdate/changedate); choose language codes that match your TM, e.g.
      kzalign export --format tmx --out memory.tmx --source-lang ru-RU --target-lang en-US
    """
    from kzalign.stages.review import export_pairs
    from kzalign.store.workspace import open_workspace

    with open_workspace(db) as ws, busy("exporting sentence pairs"):
        rep = export_pairs(ws, out, fmt=fmt, include_unreviewed=unreviewed, source_lang=source_lang,
                           target_lang=target_lang, **({"link_kinds": link_kinds} if link_kinds else {}))
    for w in rep.warnings:
        click.secho(f"warning: {w}", fg="yellow", err=True)
    click.echo(f"wrote {plural(rep.units, 'sentence pair')} to {rep.path}")
    if rep.hint:
        click.secho(f"  {rep.hint}", fg="yellow", err=True)
