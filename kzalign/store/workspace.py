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
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kzalign.core.errors import WorkspaceError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 9
DEFAULT_DB = "kzalign.db"
#: Seconds a writer waits for another writer before giving up (``$KZALIGN_BUSY_TIMEOUT`` overrides).
DEFAULT_BUSY_TIMEOUT = 300.0

#: The v1 schema (every workspace starts here; later versions are :data:`MIGRATIONS` steps).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- One row per report. ``id`` is given by the input or derived from normalised content.
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    lang TEXT NOT NULL CHECK (lang IN ('ru', 'en')),
    title TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    date TEXT,
    url TEXT,
    source TEXT,
    content_hash TEXT NOT NULL,
    id_given INTEGER NOT NULL DEFAULT 0,
    added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_lang ON items(lang);
CREATE INDEX IF NOT EXISTS items_hash ON items(content_hash);
-- Every place an item was found, as ``file:line`` (a merged duplicate has several).
CREATE TABLE IF NOT EXISTS item_sources (
    item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (item_id, source)
);
-- Embedding cache: (encoder signature, text hash) -> float32 vector.
CREATE TABLE IF NOT EXISTS embeddings (
    encoder TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (encoder, text_hash)
);
-- Translation cache: (model signature, source-sentence hash) -> English text and QA flags.
CREATE TABLE IF NOT EXISTS translations (
    model TEXT NOT NULL,
    src_hash TEXT NOT NULL,
    src TEXT NOT NULL,
    mt TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (model, src_hash)
);
-- Item links proposed by the last ``link`` run (rejected links are never re-proposed).
CREATE TABLE IF NOT EXISTS links (
    ru_id TEXT NOT NULL,
    en_id TEXT NOT NULL,
    score REAL NOT NULL,
    rank INTEGER NOT NULL,
    evidence TEXT NOT NULL DEFAULT '{}',
    signature TEXT NOT NULL,
    PRIMARY KEY (ru_id, en_id)
);
-- Sentence pairs inside linked item pairs.
CREATE TABLE IF NOT EXISTS pairs (
    id TEXT PRIMARY KEY,
    ru_id TEXT NOT NULL,
    en_id TEXT NOT NULL,
    ru_idx TEXT NOT NULL,
    en_idx TEXT NOT NULL,
    ru_text TEXT NOT NULL,
    en_text TEXT NOT NULL,
    mt_en TEXT NOT NULL DEFAULT '',
    score REAL NOT NULL,
    regime TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '',
    signature TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS pairs_link ON pairs(ru_id, en_id);
-- Reviewer decisions, keyed by what they are about (kind: link|pair|glossary; key: row id).
CREATE TABLE IF NOT EXISTS decisions (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'fix')),
    corrected_en TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL DEFAULT '{}',
    review_file TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
-- Outputs of each stage run, stamped with the signature of what produced them.
CREATE TABLE IF NOT EXISTS runs (
    stage TEXT NOT NULL,
    signature TEXT NOT NULL,
    stats TEXT NOT NULL DEFAULT '{}',
    finished_at TEXT NOT NULL
);
"""


def _statements(script: str) -> list[str]:
    """The SQL statements of a script (``;``-separated, ``--`` comments dropped; no ``;`` inside literals)."""
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    return [st.strip() for st in "\n".join(lines).split(";") if st.strip()]


def now_iso() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


#: Row order of :meth:`Workspace.items` (and of :meth:`Workspace.item_texts`).
_ITEM_ORDER = " ORDER BY lang DESC, date IS NULL, date, id"


#: Vectors per stored chunk: 64 float16 512-d vectors make a 64 KB blob that fills its overflow pages (one
#: 2 KB float32 vector a row left half of each 4 KB page empty). Measured: BENCHMARKS.md, "Archive scale".
VECTOR_CHUNK = 64
#: Largest magnitude float16 holds; a vector with a larger component is stored as float32.
_F16_MAX = 65504.0


def stored_vectors(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` as the workspace keeps them: float16 (unit vectors lose about 3e-4 per component and
    no link decision on the dev sets, BENCHMARKS.md), float32 when a component is beyond float16's range."""
    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim == 1:
        v = v.reshape(1, -1)
    if v.size and not (np.isfinite(v).all() and float(np.abs(v).max()) <= _F16_MAX):
        return np.ascontiguousarray(v)
    return np.ascontiguousarray(v, dtype=np.float16)


def _compact_vectors(conn: sqlite3.Connection) -> None:
    """Schema v9: the float32 vector-per-row ``embeddings`` table becomes an index (encoder, text_hash) ->
    (chunk, position) into float16 ``vector_chunks`` (see :data:`VECTOR_CHUNK`); cached vectors are converted."""
    if "chunk" in {r[1] for r in conn.execute("PRAGMA table_info(embeddings)")}:
        return  # already compact (a workspace marked with an older version than its tables)
    conn.execute("ALTER TABLE embeddings RENAME TO embeddings_v5")
    for stmt in _statements(_VECTOR_SCHEMA):
        conn.execute(stmt)
    encoders = [e for (e,) in conn.execute("SELECT DISTINCT encoder FROM embeddings_v5 ORDER BY encoder")]
    for enc in encoders:
        cur = conn.execute("SELECT text_hash, vector FROM embeddings_v5 WHERE encoder=? ORDER BY rowid", (enc,))
        while rows := cur.fetchmany(VECTOR_CHUNK * 16):
            by_dim: dict[int, list[tuple[str, bytes]]] = {}
            for h, blob in rows:
                by_dim.setdefault(len(blob) // 4, []).append((h, blob))
            for dim, part in by_dim.items():
                vecs = np.frombuffer(b"".join(b for _, b in part), dtype=np.float32).reshape(-1, dim)
                _put_chunks(conn, enc, [h for h, _ in part], stored_vectors(vecs))
    conn.execute("DROP TABLE embeddings_v5")


def _put_chunks(conn: sqlite3.Connection, encoder: str, hashes: Sequence[str], stored: np.ndarray) -> None:
    """Write stored vectors (rows of ``stored``, one per hash, hashes not yet cached) in chunks."""
    dtype = "<f2" if stored.dtype == np.float16 else "<f4"
    for s in range(0, len(hashes), VECTOR_CHUNK):
        block = np.ascontiguousarray(stored[s : s + VECTOR_CHUNK], dtype=dtype)
        cur = conn.execute("INSERT INTO vector_chunks(encoder, dim, dtype, data) VALUES (?, ?, ?, ?)",
                           (encoder, int(block.shape[1]), dtype, block.tobytes()))
        conn.executemany("INSERT INTO embeddings(encoder, text_hash, chunk, pos) VALUES (?, ?, ?, ?)",
                         [(encoder, h, cur.lastrowid, n) for n, h in enumerate(hashes[s : s + VECTOR_CHUNK])])


#: The compact vector store (schema v9; see :func:`_compact_vectors`).
_VECTOR_SCHEMA = """
-- Embedding cache, chunked: each row of vector_chunks holds up to VECTOR_CHUNK vectors of one encoder.
CREATE TABLE vector_chunks (
    id INTEGER PRIMARY KEY,
    encoder TEXT NOT NULL,
    dim INTEGER NOT NULL,
    dtype TEXT NOT NULL,
    data BLOB NOT NULL
);
-- (encoder signature, text hash) -> its chunk and row in the chunk.
CREATE TABLE embeddings (
    encoder TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    pos INTEGER NOT NULL,
    PRIMARY KEY (encoder, text_hash)
) WITHOUT ROWID;
"""


#: Schema changes, in order: (version reached, what changes, SQL). A fresh workspace is the v1 schema
#: plus every step, so each step runs on every new workspace and on every old one being opened.
#: Add a step (never edit a released one) and raise :data:`SCHEMA_VERSION` with it.
MIGRATIONS: list[tuple[int, str, str | Callable[[sqlite3.Connection], None]]] = [
    (2, "indexes for links by English item and runs by stage",
     "CREATE INDEX IF NOT EXISTS links_en ON links(en_id);\n"
     "CREATE INDEX IF NOT EXISTS runs_stage ON runs(stage);"),
    # -- Earlier or other versions of an item's text (a merged copy that differs, a shorter version a longer
    # -- one superseded): nothing an ingest read is ever lost. (IF NOT EXISTS: kzalign builds between 0.1.0
    # -- and this step created it in workspaces still marked v1.)
    (3, "item_revisions: earlier and other versions of item texts",
     """CREATE TABLE IF NOT EXISTS item_revisions (
    item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    date TEXT,
    source TEXT NOT NULL DEFAULT '',
    kept_at TEXT NOT NULL,
    PRIMARY KEY (item_id, content_hash)
);"""),
    # -- Every row a review file was exported with (kind, row id) -> the proposal as exported, so a decision in
    # -- any review file of this workspace can be applied even after its proposal left the links/pairs tables.
    (4, "review_rows: every exported review row",
     """CREATE TABLE IF NOT EXISTS review_rows (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    payload TEXT NOT NULL,
    exported_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);"""),
    # -- Link keys cache (kzalign.engines.keys): (key-function version + glossary signature, hash of lang+text) ->
    # -- JSON {kind: [keys]}, so a re-link computes names/numbers/words only for new or changed items.
    (5, "item_keys: cached link keys of item texts",
     """CREATE TABLE IF NOT EXISTS item_keys (
    cache TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    keys TEXT NOT NULL,
    PRIMARY KEY (cache, text_hash)
);"""),
    # -- What kind of link each link is (translation | same_event | follow_up, :data:`LINK_KINDS`). Existing
    # -- links made by the follow-up rule become follow_up, the others same_event (the next link run decides).
    (6, "links.kind: translation, same_event or follow_up",
     "ALTER TABLE links ADD COLUMN kind TEXT;\n"
     "UPDATE links SET kind = CASE WHEN evidence LIKE '%\"follow_up_of\"%' THEN 'follow_up' ELSE 'same_event' END;"),
    # -- A decision made on a text that was corrected since (a corrected version of a report replaced it):
    # -- why it needs re-review; '' when it does not. Recording the row's decision again clears it.
    (7, "decisions.recheck: decisions to re-review after a corrected text",
     "ALTER TABLE decisions ADD COLUMN recheck TEXT NOT NULL DEFAULT '';"),
    # -- Every decision ever recorded, with the one it replaced (decisions keeps only the latest): who changed
    # -- whose decision, and when. Filled from the history kept in the decisions' payloads (json_each), the
    # -- replaced decision being the previous entry of the same row (LAG).
    (8, "decision_history: every review decision and the one it replaced",
     """CREATE TABLE IF NOT EXISTS decision_history (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    decision TEXT NOT NULL,
    corrected_en TEXT NOT NULL DEFAULT '',
    reviewer TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    review_file TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL,
    replaced_decision TEXT NOT NULL DEFAULT '',
    replaced_reviewer TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS decision_history_row ON decision_history(kind, key);
INSERT INTO decision_history(kind, key, decision, reviewer, review_file, decided_at, replaced_decision,
                             replaced_reviewer)
SELECT kind, key, decision, reviewer, review_file, decided_at,
       COALESCE(LAG(decision) OVER w, ''), COALESCE(LAG(reviewer) OVER w, '')
FROM (SELECT d.kind AS kind, d.key AS key, COALESCE(json_extract(h.value, '$.decision'), d.decision) AS decision,
             COALESCE(json_extract(h.value, '$.reviewer'), '') AS reviewer,
             COALESCE(json_extract(h.value, '$.file'), '') AS review_file,
             COALESCE(json_extract(h.value, '$.at'), d.decided_at) AS decided_at, h.key AS n
      FROM decisions d, json_each(d.payload, '$.history') h
      UNION ALL
      SELECT kind, key, decision, reviewer, review_file, decided_at, 0 FROM decisions
      WHERE json_type(payload, '$.history') IS NOT 'array' OR json_array_length(payload, '$.history') = 0)
WINDOW w AS (PARTITION BY kind, key ORDER BY n);
UPDATE decision_history SET corrected_en = (SELECT d.corrected_en FROM decisions d WHERE d.kind = decision_history.kind
       AND d.key = decision_history.key AND d.decided_at = decision_history.decided_at), note = (SELECT d.note
       FROM decisions d WHERE d.kind = decision_history.kind AND d.key = decision_history.key
       AND d.decided_at = decision_history.decided_at)
WHERE EXISTS (SELECT 1 FROM decisions d WHERE d.kind = decision_history.kind AND d.key = decision_history.key
       AND d.decided_at = decision_history.decided_at);"""),
    (9, "vector_chunks: the embedding cache as float16 chunks (cached vectors converted)", _compact_vectors),
]
#: The step that converts cached vectors (a workspace that had some is vacuumed after it).
_COMPACT_VERSION = 9


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


class Workspace:
    """An open kzalign workspace (SQLite). Use as a context manager or call :meth:`close`."""

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

    # -- lifecycle ---------------------------------------------------------------------------
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

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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

    # -- meta --------------------------------------------------------------------------------
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

    # -- tables ------------------------------------------------------------------------------
    def query_df(self, sql: str, params: Iterable[Any] = ()) -> pd.DataFrame:
        """Run a SELECT and return a DataFrame."""
        return pd.read_sql_query(sql, self.conn, params=tuple(params))

    def items(self, lang: str | None = None) -> pd.DataFrame:
        """Items as a table with columns id, lang, title, text, date, url, source, sources (list)."""
        sql = "SELECT id, lang, title, text, date, url, source, content_hash, id_given FROM items"
        params: tuple[object, ...] = ()
        if lang:
            sql += " WHERE lang=?"
            params = (lang,)
        df = self.query_df(sql + _ITEM_ORDER, params)
        src = self.query_df("SELECT item_id, source FROM item_sources ORDER BY item_id, source")
        grouped = src.groupby("item_id")["source"].apply(list).to_dict() if len(src) else {}
        df["sources"] = [grouped.get(i, []) for i in df["id"]]
        return df

    def item_texts(self, lang: str) -> list[tuple[str, str]]:
        """(title, text) of the items of one language, in the order of :meth:`items` (a missing one as "")."""
        rows = self.conn.execute(f"SELECT title, text FROM items WHERE lang=?{_ITEM_ORDER}", (lang,))
        return [(title or "", text or "") for title, text in rows]

    # -- ingest (kzalign.inputs.ingest writes items only through these) ------------------------------------
    def given_item_hashes(self) -> dict[str, tuple[str, str]]:
        """``id -> (content_hash, lang)`` of items whose id came with the input."""
        rows = self.conn.execute("SELECT id, content_hash, lang FROM items WHERE id_given=1")
        return {r[0]: (r[1], r[2]) for r in rows}

    def derived_item_texts(self) -> list[tuple[str, str, str]]:
        """``(id, lang, text)`` of items whose id kzalign derived (candidates for near-duplicate merging)."""
        return [tuple(r) for r in self.conn.execute("SELECT id, lang, text FROM items WHERE id_given=0 ORDER BY id")]

    def insert_item(self, item_id: str, row: dict[str, object], given: bool, added_at: str) -> None:
        """Add one item (``row``: lang, title, text, date, url, source, content_hash)."""
        self.conn.execute(
            "INSERT INTO items(id, lang, title, text, date, url, source, content_hash, id_given, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item_id, row["lang"], row["title"], row["text"], row["date"], row["url"], row["source"],
             row["content_hash"], int(given), added_at),
        )

    def fill_item(self, item_id: str, title: str, date: str | None) -> None:
        """Give an item the title it lacks and the earlier of its date and ``date``."""
        old_title, old_date = self.conn.execute("SELECT title, date FROM items WHERE id=?", (item_id,)).fetchone()
        if not old_title and title:
            self.conn.execute("UPDATE items SET title=? WHERE id=?", (title, item_id))
        if date and (old_date is None or date < old_date):
            self.conn.execute("UPDATE items SET date=? WHERE id=?", (date, item_id))

    def add_item_source(self, item_id: str, source: str, content_hash: str) -> bool:
        """Record where an item was found; False when that place was already recorded."""
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO item_sources(item_id, source, content_hash) VALUES (?, ?, ?)",
            (item_id, source, content_hash),
        )
        return bool(cur.rowcount)

    def item_hash(self, item_id: str) -> str:
        return self.conn.execute("SELECT content_hash FROM items WHERE id=?", (item_id,)).fetchone()[0]

    def add_item_revision(self, item_id: str, row: dict[str, object], kept_at: str) -> bool:
        """Keep another version of an item's text (``row``: content_hash, title, text, date, source)."""
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO item_revisions(item_id, content_hash, title, text, date, source, kept_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item_id, row["content_hash"], row["title"] or "", row["text"], row["date"], row["source"] or "", kept_at),
        )
        return bool(cur.rowcount)

    def item_version_hashes(self) -> dict[str, set[str]]:
        """``id -> content hashes`` of every version of each item's text seen so far (current, kept revisions, and
        the copies merged into it): a version already seen is never taken for a correction."""
        out: dict[str, set[str]] = {}
        for sql in ("SELECT id, content_hash FROM items", "SELECT item_id, content_hash FROM item_revisions",
                    "SELECT item_id, content_hash FROM item_sources"):
            for item_id, h in self.conn.execute(sql):
                out.setdefault(item_id, set()).add(h)
        return out

    def supersede_item(self, item_id: str, row: dict[str, object], kept_at: str) -> None:
        """Replace an item's text by a longer or corrected version; the current text is kept as a revision with
        its date."""
        title, text, date, content_hash = self.conn.execute(
            "SELECT title, text, date, content_hash FROM items WHERE id=?", (item_id,)).fetchone()
        first = self.conn.execute("SELECT MIN(source) FROM item_sources WHERE item_id=?", (item_id,)).fetchone()[0]
        self.add_item_revision(item_id, {"content_hash": content_hash, "title": title, "text": text, "date": date,
                                         "source": first or ""}, kept_at)
        self.conn.execute("DELETE FROM item_revisions WHERE item_id=? AND content_hash=?", (item_id, row["content_hash"]))
        self.conn.execute("UPDATE items SET text=?, content_hash=?, title=CASE WHEN ?<>'' THEN ? ELSE title END "
                          "WHERE id=?", (row["text"], row["content_hash"], row["title"], row["title"], item_id))
        self.fill_item(item_id, "", row["date"])  # type: ignore[arg-type]

    def item_revisions(self) -> pd.DataFrame:
        """Every kept version of item texts: item_id, content_hash, title, text, date, source, kept_at."""
        return self.query_df("SELECT item_id, content_hash, title, text, date, source, kept_at FROM item_revisions "
                             "ORDER BY item_id, kept_at, content_hash")

    def count_items(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT lang, COUNT(*) FROM items GROUP BY lang").fetchall()
        return {lang: n for lang, n in rows}

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

    # -- vector cache ------------------------------------------------------------------------
    def get_vectors(self, encoder: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """Cached vectors (float32) for the given text hashes (missing ones are absent from the dict)."""
        where: dict[int, list[tuple[str, int]]] = {}
        for start in range(0, len(hashes), 900):
            chunk = hashes[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for h, c, p in self.conn.execute(
                    f"SELECT text_hash, chunk, pos FROM embeddings WHERE encoder=? AND text_hash IN ({marks})",
                    (encoder, *chunk)):
                where.setdefault(c, []).append((h, p))
        out: dict[str, np.ndarray] = {}
        ids = sorted(where)
        for start in range(0, len(ids), 900):
            part = ids[start : start + 900]
            marks = ",".join("?" * len(part))
            for cid, dim, dtype, data in self.conn.execute(
                    f"SELECT id, dim, dtype, data FROM vector_chunks WHERE id IN ({marks})", part):
                block = np.frombuffer(data, dtype=dtype).reshape(-1, dim)
                for h, p in where[cid]:
                    out[h] = block[p].astype(np.float32)
        return out

    def put_vectors(self, encoder: str, hashes: list[str], vectors: np.ndarray) -> np.ndarray:
        """Cache ``vectors`` by (encoder signature, text hash) as float16 (:func:`stored_vectors`) in chunks of
        :data:`VECTOR_CHUNK` rows; returns them as they read back, so a fresh result equals a cached one.
        A hash already cached keeps its vector (the same encoder and text give the same vector)."""
        stored = stored_vectors(vectors)
        have = set(self.get_vector_hashes(encoder, list(hashes)))
        first: dict[str, int] = {}
        for i, h in enumerate(hashes):
            if h not in have:
                first.setdefault(h, i)
        keep = list(first.values())
        _put_chunks(self.conn, encoder, [hashes[i] for i in keep], stored[keep])
        return stored.astype(np.float32)

    def get_vector_hashes(self, encoder: str, hashes: list[str]) -> list[str]:
        """Which of ``hashes`` have a cached vector under ``encoder``."""
        out: list[str] = []
        for start in range(0, len(hashes), 900):
            chunk = hashes[start : start + 900]
            marks = ",".join("?" * len(chunk))
            out += [h for (h,) in self.conn.execute(
                f"SELECT text_hash FROM embeddings WHERE encoder=? AND text_hash IN ({marks})", (encoder, *chunk))]
        return out

    def count_vectors(self, encoder: str | None = None) -> int:
        """How many vectors are cached (under ``encoder``, or all)."""
        sql, args = ("SELECT COUNT(*) FROM embeddings WHERE encoder=?", (encoder,)) if encoder else (
            "SELECT COUNT(*) FROM embeddings", ())
        return int(self.conn.execute(sql, args).fetchone()[0])

    # == Decisions, links, pairs and translation cache (stable API for the stages; owner: rely) =========
    # Keep these names and signatures; add new methods in your own section below rather than here.
    def decision_by_key(self, kind: str) -> dict[str, str]:
        """key -> decision (accept|reject|fix) of one kind (link|pair|glossary), read now.

        Called inside :meth:`transaction`, the map is current and stays so until the commit (full
        records: :meth:`decision_map`).
        """
        rows = self.conn.execute("SELECT key, decision FROM decisions WHERE kind=?", (kind,)).fetchall()
        return {k: d for k, d in rows}

    def replace_links(self, rows: Iterable[Mapping[str, object] | Sequence[object]]) -> int:
        """Replace the ``links`` table: rows as dicts or tuples (ru_id, en_id, score, rank, evidence, signature
        [, kind]); a missing kind is :data:`DEFAULT_LINK_KIND`.

        ``evidence`` may be a dict (stored as sorted JSON, so identical runs give identical bytes).
        """
        out = []
        for r in rows:
            rec = [r.get(c) for c in LINK_FIELDS] if isinstance(r, Mapping) else list(r)
            rec += [None] * (len(LINK_FIELDS) - len(rec))
            if not isinstance(rec[4], str):
                rec[4] = json.dumps(rec[4] or {}, ensure_ascii=False, sort_keys=True, default=str)
            rec[6] = check_link_kind(rec[6] or DEFAULT_LINK_KIND)
            out.append(tuple(rec))
        self.conn.execute("DELETE FROM links")
        self.conn.executemany(
            "INSERT INTO links(ru_id, en_id, score, rank, evidence, signature, kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
            out)
        return len(out)

    def count_pairs(self) -> int:
        """How many sentence pairs the workspace holds."""
        return int(self.conn.execute("SELECT COUNT(*) FROM pairs").fetchone()[0])

    def item_ids(self) -> dict[str, set[str]]:
        """Item ids by language: ``{"ru": {...}, "en": {...}}``."""
        out: dict[str, set[str]] = {}
        for item_id, lang in self.conn.execute("SELECT id, lang FROM items"):
            out.setdefault(lang, set()).add(item_id)
        return out

    def link_scores(self) -> pd.DataFrame:
        """Current links (ru_id, en_id, score, kind), best first."""
        return self.query_df("SELECT ru_id, en_id, score, kind FROM links ORDER BY score DESC, ru_id, en_id")

    def replace_pairs(self, rows: Iterable[Mapping[str, object]], signature: str,
                      links: Iterable[tuple[str, str]] | None = None) -> int:
        """Replace sentence pairs: all of them, or only those of ``links`` ((ru_id, en_id) pairs).

        Each row has id, ru_id, en_id, ru_idx, en_idx, ru_text, en_text, mt_en, score, regime, flags.
        """
        if links is None:
            self.conn.execute("DELETE FROM pairs")
        else:
            self.conn.executemany("DELETE FROM pairs WHERE ru_id=? AND en_id=?", list(links))
        cols = ("id", "ru_id", "en_id", "ru_idx", "en_idx", "ru_text", "en_text", "mt_en", "score", "regime", "flags")
        data = [tuple(r.get(c, "") for c in cols) + (signature,) for r in rows]
        self.conn.executemany(
            "INSERT OR REPLACE INTO pairs(id, ru_id, en_id, ru_idx, en_idx, ru_text, en_text, mt_en, score, "
            "regime, flags, signature) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", data)
        return len(data)

    def cached_translations(self, model: str, src_hashes: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Cached (mt, flags) by source-sentence hash for one model key (missing ones are absent)."""
        out: dict[str, tuple[str, str]] = {}
        for start in range(0, len(src_hashes), 900):
            chunk = list(src_hashes[start:start + 900])
            marks = ",".join("?" * len(chunk))
            for h, mt, flags in self.conn.execute(
                    f"SELECT src_hash, mt, flags FROM translations WHERE model=? AND src_hash IN ({marks})",
                    (model, *chunk)):
                out[h] = (mt, flags)
        return out

    def put_translations(self, model: str, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """Cache translations: rows of (src_hash, src, mt, flags) for one model key."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO translations(model, src_hash, src, mt, flags) VALUES (?, ?, ?, ?, ?)",
            [(model, h, src, mt, fl) for h, src, mt, fl in rows])

    # == Linking (owner: link): test/benchmark item insert, key cache, incremental link writes ==========
    def add_items(self, rows: Iterable[dict[str, str | None]]) -> int:
        """Insert items exactly as given (keys id, lang, text; optional title, date, source), without ingest's
        checks, language detection or duplicate merging: for tests and benchmarks. Returns the number added."""
        from kzalign.core.text import text_hash

        data = [(r["id"], r["lang"], r.get("title") or "", r["text"], r.get("date"), r.get("source"),
                 text_hash(str(r["text"])), now_iso()) for r in rows]
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO items(id, lang, title, text, date, source, content_hash, id_given, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)", data,
            )
        return len(data)

    # -- link keys cache (kzalign.engines.keys) ----------------------------------------------------------
    def get_item_keys(self, cache: str, hashes: list[str]) -> dict[str, dict[str, set[str]]]:
        """Cached link keys ({kind: set of keys}) of the given text hashes (missing ones are absent)."""
        out: dict[str, dict[str, set[str]]] = {}
        for start in range(0, len(hashes), 900):
            chunk = hashes[start : start + 900]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT text_hash, keys FROM item_keys WHERE cache=? AND text_hash IN ({marks})", (cache, *chunk)
            ).fetchall()
            for h, blob in rows:
                out[h] = {k: set(map(sys.intern, v)) for k, v in json.loads(blob).items()}
        return out

    def put_item_keys(self, cache: str, keys: dict[str, dict[str, set[str]]]) -> None:
        """Store link keys by text hash (sorted lists, so the stored JSON is deterministic)."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO item_keys(cache, text_hash, keys) VALUES (?, ?, ?)",
            [(cache, h, json.dumps({k: sorted(v) for k, v in sorted(d.items())}, ensure_ascii=False))
             for h, d in keys.items()],
        )

    # -- decisions and links -----------------------------------------------------------------
    def accepted_link_pairs(self) -> list[tuple[str, str]]:
        """(ru_id, en_id) of links a reviewer accepted, from the live links or the decisions' payloads."""
        rows = self.conn.execute("SELECT key, payload FROM decisions WHERE kind='link' AND decision='accept'")
        known = {link_key(r, e): (r, e) for r, e in self.conn.execute("SELECT ru_id, en_id FROM links")}
        out: list[tuple[str, str]] = []
        for key, payload in rows.fetchall():
            pair = known.get(key)
            if pair is None:
                try:
                    pay = json.loads(payload or "{}")
                    pair = (str(pay.get("ru_id")), str(pay.get("en_id")))
                except (ValueError, AttributeError):
                    continue
            out.append(pair)
        return sorted(set(out))

    def link_inputs_digest(self, items: Iterable[Sequence[object]] | None = None) -> str:
        """Digest of what a link run reads and writes here: items (id, lang, title, text, date), link decisions
        and the links table. Two equal digests, with the same run settings, mean a re-link would change nothing.

        ``items`` are the (id, lang, title, text, date) rows a run actually scored; without them the items table
        is read now. A run records the digest of *its* items, so a report ingested while it ran (and not
        scored) makes the next run's digest differ and gets linked then.
        """
        h = hashlib.sha256()
        item_sql = "SELECT id, lang, title, text, date FROM items ORDER BY id"
        rows: Iterable[Sequence[object]] = (self.conn.execute(item_sql) if items is None
                                            else sorted(items, key=lambda r: str(r[0])))
        h.update(item_sql.encode())
        for row in rows:
            h.update(json.dumps(list(row), ensure_ascii=False).encode() + b"\n")
        for sql in ("SELECT key, decision, payload FROM decisions WHERE kind='link' ORDER BY key",
                    "SELECT ru_id, en_id, score, rank, evidence, signature, kind FROM links ORDER BY ru_id, en_id"):
            h.update(sql.encode())
            for row in self.conn.execute(sql):
                h.update(json.dumps(row, ensure_ascii=False).encode() + b"\n")
        return h.hexdigest()

    def link_rows(self) -> dict[tuple[str, str], tuple[float, int, str, str, str]]:
        """{(ru_id, en_id): (score, rank, evidence, signature, kind)} of the current links."""
        rows = self.conn.execute("SELECT ru_id, en_id, score, rank, evidence, signature, kind FROM links").fetchall()
        return {(r, e): (s, k, ev, sig, kind) for r, e, s, k, ev, sig, kind in rows}

    def update_links(self, rows: list[tuple[str, str, float, int, str, str, str]]) -> tuple[int, int, int]:
        """Make the links table exactly ``rows`` (ru_id, en_id, score, rank, evidence, signature, kind), writing only
        rows that differ (what :meth:`replace_links` does, for an incremental re-link). Returns (added,
        changed, removed)."""
        old = self.link_rows()
        new = {(r[0], r[1]): tuple(r[2:]) for r in rows}
        gone = [k for k in old if k not in new]
        put = [(*k, *v) for k, v in new.items() if old.get(k) != v]
        self.conn.executemany("DELETE FROM links WHERE ru_id=? AND en_id=?", gone)
        self.conn.executemany(
            "INSERT OR REPLACE INTO links(ru_id, en_id, score, rank, evidence, signature, kind) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", put,
        )
        changed = sum(1 for k in new if k in old and old[k] != new[k])
        return len(put) - changed, changed, len(gone)

    def links_with_items(self) -> pd.DataFrame:
        """The links joined with their items' titles, texts and dates (for :func:`kzalign.stages.link.links_table`)."""
        return self.query_df(
            "SELECT l.ru_id, l.en_id, l.score, l.rank, r.title AS ru_t, r.text AS ru_x, e.title AS en_t, "
            "e.text AS en_x, r.date AS ru_date, e.date AS en_date, l.evidence, l.signature, l.kind "
            "FROM links l LEFT JOIN items r ON r.id = l.ru_id LEFT JOIN items e ON e.id = l.en_id "
            "ORDER BY l.ru_id, l.rank, l.en_id"
        )

    # -- sentence pairs (kzalign.stages.sentences) ----------------------------------------------------------
    def decided(self, kind: str) -> dict[str, dict[str, object]]:
        """Reviewer decisions of one kind as {key: {decision, corrected_en, payload}}."""
        rows = self.conn.execute(
            "SELECT key, decision, corrected_en, payload FROM decisions WHERE kind=?", (kind,)
        ).fetchall()
        return {k: {"decision": d, "corrected_en": c, "payload": json.loads(p or "{}")} for k, d, c, p in rows}

    def link_kinds(self) -> dict[tuple[str, str], str]:
        """(ru_id, en_id) -> the link's kind (translation, same_event, follow_up; :data:`DEFAULT_LINK_KIND` when
        a link has none)."""
        rows = self.conn.execute("SELECT ru_id, en_id, kind FROM links")
        return {(r, e): k or DEFAULT_LINK_KIND for r, e, k in rows}

    def links_for_pairs(self) -> pd.DataFrame:
        """Current links (ru_id, en_id, score, evidence) in the order sentence pairs are built."""
        return self.query_df("SELECT ru_id, en_id, score, evidence FROM links ORDER BY ru_id, rank, en_id")

    def pairs_with_decisions(self) -> pd.DataFrame:
        """Sentence pairs joined with their review decision and the two items' dates."""
        return self.query_df(
            "SELECT p.id AS pair_id, p.ru_id, p.en_id, p.ru_idx, p.en_idx, p.ru_text, p.mt_en, p.en_text, "
            "p.score, p.regime, p.flags, COALESCE(d.decision, '') AS decision, "
            "COALESCE(d.corrected_en, '') AS corr, COALESCE(d.reviewer, '') AS reviewer, r.date AS ru_date, "
            "e.date AS en_date FROM pairs p LEFT JOIN decisions d ON d.kind='pair' AND d.key=p.id "
            "LEFT JOIN items r ON r.id=p.ru_id LEFT JOIN items e ON e.id=p.en_id "
            "ORDER BY p.ru_id, p.en_id, p.id"
        )

    # -- review decisions (kzalign.stages.review) -------------------------------------------------------
    def decision_map(self, kind: str | None = None) -> dict[tuple[str, str], dict[str, object]]:
        """Decisions as {(kind, key): {decision, corrected_en, reviewer, note, payload (dict), review_file,
        decided_at, recheck}}, of one kind or all (``recheck``: why the decision needs re-review, else "")."""
        sql = ("SELECT kind, key, decision, corrected_en, reviewer, note, payload, review_file, decided_at, recheck "
               "FROM decisions")
        rows = self.conn.execute(sql + (" WHERE kind=?" if kind else ""), (kind,) if kind else ()).fetchall()
        return {(k, key): {"decision": d, "corrected_en": c, "reviewer": r, "note": n,
                           "payload": json.loads(p or "{}"), "review_file": f, "decided_at": at, "recheck": rc}
                for k, key, d, c, r, n, p, f, at, rc in rows}

    def record_decision(self, kind: str, key: str, decision: str, corrected_en: str = "", reviewer: str = "",
                        note: str = "", payload: dict[str, object] | None = None, review_file: str = "",
                        decided_at: str | None = None) -> tuple[str, str] | None:
        """Store (replace) the decision about one review row (``decided_at`` defaults to now), and add it to the
        history with the decision it replaced; returns that replaced (decision, reviewer), or None."""
        at = decided_at or now_iso()
        old = self.conn.execute("SELECT decision, reviewer FROM decisions WHERE kind=? AND key=?",
                                (kind, key)).fetchone()
        self.conn.execute(
            "INSERT OR REPLACE INTO decisions(kind, key, decision, corrected_en, reviewer, note, payload, "
            "review_file, decided_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (kind, key, decision, corrected_en, reviewer, note,
             json.dumps(payload or {}, ensure_ascii=False, default=str), review_file, at),
        )
        self.conn.execute(
            "INSERT INTO decision_history(kind, key, decision, corrected_en, reviewer, note, review_file, decided_at, "
            "replaced_decision, replaced_reviewer) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (kind, key, decision, corrected_en, reviewer, note, review_file, at, old[0] if old else "",
             old[1] if old else ""),
        )
        return (old[0], old[1]) if old else None

    def decision_history(self, kind: str | None = None) -> pd.DataFrame:
        """Every decision recorded (of one kind, or all), oldest first, with the decision each replaced."""
        sql = ("SELECT kind, key, decision, corrected_en, reviewer, note, review_file, decided_at, replaced_decision, "
               "replaced_reviewer FROM decision_history")
        args: tuple[str, ...] = ()
        if kind:
            sql, args = sql + " WHERE kind=?", (kind,)
        return self.query_df(sql + " ORDER BY decided_at, rowid", args)

    def flag_decisions(self, reasons: Mapping[str, str]) -> int:
        """Mark every link and sentence-pair decision about the items of ``reasons`` (item id -> why) for
        re-review: the decision stays in force, and recording the row's decision again clears the mark. Returns
        how many decisions were marked."""
        if not reasons:
            return 0
        ids = set(reasons)
        about = {link_key(r, e): (r, e) for r, e in self.conn.execute("SELECT ru_id, en_id FROM links")
                 if r in ids or e in ids}
        about.update({p: (r, e) for p, r, e in self.conn.execute("SELECT id, ru_id, en_id FROM pairs")
                      if r in ids or e in ids})
        marks: list[tuple[str, str, str]] = []
        for kind, key, payload in self.conn.execute(
                "SELECT kind, key, payload FROM decisions WHERE kind IN ('link', 'pair')").fetchall():
            try:
                pay = json.loads(payload or "{}")
                row = pay.get("row") if isinstance(pay.get("row"), dict) else {}
                named = [pay.get("ru_id"), pay.get("en_id"), row.get("ru_id"), row.get("en_id")]
            except (ValueError, AttributeError):
                named = []
            hit = [i for i in (*named, *about.get(key, ())) if i in ids]
            if hit:
                marks.append(("; ".join(dict.fromkeys(reasons[i] for i in hit)), kind, key))
        self.conn.executemany("UPDATE decisions SET recheck=? WHERE kind=? AND key=?", marks)
        return len(marks)

    def remember_review_rows(self, rows: list[tuple[str, str, dict[str, object]]]) -> None:
        """Keep what each exported review row was (kind, key, payload), newest export winning."""
        at = now_iso()
        self.conn.executemany(
            "INSERT OR REPLACE INTO review_rows(kind, key, payload, exported_at) VALUES (?,?,?,?)",
            [(k, key, json.dumps(p, ensure_ascii=False, default=str), at) for k, key, p in rows],
        )

    def review_rows(self) -> dict[tuple[str, str], dict[str, object]]:
        """Every review row ever exported from this workspace, as remembered by :meth:`remember_review_rows`."""
        rows = self.conn.execute("SELECT kind, key, payload FROM review_rows").fetchall()
        return {(k, key): json.loads(p) for k, key, p in rows}

    def link_record(self, ru_id: str, en_id: str) -> dict[str, object] | None:
        row = self.conn.execute(f"SELECT {', '.join(LINK_FIELDS)} FROM links "
                                "WHERE ru_id=? AND en_id=?", (ru_id, en_id)).fetchone()
        return dict(zip(LINK_FIELDS, row, strict=True)) if row else None

    def pair_record(self, pair_id: str) -> dict[str, object] | None:
        row = self.conn.execute(f"SELECT {', '.join(PAIR_FIELDS)} FROM pairs WHERE id=?", (pair_id,)).fetchone()
        return dict(zip(PAIR_FIELDS, row, strict=True)) if row else None

    def restore_link(self, rec: dict[str, object]) -> bool:
        """Put a link back (a reviewer accepted it after rejecting it); False when it is there already."""
        cur = self.conn.execute(
            f"INSERT OR IGNORE INTO links({', '.join(LINK_FIELDS)}) VALUES (?,?,?,?,?,?,?)",
            tuple(rec.get(f, d) for f, d in zip(LINK_FIELDS, ("", "", 0.0, 1, "{}", "review", DEFAULT_LINK_KIND),
                                                 strict=True)))
        return cur.rowcount > 0

    def restore_pair(self, rec: dict[str, object]) -> bool:
        """Put a sentence pair back (accepted or fixed after it was dropped); False when it is there already."""
        defaults = {"mt_en": "", "flags": "", "score": 0.0, "regime": "", "signature": "review"}
        cur = self.conn.execute(
            f"INSERT OR IGNORE INTO pairs({', '.join(PAIR_FIELDS)}) VALUES ({','.join('?' * len(PAIR_FIELDS))})",
            tuple(rec.get(f, defaults.get(f, "")) for f in PAIR_FIELDS))
        return cur.rowcount > 0

    def drop_link(self, ru_id: str, en_id: str) -> None:
        """Remove a rejected link and its sentence pairs, except pairs a reviewer accepted or fixed."""
        self.conn.execute("DELETE FROM links WHERE ru_id=? AND en_id=?", (ru_id, en_id))
        self.conn.execute("DELETE FROM pairs WHERE ru_id=? AND en_id=? AND id NOT IN "
                          "(SELECT key FROM decisions WHERE kind='pair' AND decision IN ('accept','fix'))",
                          (ru_id, en_id))

    def drop_pair(self, pair_id: str) -> None:
        self.conn.execute("DELETE FROM pairs WHERE id=?", (pair_id,))



LINK_FIELDS = ("ru_id", "en_id", "score", "rank", "evidence", "signature", "kind")
#: What a link says about its two reports: one renders the other (``translation``), both report the same
#: concrete event (``same_event``), or the English one reports a later event that refers back to the Russian
#: one's (``follow_up``).
LINK_KINDS = ("translation", "same_event", "follow_up")
#: The kind of a link stored without one (a review file's or a caller's row that names none).
DEFAULT_LINK_KIND = "same_event"


def check_link_kind(kind: object) -> str:
    """``kind`` when it is one of :data:`LINK_KINDS`; anything else is a ValueError naming the allowed kinds."""
    if kind not in LINK_KINDS:
        raise ValueError(f"unknown link kind {kind!r} (use one of {', '.join(LINK_KINDS)})")
    return str(kind)
PAIR_FIELDS = ("id", "ru_id", "en_id", "ru_idx", "en_idx", "ru_text", "en_text", "mt_en", "score", "regime", "flags",
               "signature")


def link_key(ru_id: str, en_id: str) -> str:
    """Stable row id of a link (used as the review row id and the decisions key)."""
    import hashlib

    return "L" + hashlib.sha1(f"{ru_id}\t{en_id}".encode()).hexdigest()[:12]


def decisions(ws: Workspace, kind: str) -> pd.DataFrame:
    """Reviewer decisions of one kind (link|pair|glossary), one row per key."""
    return ws.query_df(
        "SELECT key, decision, corrected_en, reviewer, note, payload, review_file, decided_at "
        "FROM decisions WHERE kind=?",
        (kind,),
    )


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
