"""``kzalign run``: ingest → translate (when a model is installed) → link → sentence pairs → files.

The whole run is one workspace transaction. Output files are checked before the stages, staged
beside --out inside the transaction, and moved into place only after the commit
(:class:`kzalign.core.outputs.OutputSet`), so a failed run leaves the workspace and earlier outputs intact.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from kzalign.core.files import write_atomic, write_csv
from kzalign.core.outputs import OutputSet
from kzalign.core.progress import ProgressCallback, report
from kzalign.formats.guard import check_output
from kzalign.inputs.ingest import IngestReport, ingest_paths
from kzalign.store.workspace import Workspace

if TYPE_CHECKING:
    from kzalign.engines.translate import TranslateReport, Translator
    from kzalign.glossary import Glossary
    from kzalign.stages.link import LinkReport
    from kzalign.stages.sentences import PairsReport

log = logging.getLogger(__name__)

ITEM_COLUMNS = ["id", "lang", "date", "title", "text", "mt_en", "mt_flags", "sources"]
OUTPUT_FILES = ["items.csv", "links.csv", "pairs.csv", "signature.txt", "report.html"]


@dataclass
class RunOptions:
    """What ``kzalign run`` was asked to do (CLI options map one-to-one; the glossary is loaded at the edge)."""

    inputs: list[str]
    out_dir: Path
    skip_bad: bool = False
    encoder: str | None = None
    threshold: float | None = None
    max_days: int | None = None
    #: The loaded glossary, or the glossary paths to load once here (None: no glossary, ``gloss:none``).
    glossary: Glossary | list[str] | None = None
    translate: bool = True
    beam_size: int = 2
    pairs: bool = True
    #: Accept a glossary other than the last link run's (False: refused, workspace unchanged).
    relink: bool = True
    #: The glossary files and folders in use (given, or the default's): no output goes there.
    glossary_paths: list[str] = field(default_factory=list)


@dataclass
class RunReport:
    """Everything a run did, for the summary the CLI prints."""

    ingest: IngestReport
    mt_status: str = ""
    mt_used: bool = False
    translate: TranslateReport | None = None
    link: LinkReport | None = None
    pairs: PairsReport | None = None
    signature: str = ""
    outputs: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    links: pd.DataFrame = field(default_factory=pd.DataFrame)


def _translate(ws: Workspace, opts: RunOptions, rep: RunReport, glossary: Glossary,
               progress: ProgressCallback | None) -> tuple[Translator | None, pd.DataFrame | None]:
    """Translate the workspace's Russian items when a model is installed: (translator, item drafts)."""
    from kzalign.engines.translate import item_translations, load_translator, mt_status, translate_workspace

    if opts.translate:
        report(progress, "loading translation model", 0, 0)  # a spinner while CTranslate2 loads
    translator = load_translator(beam_size=opts.beam_size) if opts.translate else None
    rep.mt_status = mt_status() if opts.translate else "MT is off (--no-translate)."
    if translator is None:
        return None, None
    rep.translate = translate_workspace(ws, translator, glossary=glossary, progress=progress)
    rep.mt_used = True
    return translator, item_translations(ws, translator.signature)


def _glossary(given: Glossary | list[str] | None) -> Glossary:
    """The run's glossary: as loaded by the caller, loaded from the paths given, or none."""
    from kzalign.glossary import Glossary, load_glossary

    if isinstance(given, Glossary):
        return given
    return load_glossary(list(given or []))


def _items_with_mt(ws: Workspace, mt: pd.DataFrame | None) -> pd.DataFrame:
    """The workspace's items with their MT drafts and flags (empty without MT)."""
    items = ws.items()
    items["mt_en"] = ""
    items["mt_flags"] = ""
    if mt is not None and len(mt):
        items["mt_en"] = items["id"].map(dict(zip(mt["id"], mt["mt_en"], strict=True))).fillna("")
        items["mt_flags"] = items["id"].map(dict(zip(mt["id"], mt["flags"], strict=True))).fillna("")
    return items


def run_pipeline(ws: Workspace, opts: RunOptions, progress: ProgressCallback | None = None) -> RunReport:
    """Run every stage over the inputs and write items.csv, links.csv, pairs.csv, signature.txt, report.html."""
    from kzalign.stages.link import LinkSettings, link_workspace, links_table
    from kzalign.stages.report import write_report
    from kzalign.stages.sentences import align_workspace, pairs_table

    outputs = OutputSet(opts.out_dir, OUTPUT_FILES if opts.pairs else [f for f in OUTPUT_FILES if f != "pairs.csv"],
                        protected=[ws.path])
    for name in outputs.names:  # the output guard, before any work: `run news --out news` is refused here
        check_output(outputs.target(name), workspace=ws.path, inputs=opts.inputs,
                     glossaries=[*opts.glossary_paths, *(opts.glossary if isinstance(opts.glossary, list) else [])])
    outputs.check()
    glossary = _glossary(opts.glossary)
    with outputs.discard_on_error(), ws.transaction():
        rep = RunReport(ingest=ingest_paths(ws, opts.inputs, skip_bad=opts.skip_bad, progress=progress))
        translator, mt = _translate(ws, opts, rep, glossary, progress)
        settings = LinkSettings(encoder=opts.encoder, threshold=opts.threshold, max_days=opts.max_days,
                                glossary=glossary, mt=mt, relink=opts.relink,
                                mt_model=translator.signature if translator is not None else None)
        rep.link = link_workspace(ws, settings, progress=progress)
        links = rep.links = links_table(ws)
        pairs = pd.DataFrame()
        if opts.pairs:
            rep.pairs = align_workspace(ws, encoder=opts.encoder, translator=translator, glossary=glossary,
                                        progress=progress)
            pairs = pairs_table(ws)
        items = _items_with_mt(ws, mt)
        rep.signature = rep.link.signature
        sig_text = "\n".join([rep.signature, rep.mt_status, f"glossary:{glossary.signature}", ""])
        _stage_outputs(outputs, items, links, pairs if opts.pairs else None, sig_text)
        outputs.stage("report.html", lambda p: write_report(ws, p, glossary=glossary, progress=progress).path)
    published = outputs.publish()
    rep.outputs = {name.split(".")[0]: path for name, path in published.items()}
    rep.counts = {
        "ru": int((items["lang"] == "ru").sum()),
        "en": int((items["lang"] == "en").sum()),
        "links": len(links),
        "linked_ru": int(links["ru_id"].nunique()) if len(links) else 0,
        "pairs": len(pairs),
    }
    return rep


def _stage_outputs(outputs: OutputSet, items: pd.DataFrame, links: pd.DataFrame, pairs: pd.DataFrame | None,
                   signature_text: str) -> None:
    """Write every output into the staging folder (inside the run's transaction: a failure rolls back)."""
    outputs.stage("items.csv", lambda p: write_csv(p, items, columns=ITEM_COLUMNS))
    outputs.stage("links.csv", lambda p: write_csv(p, links))
    if pairs is not None:
        outputs.stage("pairs.csv", lambda p: write_csv(p, pairs))
    outputs.stage("signature.txt", lambda p: write_atomic(p, signature_text))
