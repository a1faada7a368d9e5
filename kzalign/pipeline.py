"""``kzalign run``: ingest → translate (when a model is installed) → link → sentence pairs → files.

The whole run is one workspace transaction and the output files are written only after every
stage succeeded (each atomically), so a failed run leaves the workspace and earlier outputs intact.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .files import write_atomic, write_csv
from .ingest import IngestReport, ingest_paths
from .progress import ProgressCallback
from .store import Workspace

log = logging.getLogger(__name__)

ITEM_COLUMNS = ["id", "lang", "date", "title", "text", "mt_en", "mt_flags", "sources"]


@dataclass
class RunOptions:
    """What ``kzalign run`` was asked to do (CLI options map one-to-one)."""

    inputs: list[str]
    out_dir: Path
    skip_bad: bool = False
    encoder: str | None = None
    threshold: float | None = None
    max_days: int | None = None
    glossary: list[str] | None = None
    translate: bool = True
    beam_size: int = 2
    pairs: bool = True


@dataclass
class RunReport:
    """Everything a run did, for the summary the CLI prints."""

    ingest: IngestReport
    mt_status: str = ""
    mt_used: bool = False
    translate: object | None = None
    link: object | None = None
    pairs: object | None = None
    signature: str = ""
    outputs: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    links: pd.DataFrame = field(default_factory=pd.DataFrame)


def run_pipeline(ws: Workspace, opts: RunOptions, progress: ProgressCallback | None = None) -> RunReport:
    """Run every stage over the inputs and write items.csv, links.csv, pairs.csv and signature.txt."""
    from .glossary import load_glossary
    from .link import link_workspace, links_table
    from .sentences import align_workspace, pairs_table
    from .translate import item_translations, load_translator, mt_status, translate_workspace

    with ws.transaction():
        rep = RunReport(ingest=ingest_paths(ws, opts.inputs, skip_bad=opts.skip_bad, progress=progress))
        glossary = load_glossary(opts.glossary)
        translator = load_translator(beam_size=opts.beam_size) if opts.translate else None
        rep.mt_status = mt_status() if opts.translate else "MT is off (--no-translate)."
        mt = None
        if translator is not None:
            rep.translate = translate_workspace(ws, translator, glossary=glossary, progress=progress)
            mt = item_translations(ws, translator.signature)
            rep.mt_used = True
        rep.link = link_workspace(
            ws, encoder=opts.encoder, threshold=opts.threshold, max_days=opts.max_days,
            glossary=glossary, mt=mt, mt_model=translator.signature if translator is not None else None,
            progress=progress,
        )
        links = links_table(ws)
        rep.links = links
        pairs = pd.DataFrame()
        if opts.pairs:
            rep.pairs = align_workspace(ws, encoder=opts.encoder, translator=translator, glossary=glossary,
                                        progress=progress)
            pairs = pairs_table(ws)
        items = ws.items()
        items["mt_en"] = ""
        items["mt_flags"] = ""
        if mt is not None and len(mt):
            items["mt_en"] = items["id"].map(dict(zip(mt["id"], mt["mt_en"], strict=True))).fillna("")
            items["mt_flags"] = items["id"].map(dict(zip(mt["id"], mt["flags"], strict=True))).fillna("")
        signature = str(getattr(rep.link, "signature", "")) or (
            str(links["signature"].iloc[0]) if len(links) else ""
        )
        rep.signature = signature

    out = Path(opts.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rep.outputs["items"] = write_csv(out / "items.csv", items, columns=ITEM_COLUMNS)
    rep.outputs["links"] = write_csv(out / "links.csv", links)
    if opts.pairs:
        rep.outputs["pairs"] = write_csv(out / "pairs.csv", pairs)
    rep.outputs["signature"] = write_atomic(
        out / "signature.txt",
        "\n".join([signature, rep.mt_status, f"glossary:{glossary.signature}", ""]),
    )
    from .report import write_report

    rep.outputs["report"] = write_report(ws, out / "report.html", glossary=glossary).path
    rep.counts = {
        "ru": int((items["lang"] == "ru").sum()),
        "en": int((items["lang"] == "en").sum()),
        "links": len(links),
        "linked_ru": int(links["ru_id"].nunique()) if len(links) else 0,
        "pairs": len(pairs),
    }
    return rep
