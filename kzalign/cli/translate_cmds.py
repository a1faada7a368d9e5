"""``kzalign models`` (list / install argos packages) and ``kzalign translate``."""

from __future__ import annotations

import json

import click

from kzalign.cli import (
    GlossaryChoice,
    db_option,
    echo_table,
    engine_options,
    format_option,
    glossary_option,
    main,
    plural,
    progress_bars,
)
from kzalign.core.errors import KzalignError
from kzalign.store.workspace import Workspace


@main.group(invoke_without_command=True)
@format_option(["table", "jsonl"], "table")
@click.pass_context
def models(ctx: click.Context, fmt: str) -> None:
    """Show installed models (argos translation packages, sentence encoders) and what is missing.

    \b
    Subcommands:
      kzalign models install ru-en                         download through argos's package index
      kzalign models install --from-file FILE.argosmodel   install a downloaded package (offline)
    Packages go to argostranslate's package folder ($ARGOS_PACKAGES_DIR when set).
    """
    from kzalign.engines.argos import list_models
    from kzalign.engines.translate import mt_status

    if ctx.invoked_subcommand is not None:
        return
    df = list_models()
    if fmt == "jsonl":
        for rec in df.to_dict(orient="records"):
            click.echo(json.dumps(rec, ensure_ascii=False))
        return
    echo_table(df, max_width=80)
    click.echo("")
    click.echo(mt_status())


@models.command("install")
@click.argument("pair", required=False)
@click.option("--from-file", "from_file", type=click.Path(dir_okay=False),
              help="Install this downloaded .argosmodel file instead of downloading.")
def models_install(pair: str | None, from_file: str | None) -> None:
    """Install an argos translation package: PAIR like ru-en (online), or --from-file PATH (offline)."""
    from kzalign.engines.argos import install_from_file, install_online
    from kzalign.engines.translate import mt_status

    if from_file:
        pkg = install_from_file(from_file)
    else:
        if not pair:
            raise KzalignError("say which package: kzalign models install ru-en, or --from-file PATH.argosmodel")
        codes = pair.replace("_", "-").split("-")
        if len(codes) != 2 or not all(codes):
            raise KzalignError(f"{pair!r}: expected a language pair like ru-en")
        pkg = install_online(codes[0].lower(), codes[1].lower())
    click.echo(f"Installed {pkg.name} ({pkg.from_code}→{pkg.to_code}, version {pkg.package_version or '?'}) "
               f"into {pkg.path}")
    if not pkg.usable:
        click.secho(f"Warning: kzalign cannot use it: {pkg.problem}", fg="yellow", err=True)
    click.echo(mt_status())


@main.command()
@db_option
@engine_options
@click.option("--force", is_flag=True, help="Translate again even what is cached.")
@click.option("--beam-size", type=click.IntRange(1, 16), default=2, show_default=True, help="Beam size.")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=32, show_default=True,
              help="Sentences per CTranslate2 batch.")
@glossary_option
def translate(db: str, force: bool, beam_size: int, batch_size: int, glossary: GlossaryChoice) -> None:
    """Machine-translate the Russian items (offline, argos + CTranslate2), caching by sentence.

    Re-running translates only sentences not translated before with the same model and
    settings; translations are saved as each chunk finishes, so a stopped run resumes where it
    was. With --cluster the sentences are translated on Dask workers (see README, "Scale").
    Flagged sentences (empty, repetition, copied_source, length_ratio,
    placeholder_lost) are counted in the summary and kept in the workspace.
    """
    from kzalign.engines.translate import load_translator, mt_status, translate_workspace

    with Workspace(db, create=False) as ws, progress_bars() as bars:
        bars("loading translation model", 0, 0)
        translator = load_translator(beam_size=beam_size, batch_size=batch_size)
        if translator is None:
            raise KzalignError(mt_status())
        rep = translate_workspace(ws, translator, glossary=glossary.glossary, force=force, progress=bars)
    click.echo(
        f"Translated {plural(rep.translated, 'sentence')}, {rep.cached} from the cache, of "
        f"{plural(rep.sentences, 'unique sentence')} in {plural(rep.items, 'Russian item')} in {rep.seconds:.1f}s; "
        f"{rep.flagged} flagged."
    )
    if rep.flag_counts:
        click.echo("  flags: " + ", ".join(f"{k} {v}" for k, v in sorted(rep.flag_counts.items())))
    click.echo(f"  model: {rep.signature}")
