"""``kzalign run``: the main job."""

from __future__ import annotations

from pathlib import Path

import click

from kzalign.cli import (
    GlossaryChoice,
    db_option,
    echo_table,
    encoder_option,
    engine_options,
    glossary_option,
    main,
    plural,
    progress_bars,
)
from kzalign.cli.ingest_cmds import echo_ingest_report
from kzalign.cli.link_cmds import echo_mt_use, glossary_refused
from kzalign.store.workspace import new_or_existing_workspace

#: Links shown in the summary table at the end of a run (all of them are in links.csv).
SUMMARY_ROWS = 20


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for items.csv, links.csv, pairs.csv, signature.txt and report.html.")
@db_option
@engine_options
@encoder_option
@click.option("--threshold", type=float, default=None, help="Link score threshold (default: calibrated).")
@click.option("--max-days", type=int, default=None,
              help="Only link English reports at most N days older than the Russian one (off by default).")
@glossary_option
@click.option("--relink", is_flag=True,
              help="Accept a --glossary other than the workspace's last link run's and rescore every pair.")
@click.option("--no-translate", is_flag=True, help="Skip machine translation even if a model is installed.")
@click.option("--no-pairs", is_flag=True, help="Skip sentence pairs.")
@click.option("--skip-bad", is_flag=True, help="Skip unreadable inputs instead of failing (they are listed).")
def run(inputs: tuple[str, ...], out_dir: str, db: str, encoder_name: str | None, threshold: float | None,
        max_days: int | None, glossary: GlossaryChoice, relink: bool, no_translate: bool, no_pairs: bool,
        skip_bad: bool) -> None:
    """Ingest INPUTS, translate, link, align sentences and write the results to --out.

    \b
    Writes (UTF-8 with BOM, opens in Excel/LibreOffice):
      OUT/items.csv      every item, with its machine translation (mt_en) when MT ran
      OUT/links.csv      Russian → English links: score, rank, titles, dates, evidence
      OUT/pairs.csv      sentence pairs inside linked reports
      OUT/signature.txt  what produced these (kzalign version, encoder, MT model, thresholds, glossary)
      OUT/report.html    the links and sentence pairs side by side (one offline page; any browser)

    Re-running only does new work: embeddings and translations are cached in the workspace.
    Without a Russian→English argos model, linking still runs on the multilingual encoders.

    Example: kzalign run seeds/ --out out/
    """
    from kzalign.stages.link import GlossaryChanged
    from kzalign.stages.pipeline import RunOptions, run_pipeline

    opts = RunOptions(
        inputs=list(inputs), out_dir=Path(out_dir), glossary=glossary.glossary, skip_bad=skip_bad,
        encoder=encoder_name, threshold=threshold, max_days=max_days, translate=not no_translate,
        pairs=not no_pairs, relink=relink or not glossary.explicit, glossary_paths=list(glossary.used),
    )
    with new_or_existing_workspace(db) as ws, progress_bars() as bars:
        try:
            rep = run_pipeline(ws, opts, progress=bars)
        except GlossaryChanged as exc:
            raise glossary_refused(db, glossary, exc) from exc
    echo_ingest_report(rep.ingest)
    click.secho(rep.mt_status, fg="green" if rep.mt_used else "yellow")
    if rep.link is not None:
        echo_mt_use(rep.link)
        if rep.link.glossary_changed:
            click.secho(f"The glossary changed since the last link run: every pair was scored with "
                        f"{rep.link.glossary}.", fg="yellow")
    c = rep.counts
    click.echo(
        f"Linked {c['linked_ru']} of {plural(c['ru'], 'Russian item')} to English items "
        f"({plural(c['links'], 'link')} among {plural(c['en'], 'English item')}); "
        f"{plural(c['pairs'], 'sentence pair')}."
    )
    if len(rep.links):
        shown = rep.links.head(SUMMARY_ROWS)
        click.echo()
        echo_table(shown, columns=["ru_title", "kind", "en_title", "en_date", "score", "rank"], max_width=48)
        if len(rep.links) > SUMMARY_ROWS:
            click.echo(f"… and {len(rep.links) - SUMMARY_ROWS} more links in links.csv")
        click.echo()
    for name, path in rep.outputs.items():
        click.echo(f"  {name:<9} {path}")
    click.echo(f"Signature: {rep.signature}")
