"""The workspace's schema: the v1 tables, the migration steps to :data:`SCHEMA_VERSION`, and the on-disk
format of the embedding cache (float16 vectors in chunks) that the v9 step converts to."""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

SCHEMA_VERSION = 10


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


def pack_payload(payload: Any) -> bytes:
    """A remembered review row as stored: JSON, zlib-compressed (a row is ~0.6–1.4 KB of JSON whose texts repeat:
    about half of it on disk, so a full export of an archive does not double its workspace)."""
    # a 4 KB window and small state: ~8 µs a row instead of ~65 µs (zlib's default state is set up per call), the
    # same size for rows this long; zlib.decompress reads either
    packer = zlib.compressobj(6, zlib.DEFLATED, 12, 4)
    return packer.compress(json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")) + packer.flush()


def unpack_payload(stored: bytes | str) -> Any:
    """What :func:`pack_payload` stored (plain JSON text: a row remembered before schema v10)."""
    return json.loads(zlib.decompress(stored) if isinstance(stored, bytes) else stored)


def _compress_review_rows(conn: sqlite3.Connection) -> None:
    """v10: compress the remembered review rows, a block at a time (memory stays bounded on an archive)."""
    if not conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='review_rows'").fetchone():
        return
    last = -1
    while True:
        rows = conn.execute("SELECT rowid, payload FROM review_rows WHERE rowid > ? AND typeof(payload) = 'text' "
                            "ORDER BY rowid LIMIT 2000", (last,)).fetchall()
        if not rows:
            return
        conn.executemany("UPDATE review_rows SET payload = ? WHERE rowid = ?",
                         [(pack_payload(json.loads(p)), rid) for rid, p in rows])
        last = rows[-1][0]


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
    (10, "review_rows: payloads stored compressed (remembered rows converted)", _compress_review_rows),
]


#: The step that converts cached vectors (a workspace that had some is vacuumed after it).
_COMPACT_VERSION = 9
