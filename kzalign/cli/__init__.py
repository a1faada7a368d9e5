"""The ``kzalign`` command line: thin click commands over the library.

Each command parses its options and calls one library function; printing and progress bars
live here, never in the library. Command groups are defined in sibling modules and
registered at the bottom of this file.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from .. import __version__
from ..errors import KzalignError
from ..store import DEFAULT_DB


class KzGroup(click.Group):
    """Click group that shows kzalign errors as one clean message and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KzalignError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            ctx.exit(1)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # keep the order in which commands were registered


@click.group(cls=KzGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="kzalign")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """kzalign: link Russian and English news reports, translate offline, align sentences, review.

    \b
    A typical session:
      kzalign run seeds/ --out out/        ingest, translate (if a model is installed), link, align
      kzalign review export --out review.csv   open in a spreadsheet, fill in "decision"
      kzalign review import review.csv     bring the decisions back
      kzalign export --format tmx --out memory.tmx

    Everything is kept in a workspace file (kzalign.db by default; --db elsewhere), so
    re-running only does new work.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def db_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--db`` option every workspace command shares."""
    return click.option(
        "--db",
        "db",
        type=click.Path(dir_okay=False),
        default=DEFAULT_DB,
        show_default=True,
        envvar="KZALIGN_DB",
        help="Workspace file (SQLite). Also read from $KZALIGN_DB.",
    )(fn)


def format_option(choices: list[str], default: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A ``--format`` option with the given choices."""
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
        help="Output format.",
    )


class _Bars:
    """Progress callback that draws one tqdm bar per stage on stderr (hidden when not a TTY in CI)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = tqdm(total=total, desc=stage, unit="", file=sys.stderr, leave=False,
                       dynamic_ncols=True, disable=None)
            self.bars[stage] = bar
        if total != bar.total:
            bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()
            self.bars.pop(stage, None)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()


@contextmanager
def progress_bars(quiet: bool = False) -> Iterator[_Bars]:
    """Context manager yielding a progress callback for library stages."""
    bars = _Bars(quiet)
    try:
        yield bars
    finally:
        bars.close()


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 report``, ``2 reports`` (``many`` for irregular plurals)."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def echo_table(rows: list[dict[str, Any]] | Any, columns: list[str] | None = None, max_width: int = 60) -> None:
    """Print rows as a plain aligned table (truncating long cells)."""
    import pandas as pd

    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=columns)
    if columns:
        df = df.reindex(columns=columns)
    if df.empty:
        click.echo("(nothing)")
        return

    def cell(v: Any) -> str:
        if isinstance(v, (list, tuple)):
            v = "; ".join(map(str, v))
        s = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
        s = s.replace("\n", " ")
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    cells = [[cell(v) for v in r] for r in df.itertuples(index=False, name=None)]
    headers = [str(c) for c in df.columns]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for r in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip())


def pass_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for commands outside a KzGroup (standalone use in tests)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KzalignError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(1)

    return wrapper


def _register() -> None:
    """Import the command modules; each adds its commands to :data:`main`."""
    import importlib

    for name in ("ingest_cmds", "link_cmds", "translate_cmds", "glossary_cmds", "review_cmds", "sentence_cmds",
                 "run_cmd"):
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # a command module not written yet
            if exc.name != f"{__name__}.{name}":
                raise


_register()
