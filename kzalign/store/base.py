"""The workspace's connection: opening (read-write or read-only), schema creation and migration, the
write transaction with its busy handling, and the ``meta`` and ``runs`` tables."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from kzalign.core.errors import WorkspaceError
from kzalign.store.schema import _COMPACT_VERSION, _SCHEMA, MIGRATIONS, SCHEMA_VERSION, _statements

#: Named as before the split into modules, so log lines still read ``kzalign.store.workspace``.
log = logging.getLogger("kzalign.store.workspace")

DEFAULT_DB = "kzalign.db"


#: Seconds a writer waits for another writer before giving up (``$KZALIGN_BUSY_TIMEOUT`` overrides).
DEFAULT_BUSY_TIMEOUT = 300.0


def now_iso() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class WorkspaceBusyError(WorkspaceError):
    """Another kzalign command kept the workspace's write lock longer than the busy timeout."""


def busy_timeout() -> float:
    """Seconds a writer waits for another one (``$KZALIGN_BUSY_TIMEOUT``, default 300)."""
    try:
        return max(0.0, float(os.environ.get("KZALIGN_BUSY_TIMEOUT", DEFAULT_BUSY_TIMEOUT)))
    except ValueError:
        return DEFAULT_BUSY_TIMEOUT


def _writable(path: Path) -> bool:
    """Whether this process may write ``path`` and create SQLite's -wal/-shm files beside it (False on a
    read-only file system too, even for root)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class WorkspaceBase:
    """The open SQLite connection of a workspace and its lifecycle; the table mixins build on it."""

    if TYPE_CHECKING:  # defined by VectorsMixin; the schema migration asks it whether vectors were converted
        def count_vectors(self, encoder: str | None = None) -> int: ...

    def __init__(self, path: str | Path = DEFAULT_DB, create: bool = True, timeout: float | None = None):
        self.path = Path(path)
        self.timeout = busy_timeout() if timeout is None else timeout
        self._depth = 0
        if not create and not self.path.exists():
            raise WorkspaceError(
                f"{self.path}: no workspace here. Run 'kzalign ingest PATH --db {self.path}' first."
            )
        if self.path.exists() and self.path.is_dir():
            raise WorkspaceError(f"{self.path}: is a folder, not a workspace file")
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        #: True when the file or its folder cannot be written (a read-only file system, a shared copy): the
        #: workspace is opened read-only, so reading commands work and writing ones say why they cannot.
        self.read_only = self.path.exists() and not _writable(self.path)
        self.conn = self._connect()
        try:
            self.conn.execute("PRAGMA foreign_keys = ON")
            if not self.read_only:
                self._set_wal()
            self._init_schema()
        except BaseException as exc:
            self.conn.close()
            if isinstance(exc, sqlite3.OperationalError) and _is_busy(exc):
                raise self._busy_error() from exc
            if isinstance(exc, sqlite3.DatabaseError):
                raise WorkspaceError(f"{self.path}: not a kzalign workspace ({exc})") from exc
            raise

    def _connect(self) -> sqlite3.Connection:
        """Open the file: read-write, or for a read-only workspace ``mode=ro`` (``immutable=1`` when SQLite
        cannot even make its shared-memory file beside it and no write-ahead log is pending)."""
        # statements wait briefly for locks; write transactions wait longer in _begin()
        timeout = min(self.timeout, 5.0)
        try:
            if not self.read_only:
                return sqlite3.connect(str(self.path), isolation_level=None, timeout=timeout)
            uri = self.path.resolve().as_uri().replace("file://", "file:", 1).replace("?", "%3f").replace("#", "%23")
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None, timeout=timeout)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return conn
            except sqlite3.OperationalError:
                conn.close()
                wal = self.path.with_name(self.path.name + "-wal")
                if wal.exists() and wal.stat().st_size > 0:
                    raise WorkspaceError(f"{self.path}: read-only, and its last changes are still in {wal.name}, "
                                         "which SQLite cannot read without writing; open it once where it can be "
                                         "written (any kzalign command) to fold them in") from None
                return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None, timeout=timeout)
        except sqlite3.Error as exc:
            raise WorkspaceError(f"{self.path}: cannot open the workspace ({exc})") from exc

    def _set_wal(self) -> None:
        """WAL mode (persistent in the file): readers never block on a writer."""
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self._retry(lambda: self.conn.execute("PRAGMA journal_mode = WAL"))

    def _schema_version(self) -> int | None:
        """The file's schema version (None for a new, empty file)."""
        has_meta = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if has_meta is None:
            return None
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _init_schema(self) -> None:
        """Create or migrate the schema; a current workspace is only read (no write lock taken)."""
        version = self._schema_version()
        if version is not None and version > SCHEMA_VERSION:
            raise WorkspaceError(f"{self.path}: workspace schema v{version} is newer than this kzalign "
                                 f"(v{SCHEMA_VERSION}); upgrade kzalign")
        if version == SCHEMA_VERSION:
            return
        if self.read_only:
            what = "is empty, not a kzalign workspace" if version is None else (
                f"has schema v{version} and this kzalign needs v{SCHEMA_VERSION}; open it once where it can be "
                "written to upgrade it")
            raise WorkspaceError(f"{self.path}: read-only workspace that {what}")
        with self.transaction() as conn:
            version = self._schema_version()  # another process may have done it while we waited
            if version == SCHEMA_VERSION:
                return
            if version is None or version == 0:
                for stmt in _statements(_SCHEMA):
                    conn.execute(stmt)
                conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('workspace_id', ?)", (uuid.uuid4().hex,))
                version = 1
            self._migrate(version)
            converted = version < _COMPACT_VERSION and self.count_vectors() > 0
        if converted:
            self._vacuum()

    def _vacuum(self) -> None:
        """Give the pages a data-converting migration freed back to the file system (best effort: a reader
        or writer in another process makes SQLite refuse, and the pages are then reused by later writes)."""
        try:
            self.conn.execute("VACUUM")
        except sqlite3.OperationalError as exc:
            log.info("%s: not compacted now (%s); freed pages are reused by later writes", self.path, exc)

    def _migrate(self, version: int) -> None:
        """Apply every migration step after ``version`` (inside the caller's transaction)."""
        for target, what, sql in MIGRATIONS:
            if target <= version:
                continue
            if callable(sql):  # a step that converts data, not only the schema
                sql(self.conn)
            for stmt in [] if callable(sql) else _statements(sql):
                try:
                    self.conn.execute(stmt)
                except sqlite3.OperationalError as exc:  # ADD COLUMN of a column there already: IF NOT EXISTS
                    if not (" ADD COLUMN " in stmt.upper() and "duplicate column name" in str(exc)):
                        raise
            log.info("%s: workspace schema v%d -> v%d (%s)", self.path, target - 1, target, what)
        self.set_meta("schema_version", str(SCHEMA_VERSION))

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing block holding the write lock (``BEGIN IMMEDIATE``); nested uses join the outer one.

        Taking the lock first means what is read inside the block (e.g. reviewer decisions) is
        current and stays so until the commit: no other writer can commit in between.
        """
        if self._depth == 0:
            self._begin()
        self._depth += 1
        try:
            yield self.conn
        except BaseException:
            self._depth -= 1
            if self._depth == 0 and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self._depth -= 1
            if self._depth == 0:
                self.conn.execute("COMMIT")

    def _begin(self) -> None:
        if self.read_only:
            raise WorkspaceError(f"{self.path}: the workspace is read-only (the file or its folder cannot be "
                                 "written); this command changes it: copy it somewhere writable, or use --db")
        self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))

    def _retry(self, op: Callable[[], object]) -> None:
        """Run ``op`` (which needs the write lock), waiting for another writer up to :attr:`timeout`."""
        deadline = time.monotonic() + self.timeout
        warned = False
        while True:
            try:
                op()
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise self._busy_error() from exc
                if not warned:
                    log.warning("%s: workspace busy (another kzalign command is writing to it); "
                                "waiting up to %.0f s…", self.path, self.timeout)
                    warned = True
                time.sleep(0.05)

    def _busy_error(self) -> WorkspaceBusyError:
        return WorkspaceBusyError(
            f"{self.path}: workspace busy: another kzalign command kept it locked for more than "
            f"{self.timeout:.0f} s; try again when it has finished (or set $KZALIGN_BUSY_TIMEOUT to wait longer)")

    @property
    def workspace_id(self) -> str:
        return self.get_meta("workspace_id") or ""

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def query_df(self, sql: str, params: Iterable[Any] = ()) -> pd.DataFrame:
        """Run a SELECT and return a DataFrame."""
        return pd.read_sql_query(sql, self.conn, params=tuple(params))

    def query_blocks(self, sql: str, params: Iterable[Any] = (), size: int = 2000) -> Iterator[pd.DataFrame]:
        """Run a SELECT and return its rows as DataFrames of ``size`` rows, fetched as they are needed (a large
        table is never all in memory)."""
        yield from pd.read_sql_query(sql, self.conn, params=tuple(params), chunksize=size)

    def record_run(self, stage: str, signature: str, stats: dict[str, object]) -> None:
        self.conn.execute(
            "INSERT INTO runs(stage, signature, stats, finished_at) VALUES (?, ?, ?, ?)",
            (stage, signature, json.dumps(stats, ensure_ascii=False, default=str), now_iso()),
        )

    def last_run(self, stage: str) -> tuple[str, dict[str, object]] | None:
        row = self.conn.execute(
            "SELECT signature, stats FROM runs WHERE stage=? ORDER BY rowid DESC LIMIT 1", (stage,)
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def ran_after(self, stage: str, other: str) -> bool:
        """Whether ``stage`` last ran after the last run of ``other`` (False when ``stage`` never ran)."""
        row = self.conn.execute("SELECT (SELECT MAX(rowid) FROM runs WHERE stage=?), "
                                "(SELECT MAX(rowid) FROM runs WHERE stage=?)", (stage, other)).fetchone()
        return row[0] is not None and (row[1] is None or row[0] > row[1])

