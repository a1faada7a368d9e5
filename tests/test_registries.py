"""Registries at the plug-in points: one table each, and the commands' --help and checks read them."""

from __future__ import annotations

from click.testing import CliRunner

from kzalign.cli import main
from kzalign.engines.embed import ENCODERS
from kzalign.engines.translate import TRANSLATORS, load_translator
from kzalign.formats.review_file import REVIEW_FORMATS
from kzalign.inputs.readers import KIND_NAMES, READERS, SUFFIX_KINDS
from kzalign.stages.review import EXPORT_FORMATS


def _help(*args: str) -> str:
    res = CliRunner().invoke(main, [*args, "--help"], terminal_width=200)
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split())  # click wraps the help: compare with spaces folded


def test_ingest_help_lists_every_reader() -> None:
    text = _help("ingest")
    for r in READERS.values():
        assert r.help.split()[0] in text and f"*{r.suffixes[0]}" in text, r.kind
    assert {SUFFIX_KINDS[s] for s in SUFFIX_KINDS} == set(READERS)
    assert set(READERS) <= set(KIND_NAMES)


def test_review_and_export_formats_come_from_their_registries() -> None:
    assert all(f"{name}: {f.description}" in _help("review", "export") for name, f in REVIEW_FORMATS.items())
    assert all(f"{name}: {d}" in _help("export") for name, (d, _w) in EXPORT_FORMATS.items())
    for fmt in REVIEW_FORMATS.values():
        assert callable(fmt.read) and callable(fmt.write)


def test_encoder_help_and_translators() -> None:
    text = _help("link")
    assert all(name in text for name in ENCODERS)
    assert "argos" in TRANSLATORS
    import pytest

    from kzalign.core.errors import KzalignError

    with pytest.raises(KzalignError, match="unknown translator 'nope'"):
        load_translator(engine="nope")
