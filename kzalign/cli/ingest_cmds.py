"""``kzalign ingest`` and ``kzalign items``."""

from __future__ import annotations

import weakref

import click
import pandas as pd

from kzalign.cli import (
    EMIT_FORMATS,
    GlossaryChoice,
    _Bars,
    db_option,
    emit,
    format_option,
    glossary_option,
    main,
    plural,
    progress_bars,
)
from kzalign.inputs.ingest import IngestReport, ReadOptions, ingest_paths
from kzalign.inputs.readers import READERS
from kzalign.store.workspace import Workspace, new_or_existing_workspace, open_workspace

_ENCODING_NAMES = {"utf-8-sig": "UTF-8 with BOM", "cp1251": "Windows-1251", "utf-16": "UTF-16",
                   "utf-16-le": "UTF-16 (little-endian, no BOM)", "utf-16-be": "UTF-16 (big-endian, no BOM)"}
#: Reports already printed, by id, with a weak reference: an id is reused once its object is freed, so the id
#: alone would silence a later report of the same process (``run`` prints its ingest report as soon as it ends).
_SHOWN: dict[int, weakref.ref[IngestReport]] = {}


def echo_ingest_report(rep: IngestReport) -> None:
    """Print the short summary shared by ``ingest`` and ``run`` (once: ``run`` shows it as soon as ingest ends)."""
    seen = _SHOWN.get(id(rep))
    if seen is not None and seen() is rep:
        return
    _SHOWN[id(rep)] = weakref.ref(rep)  # a reused id's entry is replaced
    langs = ", ".join(f"{n} {lang}" for lang, n in sorted(rep.by_lang.items())) or "none"
    formats = ", ".join(f"{n} {kind}" for kind, n in sorted(rep.formats.items()))
    click.echo(
        f"Read {plural(rep.read, 'report')} from {plural(rep.files, 'file')}{f' ({formats})' if formats else ''}: "
        f"{plural(rep.added, 'new item')} ({langs}), {plural(rep.merged, 'duplicate copy', 'duplicate copies')} "
        f"merged, {rep.already_present} already in the workspace."
    )
    if rep.superseded or rep.revisions:
        click.echo(f"  {plural(rep.superseded, 'item')} replaced by a longer version (the shorter text kept as a "
                   f"revision with its date); {plural(rep.revisions, 'differing copy', 'differing copies')} kept as "
                   "revisions. Nothing is dropped: 'kzalign items --revisions' lists them.")
        for item_id, where in rep.superseded_items[:10]:
            click.echo(f"    {item_id}: longer version from {where}")
    if rep.corrected_items:
        click.echo(f"  {plural(len(rep.corrected_items), 'item')} replaced by a corrected version (the old text kept "
                   "as a revision).")
        for item_id, where in rep.corrected_items[:10]:
            click.echo(f"    {item_id}: corrected version from {where}")
    if rep.flagged_decisions:
        click.secho(f"  {plural(rep.flagged_decisions, 'review decision')} made on a text that changed "
                    "marked for re-review: 'kzalign review decisions' shows them (column recheck).", fg="yellow")
    if rep.mixed_script:
        click.secho(f"Warning: {plural(len(rep.mixed_script), 'report')} with words mixing Cyrillic and Latin "
                    "letters (ingested as written; glossary names in them are matched after folding):",
                    fg="yellow", err=True)
        for p in rep.mixed_script[:10]:
            click.echo(f"  {p}", err=True)
    odd = {f: e for f, e in rep.encodings.items() if e != "utf-8"}
    for f, enc in odd.items():
        click.echo(f"  {f}: decoded as {_ENCODING_NAMES.get(enc, enc)}")
    for w in rep.warnings:
        click.secho(f"Warning: {w}", fg="yellow", err=True)
    if rep.skipped:
        click.secho(f"Skipped {plural(len(rep.skipped), 'bad input')}:", fg="yellow", err=True)
        for p in rep.skipped:
            click.echo(f"  {p}", err=True)


_Bars.on_ingest = echo_ingest_report  # `kzalign run` shows the summary as soon as ingest ends


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@db_option
@click.option("--skip-bad", is_flag=True, help="Ingest what is readable and list the bad files/lines, instead of failing.")
@click.option("--max-item-chars", type=click.IntRange(min=1), default=ReadOptions.max_item_chars, show_default=True,
              help="Refuse (or with --skip-bad, skip) a report longer than this many characters.")
@click.option("--max-file-mb", type=click.IntRange(min=1), default=ReadOptions.max_file_bytes // 2**20,
              show_default=True, help="Refuse a file larger than this many megabytes.")
def ingest(paths: tuple[str, ...], db: str, skip_bad: bool, max_item_chars: int, max_file_mb: int) -> None:
    """Read reports from files or folders into the workspace.

    \b
    Formats (chosen by content and file name; they must agree):
    {formats}
    Text may be UTF-8 (with or without BOM), UTF-16 or Windows-1251. Folders are read
    recursively. Only Russian and English reports are kept (Ukrainian, Bulgarian, Kazakh...
    are refused by name).

    The same report found in several files becomes one item listing every file:line; a
    longer version of a report replaces its text and the shorter one is kept as a revision.
    Bad input (missing file, empty/binary/undecodable/damaged file, markup in a .txt, an
    unknown file type, a malformed line, no text, a language other than ru/en, over the size
    limits) stops the ingest with nothing written, unless --skip-bad.

    Example: kzalign ingest seeds/ saved-pages/ releases.docx --db news.db
    """
    opts = ReadOptions(max_item_chars=max_item_chars, max_file_bytes=max_file_mb * 2**20)
    with new_or_existing_workspace(db) as ws, progress_bars() as bars:
        rep = ingest_paths(ws, list(paths), skip_bad=skip_bad, progress=bars, options=opts)
    echo_ingest_report(rep)


def formats_help() -> str:
    """The input formats of :data:`kzalign.inputs.readers.READERS`, one line each, for ``ingest --help``."""
    import textwrap

    lines = []
    for r in READERS.values():
        names = " ".join(f"*{s}" for s in r.suffixes if s)
        lines += textwrap.wrap(r.help, 88, initial_indent=f"  {names:22s}", subsequent_indent=" " * 24,
                               break_on_hyphens=False)
    return "\n    ".join(lines)


ingest.help = (ingest.help or "").replace("{formats}", formats_help())


def items_frame(ws: Workspace, lang: str | None) -> pd.DataFrame:
    """Items with the public columns (id, lang, title, text, date, sources)."""
    df = ws.items(lang)[["id", "lang", "title", "text", "date", "sources"]]
    return df.astype(object).where(df.notna(), None)


@main.command()
@db_option
@format_option(EMIT_FORMATS, "table")
@click.option("--lang", type=click.Choice(["ru", "en"]), help="Only items in this language.")
@click.option("--revisions", is_flag=True,
              help="List the other versions of item texts instead (shorter versions, differing copies).")
def items(db: str, fmt: str, lang: str | None, revisions: bool) -> None:
    """List the items in the workspace.

    jsonl gives one object per item with keys id, lang, title, text, date, sources;
    with --revisions: item_id, content_hash, title, text, date, source, kept_at.
    """
    with open_workspace(db) as ws:
        df = ws.item_revisions() if revisions else items_frame(ws, lang)
    if revisions:
        if lang:
            df = df[df["item_id"].str.startswith(lang + "-")]
    if revisions:
        emit(df, fmt, table_columns=["item_id", "date", "source", "title", "kept_at"])
    elif fmt == "table":
        view = df.assign(sources=[len(s) for s in df["sources"]])
        emit(view, fmt, table_columns=["id", "lang", "date", "sources", "title"], max_width=70)
    else:
        emit(df, fmt)


@main.command("report")
@db_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="HTML file to write (one self-contained page; opens offline in any browser).")
@click.option("--max-items", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Russian items (the newest) whose links and sentence pairs the Links tab shows, and stories the "
                   "Stories tab shows, so that a large archive's page stays quick in a browser; the others are "
                   "counted and listed in full by 'kzalign review export'. 0: every item.")
@glossary_option
def report_cmd(db: str, out: str, max_items: int, glossary: GlossaryChoice) -> None:
    """Write an HTML report of the links and sentence pairs in the workspace.

    \b
    Links: for each Russian item its linked English items with score, kind, status, evidence
      and reviewers, and the aligned sentence pairs side by side (glossary names highlighted,
      QA flags, fixes); filter by status (proposed/accepted/rejected/fixed), kind, score, date.
    Stories: each Russian report with its linked reports on a time axis, by link kind.
    No English yet: Russian reports without an English counterpart (as 'kzalign gaps').
    Over time: links per month by kind (inline SVG). One offline page; prints cleanly.

    Example: kzalign report --db news.db --out report.html
    """
    from kzalign.formats.guard import check_output
    from kzalign.stages.report import write_report

    check_output(out, workspace=db, glossaries=glossary.used)
    with open_workspace(db) as ws, progress_bars() as bars:
        stats = write_report(ws, out, glossary=glossary.glossary, progress=bars, max_items=max_items or None)
    click.echo(f"Wrote {stats.path}: {plural(stats.ru_items, 'Russian item')}, {plural(stats.links, 'link')}, "
               f"{plural(stats.pairs, 'sentence pair')}, {plural(stats.gaps, 'Russian report')} with no English yet.")
