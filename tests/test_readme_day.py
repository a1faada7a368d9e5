"""README (issue 25 #9): how to get the CPU build of PyTorch anywhere, what setup costs, and a daily workflow whose
every command line parses with today's CLI."""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path

import click

from kzalign.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(title)
    end = README.find("\n## ", start + len(title))
    return README[start:end if end > 0 else None]


def test_readme_says_how_to_install_the_cpu_torch_wheel_and_what_setup_costs() -> None:
    install = _section("### Installing on your own machine")
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in install
    assert install.index("--index-url https://download.pytorch.org/whl/cpu") < install.index("pip install -e .")
    assert re.search(r"2\.5 minutes", install) and re.search(r"2\.4 GB", install)


def _parse(args: list[str]) -> click.Context:
    """Parse a command line as ``kzalign`` would, down to the last sub-command, without running it."""
    ctx = main.make_context("kzalign", list(args), resilient_parsing=False)
    group: click.Command = main
    while isinstance(group, click.Group):
        with warnings.catch_warnings():  # Click 8.2 deprecates protected_args (9.0 folds them into args)
            warnings.simplefilter("ignore", DeprecationWarning)
            rest = [*ctx.protected_args, *ctx.args]
        if not rest:
            break
        name, cmd, sub = group.resolve_command(ctx, rest)
        assert cmd is not None, args
        ctx = cmd.make_context(name or "", sub, parent=ctx)
        group = cmd
    return ctx


def test_daily_workflow_commands_all_parse() -> None:
    day = _section("## A press officer's and translator's day")
    block = re.search(r"```bash\n(.*?)```", day, flags=re.S)
    assert block is not None
    lines = [ln.split("  #")[0].strip() for ln in block.group(1).splitlines()]
    commands = [c.strip() for ln in lines for c in ln.split("&&") if c.strip().startswith("kzalign ")]
    assert len(commands) >= 9
    names = set()
    for cmd in commands:
        ctx = _parse(shlex.split(cmd)[1:])
        names.add(ctx.info_name)
    assert {"ingest", "translate", "link", "gaps", "pairs", "export", "import", "report", "add"} <= names
