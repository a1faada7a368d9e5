"""Commands for sentence pairs and the review round trip: pairs, review export/import, export, eval-sentences."""

from __future__ import annotations

import json
import sys

import click

from . import db_option, echo_table, format_option, main, progress_bars


def _encoder(name: str | None):
    from ..sentences import resolve_encoder

    return resolve_encoder(name)


def _glossary(paths: tuple[str, ...], what: str):
    """The glossary for glossary proposals (None when they are not wanted)."""
    if what not in ("glossary", "all"):
        return None
    from ..glossary import load_glossary
    from .glossary_cmds import resolve_glossary_paths

    return load_glossary(resolve_glossary_paths(paths))


@main.command("pairs")
@db_option
@format_option(["table", "csv", "tsv", "jsonl"], "table")
@click.option("--regime", type=click.Choice(["auto", "parallel", "comparable"]), default="auto", show_default=True,
              help="Force one alignment regime for every link (default: chosen per link).")
@click.option("--encoder", "encoder_name", default=None, help="Sentence encoder (use, e5, minilm, st:PATH).")
@click.option("--no-align", is_flag=True, help="Only show the pairs of the last run.")
@click.option("--no-translate", is_flag=True, help="Leave the MT draft column empty.")
@click.option("--glossary", "glossary_paths", multiple=True, type=click.Path(exists=True),
              help="Glossary CSV file(s)/folder for the QA flags (default: $KZALIGN_GLOSSARY or ./glossaries).")
def pairs_cmd(db: str, fmt: str, regime: str, encoder_name: str | None, no_align: bool, no_translate: bool,
              glossary_paths: tuple[str, ...]) -> None:
    """Align sentences inside every linked item pair and print the pairs.

    \b
    Near-parallel links (one text translates the other) get a monotone alignment with 1:1, 1:2,
    2:1, 2:2 groups; comparable links (reports of the same event) keep only the sentences that
    really correspond. QA flags mark numbers missing in English and glossary names not followed.
    """
    from ..files import csv_text
    from ..sentences import align_workspace, pairs_table
    from ..store import open_workspace

    with open_workspace(db) as ws:
        if not no_align:
            translator = None
            if not no_translate:
                from ..translate import load_translator

                translator = load_translator()
            with progress_bars() as bars:
                rep = align_workspace(ws, encoder=_encoder(encoder_name), regime=regime, translator=translator,
                                      glossary=_glossary(glossary_paths, "all"), progress=bars)
            regimes = ", ".join(f"{k} {v}" for k, v in sorted(rep.regimes.items())) or "none"
            click.echo(f"{rep.pairs} pairs from {rep.links} links ({regimes}); "
                       f"{rep.kept_by_decision} kept by review, {rep.rejected_skipped} rejected left out", err=True)
        df = pairs_table(ws)
    if fmt == "table":
        echo_table(df, ["pair_id", "score", "regime", "ru_text", "en_text", "flags"], max_width=50)
    elif fmt == "jsonl":
        for rec in df.to_dict("records"):
            click.echo(json.dumps(rec, ensure_ascii=False, default=str))
    else:
        text = csv_text(df, spreadsheet=False) if fmt == "csv" else df.to_csv(sep="\t", index=False)
        sys.stdout.write(text)


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


@main.command("eval-sentences")
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--encoder", "encoder_name", default=None, help="Sentence encoder (use, e5, minilm, st:PATH).")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def eval_sentences_cmd(gold_dir: str, encoder_name: str | None, as_json: bool) -> None:
    """Score sentence alignment against vecalign-format gold (NAME.ru, NAME.en, NAME.gold): strict and lax P/R/F1."""
    from ..evaluate import eval_sentence_alignment

    res = eval_sentence_alignment(gold_dir, _encoder(encoder_name))
    if as_json:
        click.echo(json.dumps({"strict": res["strict"], "lax": res["lax"]}))
        return
    click.echo(f"{res['docs']} documents")
    echo_table([{"": k, **{m: f"{v:.4f}" for m, v in res[k].items()}} for k in ("strict", "lax")])  # type: ignore[union-attr]
