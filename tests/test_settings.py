"""Settings objects build their own signatures: no field can be left out by hand."""

from __future__ import annotations


def test_settings_signatures_cover_every_field() -> None:
    """Changing any field of the pairs settings (nested aligner fields too) changes the run's signature."""
    import dataclasses

    from kzalign.stages.sentences import DEFAULT_PARAMS

    base = DEFAULT_PARAMS.signature("enc", "auto", None)
    for f in dataclasses.fields(DEFAULT_PARAMS.align):
        value = getattr(DEFAULT_PARAMS.align, f.name)
        other = ((not value) if isinstance(value, bool) else value + 1 if isinstance(value, (int, float))
                 else value[:-1] if isinstance(value, tuple) else value)  # a tuple (the loose overrides): one fewer
        changed = dataclasses.replace(DEFAULT_PARAMS, align=dataclasses.replace(DEFAULT_PARAMS.align, **{f.name: other}))
        assert changed.signature("enc", "auto", None) != base, f.name
    for f in dataclasses.fields(DEFAULT_PARAMS):
        value = getattr(DEFAULT_PARAMS, f.name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            changed = dataclasses.replace(DEFAULT_PARAMS, **{f.name: value + 1})
            assert changed.signature("enc", "auto", None) != base, f.name


def test_link_signature_covers_the_fitted_model() -> None:
    """Refitting the link model (any weight) changes the link run's signature, so cached results never mix."""
    import dataclasses

    from kzalign.engines.scoring import MODELS
    from kzalign.glossary import Glossary
    from kzalign.stages.link import link_signature

    class Enc:
        name, signature, dim = "use", "use-test", 4

    model = MODELS["use"]
    sig = link_signature(Enc(), 0.5, None, Glossary([], "none"), None, model=model)  # type: ignore[arg-type]
    other = dataclasses.replace(model, base={**model.base, "bias": model.base["bias"] + 0.1})
    assert link_signature(Enc(), 0.5, None, Glossary([], "none"), None, model=other) != sig  # type: ignore[arg-type]
    assert "model:" in sig


def test_link_settings_or_keywords_not_both(ws) -> None:
    import pytest

    from kzalign.stages.link import LinkSettings, link_workspace

    with pytest.raises(TypeError, match="not both"):
        link_workspace(ws, LinkSettings(), threshold=0.5)
