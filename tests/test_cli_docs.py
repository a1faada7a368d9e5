"""Docs checked by tests (as sqlite-utils does): every command teaches with --help, and the README
documents every command and the exact commands CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import click
from click.testing import CliRunner

from kzalign.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        full = f"{prefix}{name}"
        out.append((full, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_all_commands(cmd, full + " "))
    return out


def test_every_command_has_help_text() -> None:
    runner = CliRunner()
    for name, cmd in _all_commands(main):
        assert cmd.help and len(cmd.help.strip()) > 20, f"'kzalign {name}' needs --help text"
        res = runner.invoke(main, [*name.split(), "--help"], prog_name="kzalign")
        assert res.exit_code == 0, (name, res.output)
        assert "Usage: kzalign" in res.output


def test_readme_mentions_every_top_level_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, _ in _all_commands(main):
        assert f"kzalign {name}" in readme, f"README does not document 'kzalign {name}'"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    test_cmd = next(b.strip() for b in blocks if "pytest" in b)
    assert test_cmd in ci
    assert "pip install -q torch==2.13.0" in test_cmd.split("&&")[2]  # torch first, CPU wheel
