"""``kzalign ingest`` and ``kzalign items``."""

from __future__ import annotations

import json

import click
import pandas as pd

from ..files import csv_text
from ..ingest import IngestReport, ingest_paths
from ..store import Workspace, open_workspace
from . import db_option, echo_table, format_option, main, plural, progress_bars


def echo_ingest_report(rep: IngestReport) -> None:
    """Print the short summary shared by ``ingest`` and ``run``."""
    langs = ", ".join(f"{n} {lang}" for lang, n in sorted(rep.by_lang.items())) or "none"
    click.echo(
        f"Read {plural(rep.read, 'report')} from {plural(rep.files, 'file')}: {plural(rep.added, 'new item')} "
        f"({langs}), {plural(rep.merged, 'duplicate copy', 'duplicate copies')} merged, "
        f"{rep.already_present} already in the workspace."
    )
    odd = {f: e for f, e in rep.encodings.items() if e != "utf-8"}
    for f, enc in odd.items():
        click.echo(f"  {f}: decoded as {'UTF-8 with BOM' if enc == 'utf-8-sig' else 'Windows-1251'}")
    if rep.skipped:
        click.secho(f"Skipped {len(rep.skipped)} bad input(s):", fg="yellow", err=True)
        for p in rep.skipped:
            click.echo(f"  {p}", err=True)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@db_option
@click.option("--skip-bad", is_flag=True, help="Ingest what is readable and list the bad files/lines, instead of failing.")
def ingest(paths: tuple[str, ...], db: str, skip_bad: bool) -> None:
    """Read reports from files or folders into the workspace.

    \b
    Formats (by file name):
      *.txt    news digests: reports start at a headline (a short line with no final
               period); "DD.MM.YYYY, HH:MM views" lines and " date YYYY-MM-DD" headers give dates
      *.jsonl  one JSON object a line: id, lang (ru|en), text [, title, date, url, source]
      *.csv    the same columns, with a header row
    Text may be UTF-8, UTF-8 with BOM or Windows-1251. Folders are read recursively.

    The same report found in several digests becomes one item listing every file:line.
    Bad input (missing file, empty/binary/undecodable file, malformed line, no text, a
    language other than ru/en) stops the ingest with nothing written, unless --skip-bad.

    Example: kzalign ingest seeds/ --db news.db
    """
    with Workspace(db) as ws, progress_bars() as bars:
        rep = ingest_paths(ws, list(paths), skip_bad=skip_bad, progress=bars)
    echo_ingest_report(rep)


def items_frame(ws: Workspace, lang: str | None) -> pd.DataFrame:
    """Items with the public columns (id, lang, title, text, date, sources)."""
    df = ws.items(lang)[["id", "lang", "title", "text", "date", "sources"]]
    return df.astype(object).where(df.notna(), None)


@main.command()
@db_option
@format_option(["table", "csv", "jsonl"], "table")
@click.option("--lang", type=click.Choice(["ru", "en"]), help="Only items in this language.")
def items(db: str, fmt: str, lang: str | None) -> None:
    """List the items in the workspace.

    jsonl gives one object per item with keys id, lang, title, text, date, sources.
    """
    with open_workspace(db) as ws:
        df = items_frame(ws, lang)
    if fmt == "jsonl":
        for rec in df.to_dict(orient="records"):
            click.echo(json.dumps(rec, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(csv_text(df), nl=False)
    else:
        view = df.assign(sources=[len(s) for s in df["sources"]])
        echo_table(view, ["id", "lang", "date", "sources", "title"], max_width=70)
