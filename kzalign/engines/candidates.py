"""Candidate search: which (Russian, English) item pairs are worth scoring, in pure numpy (faiss when present).

Each Russian item's ``k`` nearest English items and each English item's ``k`` nearest Russian items, by
blocked top-k inner products (never an n×m matrix; an approximate faiss IVF index for very large inputs).
Also the neighbourhood density the ratio margin divides by (Artetxe & Schwenk 2019), measured against any
reference set: the shipped background sample (:mod:`kzalign.engines.background`) or, as a fallback, the workspace.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from types import ModuleType

import numpy as np

#: Neighbours used for the margin denominator and for candidate generation.
K_NEIGHBOURS = 4
K_CANDIDATES = 8
#: Above this many RU×EN pairs (20,000 a side) the candidate search uses an approximate faiss IVF index: on a
#: 10,000-a-side archive it finds 0.998 of exact search's links, and at 30,000 a side it takes 2/3 of the CPU
#: (BENCHMARKS.md, "Archive scale"; exact search grows as n²).
EXACT_MAX_PAIRS = 400_000_000


def _faiss() -> ModuleType | None:
    try:
        import faiss
    except ImportError:
        return None
    return faiss


#: Search methods: ``auto`` is exact up to :data:`EXACT_MAX_PAIRS` pairs, IVF beyond (measured in BENCHMARKS.md,
#: "Archive scale": benchmarks/bench_candidates.py); ``ivf`` and ``hnsw`` force an approximate faiss index.
METHODS = ("auto", "exact", "ivf", "hnsw")


def topk(queries: np.ndarray, base: np.ndarray, k: int, block: int = 1024,
         exact_max_pairs: int = EXACT_MAX_PAIRS, method: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest inner products of each query row with ``base`` (values, indices), best first.

    Works block by block, so memory stays at ``block × len(base)`` floats; beyond
    ``exact_max_pairs`` pairs (or with ``method`` ivf or hnsw) an approximate faiss index is used.
    """
    if method not in METHODS:
        raise ValueError(f"unknown candidate search {method!r}; use one of {', '.join(METHODS)}")
    n, m = len(queries), len(base)
    k = min(k, m)
    if n == 0 or k == 0:
        return np.zeros((n, k), np.float32), np.zeros((n, k), np.int64)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    base = np.ascontiguousarray(base, dtype=np.float32)
    faiss = _faiss()
    if faiss is not None:
        if method == "hnsw":
            return _hnsw_search(faiss, queries, base, k)
        if method == "ivf" or (method == "auto" and n * m > exact_max_pairs):
            return _ivf_search(faiss, queries, base, k)
        index = faiss.IndexFlatIP(base.shape[1])
        index.add(base)
        sims, idx = index.search(queries, k)
        return sims, idx.astype(np.int64)
    sims = np.empty((n, k), np.float32)
    idx = np.empty((n, k), np.int64)
    for s in range(0, n, block):
        S = queries[s : s + block] @ base.T
        part = np.argpartition(-S, k - 1, axis=1)[:, :k] if k < m else np.tile(np.arange(m), (len(S), 1))
        vals = np.take_along_axis(S, part, axis=1)
        order = np.argsort(-vals, axis=1, kind="stable")
        sims[s : s + block] = np.take_along_axis(vals, order, axis=1)
        idx[s : s + block] = np.take_along_axis(part, order, axis=1)
    return sims, idx


def _ivf_search(faiss: ModuleType, queries: np.ndarray, base: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Approximate top-k with an inverted-file index. The lists hold the vectors as float16 (half the memory
    read per query, which bounds the search: 2x faster at 30,000 a side); the :data:`IVF_RERANK` × ``k`` best
    it finds are re-ranked by exact float32 inner products (:func:`rerank`, faiss's own), so float16 rounding
    decides nothing. Item vectors are stored as float16 (:mod:`kzalign.store.vectors`), so the lists even hold them
    exactly."""
    m, d = base.shape
    nlist = int(min(4096, max(64, 4 * math.sqrt(m)), max(1, m // 40)))  # ≥ 40 training points a list (faiss)
    quant = faiss.IndexFlatIP(d)
    index = faiss.IndexIVFScalarQuantizer(quant, d, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    train = base[rng.choice(m, size=min(m, nlist * 40), replace=False)]
    index.train(train)
    index.add(base)
    index.nprobe = max(8, nlist // 32)
    _, idx = index.search(queries, min(m, IVF_RERANK * k))
    return rerank(queries, base, idx.astype(np.int64), k, faiss)


#: How many more neighbours than asked the float16 IVF search returns for the exact re-ranking.
IVF_RERANK = 2


def rerank(queries: np.ndarray, base: np.ndarray, ids: np.ndarray, k: int,
           faiss: ModuleType | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best of each query's candidate ``ids`` (-1: none) by exact inner product, best first (ties by
    index), as (similarities, indices). With ``faiss``, the products are faiss's own (``fvec_inner_product``, as
    its float32 IVF lists compute them: a near-tie falls the same way; numpy's sum rounds differently)."""
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if faiss is not None:
        sims = np.empty(ids.shape, np.float32)
        faiss.fvec_inner_products_by_idx(faiss.swig_ptr(sims), faiss.swig_ptr(queries), faiss.swig_ptr(base),
                                         faiss.swig_ptr(ids), queries.shape[1], len(queries), ids.shape[1])
    else:
        sims = neighbour_sims(queries, base, np.maximum(ids, 0))
    sims[ids < 0] = -np.inf
    order = np.lexsort((ids, -sims), axis=1)[:, :k]
    top, sel = np.take_along_axis(sims, order, axis=1), np.take_along_axis(ids, order, axis=1)
    sel[~np.isfinite(top)] = -1
    return top, sel


def _hnsw_search(faiss: ModuleType, queries: np.ndarray, base: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Approximate top-k with a graph index (HNSW, 32 links a node; exact inner products of what it finds)."""
    index = faiss.IndexHNSWFlat(base.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    index.add(base)
    index.hnsw.efSearch = max(64, 8 * k)
    sims, idx = index.search(queries, k)
    return sims, idx.astype(np.int64)


def knn_mean(sims: np.ndarray, k: int = K_NEIGHBOURS) -> np.ndarray:
    """Mean of each row's ``k`` best similarities (the margin's neighbourhood density)."""
    if sims.shape[1] == 0:
        return np.zeros(len(sims), np.float32)
    return sims[:, : max(1, min(k, sims.shape[1]))].mean(axis=1)


def density(vecs: np.ndarray, reference: np.ndarray, k: int = K_NEIGHBOURS) -> np.ndarray:
    """Each vector's mean similarity to its ``k`` nearest reference vectors (hubs score high), the
    similarities recomputed row by row so that the result does not depend on BLAS threads."""
    _, ids = topk(vecs, reference, k)
    return knn_mean(neighbour_sims(vecs, reference, ids), k).astype(np.float32)


def neighbour_sims(vecs: np.ndarray, reference: np.ndarray, ids: np.ndarray, block: int = 512) -> np.ndarray:
    """Similarities of each vector to its neighbours ``reference[ids[i]]``, recomputed row by row in blocks:
    BLAS results vary in the last bits with the number of threads, and a re-link must reproduce its scores."""
    vecs = np.asarray(vecs, np.float32)
    reference = np.asarray(reference, np.float32)
    out = np.zeros(ids.shape, np.float32)
    for s in range(0, len(ids), block):
        out[s : s + block] = np.einsum("nd,nkd->nk", vecs[s : s + block], reference[ids[s : s + block]])
    return out


def pair_cos(a: np.ndarray, b: np.ndarray, ru: np.ndarray, en: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Cosines of given (ru, en) index pairs, computed row by row (no matrix)."""
    out = np.empty(len(ru), np.float32)
    for s in range(0, len(ru), chunk):
        out[s : s + chunk] = np.einsum("ij,ij->i", a[ru[s : s + chunk]], b[en[s : s + chunk]])
    return out


def ratio_margin(cos: np.ndarray, d_ru: np.ndarray, d_en: np.ndarray) -> np.ndarray:
    """cos / mean of both items' neighbourhood densities: > 1 when the pair stands out of both neighbourhoods."""
    denom = (np.asarray(d_ru, np.float64) + np.asarray(d_en, np.float64)) / 2
    return (np.asarray(cos, np.float64) / np.where(np.abs(denom) < 1e-6, 1e-6, denom)).astype(np.float32)


@dataclass
class Candidates:
    """Candidate pairs (indices into the RU and EN arrays), sorted by (ru, en), with their cosines, and each
    item's nearest items on the other side (``ru_nn``: EN indices per RU item; ``en_nn``: RU per EN)."""

    ru: np.ndarray
    en: np.ndarray
    cos: np.ndarray
    ru_nn: np.ndarray
    en_nn: np.ndarray


def candidate_pairs(ru_vecs: np.ndarray, en_vecs: np.ndarray, k: int = K_CANDIDATES,
                    exact_max_pairs: int = EXACT_MAX_PAIRS, method: str = "auto") -> Candidates:
    """Union of each RU item's ``k`` nearest EN items and each EN item's ``k`` nearest RU items."""
    s_ru, i_ru = topk(ru_vecs, en_vecs, k, exact_max_pairs=exact_max_pairs, method=method)
    s_en, i_en = topk(en_vecs, ru_vecs, k, exact_max_pairs=exact_max_pairs, method=method)
    kr, ke = i_ru.shape[1], i_en.shape[1]
    ru_idx = np.concatenate([np.repeat(np.arange(len(ru_vecs)), kr), i_en.ravel()])
    en_idx = np.concatenate([i_ru.ravel(), np.repeat(np.arange(len(en_vecs)), ke)])
    ok = (ru_idx >= 0) & (en_idx >= 0)
    pairs = np.unique(np.stack([ru_idx[ok], en_idx[ok]], axis=1), axis=0) if ok.any() else np.zeros((0, 2), int)
    r, e = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    return Candidates(r, e, pair_cos(ru_vecs, en_vecs, r, e), i_ru, i_en)


def workspace_densities(ru_vecs: np.ndarray, en_vecs: np.ndarray,
                        k: int = K_NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """Densities of each side against the other side of the workspace itself (the fallback reference).

    A side with fewer than ``k`` items cannot estimate its neighbours' density: the other side's mean is used.
    """
    d_ru, d_en = density(ru_vecs, en_vecs, k), density(en_vecs, ru_vecs, k)
    if len(ru_vecs) < k and len(d_ru):
        d_en = np.full(len(en_vecs), float(d_ru.mean()), np.float32)
    if len(en_vecs) < k and len(d_en):
        d_ru = np.full(len(ru_vecs), float(d_en.mean()), np.float32)
    return d_ru, d_en


def nearest(vecs: np.ndarray, other: np.ndarray, background: np.ndarray, k: int,
            nn: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each vector's ``k`` nearest among ``other`` followed by ``background`` (similarities, indices into
    that stack), best first. ``nn``: each vector's nearest ``other`` indices already found (at least ``k``
    of them, e.g. by the candidate search), so only the small background is searched again."""
    ref = np.vstack([np.asarray(other, np.float32), np.asarray(background, np.float32)])
    if nn is None or nn.shape[1] < min(k, len(other)):
        nn = topk(vecs, other, k)[1]
    _, bg = topk(vecs, background, k)
    ids = np.hstack([nn, bg + len(other)]).astype(np.int64)
    sims = neighbour_sims(vecs, ref, ids)
    order = np.lexsort((ids, -sims), axis=1)[:, :k] if ids.size else np.zeros((len(vecs), 0), np.int64)
    return np.take_along_axis(sims, order, axis=1), np.take_along_axis(ids, order, axis=1)


def pair_density(vecs: np.ndarray, other: np.ndarray, background: np.ndarray, idx: np.ndarray,
                 partner: np.ndarray, k: int = K_NEIGHBOURS, nn: np.ndarray | None = None) -> np.ndarray:
    """Density of ``vecs[idx]`` among the other side's items and the background, leaving the pair's own
    partner (``other[partner]``) out: the mean of the ``k`` best similarities among everything else.

    Leaving the partner out makes a lone pair's margin its margin over the background, and a pair among
    many items its margin over its item's usual neighbours. ``nn``: see :func:`nearest`.
    """
    sims, ids = nearest(vecs, other, background, k + 1, nn)
    s, i = sims[idx], ids[idx]
    hit = i == partner[:, None]
    keep = ~hit
    # the k best that are not the partner: drop the partner where present, else the (k+1)-th
    drop_last = ~hit.any(axis=1)
    keep[drop_last, -1] = False if s.shape[1] > k else keep[drop_last, -1]
    n = np.maximum(keep.sum(axis=1), 1)
    return ((s * keep).sum(axis=1) / n).astype(np.float32)


#: Items at most this many days apart that name the same person are always scored: among a stream's
#: same-topic reports the vectors alone may not rank a short post about the same event among the nearest.
CLOSE_DAYS = 7


def close_pairs(ru_days: Sequence[date | None], en_days: Sequence[date | None], ru_names: Sequence[AbstractSet[str]],
                en_names: Sequence[AbstractSet[str]], keep: Callable[[str], bool],
                max_days: int = CLOSE_DAYS) -> set[tuple[int, int]]:
    """(RU index, EN index) of dated items at most ``max_days`` apart that share a name ``keep`` accepts
    (an index of EN items by name and date: each RU item looks up only its own names' few close items)."""
    index: dict[str, list[tuple[int, int]]] = {}
    for e, (d, names) in enumerate(zip(en_days, en_names, strict=True)):
        if d is not None:
            for k in names:
                if keep(k):
                    index.setdefault(k, []).append((d.toordinal(), e))
    for rows in index.values():
        rows.sort()
    out: set[tuple[int, int]] = set()
    for r, (d, names) in enumerate(zip(ru_days, ru_names, strict=True)):
        if d is None:
            continue
        day = d.toordinal()
        for k in names:
            near = index.get(k, [])
            lo = bisect.bisect_left(near, (day - max_days, -1))
            hi = bisect.bisect_right(near, (day + max_days, len(en_days)))
            out.update((r, e) for _, e in near[lo:hi])
    return out
