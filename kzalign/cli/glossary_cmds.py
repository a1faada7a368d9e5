"""``kzalign glossary ...`` (check, extract, list, export, add, merge, remove, edit) and ``kzalign translit``.

Where the glossary is, when no ``--glossary`` is given, is decided here (the library takes paths):
the user glossary folder (``$KZALIGN_GLOSSARY``, else ``glossaries`` in ``$KZALIGN_HOME`` or the
platform's user data folder) when it holds glossary files, else the bundled glossary. Upkeep writes
only to the user folder (never into the package or a source checkout); the first write copies the
bundled files there, so the bundled entries stay in use.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kzalign.cli import (
    EMIT_FORMATS,
    GlossaryChoice,
    busy,
    db_option,
    echo_table,
    emit,
    glossary_option,
    main,
    plural,
)

_WHERE = "Default: $KZALIGN_GLOSSARY, else glossaries/ in $KZALIGN_HOME or the user data folder."


def _write_target(target: str | None) -> tuple[Path, Path | None]:
    """Where new entries go (``--to``/``--into`` or the user folder) and the glossary to copy in first."""
    from kzalign.glossary import BUNDLED_DIR, user_glossary_dir

    return (Path(target) if target else user_glossary_dir()), BUNDLED_DIR


def _guard(out: str | Path, db: str | None = None, glossary: GlossaryChoice | None = None,
           edit: bool = False, inputs: tuple[str, ...] = ()) -> Path:
    """The output guard for a glossary command's file: never the workspace, a database, a reviewed file, the
    glossary in use or (``edit`` aside) a glossary folder."""
    from kzalign.formats.guard import check_output

    return check_output(out, workspace=db, inputs=inputs, glossary_edit=edit,
                        glossaries=glossary.used if glossary else ())


def _guard_edit(target: Path, kinds: list[str]) -> None:
    """Guard the files a glossary edit writes: ``target`` itself, or the kinds' files in a folder."""
    from kzalign.glossary import target_file

    for kind in dict.fromkeys(kinds):
        _guard(target_file(target, kind), edit=True)


def _say_seeded(seeded: list[str], folder: Path) -> None:
    if seeded:
        click.echo(f"{folder} had no glossary yet: copied the bundled glossary there first "
                   f"({', '.join(Path(p).name for p in seeded)}), so its entries stay in use.")


@main.group("glossary")
def glossary_group() -> None:
    """Name glossary: QA check, candidate extraction from linked items, listing and editing."""


@glossary_group.command("check")
@click.argument("inputs", nargs=-1, type=click.Path(exists=True))
@db_option
@glossary_option
@click.option("--out", type=click.Path(dir_okay=False), help="Write the report as CSV instead of printing it.")
def check_cmd(inputs: tuple[str, ...], db: str, glossary: GlossaryChoice, out: str | None) -> None:
    """QA report, one row per finding: forbidden/variant spellings, inconsistent English spellings across
    items, Russian names with no entry, machine translations that miss a glossary name.

    INPUT files are read into a temporary workspace; without them the workspace (--db) is checked,
    including its machine translations when a translate run exists.
    """
    from kzalign.core.files import write_csv
    from kzalign.stages.glossary_check import CHECK_COLUMNS, check_inputs

    if out:
        _guard(out, db, glossary, inputs=inputs)
    with busy("checking names"):
        report = check_inputs(list(inputs), db, glossary.glossary)
    if out:
        write_csv(out, report, columns=CHECK_COLUMNS)
        click.echo(f"{plural(len(report), 'finding')} written to {out}")
    else:
        echo_table(report, columns=["item_id", "source", "finding", "found", "expected"], max_width=50)
        click.echo(plural(len(report), "finding"))


@glossary_group.command("extract")
@db_option
@glossary_option
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Candidates CSV (glossary columns plus score and evidence). Default: candidates.csv in your "
                   "glossary folder ($KZALIGN_GLOSSARY, else glossaries/ in $KZALIGN_HOME or the user data folder).")
@click.option("--min-score", type=float, default=0.75, show_default=True, help="Least transliteration similarity.")
def extract_cmd(db: str, glossary: GlossaryChoice, out: str | None, min_score: float) -> None:
    """Propose ru↔en name pairs from linked items (status=candidate); review them, set status to
    approved, then 'kzalign glossary merge OUT'. Approved entries are never overwritten."""
    from kzalign.glossary import CANDIDATES_FILE, extract_to_file, refuse_bundled
    from kzalign.glossary.locations import user_folder

    out = out or str(user_folder() / CANDIDATES_FILE)
    refuse_bundled(out)
    _guard(out, db, glossary)
    with busy("finding name pairs"):
        df = extract_to_file(db, glossary.glossary, out, min_score)
    if not len(df):
        click.echo(f"No new name pairs: every Russian name in the linked items is already in the glossary or "
                   f"has no English match with similarity ≥ {min_score:g}. (Empty {out} written.)")
        return
    echo_table(df, columns=["ru", "en", "kind", "score", "evidence"], max_width=50)
    click.echo(f"{plural(len(df), 'candidate')} written to {out}")


@glossary_group.command("list")
@glossary_option
@click.option("--kind", type=click.Choice(["person", "org", "place", "title", "other"]))
@click.option("--status", type=click.Choice(["approved", "candidate"]))
@click.option("--format", "fmt", type=click.Choice(EMIT_FORMATS), default="table", show_default=True,
              help="table for reading; csv (spreadsheet dialect: BOM, CRLF), tsv or jsonl (one entry per line, "
                   "variants and forbidden spellings as arrays) for tools.")
def list_cmd(glossary: GlossaryChoice, kind: str | None, status: str | None, fmt: str) -> None:
    """Show glossary entries.

    Example: kzalign glossary list --kind person --format csv > people.csv
    """
    from kzalign.glossary import COLUMNS, glossary_table

    df = glossary_table(glossary.glossary, kind, status).reindex(columns=list(COLUMNS))
    if fmt == "jsonl":
        df = df.assign(**{c: [[v for v in str(x).split("|") if v] for x in df[c]] for c in ("variants", "forbidden")})
    emit(df, fmt, table_columns=["ru", "en", "kind", "variants", "forbidden", "status"], max_width=45)


@glossary_group.command("export")
@glossary_option
@click.option("--format", "fmt", type=click.Choice(["tbx", "tbx2", "omegat", "csv"]), required=True,
              help="tbx: TBX-Basic as TBX v3 (ISO 30042:2019); tbx2: TBX-Basic 2.0 (martif), what most CAT "
                   "tools (Trados MultiTerm, memoQ, OmegaT) and translate-toolkit read; omegat: OmegaT's "
                   "tab-separated glossary (no header; name it .txt or .utf8); csv: the glossary columns.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--source-lang", default="ru", show_default=True, help="Language code of the Russian terms (e.g. ru-RU).")
@click.option("--target-lang", default="en", show_default=True, help="Language code of the English terms (e.g. en-GB).")
def export_cmd(glossary: GlossaryChoice, fmt: str, out: str, source_lang: str, target_lang: str) -> None:
    """Write the glossary as terminology a CAT tool imports.

    \b
    TBX: approved forms are preferred terms, variants admitted, forbidden spellings deprecated
    (tbx2 when a tool refuses the TBX v3 root).
    OmegaT: one line per approved form and per variant; forbidden spellings in the comment.

    Example: kzalign glossary export --format tbx --out names.tbx --target-lang en-GB
    """
    from kzalign.glossary import export_glossary

    _guard(out, None, glossary)
    g = glossary.glossary
    warnings: list[str] = []
    path = export_glossary(g, out, fmt, source_lang, target_lang, warnings=warnings)
    for w in warnings:
        click.secho(f"Warning: {w}", fg="yellow", err=True)
    click.echo(f"{len(g.entries)} entr{'y' if len(g.entries) == 1 else 'ies'} written to {path} ({fmt})")


@glossary_group.command("add")
@click.argument("ru")
@click.argument("en")
@click.option("--kind", type=click.Choice(["person", "org", "place", "title", "other"]), required=True)
@click.option("--variants", default="", help="Accepted English alternates, |-separated.")
@click.option("--forbidden", default="", help="English spellings never to use, |-separated.")
@click.option("--status", type=click.Choice(["approved", "candidate"]), default="approved", show_default=True)
@click.option("--note", default="")
@click.option("--source", default="", help="Where the official spelling comes from.")
@click.option("--to", "target", type=click.Path(), default=None,
              help="Glossary CSV, or a folder (the kind's file: people.csv, organisations.csv, places.csv, "
                   "other.csv). " + _WHERE)
def add_cmd(ru: str, en: str, kind: str, variants: str, forbidden: str, status: str, note: str, source: str,
            target: str | None) -> None:
    """Add one entry by hand (validated against the whole glossary first).

    A glossary folder that has no glossary files yet first gets a copy of the bundled glossary,
    so the new entry joins the bundled entries instead of hiding them.
    """
    from kzalign.glossary import add_to_glossary, new_entry

    folder, seed = _write_target(target)
    _guard_edit(folder, [kind])
    rep = add_to_glossary(folder, new_entry(ru, en, kind, variants, forbidden, status, note, source), seed=seed)
    _say_seeded(rep.seeded, folder)
    click.echo(f"added {ru} → {en} to {rep.files[0]}")


@glossary_group.command("merge")
@click.argument("candidates", type=click.Path(exists=True, dir_okay=False))
@click.option("--into", "target", type=click.Path(), default=None,
              help="Glossary CSV or folder to merge into. " + _WHERE)
@click.option("--all", "take_all", is_flag=True, help="Merge every row, not only those marked approved.")
def merge_cmd(candidates: str, target: str | None, take_all: bool) -> None:
    """Merge reviewed candidates (rows whose status you set to approved) into the glossary.

    A folder without glossary files first gets a copy of the bundled glossary (nothing is hidden).
    """
    from kzalign.glossary import KINDS, merge_candidates

    folder, seed = _write_target(target)
    _guard_edit(folder, list(KINDS))
    rep = merge_candidates(candidates, folder, only_approved=not take_all, seed=seed)
    _say_seeded(rep.seeded, folder)
    for e in rep.added:
        click.echo(f"added  {e.ru} → {e.en}")
    for ru, why in rep.skipped:
        click.echo(f"skipped {ru}: {why}")
    click.echo(f"{len(rep.added)} added, {len(rep.skipped)} skipped" + (f" ({', '.join(rep.files)})" if rep.files else ""))


def _in_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--in PATH``: the glossary ``remove``/``edit`` change (default: the user glossary folder)."""
    return click.option("--in", "target", type=click.Path(), default=None,
                        help="Glossary CSV or folder to change. " + _WHERE)(fn)


@glossary_group.command("remove")
@click.argument("ru")
@_in_option
def remove_cmd(ru: str, target: str | None) -> None:
    """Remove the entry for the Russian name RU (case and ё/е ignored) from your glossary.

    Removing a bundled entry from a folder without glossary files first copies the bundled
    glossary there, so only that entry goes. An unknown name is an error; nothing is written.

    Example: kzalign glossary remove "Айгерим Сейсенова"
    """
    from kzalign.glossary import KINDS, remove_from_glossary

    folder, seed = _write_target(target)
    _guard_edit(folder, list(KINDS))
    rep = remove_from_glossary(folder, ru, seed=seed)
    _say_seeded(rep.seeded, folder)
    click.echo(f"removed {rep.old.ru} → {rep.old.en} from {rep.files[0]}")


@glossary_group.command("edit")
@click.argument("ru")
@click.option("--en", default=None, help="New approved English form.")
@click.option("--kind", type=click.Choice(["person", "org", "place", "title", "other"]), default=None)
@click.option("--variants", default=None, help="Accepted English alternates, |-separated (replaces the old list).")
@click.option("--forbidden", default=None, help="English spellings never to use, |-separated (replaces the old list).")
@click.option("--status", type=click.Choice(["approved", "candidate"]), default=None)
@click.option("--note", default=None)
@click.option("--source", default=None, help="Where the official spelling comes from.")
@_in_option
def edit_cmd(ru: str, en: str | None, kind: str | None, variants: str | None, forbidden: str | None,
             status: str | None, note: str | None, source: str | None, target: str | None) -> None:
    """Change fields of the entry for the Russian name RU; fields not given stay as they are.

    The whole glossary is validated before anything is written (a forbidden spelling that is
    another entry's approved form is refused with its file and row).

    Example: kzalign glossary edit "Ержан Ашикбаев" --variants "Yerzhan Ashikbayev|Erzhan Ashikbaev"
    """
    from kzalign.glossary import KINDS, edit_entry

    given = {"en": en, "kind": kind, "variants": variants, "forbidden": forbidden, "status": status, "note": note,
             "source": source}
    folder, seed = _write_target(target)
    _guard_edit(folder, list(KINDS))
    rep = edit_entry(folder, ru, {k: v for k, v in given.items() if v is not None}, seed=seed)
    _say_seeded(rep.seeded, folder)
    changed = [k for k in given if given[k] is not None]
    click.echo(f"changed {', '.join(changed)} of {rep.old.ru} ({' and '.join(rep.files)})")


@main.command("translit")
@click.argument("texts", nargs=-1, required=True)
@click.option("--scheme", default="kazakh", show_default=True,
              help="kazakh (official Kazakh English conventions) or an iuliia schema: wikipedia, bgn_pcgn, icao_doc_9303, ...")
@click.option("--explain", is_flag=True, help="Show which rule or glossary entry produced each part.")
@glossary_option
@click.option("--no-glossary", is_flag=True, help="Transliterate glossary names too.")
def translit_cmd(texts: tuple[str, ...], scheme: str, explain: bool, glossary: GlossaryChoice,
                 no_glossary: bool) -> None:
    """Romanise Russian-Cyrillic names, one output line per TEXT; glossary names take their approved form."""
    from kzalign.glossary import explain_lines

    for text in texts:
        for line in explain_lines(text, scheme, None if no_glossary else glossary.glossary, explain):
            click.echo(line)
