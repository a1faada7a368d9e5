"""Caches keyed by text hash: embedding vectors (``embeddings``/``vector_chunks``), translations and
link keys (``item_keys``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence

import numpy as np

from kzalign.store.base import WorkspaceBase
from kzalign.store.schema import _put_chunks, stored_vectors


class VectorsMixin(WorkspaceBase):
    """The embedding, translation and link-key caches."""

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

    def get_item_keys(self, cache: str, hashes: list[str]) -> dict[str, dict[str, set[str]]]:
        """Cached link keys ({kind: set of keys}) of the given text hashes (missing ones are absent)."""
        return {h: {k: set(map(sys.intern, v)) for k, v in d.items()}
                for h, d in self.get_item_key_lists(cache, hashes).items()}

    def get_item_key_lists(self, cache: str, hashes: list[str]) -> dict[str, dict[str, list[str]]]:
        """Cached link keys as stored ({kind: sorted list of keys}), for callers that pack them themselves."""
        out: dict[str, dict[str, list[str]]] = {}
        for start in range(0, len(hashes), 900):
            chunk = hashes[start : start + 900]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT text_hash, keys FROM item_keys WHERE cache=? AND text_hash IN ({marks})", (cache, *chunk)
            ).fetchall()
            for h, blob in rows:
                out[h] = json.loads(blob)
        return out

    def put_item_keys(self, cache: str, keys: dict[str, dict[str, set[str]]]) -> None:
        """Store link keys by text hash (sorted lists, so the stored JSON is deterministic)."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO item_keys(cache, text_hash, keys) VALUES (?, ?, ?)",
            [(cache, h, json.dumps({k: sorted(v) for k, v in sorted(d.items())}, ensure_ascii=False))
             for h, d in keys.items()],
        )

