"""kzalign: offline Russian-English news linking, translation and bitext alignment.

Data flows one way through the layers (packages), each importing only the ones below it:
``core`` (text, files, signatures) -> ``store`` (the workspace) -> ``inputs`` / ``glossary`` / ``formats``
-> ``engines`` (encoders, translators, aligner, scoring) -> ``stages`` (ingest, translate, link, pairs,
review, report, evaluate) -> this module (the Python API) -> ``cli``.

The Python API below is what the commands call; names are loaded on first use, so ``import kzalign`` is cheap::

    import kzalign
    ws = kzalign.open_workspace("news.db", create=True)
    kzalign.ingest(ws, ["seeds/"])
    kzalign.link(ws, encoder="use")
    print(kzalign.links_table(ws))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kzalign.core.version import __version__

#: Public name -> "module:attribute" it is loaded from.
_API = {
    "open_workspace": "kzalign.store:open_workspace",
    "Workspace": "kzalign.store:Workspace",
    "ingest": "kzalign.inputs.ingest:ingest_paths",
    "load_glossary": "kzalign.glossary:load_glossary",
    "get_encoder": "kzalign.engines.embed:get_encoder",
    "ENCODERS": "kzalign.engines.embed:ENCODERS",
    "load_translator": "kzalign.engines.translate:load_translator",
    "translate": "kzalign.engines.translate:translate_workspace",
    "link": "kzalign.stages.link:link_workspace",
    "LinkSettings": "kzalign.stages.link:LinkSettings",
    "links_table": "kzalign.stages.link:links_table",
    "pairs": "kzalign.stages.sentences:align_workspace",
    "pairs_table": "kzalign.stages.sentences:pairs_table",
    "align_documents": "kzalign.stages.sentences:align_document_pair",
    "export_review": "kzalign.stages.review:export_review",
    "import_review": "kzalign.stages.review:import_review",
    "export_pairs": "kzalign.stages.review:export_pairs",
    "write_report": "kzalign.stages.report:write_report",
    "eval_links": "kzalign.stages.evaluate:eval_links",
    "run_pipeline": "kzalign.stages.pipeline:run_pipeline",
}

__all__ = [
    "ENCODERS", "LinkSettings", "Workspace", "__version__", "align_documents", "eval_links", "export_pairs", "export_review",
    "get_encoder", "import_review", "ingest", "link", "links_table", "load_glossary", "load_translator",
    "open_workspace", "pairs", "pairs_table", "run_pipeline", "translate", "write_report",
]

if TYPE_CHECKING:
    from kzalign.engines.embed import ENCODERS, get_encoder
    from kzalign.engines.translate import load_translator
    from kzalign.engines.translate import translate_workspace as translate
    from kzalign.glossary import load_glossary
    from kzalign.inputs.ingest import ingest_paths as ingest
    from kzalign.stages.evaluate import eval_links
    from kzalign.stages.link import LinkSettings, links_table
    from kzalign.stages.link import link_workspace as link
    from kzalign.stages.pipeline import run_pipeline
    from kzalign.stages.report import write_report
    from kzalign.stages.review import export_pairs, export_review, import_review
    from kzalign.stages.sentences import align_document_pair as align_documents
    from kzalign.stages.sentences import align_workspace as pairs
    from kzalign.stages.sentences import pairs_table
    from kzalign.store import Workspace, open_workspace


def __getattr__(name: str) -> Any:
    """Load an API name from its module on first use (PEP 562), so the CLI starts fast."""
    target = _API.get(name)
    if target is None:
        raise AttributeError(f"module 'kzalign' has no attribute {name!r}")
    module, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
