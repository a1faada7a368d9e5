"""Commands for the review round trip: review export/import and export (sentence commands: sentence_cmds.py)."""

from __future__ import annotations

import click

from . import db_option, format_option, main


def _glossary(paths: tuple[str, ...], what: str):
    """The glossary for glossary proposals (None when they are not wanted)."""
    if what not in ("glossary", "all"):
        return None
    from ..glossary import load_glossary

    return load_glossary(list(paths) or None)


@main.group("review")
def review_group() -> None:
    """Export proposals for a translator's review, and import the decisions back."""


@review_group.command("export")
@db_option
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="review.csv or review.xlsx")
@click.option("--what", type=click.Choice(["links", "pairs", "glossary", "all"]), default="all", show_default=True)
@click.option("--xlsx", is_flag=True, help="Write an Excel workbook (also chosen by a .xlsx --out).")
@click.option("--glossary", "glossary_paths", multiple=True, type=click.Path(exists=True),
              help="Glossary CSV file(s)/folder (default: $KZALIGN_GLOSSARY or ./glossaries).")
def review_export_cmd(db: str, out: str, what: str, xlsx: bool, glossary_paths: tuple[str, ...]) -> None:
    """Write one row per proposal with empty decision/corrected_en/reviewer/note columns.

    \b
    Row ids are stable; the header's signature ties the file to this workspace and run.
    Fill in decision = accept | reject | fix (fix: put the right English in corrected_en).
    """
    from ..review import export_review
    from ..store import open_workspace

    with open_workspace(db) as ws:
        rep = export_review(ws, out, what=what, xlsx=xlsx or None, glossary=_glossary(glossary_paths, what))
    kinds = ", ".join(f"{v} {k}" for k, v in sorted(rep.by_kind.items())) or "nothing to review"
    click.echo(f"wrote {rep.path} ({kinds})")


@review_group.command("import")
@db_option
@click.argument("review_file", type=click.Path(dir_okay=False))
@click.option("--partial", is_flag=True, help="Apply the valid rows even when some rows have problems.")
@click.option("--reviewer", default=None, help="Reviewer name for rows whose reviewer cell is empty.")
@click.option("--glossary", "glossary_path", type=click.Path(), default=None,
              help="Glossary folder/file that accepted candidates go into (default: $KZALIGN_GLOSSARY or "
                   "./glossaries).")
def review_import_cmd(db: str, review_file: str, partial: bool, reviewer: str | None,
                      glossary_path: str | None) -> None:
    """Validate every row of a reviewed file, then store its decisions (nothing is stored if a row is bad)."""
    from ..review import import_review
    from ..store import open_workspace

    with open_workspace(db) as ws:
        rep = import_review(ws, review_file, partial=partial, reviewer=reviewer, glossary_target=glossary_path,
                            glossary=_glossary((glossary_path,) if glossary_path else (), "all"))
    for p in rep.problems:
        click.secho(f"skipped {p}", fg="yellow", err=True)
    decided = ", ".join(f"{v} {k}" for k, v in sorted(rep.by_decision.items())) or "no new decisions"
    click.echo(f"imported {rep.applied} decision(s) ({decided}); {rep.unchanged} unchanged"
               + (f"; {rep.glossary_added} glossary entries added" if rep.glossary_added else ""))


@main.command("export")
@db_option
@format_option(["tmx", "tsv", "jsonl"], "tmx")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
@click.option("--unreviewed", is_flag=True, help="Also export pairs nobody has reviewed yet (not rejected ones).")
def export_cmd(db: str, fmt: str, out: str, unreviewed: bool) -> None:
    """Export accepted sentence pairs (fixed ones with the corrected English) as TMX, TSV or JSONL."""
    from ..review import export_pairs
    from ..store import open_workspace

    with open_workspace(db) as ws:
        rep = export_pairs(ws, out, fmt=fmt, include_unreviewed=unreviewed)
    click.echo(f"wrote {rep.units} pair(s) to {rep.path}")
