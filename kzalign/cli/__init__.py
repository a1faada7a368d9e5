"""The ``kzalign`` command line: thin click commands over the library.

Each command parses its options and calls one library function; printing and progress bars
live here, never in the library. Command groups are defined in sibling modules and
registered at the bottom of this file.
"""

from __future__ import annotations

import atexit
import functools
import gc
import json
import logging
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from kzalign.core.errors import KzalignError
from kzalign.core.text import plural
from kzalign.core.version import __version__
from kzalign.store.workspace import DEFAULT_DB

if TYPE_CHECKING:
    from kzalign.glossary import Glossary

#: SQLite errors that are about the workspace file, not a bug, with what to tell the user.
_WORKSPACE_TROUBLE = {
    "locked": "workspace busy: another kzalign command is writing to it; try again when it has finished",
    "busy": "workspace busy: another kzalign command is writing to it; try again when it has finished",
    "disk is full": "no space left for the workspace",
    "readonly": "the workspace file cannot be written (read-only)",
    "disk I/O error": "the workspace file could not be read or written (disk I/O error)",
}


class KzGroup(click.Group):
    """Click group that shows kzalign errors as one clean message and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KzalignError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            ctx.exit(1)
        except sqlite3.OperationalError as exc:  # the workspace file itself failed: a message, not a traceback
            why = _WORKSPACE_TROUBLE.get(next((k for k in _WORKSPACE_TROUBLE if k in str(exc)), ""))
            if why is None:
                raise
            click.secho(f"Error: {why} ({exc}); the command's changes were not saved", fg="red", err=True)
            ctx.exit(1)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # keep the order in which commands were registered

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """The global options (``--db``, ``-v``, ``-q``) are read wherever they stand on the command line."""
        if ctx.parent is None:
            args = hoist_global_options(self, args)
        return super().parse_args(ctx, args)


#: Options of the main group that may also be written after the sub-command (``kzalign links --db x -v``).
GLOBAL_FLAGS = frozenset({"-q", "--quiet", "--verbose"})


def _takes_value(cmd: click.Command, token: str) -> bool:
    """Whether ``token`` is an option of ``cmd`` that takes the next token as its value."""
    if "=" in token or not token.startswith("-"):
        return False
    for param in cmd.params:
        if isinstance(param, click.Option) and token in (*param.opts, *param.secondary_opts):
            return not param.is_flag and not param.count
    return False


def hoist_global_options(group: click.Group, args: list[str]) -> list[str]:
    """``args`` with ``--db PATH``, ``-v``/``-vv``/``--verbose`` and ``-q``/``--quiet`` moved to the front, where
    the main group parses them; option values of the sub-commands and anything after ``--`` stay as they are."""
    front: list[str] = []
    rest: list[str] = []
    cmd: click.Command = group
    i = 0
    while i < len(args):
        tok = args[i]
        if tok == "--":
            rest.extend(args[i:])
            break
        if tok in GLOBAL_FLAGS or (len(tok) > 1 and tok.strip("v") == "-"):
            front.append(tok)
        elif tok == "--db" and i + 1 < len(args):
            front += [tok, args[i + 1]]
            i += 1
        elif tok.startswith("--db="):
            front.append(tok)
        elif _takes_value(cmd, tok) and i + 1 < len(args):
            rest += [tok, args[i + 1]]
            i += 1
        else:
            if isinstance(cmd, click.Group) and not tok.startswith("-") and tok in cmd.commands:
                cmd = cmd.commands[tok]
            rest.append(tok)
        i += 1
    return front + rest


@click.group(cls=KzGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="kzalign")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug). Also after the command.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or spinners. Also after the command.")
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None, metavar="PATH",
              help="Workspace file for every command (default kzalign.db, or $KZALIGN_DB). Also after the command.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool, db: str | None) -> None:
    """kzalign: link Russian and English news reports, translate offline, align sentences, review.

    \b
    A typical session:
      kzalign run seeds/ --out out/        ingest, translate (if a model is installed), link, align
      kzalign review export --out review.csv   open in a spreadsheet, fill in "decision"
      kzalign review import review.csv     bring the decisions back
      kzalign gaps                         Russian reports with no English counterpart yet
      kzalign report --out report.html     links, stories, gaps and a chart in one offline page
      kzalign export --format tmx --out memory.tmx

    Everything is kept in a workspace file (kzalign.db by default; --db elsewhere), so
    re-running only does new work.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("kzalign").setLevel(level)
    ctx.meta["kzalign.quiet"] = quiet
    ctx.meta["kzalign.db"] = db
    _quick_exit_collection()


@functools.cache
def _quick_exit_collection() -> None:
    """At exit, move what the command left in memory (models, glossary, per-word caches) to gc's permanent
    generation, so the interpreter's final garbage collections skip it: 0.15 s of CPU after a cold link
    (BENCHMARKS.md). Objects are still freed, and exit handlers registered during the command run before it."""
    atexit.register(gc.freeze)


def _global_db(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """The workspace a command uses: ``--db`` wherever it was given (the main group reads it), else
    $KZALIGN_DB, else ``kzalign.db``."""
    return ctx.find_root().meta.get("kzalign.db") or value


def db_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--db`` option every workspace command shows in its help (given anywhere, the main group reads it)."""
    return click.option(
        "--db",
        "db",
        type=click.Path(dir_okay=False),
        default=DEFAULT_DB,
        show_default=True,
        envvar="KZALIGN_DB",
        callback=_global_db,
        help="Workspace file (SQLite). Also read from $KZALIGN_DB.",
    )(fn)


def quiet_given() -> bool:
    """Whether ``-q``/``--quiet`` was given (anywhere on the command line)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().meta.get("kzalign.quiet"))


def format_option(choices: list[str], default: str, described: dict[str, str] | None = None
                  ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A ``--format`` option with the given choices (``described``: each choice's description, for the help)."""
    what = "; ".join(f"{k}: {v}" for k, v in described.items()) if described else ""
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
        help=f"Output format ({what})." if what else "Output format.",
    )


def encoder_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--encoder NAME`` option, its help read from the encoder registry (kzalign.engines.embed.ENCODERS)."""
    from kzalign.engines.embed import ENCODERS, ST_HELP

    names = "; ".join(f"{s.name}: {s.description}" for s in ENCODERS.values())
    return click.option("--encoder", "encoder_name", default=None, metavar="NAME",
                        help=f"Encoder ({names}; or {ST_HELP}).")(fn)


@dataclass(frozen=True)
class GlossaryChoice:
    """The glossary a command loaded at its edge, the paths given, and whether --glossary was given at all."""

    glossary: Glossary
    paths: tuple[str, ...]
    explicit: bool
    #: The files and folders loaded (the default glossary's when none was given): outputs never go there.
    used: tuple[str, ...] = ()

    def describe(self) -> str:
        return ", ".join(self.paths) if self.paths else "the default glossary"


def _load_glossary(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> GlossaryChoice:
    from kzalign.glossary import default_glossary_paths, legacy_glossary_hint, load_glossary

    hint = None if value else legacy_glossary_hint()
    if hint:
        click.secho(f"warning: {hint}", fg="yellow", err=True)
    used = list(value) or default_glossary_paths()
    return GlossaryChoice(load_glossary(used), tuple(value), bool(value), tuple(map(str, used)))


def glossary_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--glossary PATH`` (repeatable), loaded once here and passed down as a :class:`GlossaryChoice`;
    the same default for every command (:func:`kzalign.glossary.default_glossary_paths`)."""
    return click.option(
        "--glossary", "glossary", multiple=True, type=click.Path(), callback=_load_glossary, metavar="PATH",
        help="Glossary CSV file or folder (repeatable; default: your glossary folder, $KZALIGN_GLOSSARY or "
             "glossaries/ in $KZALIGN_HOME or the user data folder, when it holds glossary files, else the bundled "
             "glossary). A missing path is an error.",
    )(fn)


#: What each library stage is called on screen (a stage not listed shows under its own name).
STAGE_NAMES = {
    "read": "reading files", "de-duplicate": "merging duplicates", "embed": "embedding texts",
    "translate": "translating", "link": "linking", "align": "aligning sentences",
    "keys": "finding names and numbers", "report": "writing the report",
}


class _Spinner:
    """An indeterminate spinner on stderr (TTY only) for work without a count, such as loading a model."""

    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

    def __init__(self, label: str, delay: float = 0.0) -> None:
        import threading

        self.label = label
        self.delay = delay  # draw nothing for this long (a step that ends sooner shows no spinner)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin, daemon=True)
        if sys.stderr.isatty():
            self._thread.start()

    def _spin(self) -> None:
        import time

        start, i = time.monotonic(), 0
        while not self._stop.wait(0.1):
            if time.monotonic() - start < self.delay:
                continue
            sys.stderr.write(f"\r{self.FRAMES[i % len(self.FRAMES)]} {self.label}… {time.monotonic() - start:.0f}s ")
            sys.stderr.flush()
            i += 1

    def stop(self) -> None:
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join()
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


class _Bars:
    """Progress callback that draws one tqdm bar per stage on stderr (hidden when not a TTY in CI).

    A stage reported with ``total == 0`` (``progress("loading model use", 0, 0)``) has no count: it
    shows a spinner until the next report. After a stage's bar completes, a "working" spinner appears if
    nothing is reported for a second (the unreported work between stages). :meth:`ingest_done` prints the
    ingest summary as soon as ingest ends (``on_ingest`` is set by the ingest commands).
    """

    on_ingest: Callable[[Any], None] | None = None

    def __init__(self, quiet: bool = False):
        import threading

        self.quiet = quiet
        self.bars: dict[str, Any] = {}
        self.spinner: _Spinner | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def _tick(self) -> None:
        """Redraw open bars twice a second, so a bar waiting for a long chunk still shows its time running."""
        while not self._stop.wait(0.5):
            with self._lock:
                if self.spinner is None:
                    for bar in list(self.bars.values()):
                        bar.refresh()

    def _start_ticker(self) -> None:
        import threading

        if self._ticker is None and sys.stderr.isatty():
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def ingest_done(self, rep: Any) -> None:
        """Called by the ingest stage with its report: close the bars and print the summary now."""
        if self.quiet or _Bars.on_ingest is None:
            return
        self.close()
        _Bars.on_ingest(rep)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet:
            return
        with self._lock:
            self._report(stage, done, total)

    def _report(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if self.spinner is not None:
            self.spinner.stop()
            self.spinner = None
        if total <= 0:
            self.spinner = _Spinner(STAGE_NAMES.get(stage, stage))
            return
        bar = self.bars.get(stage)
        if bar is None:
            bar = tqdm(total=total, desc=STAGE_NAMES.get(stage, stage), unit=STAGE_UNITS.get(stage, ""),
                       file=sys.stderr, leave=False, dynamic_ncols=True, disable=None, smoothing=0.1)
            self.bars[stage] = bar
            self._start_ticker()
        if total != bar.total:
            bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()
            self.bars.pop(stage, None)
            if not self.bars:  # the work between two reported stages gets a spinner once it lasts a second
                self.spinner = _Spinner("working", delay=1.0)

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        if self.spinner is not None:
            self.spinner.stop()
            self.spinner = None
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()
        self._stop.clear()


@contextmanager
def busy(label: str) -> Iterator[None]:
    """A spinner on stderr while a step without a count runs (drawn once it lasts a second; TTY only; none with
    ``-q``), for commands whose library call reports no progress (checks, review files, exports)."""
    spinner = None if quiet_given() else _Spinner(label, delay=1.0)
    try:
        yield
    finally:
        if spinner is not None:
            spinner.stop()


@contextmanager
def progress_bars(quiet: bool = False) -> Iterator[_Bars]:
    """Context manager yielding a progress callback for library stages."""
    bars = _Bars(quiet or quiet_given())
    try:
        yield bars
    finally:
        bars.close()


def counts(by_kind: dict[str, int], names: dict[str, str] | None = None, empty: str = "nothing") -> str:
    """``2 links, 1 pair`` from ``{"link": 2, "pair": 1}`` (sorted by kind; ``names`` words a kind, e.g.
    ``{"glossary": "glossary candidate"}``); ``empty`` when every count is 0."""
    names = names or {}
    return ", ".join(plural(v, names.get(k, k)) for k, v in sorted(by_kind.items()) if v) or empty


#: Output formats of listing commands; see :func:`emit`.
EMIT_FORMATS = ["table", "csv", "tsv", "jsonl"]


def emit(rows: Any, fmt: str, columns: list[str] | None = None, table_columns: list[str] | None = None,
         max_width: int = 60) -> None:
    """Print a table in one of :data:`EMIT_FORMATS` (sqlite-utils style), the same way for every command.

    \b
    table  aligned text for reading (``table_columns`` only, long cells cut)
    csv    the spreadsheet-safe dialect of every kzalign CSV: UTF-8 BOM, CRLF, formulas neutralised
    tsv    for scripts: tab-separated, one row per line (tabs/newlines in cells become spaces), no BOM;
           text cells a spreadsheet would run as formulas get a leading ' as in csv
    jsonl  one JSON object per line; NaN is null; lists, and ``*_idx`` columns, are JSON arrays
    """
    import pandas as pd

    from kzalign.core.files import csv_bytes

    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=columns)
    if columns is not None:
        df = df.reindex(columns=columns)
    if fmt == "table":
        echo_table(df, table_columns, max_width=max_width)
    elif fmt == "csv":
        sys.stdout.flush()
        buf = getattr(sys.stdout, "buffer", None)
        if buf is None:  # a text-only stream: the same text, BOM included
            sys.stdout.write(csv_bytes(df).decode("utf-8"))
        else:
            buf.write(csv_bytes(df))
            buf.flush()
    elif fmt == "tsv":
        click.echo("\t".join(map(str, df.columns)))
        for rec in df.itertuples(index=False, name=None):
            click.echo("\t".join(_tsv_cell(v) for v in rec))
    elif fmt == "jsonl":
        for rec in df.to_dict(orient="records"):
            click.echo(json.dumps({k: _json_value(k, v) for k, v in rec.items()}, ensure_ascii=False, default=str))
    else:
        raise KzalignError(f"unknown format {fmt!r}; choose one of {', '.join(EMIT_FORMATS)}")


def _tsv_cell(v: Any) -> str:
    """A TSV cell: one line, no tabs, and text a spreadsheet would run as a formula neutralised (as in CSV)."""
    from kzalign.core.files import neutralize_formula

    if isinstance(v, (list, tuple)):
        v = "; ".join(map(str, v))
    if v is None or (isinstance(v, float) and v != v):
        return ""
    flat = " ".join(str(v).replace("\t", " ").splitlines())
    return str(neutralize_formula(flat)) if isinstance(v, str) else flat


def _json_value(key: str, v: Any) -> Any:
    if isinstance(v, float) and v != v:
        return None
    if hasattr(v, "item") and not isinstance(v, (list, tuple, dict)):
        return v.item()  # numpy scalars
    if key.endswith("_idx") and isinstance(v, str) and v.startswith("["):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


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


def engine_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--threads`` and ``--cluster`` for commands that encode or translate: the command runs inside
    :func:`kzalign.engines.cluster.engine`, so its stages get models with that many threads, on Dask workers
    when a cluster is given (the command's own function never sees these options)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, threads: int | None, cluster: str | None, cluster_timeout: float,
                **kwargs: Any) -> Any:
        from kzalign.engines.cluster import engine

        with engine(threads=threads, cluster=cluster, timeout=cluster_timeout):
            return fn(*args, **kwargs)

    options = [
        click.option("--threads", type=str, default=None, envvar="KZALIGN_THREADS", metavar="N",
                     help="CPU threads for each encoder and translator (default 1: measured fastest on a "
                          "busy machine; see BENCHMARKS.md). Also read from $KZALIGN_THREADS."),
        click.option("--cluster", default=None, envvar="KZALIGN_CLUSTER", metavar="ADDRESS",
                     help="Run encoding and translation on a Dask cluster: tcp://HOST:8786 (a running "
                          "'dask scheduler'), or local:N to start N worker processes here. The workspace "
                          "stays here; results are saved chunk by chunk. Also read from $KZALIGN_CLUSTER."),
        click.option("--cluster-timeout", type=float, default=10.0, show_default=True,
                     envvar="KZALIGN_CLUSTER_TIMEOUT", metavar="SECONDS",
                     help="How long to wait for the Dask scheduler and its first worker."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


#: Units shown by the progress bars of each stage (counts and rates read "1200/5000 texts, 85.3 texts/s").
STAGE_UNITS = {"embed": " texts", "translate": " sentences", "read": " files", "align": " links",
               "keys": " items", "report": " items"}


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
