"""Progress reporting without printing: library stages call a callback, the CLI draws bars."""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(stage, done, total)``: ``stage`` names the work ("embed", "translate"...),
#: ``done`` counts finished units out of ``total``. Called with ``done == 0`` first. Work without a count
#: (loading a model) is reported as ``progress("loading model NAME", 0, 0)``: the CLI shows a spinner
#: until the next report.
ProgressCallback = Callable[[str, int, int], None]


def report(progress: ProgressCallback | None, stage: str, done: int, total: int) -> None:
    """Call ``progress`` if one was given."""
    if progress is not None:
        progress(stage, done, total)
