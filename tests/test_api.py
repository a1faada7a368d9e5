"""The public Python API: the README's example runs as written, and every API name resolves."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

import kzalign

ROOT = Path(__file__).resolve().parent.parent


def readme_python_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the Python API section has one example"
    return blocks[0]


def test_every_api_name_resolves() -> None:
    for name in kzalign.__all__:
        assert getattr(kzalign, name) is not None, name
    assert set(kzalign.__all__) <= set(dir(kzalign))
    assert set(kzalign.__all__) == {"__version__", *kzalign._API}
    with pytest.raises(AttributeError):
        kzalign.no_such_name  # noqa: B018


def test_readme_example_runs(use_encoder, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)  # the example names seeds/ and glossaries/ of the checkout
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(readme_python_example(), "README.md (Python API)", "exec"), {"__name__": "__readme__"})
    lines = out.getvalue().splitlines()
    assert lines[0] == "16 items; 2 links", out.getvalue()
    # the mission's links: the one Russian seed report links to its two follow-ups
    assert len({ln.split()[0] for ln in lines[2:]}) == 1, out.getvalue()
    assert not os.path.exists(ROOT / "news.db")
