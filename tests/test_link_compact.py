"""Issue 27: link keys held compactly (interned ids per item) give the same keys, overlaps and evidence as the
Python sets they replace, and a link run holds no Python object per candidate pair."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kzalign.engines import keys as K
from kzalign.engines import scoring as S
from kzalign.glossary import Glossary
from kzalign.stages import link as L

WORDS = st.sampled_from([f"k{i}" for i in range(30)])
SETS = st.lists(st.sets(WORDS, max_size=12), min_size=2, max_size=12)


def _weights() -> K.KeyWeights:
    df = {kind: {f"k{i}": i * 3 for i in range(30)} for kind in K.KINDS}
    return K.KeyWeights(100, df)


def test_key_sets_give_back_the_sets():
    sets = [{"b", "a"}, set(), {"c", "a", "d"}]
    ks = K.KeySets.from_sets(sets)
    assert len(ks) == 3
    assert [ks[i] for i in range(3)] == sets
    assert ks[-1] == sets[-1]
    assert ks[1:] == sets[1:]
    assert ks.shared(0, 2) == {"a"}
    assert ks.vocab.count("a") == 1  # interned once
    with pytest.raises(IndexError):
        ks[3]


@settings(max_examples=60, deadline=None)
@given(SETS, st.sampled_from(["cosine", "min"]), st.integers(1, 5))
def test_pair_overlaps_equal_the_per_pair_overlap(sets, mode, block):
    """The vectorised overlap (any block size) equals :func:`weighted_overlap` of the sets, pair by pair."""
    keys = K.ItemKeys(sets, sets, sets, 1, _weights())
    n = len(sets)
    a = np.array([i % n for i in range(2 * n)])
    b = np.array([(i * 7 + 1) % n for i in range(2 * n)])
    got = K.pair_overlaps(keys.names, keys.idf2["names"], keys.norms["names"], a, b, mode, block)
    want = [K.weighted_overlap(sets[i], sets[j], keys.idf["names"], mode)[0] for i, j in zip(a, b, strict=True)]
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12)


def test_pair_features_shared_keys_are_computed_when_read():
    sets = [{"k1", "k5", "k9"}, {"k2"}, {"k5", "k9", "k1", "k3"}, {"k2", "k7"}]
    keys = K.ItemKeys(sets, sets, sets, 2, _weights())
    ru, en = np.array([0, 1, 0]), np.array([0, 1, 1])
    feats, shared = S.pair_features(keys, ru, en, np.ones(3), np.ones(3))
    assert isinstance(shared, S.PairView) and len(shared) == 3  # no dict per candidate pair is held
    idf = keys.idf["names"]
    for n, (r, e) in enumerate(zip(ru, en, strict=True)):
        score, common = K.weighted_overlap(sets[r], sets[2 + e], idf, "cosine")
        assert shared[n]["names"] == common == shared[n]["cognates"]
        assert feats["names"][n] == pytest.approx(score, abs=1e-12)
    assert shared[0]["names"] == ["k1", "k5", "k9"]  # rarest (lowest background df) first
    assert shared[2]["names"] == [] and feats["names"][2] == 0.0


def test_item_keys_norms_and_shared_frozensets():
    sets = [{"k1", "k2"}, set(), {"k2"}]
    keys = K.ItemKeys(sets, sets, sets, 1, _weights(), events=[{"visit"}, set(), {"visit"}])
    idf = keys.idf["numbers"]
    assert keys.norms["numbers"].tolist() == pytest.approx([idf["k1"] ** 2 + idf["k2"] ** 2, 0.0, idf["k2"] ** 2])
    assert keys.events[0] is keys.events[2]  # equal event sets are one object
    assert keys.field_names[0] == frozenset()


def test_cached_item_keys_match_the_per_item_sets(ws):
    texts = ["Токаев встретился с Путиным 12 марта 2024 года.", "Tokayev met Putin on March 12, 2024.",
             "Kazakhstan exported 1 500 tonnes of grain.", "Tokayev met Putin on March 12, 2024."]
    langs = ["ru", "en", "en", "en"]
    gl = Glossary([], "none")
    want = K.item_key_sets(texts, langs, gl)
    keys, computed = K.cached_item_keys(ws, zip(texts, langs, strict=True), gl, 1, _weights(), chunk=2)
    assert computed == 3  # the repeated text is computed once
    for kind in K.KINDS:
        assert [getattr(keys, kind)[i] for i in range(4)] == [w[kind] for w in want]
    assert [set(e) for e in keys.events] == [w["events"] for w in want]
    again, computed = K.cached_item_keys(ws, zip(texts, langs, strict=True), gl, 1, _weights(), chunk=3)
    assert computed == 0
    assert [again.cognates[i] for i in range(4)] == [keys.cognates[i] for i in range(4)]


def test_item_vectors_repeated_items_read_in_chunks(ws, use_encoder, monkeypatch):
    """Items read back a few at a time, a repeated text sharing its row, are the vectors computed in one go."""
    items = pd.DataFrame({"title": ["", "", "", ""], "lang": ["en"] * 4,
                          "text": ["A flood hit Almaty.\nRoads closed.", "Grain exports grew.", "A flood hit Almaty.\nRoads closed.",
                                   "The president visited Astana."]})
    full = L.item_vectors(ws, use_encoder, items)
    monkeypatch.setattr(L, "_read_vectors", lambda w, k, u, r, chunk=1, f=L._read_vectors: f(w, k, u, r, chunk))
    again = L.item_vectors(ws, use_encoder, items)
    assert full.shape == (4, use_encoder.dim)
    assert np.array_equal(full, again)
    assert np.array_equal(full[0], full[2])


def test_add_many_gives_the_ids_of_adding_item_by_item():
    rows = [["b", "a"], [], ["c", "a", "d"], ["d"]]
    one, many = K.KeySetsBuilder(), K.KeySetsBuilder()
    for r in rows:
        one.add(r)
    many.add_many(rows[:2])
    many.add_many(rows[2:])
    a, b = one.build(), many.build()
    assert a.vocab == b.vocab and a.indptr.tolist() == b.indptr.tolist() and a.ids.tolist() == b.ids.tolist()


def test_ivf_float16_lists_find_the_neighbours_of_float32_lists():
    """The IVF search keeps its lists as float16 and re-ranks exactly: on float16-exact vectors (as item vectors
    are stored) it finds the same neighbours as float32 lists."""
    import math

    faiss = pytest.importorskip("faiss")
    from kzalign.engines import candidates as C

    rng = np.random.default_rng(3)
    base = rng.standard_normal((3000, 32)).astype(np.float16).astype(np.float32)
    queries = (base[:500] + 0.3 * rng.standard_normal((500, 32))).astype(np.float16).astype(np.float32)
    sims, ids = C._ivf_search(faiss, queries, base, 8)
    m = len(base)
    nlist = int(min(4096, max(64, 4 * math.sqrt(m)), max(1, m // 40)))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(32), 32, nlist, faiss.METRIC_INNER_PRODUCT)
    index.train(base[np.random.default_rng(0).choice(m, size=min(m, nlist * 40), replace=False)])
    index.add(base)
    index.nprobe = max(8, nlist // 32)
    _, want = index.search(queries, 8)
    assert np.array_equal(np.sort(ids, axis=1), np.sort(want, axis=1))
    assert np.all(np.diff(sims, axis=1) <= 0)  # best first
