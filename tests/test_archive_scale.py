"""Archive scale (issue 27): the compact vector store (float16 chunks that read back exactly as stored, the v9
upgrade converting float32 vectors in place) and the stages that work a block at a time (same results)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from kzalign.store.workspace import _SCHEMA, MIGRATIONS, VECTOR_CHUNK, Workspace, _statements, stored_vectors


def _unit(n: int, dim: int = 512, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_vectors_read_back_as_put_returns_them(ws: Workspace) -> None:
    v = _unit(3 * VECTOR_CHUNK + 5)
    hashes = [f"h{i}" for i in range(len(v))]
    with ws.transaction():
        back = ws.put_vectors("enc", hashes, v)
    got = ws.get_vectors("enc", hashes[::-1] + ["missing"])
    assert set(got) == set(hashes) and ws.count_vectors("enc") == len(v) and ws.count_vectors("other") == 0
    assert all(np.array_equal(got[h], back[i]) and got[h].dtype == np.float32 for i, h in enumerate(hashes))
    assert np.abs(back - v).max() < 1e-3  # float16 of unit vectors
    # raw SQL on purpose: the chunk layout is what the store is about
    assert ws.conn.execute("SELECT COUNT(*) FROM vector_chunks").fetchone()[0] == 4


def test_a_cached_vector_is_kept_and_duplicates_stored_once(ws: Workspace) -> None:
    v = _unit(3)
    with ws.transaction():
        ws.put_vectors("enc", ["a", "b"], v[:2])
        ws.put_vectors("enc", ["a", "c", "c"], v)
    got = ws.get_vectors("enc", ["a", "b", "c"])
    assert np.array_equal(got["a"], stored_vectors(v[:1])[0]) and np.array_equal(got["c"], stored_vectors(v[1:2])[0])
    assert ws.count_vectors() == 3


def test_vectors_beyond_float16_stay_float32(ws: Workspace) -> None:
    v = np.array([[1e6, -2.5, 0.1]], dtype=np.float32)
    with ws.transaction():
        back = ws.put_vectors("big", ["x"], v)
    assert np.array_equal(back, v) and np.array_equal(ws.get_vectors("big", ["x"])["x"], v[0])


def _v5_workspace(path: Path, vectors: dict[str, np.ndarray]) -> None:
    """A workspace as kzalign's schema v5 wrote it: one float32 vector per ``embeddings`` row."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for stmt in _statements(_SCHEMA):
        conn.execute(stmt)
    for target, _what, sql in MIGRATIONS:
        if target <= 5:
            assert isinstance(sql, str)
            for stmt in _statements(sql):
                conn.execute(stmt)
    conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', '5')")
    conn.executemany("INSERT INTO embeddings(encoder, text_hash, dim, vector) VALUES (?, ?, ?, ?)",
                     [(h.split("/")[0], h.split("/")[1], len(v), v.astype(np.float32).tobytes())
                      for h, v in vectors.items()])
    conn.execute("COMMIT")
    conn.close()


def test_v5_workspace_vectors_are_converted_and_the_file_shrinks(tmp_path: Path) -> None:
    v, w = _unit(600), _unit(7, dim=384, seed=1)
    old = {f"use/h{i}": x for i, x in enumerate(v)} | {f"e5/g{i}": x for i, x in enumerate(w)}
    db = tmp_path / "v5.db"
    _v5_workspace(db, old)
    before = db.stat().st_size
    with Workspace(db, create=False) as ws:
        got = ws.get_vectors("use", [f"h{i}" for i in range(600)])
        assert len(got) == 600 and ws.count_vectors() == 607
        assert all(np.array_equal(got[f"h{i}"], stored_vectors(x)[0]) for i, x in enumerate(v))
        assert np.array_equal(ws.get_vectors("e5", ["g3"])["g3"], stored_vectors(w[3:4])[0])
        # raw SQL on purpose: the old table is gone
        tables = {r[0] for r in ws.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "embeddings_v5" not in tables and "vector_chunks" in tables
    assert db.stat().st_size < before / 2  # 4 KB pages of one 2 KB vector each, now packed float16


class _Encoder:
    """A small deterministic encoder (vectors from a hash of each text) that records how much it encodes."""

    name, signature, dim = "toy", "toy-v1", 16

    def __init__(self, same: dict[str, str] | None = None) -> None:
        self.calls: list[int] = []
        self.same = same or {}  # texts that get the vector of another text (a "translation")

    def encode(self, texts: list[str], *, kind: str = "passage", batch_size: int = 64) -> np.ndarray:
        import zlib

        self.calls.append(len(texts))
        v = np.array([np.random.default_rng(zlib.crc32(self.same.get(t, t).encode())).standard_normal(self.dim)
                      for t in texts],
                     dtype=np.float32).reshape(len(texts), self.dim)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_item_vectors_in_blocks_equal_one_block_and_a_cached_rerun(tmp_path: Path, monkeypatch) -> None:
    """A cold link embeds new items a block at a time (bounded memory): the vectors do not depend on the block
    size, and a re-run reads the very same vectors from the cache without encoding."""
    import pandas as pd

    from kzalign.stages import link

    items = pd.DataFrame({"title": [f"Заголовок {i}" for i in range(9)], "lang": "ru",
                          "text": [f"Первое предложение {i}. Второе предложение {i % 4}." for i in range(9)]})
    with Workspace(tmp_path / "a.db") as ws:
        whole = link.item_vectors(ws, _Encoder(), items)
    monkeypatch.setattr(link, "ITEM_BLOCK", 2)
    enc = _Encoder()
    with Workspace(tmp_path / "b.db") as ws:
        blocks = link.item_vectors(ws, enc, items)
        assert len(enc.calls) == 5  # five blocks of at most two items
        again = link.item_vectors(ws, enc, items)
        assert len(enc.calls) == 5
    assert np.array_equal(whole, blocks) and np.array_equal(blocks, again)


def test_pairs_in_blocks_equal_pairs_in_one_block(tmp_path: Path, monkeypatch) -> None:
    """The sentence stage aligns links a block at a time (bounded memory): the pairs do not depend on it."""
    from kzalign.stages import sentences

    ru = [["Президент встретился с министром.", "Они обсудили торговлю.", "Встреча прошла в Астане."],
          ["Погода будет тёплой.", "Дожди ожидаются в горах."]]
    en = [["The president met the minister.", "They discussed trade.", "The meeting was in Astana."],
          ["The weather will be warm.", "Rain is expected in the mountains."]]
    same = {e: r for rs, es in zip(ru, en, strict=True) for r, e in zip(rs, es, strict=True)}

    def pairs(db: Path) -> list[tuple[object, ...]]:
        with Workspace(db) as ws:
            ws.add_items([{"id": f"r{i}", "lang": "ru", "text": " ".join(t)} for i, t in enumerate(ru)]
                         + [{"id": f"e{i}", "lang": "en", "text": " ".join(t)} for i, t in enumerate(en)])
            with ws.transaction():
                ws.replace_links([(f"r{i}", f"e{j}", 0.9, 1, "{}", "s") for i in range(2) for j in range(2)])
            assert sentences.align_workspace(ws, encoder=_Encoder(same)).links == 4
            return sorted(tuple(r) for r in sentences.pairs_table(ws).itertuples(index=False))

    whole = pairs(tmp_path / "a.db")
    monkeypatch.setattr(sentences, "LINK_BLOCK", 1)
    assert whole and pairs(tmp_path / "b.db") == whole


def test_a_compact_workspace_marked_older_is_left_as_it_is(tmp_path: Path) -> None:
    """The v9 step converts only the old layout: a workspace whose version mark is older than its tables opens."""
    db = tmp_path / "w.db"
    with Workspace(db) as ws, ws.transaction():
        ws.put_vectors("enc", ["a"], _unit(1))
        ws.set_meta("schema_version", "6")
    with Workspace(db) as ws:
        assert ws.count_vectors() == 1 and ws.get_vectors("enc", ["a"])["a"].shape == (512,)
