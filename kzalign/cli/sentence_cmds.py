"""Commands for sentence alignment: pairs (inside linked items), align (one given document pair), eval-sentences."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from kzalign.cli import (
    EMIT_FORMATS,
    GlossaryChoice,
    busy,
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


def _encoder(name: str | None):
    from kzalign.stages.sentences import resolve_encoder

    return resolve_encoder(name)


def _params(encoder, max_side: int | None, overlaps: str):
    """Settings from the shared options (``None`` keeps the measured default) and the encoder's calibration."""
    from kzalign.stages.sentences import params_for

    base = params_for(encoder)
    cfg = base.align if max_side is None else replace(base.align, max_side=max_side)
    return replace(base, align=cfg, overlaps=overlaps)


def aligner_options(fn):
    """--encoder, --max-side and --overlaps, shared by every sentence-alignment command."""
    fn = click.option("--overlaps", type=click.Choice(["mean", "cascade", "encode"]), default="mean",
                      show_default=True,
                      help="Vectors of runs of sentences: mean of the sentence vectors (no extra encoding); "
                           "cascade: means first, then, in loose (literary) pairs, the joined text encoded "
                           "only for the groups in doubt (skips, several sentences a side, weak 1:1 groups; "
                           "at most 1.25x the pair's sentence characters), which are re-decided; encode: "
                           "every run's joined text (vecalign's overlaps). See BENCHMARKS.md.")(fn)
    fn = click.option("--max-side", type=click.IntRange(1, 8), default=None,
                      help="Most sentences on one side of an aligned group (default 6: 1:1 … 1:6, 6:1; "
                           "2:2, 2:3, 3:2 too).")(fn)
    return encoder_option(fn)


def _echo_pairs(df, fmt: str) -> None:
    emit(df, fmt, table_columns=["pair_id", "score", "regime", "ru_text", "en_text", "flags"], max_width=50)


@main.command("pairs")
@db_option
@engine_options
@format_option(EMIT_FORMATS, "table")
@click.option("--regime", type=click.Choice(["auto", "parallel", "comparable"]), default="auto", show_default=True,
              help="Force one alignment regime for every link (default: chosen per link).")
@aligner_options
@click.option("--no-align", is_flag=True, help="Only show the pairs of the last run.")
@click.option("--no-translate", is_flag=True, help="Leave the MT draft column empty.")
@glossary_option
def pairs_cmd(db: str, fmt: str, regime: str, encoder_name: str | None, max_side: int | None, overlaps: str,
              no_align: bool, no_translate: bool, glossary: GlossaryChoice) -> None:
    """Align sentences inside every linked item pair and print the pairs.

    \b
    Near-parallel links (one text translates the other) get a monotone alignment with groups of up
    to 6 sentences a side (1:1, 1:2 … 6:1, 2:2, 2:3) and skipped sentences; comparable links (reports of
    the same event) keep only the sentences that really correspond. Sentence vectors that linking
    stored are reused, so only new texts are encoded. QA flags mark numbers missing in English and
    glossary names not followed.
    """
    from kzalign.stages.sentences import align_workspace, pairs_table
    from kzalign.store.workspace import open_workspace

    with open_workspace(db) as ws:
        if not no_align:
            translator = None
            if not no_translate:
                from kzalign.engines.translate import load_translator

                with busy("loading translation model"):
                    translator = load_translator()
            enc = _encoder(encoder_name)
            with progress_bars() as bars:
                rep = align_workspace(ws, encoder=enc, regime=regime, translator=translator,
                                      glossary=glossary.glossary, progress=bars,
                                      params=_params(enc, max_side, overlaps))
            regimes = ", ".join(f"{k} {v}" for k, v in sorted(rep.regimes.items())) or "none"
            click.echo(f"{plural(rep.pairs, 'pair')} from {plural(rep.links, 'link')} ({regimes}); "
                       f"{plural(rep.encoded, 'text')} encoded (the rest cached); {rep.kept_by_decision} kept by "
                       f"review, {rep.rejected_skipped} rejected left out", err=True)
        df = pairs_table(ws)
    _echo_pairs(df, fmt)


@main.command("align")
@click.argument("ru_file", type=click.Path(dir_okay=False))
@click.argument("en_file", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write pairs.csv, pairs.tmx and signature.txt here (default: print the pairs).")
@format_option(EMIT_FORMATS, "table")
@aligner_options
@click.option("--lines", is_flag=True, help="Each line is one sentence (vecalign/Bertalign input); by default lines "
                                            "are split into sentences.")
@click.option("--max-sentences", type=click.IntRange(1), default=20_000, show_default=True,
              help="Refuse longer documents (a side) instead of encoding for a long time.")
@click.option("--source-lang", default="ru-RU", show_default=True, help="Language code of the Russian side in TMX.")
@click.option("--target-lang", default="en-GB", show_default=True, help="Language code of the English side in TMX.")
def align_cmd(ru_file: str, en_file: str, out_dir: str | None, fmt: str, encoder_name: str | None,
              max_side: int | None, overlaps: str, lines: bool, max_sentences: int, source_lang: str,
              target_lang: str) -> None:
    """Align the sentences of one Russian document and its English translation (no linking, no workspace).

    \b
    RU_FILE and EN_FILE are plain text (UTF-8, or Windows-1251). Groups of up to 6 sentences a side
    are found (a Russian sentence split in two in English is one 1:2 pair); sentences with no
    counterpart are left out and counted.
    Example: kzalign align report.ru.txt report.en.txt --out aligned/
      aligned/pairs.csv      one row per pair (opens in Excel), same columns as 'kzalign run'
      aligned/pairs.tmx      TMX 1.4b for a translation memory
      aligned/signature.txt  what produced them
    """
    from kzalign.core.files import write_atomic, write_csv
    from kzalign.formats.guard import check_output
    from kzalign.formats.tmx import tmx_document
    from kzalign.stages.review import check_lang
    from kzalign.stages.sentences import align_document_pair
    from kzalign.store.workspace import now_iso

    targets = []
    if out_dir is not None:  # refuse a bad output before the long part
        check_lang(source_lang, "--source-lang")
        check_lang(target_lang, "--target-lang")
        targets = [check_output(Path(out_dir) / name, inputs=(ru_file, en_file))
                   for name in ("pairs.csv", "pairs.tmx", "signature.txt")]
    enc = _encoder(encoder_name)
    with progress_bars() as bars:
        res = align_document_pair(ru_file, en_file, enc, split=not lines, max_sentences=max_sentences,
                                  params=_params(enc, max_side, overlaps), progress=bars)
    types = ", ".join(f"{k} {v}" for k, v in sorted(res.bead_types.items(), key=lambda kv: -kv[1]))
    click.echo(f"{plural(len(res.pairs), 'pair')} from {res.ru_sentences} Russian and {res.en_sentences} English "
               f"sentences ({types}); unaligned: {res.skipped_ru} Russian, {res.skipped_en} English", err=True)
    if not targets:
        _echo_pairs(res.pairs, fmt)
        return
    units = [{"tuid": r.pair_id, "source": r.ru_text, "target": r.en_text,
              "props": {"x-score": f"{float(r.score):.4f}", "x-ru-file": r.ru_id, "x-en-file": r.en_id,
                        "x-ru-idx": r.ru_idx, "x-en-idx": r.en_idx}} for r in res.pairs.itertuples(index=False)]
    tmx = tmx_document(units, res.signature, source_lang, target_lang, now_iso())
    written = [write_csv(targets[0], res.pairs), write_atomic(targets[1], tmx),
               write_atomic(targets[2], res.signature + "\n")]
    for path in written:
        click.echo(f"  {path}")
    click.echo(f"Signature: {res.signature}")


@main.command("eval-sentences")
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False))
@aligner_options
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def eval_sentences_cmd(gold_dir: str, encoder_name: str | None, max_side: int | None, overlaps: str,
                       as_json: bool) -> None:
    """Score sentence alignment against vecalign-format gold (NAME.ru, NAME.en, NAME.gold): strict and lax P/R/F1.

    \b
    NAME.ru / NAME.en hold one sentence a line; NAME.gold one group a line, as vecalign and
    Bertalign write it: [0,1]:[0] or [9, 10]:[9] (ids from 0; [] for a skipped sentence).
    """
    from kzalign.stages.evaluate import eval_sentence_alignment

    enc = _encoder(encoder_name)
    res = eval_sentence_alignment(gold_dir, enc, _params(enc, max_side, overlaps))
    if as_json:
        click.echo(json.dumps({k: res[k] for k in ("strict", "lax", "confusion", "docs")}))
        return
    click.echo(f"{res['docs']} documents")
    scores: dict[str, dict[str, float]] = {k: dict(res[k]) for k in ("strict", "lax")}  # type: ignore[call-overload]
    echo_table([{"": k, **{m: f"{v:.4f}" for m, v in scores[k].items()}} for k in ("strict", "lax")])
    click.echo("groups by type (correct = predicted exactly as in the gold; missed = gold groups not predicted):")
    conf: dict[str, dict[str, int]] = res["confusion"]  # type: ignore[assignment]
    echo_table([{"type": t, **row} for t, row in conf.items()])
