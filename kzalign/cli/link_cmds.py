"""``kzalign link``, ``kzalign links`` and ``kzalign eval``: cross-lingual item links."""

from __future__ import annotations

import json

import click

from ..files import csv_text
from ..store import open_workspace
from . import db_option, echo_table, format_option, main, plural, progress_bars


@main.command()
@db_option
@click.option("--encoder", "encoder_name", default=None,
              help="Encoder: use (default), e5, minilm, or st:<sentence-transformers name or path>.")
@click.option("--threshold", type=float, default=None,
              help="Link probability needed for a link (default: the calibrated value).")
@click.option("--max-days", type=int, default=None,
              help="Only link English reports at most N days older than the Russian one (off by default).")
@click.option("--mt/--no-mt", "use_mt", default=True, show_default=True,
              help="Also score machine translations (from 'kzalign translate') against the English items.")
def link(db: str, encoder_name: str | None, threshold: float | None, max_days: int | None, use_mt: bool) -> None:
    """Link each Russian item to the English items that report the same event.

    A Russian item may get several links (follow-ups, copies) or none. Links rejected in review
    are never proposed again; accepted ones are kept. Embeddings are cached in the workspace.
    When 'kzalign translate' has run, the English drafts are also compared with the English items
    (drafts mostly flagged by the translation guards are left out).

    Example: kzalign link --db news.db --threshold 0.6
    """
    from ..glossary import load_glossary
    from ..link import link_workspace, links_table
    from .glossary_cmds import resolve_glossary_paths

    glossary = load_glossary(resolve_glossary_paths(()))  # the default glossary, as 'kzalign run' uses
    with open_workspace(db) as ws, progress_bars() as bars:
        rep = link_workspace(ws, encoder=encoder_name, threshold=threshold, max_days=max_days,
                             glossary=glossary, workspace_mt=use_mt, progress=bars)
        table = links_table(ws)
    click.echo(
        f"Linked {rep.linked_ru} of {rep.ru_items} Russian items to {rep.en_items} English items: "
        f"{rep.links} links ({rep.candidates} candidates scored; threshold {rep.threshold:g})."
    )
    echo_mt_use(rep)
    if rep.skipped_rejected or rep.kept_accepted or rep.skipped_by_date:
        click.echo(f"  kept {rep.kept_accepted} accepted, left out {rep.skipped_rejected} rejected "
                   f"and {rep.skipped_by_date} outside the date window")
    echo_table(table, ["ru_id", "en_id", "score", "rank", "en_title", "evidence"])
    click.echo(f"signature: {rep.signature}")


def echo_mt_use(rep: object) -> None:
    """Say how machine translations took part in linking (nothing when there were none)."""
    model = getattr(rep, "mt_model", "")
    used, unreliable = getattr(rep, "mt_items", 0), getattr(rep, "mt_unreliable", 0)
    if not model:
        return
    click.echo(f"MT-English of {plural(used, 'Russian item')} scored against English ({model}).")
    if unreliable:
        click.secho(f"  {plural(unreliable, 'MT draft')} left out of linking: most of their sentences are flagged "
                    "(see mt_flags in items.csv); linking used the multilingual encoders for them.", fg="yellow")


@main.command()
@db_option
@format_option(["table", "csv", "jsonl"], "table")
def links(db: str, fmt: str) -> None:
    """List the links of the last 'kzalign link' run with titles, dates and evidence."""
    from ..link import links_table

    with open_workspace(db) as ws:
        df = links_table(ws)
    if fmt == "jsonl":
        for rec in df.astype(object).where(df.notna(), None).to_dict(orient="records"):
            click.echo(json.dumps(rec, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(csv_text(df), nl=False)
    else:
        echo_table(df, ["ru_id", "en_id", "score", "rank", "ru_title", "en_title", "evidence", "status"])


@main.command("eval")
@click.argument("gold", type=click.Path(dir_okay=False))
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: precision, recall, f1, tp, fp, fn.")
def eval_cmd(gold: str, db: str, as_json: bool) -> None:
    """Precision, recall and F1 of the workspace's links against GOLD (TSV with header ru_id<TAB>en_id)."""
    from ..evaluate import eval_links

    with open_workspace(db) as ws:
        res = eval_links(ws, gold)
    if as_json:
        click.echo(json.dumps(res))
    else:
        click.echo(f"precision {res['precision']:.4f}  recall {res['recall']:.4f}  F1 {res['f1']:.4f}  "
                   f"(tp {res['tp']}, fp {res['fp']}, fn {res['fn']})")
