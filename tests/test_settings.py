"""Settings objects build their own signatures: no field can be left out by hand."""

from __future__ import annotations


def test_settings_signatures_cover_every_field() -> None:
    """Changing any field of the pairs settings (nested aligner fields too) changes the run's signature."""
    import dataclasses

    from kzalign.stages.sentences import DEFAULT_PARAMS

    base = DEFAULT_PARAMS.signature("enc", "auto", None)
    for f in dataclasses.fields(DEFAULT_PARAMS.align):
        value = getattr(DEFAULT_PARAMS.align, f.name)
        other = (not value) if isinstance(value, bool) else value + 1 if isinstance(value, (int, float)) else value
        changed = dataclasses.replace(DEFAULT_PARAMS, align=dataclasses.replace(DEFAULT_PARAMS.align, **{f.name: other}))
        assert changed.signature("enc", "auto", None) != base, f.name
    for f in dataclasses.fields(DEFAULT_PARAMS):
        value = getattr(DEFAULT_PARAMS, f.name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            changed = dataclasses.replace(DEFAULT_PARAMS, **{f.name: value + 1})
            assert changed.signature("enc", "auto", None) != base, f.name
