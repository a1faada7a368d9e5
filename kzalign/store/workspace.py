"""The workspace: one SQLite file holding items, caches, links, pairs and review decisions.

Every command runs in one transaction (:meth:`Workspace.transaction`), so a failed or
interrupted command leaves the workspace as it was. The schema is versioned in ``meta``
(:data:`SCHEMA_VERSION`); a workspace made by an earlier kzalign is migrated step by step
(:data:`MIGRATIONS`) when opened, one written by a newer kzalign is refused rather than damaged.

Concurrency: the file is in WAL mode, so readers never wait for a writer and see the last
committed state. Writers are serialised: :meth:`Workspace.transaction` takes the write lock up
front (``BEGIN IMMEDIATE``), waiting for another writer up to ``$KZALIGN_BUSY_TIMEOUT`` seconds
(default 300) and saying so in the log, then failing with :class:`WorkspaceBusyError`.
Opening a workspace whose schema is current writes nothing, so it never waits for a writer.

The tables are kept by one module each in this package (:mod:`.base` the connection, meta and runs,
:mod:`.schema` the schema and migrations, :mod:`.items`, :mod:`.vectors`, :mod:`.links`, :mod:`.pairs`,
:mod:`.review`); :class:`Workspace` composes them, and every name is importable from here.
"""

from __future__ import annotations

import os  # noqa: F401  (tests patch os.access through this module)
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kzalign.store.base import (  # noqa: F401  (re-exported)
    DEFAULT_BUSY_TIMEOUT,
    DEFAULT_DB,
    WorkspaceBase,
    WorkspaceBusyError,
    _is_busy,
    _writable,
    busy_timeout,
    log,
    now_iso,
)
from kzalign.store.items import _ITEM_ORDER, ItemsMixin  # noqa: F401  (re-exported)
from kzalign.store.links import (  # noqa: F401  (re-exported)
    DEFAULT_LINK_KIND,
    LINK_FIELDS,
    LINK_KINDS,
    LinksMixin,
    check_link_kind,
    link_key,
)
from kzalign.store.pairs import PAIR_FIELDS, PairsMixin  # noqa: F401  (re-exported)
from kzalign.store.review import ReviewMixin, decisions  # noqa: F401  (re-exported)
from kzalign.store.schema import (  # noqa: F401  (re-exported)
    _COMPACT_VERSION,
    _F16_MAX,
    _SCHEMA,
    _VECTOR_SCHEMA,
    MIGRATIONS,
    SCHEMA_VERSION,
    VECTOR_CHUNK,
    _compact_vectors,
    _put_chunks,
    _statements,
    stored_vectors,
)
from kzalign.store.vectors import VectorsMixin


class Workspace(ItemsMixin, VectorsMixin, LinksMixin, PairsMixin, ReviewMixin, WorkspaceBase):
    """An open kzalign workspace (SQLite). Use as a context manager or call :meth:`close`."""

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_workspace(path: str | Path = DEFAULT_DB, create: bool = False) -> Workspace:
    """Open a workspace; with ``create=False`` a missing file is a clear error, not a new empty one."""
    return Workspace(path, create=create)


@contextmanager
def new_or_existing_workspace(path: str | Path = DEFAULT_DB) -> Iterator[Workspace]:
    """Open (creating it if needed) a workspace for a command that fills it; when the file was new and the
    command fails or is interrupted, the new file (and its -wal/-shm, and folders made for it) is removed,
    so a failed first ingest leaves nothing behind."""
    path = Path(path)
    new, made = not path.exists(), [d for d in path.parents if not d.exists()]  # folders made for it, nearest first
    ws: Workspace | None = None
    try:
        ws = Workspace(path)
        yield ws
    except BaseException:
        kept = False
        if ws is not None:
            try:  # another process that opened the new file meanwhile may have committed items: keep them
                kept = bool(sum(ws.count_items().values()))
            except sqlite3.Error:
                kept = False
            ws.close()
        if new and not kept:
            for f in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                f.unlink(missing_ok=True)
            for d in made:
                if d.is_dir() and not any(d.iterdir()):
                    d.rmdir()
        raise
    ws.close()
