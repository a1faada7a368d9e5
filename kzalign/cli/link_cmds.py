"""``kzalign link``, ``kzalign links`` and ``kzalign eval``: cross-lingual item links."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from kzalign.cli import (
    EMIT_FORMATS,
    GlossaryChoice,
    db_option,
    echo_table,
    emit,
    encoder_option,
    engine_options,
    format_option,
    glossary_option,
    main,
    plural,
    progress_bars,
)
from kzalign.core.errors import KzalignError
from kzalign.store.workspace import open_workspace

if TYPE_CHECKING:
    from kzalign.stages.link import GlossaryChanged, LinkReport


@main.command()
@db_option
@engine_options
@encoder_option
@glossary_option
@click.option("--threshold", type=float, default=None,
              help="Link probability needed for a link (default: the calibrated value).")
@click.option("--max-days", type=int, default=None,
              help="Only link English reports at most N days older than the Russian one (off by default).")
@click.option("--mt/--no-mt", "use_mt", default=True, show_default=True,
              help="Also score machine translations (from 'kzalign translate') against the English items.")
@click.option("--relink", is_flag=True,
              help="Accept a --glossary other than the last link run's and rescore every pair with it.")
def link(db: str, encoder_name: str | None, glossary: GlossaryChoice, threshold: float | None,
         max_days: int | None, use_mt: bool, relink: bool) -> None:
    """Link each Russian item to the English items that report the same event.

    A Russian item may get several links (follow-ups, copies) or none. A pair's score comes from
    its own evidence, measured against its items' nearest neighbours and a fixed background sample
    of news, so a lone translation links and reports on other topics added later change nothing.
    Only new or changed items cost time: embeddings and name/number keys are cached, and only
    links that change are rewritten. Links
    rejected in review are never proposed again; accepted ones are kept. When 'kzalign translate'
    has run, the English drafts are also compared with the English items.

    Example: kzalign link --db news.db --glossary glossaries/ --threshold 0.6
    """
    from kzalign.stages.link import GlossaryChanged, LinkSettings, link_workspace, links_table

    settings = LinkSettings(encoder=encoder_name, glossary=glossary.glossary, threshold=threshold, max_days=max_days,
                            workspace_mt=use_mt, relink=relink or not glossary.explicit)
    with open_workspace(db) as ws, progress_bars() as bars:
        try:
            rep = link_workspace(ws, settings, progress=bars)
        except GlossaryChanged as exc:
            raise glossary_refused(db, glossary, exc) from exc
        table = links_table(ws)
    echo_link_report(rep)
    echo_table(table, ["ru_id", "en_id", "kind", "score", "rank", "en_title", "evidence"])
    click.echo(f"signature: {rep.signature}")


def glossary_refused(db: str, glossary: GlossaryChoice, exc: GlossaryChanged) -> KzalignError:
    """The CLI's wording of a refused glossary change (with the flags that resolve it)."""
    return KzalignError(
        f"{db}: the last link run used glossary {exc.old}, but --glossary {glossary.describe()} is {exc.new}; "
        "nothing was changed. Give the same glossary, or add --relink to rescore every pair with the new one.")


def echo_link_report(rep: LinkReport) -> None:
    """The summary lines of a link run (what was linked, what changed, decisions, MT, glossary)."""
    click.echo(
        f"Linked {rep.linked_ru} of {plural(rep.ru_items, 'Russian item')} to {plural(rep.en_items, 'English item')}: "
        f"{plural(rep.links, 'link')} ({plural(rep.candidates, 'candidate')} scored; threshold {rep.threshold:g})."
    )
    if rep.unchanged:
        click.echo("  nothing changed since the last link run (same items, decisions and settings): links kept")
    elif rep.added or rep.changed or rep.removed:
        click.echo(f"  {rep.added} new, {rep.changed} changed, {rep.removed} removed since the last run; "
                   f"keys computed for {plural(rep.keys_computed, 'new item')}")
    else:
        click.echo("  no link changed since the last run")
    if rep.glossary_changed:
        click.secho(f"  the glossary changed since the last link run: every pair was scored with {rep.glossary}",
                    fg="yellow")
    if rep.background == "workspace":
        click.secho("  no background sample ships for this encoder: scores are measured against this workspace "
                    "(see BENCHMARKS.md)", fg="yellow")
    echo_mt_use(rep)
    if rep.skipped_rejected or rep.kept_accepted or rep.skipped_by_date:
        click.echo(f"  kept {rep.kept_accepted} accepted, left out {rep.skipped_rejected} rejected "
                   f"and {rep.skipped_by_date} outside the date window")


def echo_mt_use(rep: LinkReport) -> None:
    """Say how machine translations took part in linking (nothing when there were none)."""
    model, used, unreliable = rep.mt_model, rep.mt_items, rep.mt_unreliable
    if not model:
        return
    click.echo(f"MT-English of {plural(used, 'Russian item')} scored against English ({model}).")
    if unreliable:
        click.secho(f"  {plural(unreliable, 'MT draft')} left out of linking: most of their sentences are flagged "
                    "(see mt_flags in items.csv); linking used the multilingual encoders for them.", fg="yellow")


@main.command()
@db_option
@format_option(EMIT_FORMATS, "table")
def links(db: str, fmt: str) -> None:
    """List the links of the last 'kzalign link' run with their kind, titles, dates and evidence.

    kind: translation (one text renders the other), same_event (both report the same event) or follow_up (a
    later event whose report refers back to the Russian one)."""
    from kzalign.stages.link import links_table

    with open_workspace(db) as ws:
        df = links_table(ws)
    emit(df, fmt, table_columns=["ru_id", "en_id", "kind", "score", "rank", "ru_title", "en_title", "evidence",
                                 "status"])


@main.command()
@db_option
@format_option(EMIT_FORMATS, "table")
@click.option("--since", default=None, metavar="YYYY-MM-DD",
              help="Only reports dated that day or later (e.g. this week's queue).")
def gaps(db: str, fmt: str, since: str | None) -> None:
    """List the Russian reports with no English counterpart yet: the press officer's to-do queue, newest first.

    \b
    A report counts as covered once 'kzalign link' links it to an English report; candidates a
    reviewer rejected do not count (rejected_links says how many). mt_title is the machine
    translation of the title when 'kzalign translate' has run; an untitled report shows its
    first sentence (untitled is true). The HTML report lists the same under "No English yet".

    Example: kzalign gaps --db news.db --since 2026-03-01 --format csv > todo.csv
    """
    from kzalign.stages.gaps import GAP_COLUMNS, gaps_table

    with open_workspace(db) as ws:
        df = gaps_table(ws, since=since)
    emit(df, fmt, columns=GAP_COLUMNS, table_columns=["date", "ru_id", "title", "mt_title", "rejected_links"],
         max_width=56)
    if fmt == "table":
        click.echo(f"{plural(len(df), 'Russian report')} with no English counterpart yet", err=True)


@main.command("eval")
@click.argument("gold", type=click.Path(dir_okay=False))
@db_option
@click.option("--labelled", "labelled_files", multiple=True, type=click.Path(dir_okay=False),
              help="Score only links touching an item of this file (repeatable): the JSONL items the gold "
                   "covers, or one id a line. Use it when unlabelled reports (other years, other sources) "
                   "share the workspace, so their links are not counted as false positives.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: precision, recall, f1, tp, fp, fn (and 'kinds' with a kind column).")
def eval_cmd(gold: str, db: str, labelled_files: tuple[str, ...], as_json: bool) -> None:
    """Precision, recall and F1 of the workspace's links against GOLD (TSV with header ru_id<TAB>en_id, and
    optionally a third column kind: translation, same_event or follow_up, scored per kind too).

    \b
    kzalign eval gold.tsv --db stream.db
    kzalign eval gold.tsv --db stream.db --labelled ru.jsonl --labelled en.jsonl
    """
    from kzalign.stages.evaluate import eval_links, read_labelled_ids

    labelled = set().union(*(read_labelled_ids(f) for f in labelled_files)) if labelled_files else None
    with open_workspace(db) as ws:
        res = eval_links(ws, gold, labelled)
    if as_json:
        click.echo(json.dumps(res))
        return
    if labelled is not None:
        n = res["labelled_items"]
        click.echo(f"scoring links that touch {plural(n if isinstance(n, int) else 0, 'labelled item')}", err=True)
    click.echo(_score_line("overall", res))
    kinds = res.get("kinds")
    if isinstance(kinds, dict):
        for kind, r in kinds.items():
            click.echo(_score_line(kind, r))


def _score_line(label: str, res: dict[str, object]) -> str:
    """One line of P/R/F1 and counts."""
    return (f"{label:<11} precision {float(res['precision']):.4f}  recall {float(res['recall']):.4f}  "  # type: ignore[arg-type]
            f"F1 {float(res['f1']):.4f}  (tp {res['tp']}, fp {res['fp']}, fn {res['fn']})")  # type: ignore[arg-type]
