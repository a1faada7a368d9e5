"""``kzalign glossary ...`` (check, extract, list, add, merge) and ``kzalign translit``."""

from __future__ import annotations

import click

from . import db_option, echo_table, main

glossary_option = click.option(
    "--glossary", "glossary_paths", multiple=True, type=click.Path(exists=True),
    help="Glossary CSV file or folder (repeatable). Default: $KZALIGN_GLOSSARY, ./glossaries, or the bundled one.",
)


def _load(paths: tuple[str, ...]):
    from ..glossary import load_glossary

    return load_glossary(list(paths) if paths else None)


@main.group("glossary")
def glossary_group() -> None:
    """Name glossary: QA check, candidate extraction from linked items, listing and editing."""


@glossary_group.command("check")
@click.argument("inputs", nargs=-1, type=click.Path(exists=True))
@db_option
@glossary_option
@click.option("--out", type=click.Path(dir_okay=False), help="Write the report as CSV instead of printing it.")
def check_cmd(inputs: tuple[str, ...], db: str, glossary_paths: tuple[str, ...], out: str | None) -> None:
    """QA report, one row per finding: forbidden/variant spellings, inconsistent English spellings across
    items, Russian names with no entry, machine translations that miss a glossary name.

    INPUT files are read into a temporary workspace; without them the workspace (--db) is checked,
    including its machine translations when a translate run exists.
    """
    from ..files import write_csv
    from ..glossary import CHECK_COLUMNS, check_inputs

    report = check_inputs(list(inputs), db, _load(glossary_paths))
    if out:
        write_csv(out, report, columns=CHECK_COLUMNS)
        click.echo(f"{len(report)} finding(s) written to {out}")
    else:
        echo_table(report, columns=["item_id", "source", "finding", "found", "expected"], max_width=50)
        click.echo(f"{len(report)} finding(s)")


@glossary_group.command("extract")
@db_option
@glossary_option
@click.option("--out", type=click.Path(dir_okay=False), default="glossaries/candidates.csv", show_default=True,
              help="Candidates CSV (glossary columns plus score and evidence).")
@click.option("--min-score", type=float, default=0.75, show_default=True, help="Least transliteration similarity.")
def extract_cmd(db: str, glossary_paths: tuple[str, ...], out: str, min_score: float) -> None:
    """Propose ru↔en name pairs from linked items (status=candidate); review them, set status to
    approved, then 'kzalign glossary merge OUT'. Approved entries are never overwritten."""
    from ..glossary import extract_to_file

    df = extract_to_file(db, _load(glossary_paths), out, min_score)
    if not len(df):
        click.echo(f"No new name pairs: every Russian name in the linked items is already in the glossary or "
                   f"has no English match with similarity ≥ {min_score:g}. (Empty {out} written.)")
        return
    echo_table(df, columns=["ru", "en", "kind", "score", "evidence"], max_width=50)
    click.echo(f"{len(df)} candidate(s) written to {out}")


@glossary_group.command("list")
@glossary_option
@click.option("--kind", type=click.Choice(["person", "org", "place", "title", "other"]))
@click.option("--status", type=click.Choice(["approved", "candidate"]))
def list_cmd(glossary_paths: tuple[str, ...], kind: str | None, status: str | None) -> None:
    """Show glossary entries."""
    from ..glossary import glossary_table

    df = glossary_table(_load(glossary_paths), kind, status)
    echo_table(df, columns=["ru", "en", "kind", "variants", "forbidden", "status"], max_width=45)


@glossary_group.command("add")
@click.argument("ru")
@click.argument("en")
@click.option("--kind", type=click.Choice(["person", "org", "place", "title", "other"]), required=True)
@click.option("--variants", default="", help="Accepted English alternates, |-separated.")
@click.option("--forbidden", default="", help="English spellings never to use, |-separated.")
@click.option("--status", type=click.Choice(["approved", "candidate"]), default="approved", show_default=True)
@click.option("--note", default="")
@click.option("--source", default="", help="Where the official spelling comes from.")
@click.option("--to", "target", type=click.Path(), default="glossaries", show_default=True,
              help="Glossary CSV, or a folder (the kind's file: people.csv, organisations.csv, places.csv, other.csv).")
def add_cmd(ru: str, en: str, kind: str, variants: str, forbidden: str, status: str, note: str, source: str,
            target: str) -> None:
    """Add one entry by hand (validated against the whole glossary first)."""
    from ..glossary import add_entry_values

    path = add_entry_values(target, ru, en, kind, variants, forbidden, status, note, source)
    click.echo(f"added {ru} → {en} to {path}")


@glossary_group.command("merge")
@click.argument("candidates", type=click.Path(exists=True, dir_okay=False))
@click.option("--into", "target", type=click.Path(), default="glossaries", show_default=True,
              help="Glossary CSV or folder to merge into.")
@click.option("--all", "take_all", is_flag=True, help="Merge every row, not only those marked approved.")
def merge_cmd(candidates: str, target: str, take_all: bool) -> None:
    """Merge reviewed candidates (rows whose status you set to approved) into the glossary."""
    from ..glossary import merge_candidates

    rep = merge_candidates(candidates, target, only_approved=not take_all)
    for e in rep.added:
        click.echo(f"added  {e.ru} → {e.en}")
    for ru, why in rep.skipped:
        click.echo(f"skipped {ru}: {why}")
    click.echo(f"{len(rep.added)} added, {len(rep.skipped)} skipped" + (f" ({', '.join(rep.files)})" if rep.files else ""))


@main.command("translit")
@click.argument("texts", nargs=-1, required=True)
@click.option("--scheme", default="kazakh", show_default=True,
              help="kazakh (official Kazakh English conventions) or an iuliia schema: wikipedia, bgn_pcgn, icao_doc_9303, ...")
@click.option("--explain", is_flag=True, help="Show which rule or glossary entry produced each part.")
@glossary_option
@click.option("--no-glossary", is_flag=True, help="Transliterate glossary names too.")
def translit_cmd(texts: tuple[str, ...], scheme: str, explain: bool, glossary_paths: tuple[str, ...],
                 no_glossary: bool) -> None:
    """Romanise Russian-Cyrillic names, one output line per TEXT; glossary names take their approved form."""
    from ..glossary import explain_lines

    for text in texts:
        for line in explain_lines(text, scheme, None if no_glossary else _load(glossary_paths), explain):
            click.echo(line)
