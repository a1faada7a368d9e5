"""Cross-lingual linking: which English reports tell the same story as each Russian report.

Steps (each measured on ``../shared/eval``; see the "Linking" section of BENCHMARKS.md):

1. item vectors: the mean of the item's sentence vectors (the encoders truncate long inputs, so a
   whole-text vector misses most of a long report; weighting the headline up did not help);
2. candidates: each Russian item's k nearest English items and each English item's k nearest
   Russian items, by blocked top-k search (never an n×m matrix; faiss IVF for very large inputs);
3. scores: ratio margin (Artetxe & Schwenk 2019) against both items' k nearest neighbours to
   remove hubs, idf-weighted shared names (glossary keys), shared words across scripts
   (transliterated 5-letter prefixes: латекс/latex) and shared numbers/dates, and, when
   item translations exist, the margin of MT-English against English with the English encoder;
4. a logistic combination with fitted weights (:data:`WEIGHTS`) that also weighs each pair against
   the other candidates of both items, a calibrated threshold, follow-up reports of a linked item
   (:func:`follow_ups`), the optional date rule and reviewer decisions (rejected links never
   return, accepted ones stay).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .embed import DEFAULT_EN_ENCODER, Encoder, embed_texts, resolve
from .errors import KzalignError
from .progress import ProgressCallback
from .signature import make_signature
from .store import Workspace, decisions, link_key
from .text import split_sentences

log = logging.getLogger(__name__)

#: Neighbours used for the margin denominator and for candidate generation.
K_NEIGHBOURS = 4
K_CANDIDATES = 8
#: Weight of the headline in the item vector (sentences weigh 1 each); 2 and 3 measured worse on comparable.
HEAD_WEIGHT = 1.0
#: Stage 1 (base score): logistic weights over :data:`BASE_FEATURES`. Stage 2 adds competition: how far
#: a pair's base score stands above the best *other* candidate of its Russian item (``rel_ru``) and of its
#: English item (``rel_en``): positive for the best pair (its lead over the runner-up), negative for the
#: others (their gap to the best), capped at :data:`REL_CAP` (an item with no other candidate, as in a
#: workspace with one Russian item, is measured against an ordinary neighbour: :func:`null_base`).
#: Fitted by ``benchmarks/bench_link_eval.py --fit`` on docalign+comparable (2-fold cross-validated
#: numbers in BENCHMARKS.md). Old-style weights on ``gap_ru``/``gap_en`` (distance to the
#: group's best, 0 for the best) are still understood by :func:`combine`.
BASE_FEATURES = ("margin", "cognates", "names", "numbers")
BASE_WEIGHTS = {"bias": -14.432, "margin": 11.711, "cognates": 7.606, "names": 3.109, "numbers": 0.879}
#: How shared keys are normalised per kind ("min": share of the smaller key set; see BENCHMARKS.md).
OVERLAP = {"names": "cosine", "numbers": "cosine", "cognates": "cosine"}
#: Stage-2 features the fit uses (see :func:`stage2_features`).
STAGE2 = ("base", "rel_ru", "rel_en")
#: Cap (in stage-1 logits) of the competition features ``rel_ru``/``rel_en``.
REL_CAP = 3.0
WEIGHTS = {"bias": -0.588, "base": 0.359, "rel_ru": 0.331, "rel_en": 0.368}
#: Weights per encoder (margin scales differ: e5's cosines are compressed), fitted the same way:
#: name -> (BASE_WEIGHTS, WEIGHTS, default threshold). Other encoders use the USE weights (logged).
ENCODER_WEIGHTS: dict[str, tuple[dict[str, float], dict[str, float], float]] = {
    "e5": ({"bias": -92.703, "margin": 89.705, "cognates": 19.132, "names": 3.44, "numbers": 1.279},
           {"bias": -0.858, "base": 0.252, "rel_ru": 0.679, "rel_en": 0.787}, 0.30),
}
#: Probability above which a candidate becomes a link: 0.5, the natural cut of a calibrated probability
#: (the F1-best value on the two 1:1 dev sets is 0.49; BENCHMARKS.md). ``--threshold 0.6`` suits
#: collections of translations.
THRESHOLD = 0.5
#: Follow-up reports: besides its best link, a Russian item also links to a candidate whose base score is
#: at most FOLLOWUP_GAP stage-1 logits below the best link's, whose best Russian item it is, and which shares
#: a rare name (an "anchor") with both the Russian item and its best link. A name is rare when its idf is
#: at least FOLLOWUP_ANCHOR_IDF × the idf of a name found only in those three items. Not fitted (the dev
#: sets are 1:1, so they hold no follow-ups): set for the seeds; on the dev sets it adds 3 links, 2 of
#: them right (BENCHMARKS.md).
FOLLOWUP_GAP = 2.0
FOLLOWUP_ANCHOR_IDF = 0.5
#: An item's MT draft is used for linking only when at most this share of its sentences is flagged by the
#: translation guards (empty, repetition, copied source, length ratio, lost name): a broken or unsuitable
#: model must not pull links down (with a random-weight model every draft is flagged and set aside).
MT_MAX_FLAGGED = 0.5
#: Above this many RU×EN pairs the candidate search uses an approximate faiss IVF index.
EXACT_MAX_PAIRS = 2_000_000_000


# -- item texts and vectors -----------------------------------------------------------------------
def item_units(title: str | None, text: str, lang: str) -> list[str]:
    """Headline first, then the body's sentences (the headline is the first line when no title is given)."""
    title = (title or "").strip()
    body = text or ""
    if not title:
        lines = [ln for ln in body.splitlines() if ln.strip()]
        if len(lines) > 1:
            title, body = lines[0].strip(), "\n".join(lines[1:])
    sents = split_sentences(body, lang)
    units = ([title] if title else []) + [s for s in sents if s != title]
    return units or [title or body or " "]


def pool_units(vecs: np.ndarray, counts: Sequence[int], head_weight: float = HEAD_WEIGHT,
               has_head: Sequence[bool] | None = None) -> np.ndarray:
    """Normalised weighted mean of each item's unit vectors (the first unit weighs ``head_weight``)."""
    out = np.zeros((len(counts), vecs.shape[1]), dtype=np.float32)
    start = 0
    for i, n in enumerate(counts):
        block = vecs[start : start + n]
        w = np.ones(n, dtype=np.float32)
        if n > 1 and (has_head is None or has_head[i]):
            w[0] = head_weight
        out[i] = (w[:, None] * block).sum(axis=0)
        start += n
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return out / norms


def item_vectors(ws: Workspace, encoder: Encoder, items: pd.DataFrame, *, progress: ProgressCallback | None = None,
                 head_weight: float = HEAD_WEIGHT) -> np.ndarray:
    """Item vectors (columns title, text, lang) from cached sentence vectors, so the sentence stage reuses them."""
    units: list[str] = []
    counts: list[int] = []
    titles = items["title"] if "title" in items else [""] * len(items)
    for title, text, lang in zip(titles, items["text"], items["lang"], strict=True):
        u = item_units(title if isinstance(title, str) else "", str(text), str(lang))
        units.extend(u)
        counts.append(len(u))
    vecs = embed_texts(ws, encoder, units, progress=progress)
    return pool_units(vecs, counts, head_weight)


def weights_for(encoder: Encoder) -> tuple[dict[str, float], dict[str, float], float]:
    """Fitted (base weights, weights, default threshold) for an encoder; USE's for encoders not fitted."""
    if encoder.name in ENCODER_WEIGHTS:
        return ENCODER_WEIGHTS[encoder.name]
    if encoder.name != "use":
        log.warning("no fitted link weights for encoder %s; using those fitted for 'use'", encoder.name)
    return BASE_WEIGHTS, WEIGHTS, THRESHOLD


# -- candidate search -----------------------------------------------------------------------------
def topk(queries: np.ndarray, base: np.ndarray, k: int, block: int = 1024,
         exact_max_pairs: int = EXACT_MAX_PAIRS) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest inner products of each query row with ``base`` (values, indices), best first.

    Works block by block, so memory stays at ``block × len(base)`` floats; beyond
    ``exact_max_pairs`` pairs an approximate faiss IVF index is used.
    """
    n, m = len(queries), len(base)
    k = min(k, m)
    if n == 0 or k == 0:
        return np.zeros((n, k), np.float32), np.zeros((n, k), np.int64)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    base = np.ascontiguousarray(base, dtype=np.float32)
    try:
        import faiss
    except ImportError:
        faiss = None
    if faiss is not None:
        if n * m > exact_max_pairs:
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
        order = np.argsort(-vals, axis=1)
        sims[s : s + block] = np.take_along_axis(vals, order, axis=1)
        idx[s : s + block] = np.take_along_axis(part, order, axis=1)
    return sims, idx


def _ivf_search(faiss: Any, queries: np.ndarray, base: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Approximate top-k with an inverted-file index (exact inner products inside the probed lists)."""
    m, d = base.shape
    nlist = int(min(4096, max(64, 4 * math.sqrt(m))))
    quant = faiss.IndexFlatIP(d)
    index = faiss.IndexIVFFlat(quant, d, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    train = base[rng.choice(m, size=min(m, nlist * 40), replace=False)]
    index.train(train)
    index.add(base)
    index.nprobe = max(8, nlist // 32)
    sims, idx = index.search(queries, k)
    return sims, idx.astype(np.int64)


def knn_mean(sims: np.ndarray, k: int = K_NEIGHBOURS) -> np.ndarray:
    """Mean of each row's ``k`` best similarities (the margin's neighbourhood density)."""
    if sims.shape[1] == 0:
        return np.zeros(len(sims), np.float32)
    return sims[:, : max(1, min(k, sims.shape[1]))].mean(axis=1)


@dataclass
class Candidates:
    """Candidate pairs (indices into the RU and EN arrays) with cosine and ratio margin."""

    ru: np.ndarray
    en: np.ndarray
    cos: np.ndarray
    margin: np.ndarray
    ru_density: np.ndarray
    en_density: np.ndarray


def pair_cos(a: np.ndarray, b: np.ndarray, ru: np.ndarray, en: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Cosines of given (ru, en) index pairs, computed row by row (no matrix)."""
    out = np.empty(len(ru), np.float32)
    for s in range(0, len(ru), chunk):
        out[s : s + chunk] = np.einsum("ij,ij->i", a[ru[s : s + chunk]], b[en[s : s + chunk]])
    return out


def candidate_pairs(ru_vecs: np.ndarray, en_vecs: np.ndarray, k: int = K_CANDIDATES,
                    k_margin: int = K_NEIGHBOURS, exact_max_pairs: int = EXACT_MAX_PAIRS) -> Candidates:
    """Union of RU→EN and EN→RU top-k pairs, scored by ratio margin.

    margin(x, y) = cos(x, y) / ((mean_k NN(x) + mean_k NN(y)) / 2): a pair stands out only if it is
    closer than both items' usual neighbours, which demotes "hub" items close to everything.
    """
    kk = max(k, k_margin)
    s_ru, i_ru = topk(ru_vecs, en_vecs, kk, exact_max_pairs=exact_max_pairs)
    s_en, i_en = topk(en_vecs, ru_vecs, kk, exact_max_pairs=exact_max_pairs)
    d_ru, d_en = knn_mean(s_ru, k_margin), knn_mean(s_en, k_margin)
    # a side with fewer than k items cannot estimate its neighbours' density (with one Russian item,
    # an English item's "neighbourhood" is the candidate itself): use the other side's mean instead
    if len(ru_vecs) < k_margin and len(d_ru):
        d_en = np.full(len(en_vecs), float(d_ru.mean()), np.float32)
    if len(en_vecs) < k_margin and len(d_en):
        d_ru = np.full(len(ru_vecs), float(d_en.mean()), np.float32)
    kr, ke = min(k, i_ru.shape[1]), min(k, i_en.shape[1])
    ru_idx = np.concatenate([np.repeat(np.arange(len(ru_vecs)), kr), i_en[:, :ke].ravel()])
    en_idx = np.concatenate([i_ru[:, :kr].ravel(), np.repeat(np.arange(len(en_vecs)), ke)])
    ok = (ru_idx >= 0) & (en_idx >= 0)
    pairs = np.unique(np.stack([ru_idx[ok], en_idx[ok]], axis=1), axis=0) if ok.any() else np.zeros((0, 2), int)
    ru_idx, en_idx = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    cos = pair_cos(ru_vecs, en_vecs, ru_idx, en_idx)
    denom = (d_ru[ru_idx] + d_en[en_idx]) / 2
    margin = cos / np.where(np.abs(denom) < 1e-6, 1e-6, denom)
    return Candidates(ru_idx, en_idx, cos, margin.astype(np.float32), d_ru, d_en)


def margin_for_pairs(ru_vecs: np.ndarray, en_vecs: np.ndarray, ru_idx: np.ndarray, en_idx: np.ndarray,
                     k_margin: int = K_NEIGHBOURS) -> tuple[np.ndarray, np.ndarray]:
    """Cosine and ratio margin of given pairs in another vector space (e.g. whole-text or MT vectors)."""
    s_ru, _ = topk(ru_vecs, en_vecs, k_margin)
    s_en, _ = topk(en_vecs, ru_vecs, k_margin)
    d_ru, d_en = knn_mean(s_ru, k_margin), knn_mean(s_en, k_margin)
    if len(ru_vecs) < k_margin and len(d_ru):
        d_en = np.full(len(en_vecs), float(d_ru.mean()), np.float32)
    if len(en_vecs) < k_margin and len(d_en):
        d_ru = np.full(len(ru_vecs), float(d_en.mean()), np.float32)
    cos = pair_cos(ru_vecs, en_vecs, ru_idx, en_idx)
    return cos, cos / np.maximum((d_ru[ru_idx] + d_en[en_idx]) / 2, 1e-6)


# -- shared names, numbers and dates --------------------------------------------------------------
_NUM = re.compile(r"(?<![\w.,])\d{1,3}(?:[  ]\d{3})+(?:[.,]\d+)?(?![\w])|(?<![\w])\d+(?:[.,]\d+)?(?![\w])")
MONTHS = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7, "август": 8,
    "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
}
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:-?(?:го|st|nd|rd|th))?\s+([A-Za-zА-Яа-яЁё]{3,})|\b([A-Za-z]{3,})\s+(\d{1,2})\b")


def _month(word: str) -> int | None:
    w = word.casefold()
    for stem, m in MONTHS.items():
        if w.startswith(stem) and (len(stem) >= 4 or w == stem):
            return m
    return None


def number_keys(text: str) -> set[str]:
    """Numbers (spaces/commas as thousands or decimal marks normalised) and day-month dates in a text.

    Single digits are left out: they are too common to be evidence.
    """
    keys: set[str] = set()
    for m in _NUM.finditer(text):
        raw = re.sub(r"[  ]", "", m.group(0))
        if re.fullmatch(r"\d{1,3}(,\d{3})+", raw):
            raw = raw.replace(",", "")
        raw = raw.replace(",", ".")
        try:
            val = float(raw)
        except ValueError:
            continue
        if len(raw) < 2 and val < 10:
            continue
        keys.add(f"{val:g}")
    for m in _DAY_MONTH.finditer(text):
        day, word = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        mon = _month(word)
        if mon and 1 <= int(day) <= 31:
            keys.add(f"{mon:02d}-{int(day):02d}")
    return keys


def _simple_name_keys(text: str, lang: str) -> set[str]:
    """Fallback name keys when no glossary module is present: folded capitalised words (transliterated)."""
    from .text import words

    out: set[str] = set()
    for i, tok in enumerate(re.findall(r"[^\W\d_]{3,}", text)):
        if not tok[0].isupper() or i == 0:
            continue
        if lang == "ru":
            import iuliia

            tok = iuliia.translate(tok, iuliia.WIKIPEDIA)
        w = words(tok)
        if w:
            out.add("~" + w[0][:5])
    return out


def name_key_sets(texts: Sequence[str], langs: Sequence[str], glossary: Any = None) -> list[set[str]]:
    """Canonical name keys of each text (glossary English forms, folded keys for other names)."""
    try:
        from .glossary import name_keys
    except ImportError:  # glossary module not present: a plain transliteration
        return [_simple_name_keys(t, lg) for t, lg in zip(texts, langs, strict=True)]
    return [name_keys(t, lg, glossary) for t, lg in zip(texts, langs, strict=True)]


def idf_weights(sets: Iterable[set[str]]) -> dict[str, float]:
    """Inverse document frequency of each key over all items (a name in every report proves nothing)."""
    sets = list(sets)
    df = Counter(k for s in sets for k in s)
    n = max(1, len(sets))
    return {k: math.log((n + 1) / (c + 0.5)) for k, c in df.items()}


def weighted_overlap(a: set[str], b: set[str], idf: dict[str, float], mode: str = "cosine") -> tuple[float, list[str]]:
    """Idf²-weighted overlap of two key sets (``cosine``, or ``min``: share of the smaller set), and the
    shared keys (most telling first)."""
    shared = sorted(a & b, key=lambda k: -idf.get(k, 0.0))
    if not shared:
        return 0.0, []
    num = sum(idf.get(k, 0.0) ** 2 for k in shared)
    wa, wb = sum(idf.get(k, 0.0) ** 2 for k in a), sum(idf.get(k, 0.0) ** 2 for k in b)
    den = min(wa, wb) if mode == "min" else math.sqrt(wa * wb)
    return (num / den if den > 0 else 0.0), shared


def _day(value: object) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


_CYR = re.compile(r"[А-Яа-яЁё]")


def cognate_keys(text: str, prefix: int = 5) -> set[str]:
    """Folded 5-letter prefixes of the words of a text, Russian ones transliterated first.

    Shared international words and names (коронавирус/coronavirus, латекс/latex, Pfizer) meet
    on these keys; idf weighting makes common ones count little.
    """
    from .translit import phonetic_key, transliterate

    out: set[str] = set()
    for w in re.findall(r"[^\W\d_]{4,}", text):
        if _CYR.search(w):
            w = transliterate(w, "wikipedia")
        k = phonetic_key(w)
        if len(k) >= 4:
            out.add(k[:prefix])
    return out


@dataclass
class ItemKeys:
    """Name, number and cognate keys of RU items followed by EN items, with their idf weights."""

    names: list[set[str]]
    numbers: list[set[str]]
    cognates: list[set[str]]
    n_ru: int
    idf: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kind in ("names", "numbers", "cognates"):
            self.idf[kind] = idf_weights(getattr(self, kind))


def item_keys(ru_texts: Sequence[str], en_texts: Sequence[str], glossary: Any = None) -> ItemKeys:
    """Keys of every item (computed once per run)."""
    texts = list(ru_texts) + list(en_texts)
    langs = ["ru"] * len(ru_texts) + ["en"] * len(en_texts)
    return ItemKeys(name_key_sets(texts, langs, glossary), [number_keys(t) for t in texts],
                    [cognate_keys(t) for t in texts], len(ru_texts))


def pair_features(keys: ItemKeys, ru_idx: np.ndarray, en_idx: np.ndarray, margin: np.ndarray,
                  cos: np.ndarray) -> tuple[dict[str, np.ndarray], list[dict[str, list[str]]]]:
    """Feature arrays for candidate pairs and the shared keys a reviewer can read."""
    feats: dict[str, list[float]] = {"names": [], "numbers": [], "cognates": []}
    shared: list[dict[str, list[str]]] = []
    for r, e in zip(ru_idx.tolist(), en_idx.tolist(), strict=True):
        sh: dict[str, list[str]] = {}
        for kind in feats:
            sets = getattr(keys, kind)
            score, common = weighted_overlap(sets[r], sets[keys.n_ru + e], keys.idf[kind], OVERLAP[kind])
            feats[kind].append(score)
            sh[kind] = common
        shared.append(sh)
    out = {k: np.asarray(v, dtype=np.float64) for k, v in feats.items()}
    out["margin"] = np.asarray(margin, dtype=np.float64)
    out["cos"] = np.asarray(cos, dtype=np.float64)
    return out, shared


def _linear(feats: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    z = np.full(len(next(iter(feats.values()))), weights.get("bias", 0.0), dtype=np.float64)
    for name, w in weights.items():
        if name != "bias":
            z += w * np.asarray(feats[name], dtype=np.float64)
    return z


def group_gap(score: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """How far each score is below the best score of its group (0 for the best)."""
    if len(score) == 0:
        return score
    best = np.full(int(groups.max()) + 1, -np.inf)
    np.maximum.at(best, groups, score)
    return score - best[groups]


def group_rel(score: np.ndarray, groups: np.ndarray, cap: float = REL_CAP, alone: float = 0.0) -> np.ndarray:
    """Each score minus the best *other* score of its group, at most ``cap``.

    Positive only for a group's best (its lead over the runner-up); the others get their gap to the best.
    A pair alone in its group (only in tiny workspaces) is measured against ``alone`` instead.
    """
    score = np.asarray(score, dtype=np.float64)
    if len(score) == 0:
        return score
    n = int(groups.max()) + 1
    order = np.lexsort((-score, groups))  # by group, best first
    g_sorted, s_sorted = groups[order], score[order]
    first = np.ones(len(order), bool)
    first[1:] = g_sorted[1:] != g_sorted[:-1]
    second = np.zeros(len(order), bool)
    second[1:] = first[:-1] & ~first[1:]
    best, runner_up = np.full(n, -np.inf), np.full(n, np.nan)
    best[g_sorted[first]] = s_sorted[first]
    runner_up[g_sorted[second]] = s_sorted[second]
    is_best = np.zeros(len(score), bool)
    is_best[order[first]] = True
    other = np.where(is_best, runner_up[groups], best[groups])
    other = np.where(np.isnan(other), alone, other)
    return np.minimum(score - other, cap)


def null_base(base_weights: dict[str, float]) -> float:
    """Base score of a pair no closer than its items' usual neighbours (margin 1) that shares nothing.

    It stands in for the runner-up of an item with no other candidate: in a large collection the runner-up
    is such an ordinary neighbour.
    """
    return float(base_weights.get("bias", 0.0) + base_weights.get("margin", 0.0))


def stage2_features(base: np.ndarray, ru_idx: np.ndarray, en_idx: np.ndarray, alone: float = 0.0,
                    cap: float = REL_CAP) -> dict[str, np.ndarray]:
    """Competition features of each pair from the base scores of all candidate pairs."""
    return {"base": base, "gap_ru": group_gap(base, ru_idx), "gap_en": group_gap(base, en_idx),
            "rel_ru": group_rel(base, ru_idx, cap, alone), "rel_en": group_rel(base, en_idx, cap, alone)}


def combine(feats: dict[str, np.ndarray], ru_idx: np.ndarray, en_idx: np.ndarray,
            base_weights: dict[str, float] | None = None, weights: dict[str, float] | None = None) -> np.ndarray:
    """Link probability of each candidate pair: base score, then competition with the items' other pairs."""
    bw = BASE_WEIGHTS if base_weights is None else base_weights
    base = _linear(feats, bw)
    z = _linear(stage2_features(base, ru_idx, en_idx, null_base(bw)), WEIGHTS if weights is None else weights)
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def follow_ups(base: np.ndarray, prob: np.ndarray, ru_idx: np.ndarray, en_idx: np.ndarray, keys: ItemKeys,
               threshold: float, max_gap: float = FOLLOWUP_GAP,
               anchor_idf: float = FOLLOWUP_ANCHOR_IDF) -> dict[int, tuple[int, list[str]]]:
    """Candidates below the threshold that are follow-up reports of their Russian item's best link.

    Returns {candidate position: (position of the Russian item's best link, anchor names)}. A follow-up
    is at most ``max_gap`` base-score logits below the best link (which must be linked), is its English
    item's best candidate, and shares a rare name with both the Russian item and the best link.
    """
    if len(base) == 0:
        return {}
    gap_ru, gap_en = group_gap(base, ru_idx), group_gap(base, en_idx)
    best_of: dict[int, int] = {}
    for n in np.flatnonzero(gap_ru == 0).tolist():
        best_of.setdefault(int(ru_idx[n]), n)
    n_items = len(keys.names)
    rare = anchor_idf * math.log((n_items + 1) / 3.5)
    idf = keys.idf["names"]
    out: dict[int, tuple[int, list[str]]] = {}
    todo = (gap_ru < 0) & (gap_ru >= -max_gap) & (gap_en == 0) & (prob < threshold)
    for n in np.flatnonzero(todo).tolist():
        b = best_of.get(int(ru_idx[n]))
        if b is None or prob[b] < threshold:
            continue
        r, e, eb = int(ru_idx[n]), keys.n_ru + int(en_idx[n]), keys.n_ru + int(en_idx[b])
        anchors = [k for k in keys.names[r] & keys.names[e] & keys.names[eb] if idf.get(k, 0.0) >= rare]
        if anchors:
            out[n] = (b, sorted(anchors, key=lambda k: (-idf.get(k, 0.0), k)))
    return out


@dataclass
class LinkReport:
    """What a link run did."""

    ru_items: int = 0
    en_items: int = 0
    candidates: int = 0
    links: int = 0
    linked_ru: int = 0
    unlinked_ru: int = 0
    kept_accepted: int = 0
    skipped_rejected: int = 0
    skipped_by_date: int = 0
    threshold: float = THRESHOLD
    encoder: str = ""
    mt: bool = False
    #: Russian items whose MT draft was scored against English, and those set aside as mostly flagged.
    mt_items: int = 0
    mt_unreliable: int = 0
    mt_model: str = ""
    signature: str = ""
    per_item: list[dict[str, Any]] = field(default_factory=list)


def link_signature(encoder: Encoder, threshold: float, max_days: int | None, glossary: Any,
                   mt_encoder: Encoder | None, mt_model: str | None = None) -> str:
    """Signature of a link run: encoder, translator and MT encoder, thresholds, date rule and glossary hash."""
    gsig = getattr(glossary, "signature", None) if glossary is not None else None
    mt_sig = (mt_model or "unknown").replace("|", "+") if mt_encoder else None
    return make_signature({
        "stage": "link", "enc": encoder.signature, "mt": mt_sig,
        "mtenc": mt_encoder.signature if mt_encoder else None,
        "k": K_NEIGHBOURS, "thr": float(threshold), "days": max_days, "gloss": gsig,
    })


def reliable_mt(mt: pd.DataFrame, max_flagged: float = MT_MAX_FLAGGED) -> tuple[dict[str, str], int]:
    """({RU id: MT draft} usable for linking, number of drafts set aside as mostly flagged)."""
    share = mt["flagged_share"] if "flagged_share" in mt else pd.Series(0.0, index=mt.index)
    out: dict[str, str] = {}
    unreliable = 0
    for i, t, f in zip(mt["id"], mt["mt_en"], share, strict=True):
        if not (isinstance(t, str) and t.strip()):
            continue
        if float(f) > max_flagged:
            unreliable += 1
            continue
        out[str(i)] = t
    return out, unreliable


def _mt_margin(ws: Workspace, mt_map: dict[str, str], ru: pd.DataFrame, en: pd.DataFrame, mt_encoder: Encoder,
               cand: Candidates, progress: ProgressCallback | None) -> np.ndarray | None:
    """Ratio margin of MT-English against English (English encoder) for the candidate pairs."""
    if not mt_map:
        return None
    ru_mt = pd.DataFrame({"title": "", "text": [mt_map.get(i, "") or " " for i in ru["id"]], "lang": "en"})
    has = np.array([str(i) in mt_map for i in ru["id"]])
    ru_v = item_vectors(ws, mt_encoder, ru_mt, progress=progress)
    en_v = item_vectors(ws, mt_encoder, en.assign(lang="en"), progress=progress)
    _, marg = margin_for_pairs(ru_v, en_v, cand.ru, cand.en)
    return np.where(has[cand.ru], marg, np.nan)


def link_workspace(
    ws: Workspace,
    *,
    encoder: Encoder | str | None = None,
    threshold: float | None = None,
    max_days: int | None = None,
    glossary: Any = None,
    mt: pd.DataFrame | None = None,
    mt_encoder: Encoder | str | None = None,
    mt_model: str | None = None,
    workspace_mt: bool = False,
    progress: ProgressCallback | None = None,
) -> LinkReport:
    """Link every Russian item to the English items on the same story and replace the ``links`` table.

    A Russian item may get several links (follow-ups, copies) or none. Links rejected in review
    are never proposed; accepted ones are kept whatever their new score. ``mt`` (columns id, mt_en
    and optionally flagged_share, from :func:`kzalign.translate.item_translations`) made by the
    translator ``mt_model`` adds MT-English scoring; with ``workspace_mt`` and no ``mt``, the
    translations of the workspace's last ``kzalign translate`` run are used when there are any.
    """
    enc = resolve(encoder)
    if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
        raise KzalignError(f"--threshold must be between 0 and 1 (a link probability), got {threshold}")
    if max_days is not None and max_days < 0:
        raise KzalignError(f"--max-days must be 0 or more, got {max_days}")
    counts = ws.count_items()
    if not counts:
        raise KzalignError(f"{ws.path}: the workspace has no items; run 'kzalign ingest' first")
    missing = [lg for lg in ("ru", "en") if not counts.get(lg)]
    if missing:
        have = ", ".join(f"{n} {lg}" for lg, n in counts.items())
        raise KzalignError(f"{ws.path}: nothing to link: no {' or '.join(missing).upper()} items (have {have})")
    base_w, w, default_thr = weights_for(enc)
    thr = default_thr if threshold is None else float(threshold)
    ru, en = ws.items("ru").reset_index(drop=True), ws.items("en").reset_index(drop=True)
    if mt is None and workspace_mt:
        from .translate import latest_translations

        found = latest_translations(ws)
        if found is not None:
            mt_model, mt = found
    use_mt = mt is not None and len(mt) > 0
    mt_enc = resolve(mt_encoder or DEFAULT_EN_ENCODER) if use_mt else None
    sig = link_signature(enc, thr, max_days, glossary, mt_enc, mt_model)
    mt_map, mt_unreliable = reliable_mt(mt) if use_mt and mt is not None else ({}, 0)
    if mt_unreliable:
        log.info("%d of %d MT drafts are mostly flagged by the translation guards and are not used for linking",
                 mt_unreliable, len(mt) if mt is not None else 0)

    rv = item_vectors(ws, enc, ru, progress=progress)
    ev = item_vectors(ws, enc, en, progress=progress)
    cand = candidate_pairs(rv, ev)
    mt_marg = _mt_margin(ws, mt_map, ru, en, mt_enc, cand, progress) if mt_map and mt_enc is not None else None

    # decisions: rejected never return, accepted always stay
    dec = decisions(ws, "link")
    dec_map = dict(zip(dec["key"], dec["decision"], strict=True)) if len(dec) else {}
    ru_pos = {i: n for n, i in enumerate(ru["id"])}
    en_pos = {i: n for n, i in enumerate(en["id"])}
    cand_set = set(zip(cand.ru.tolist(), cand.en.tolist(), strict=True))
    accepted_pairs = _accepted_pairs(ws, dec_map, ru_pos, en_pos)
    extra = [p for p in accepted_pairs if p not in cand_set]
    r_idx = np.concatenate([cand.ru, np.array([p[0] for p in extra], np.int64)])
    e_idx = np.concatenate([cand.en, np.array([p[1] for p in extra], np.int64)])
    cos = pair_cos(rv, ev, r_idx, e_idx)
    denom = np.maximum((cand.ru_density[r_idx] + cand.en_density[e_idx]) / 2, 1e-6)
    margin = cos / denom
    if mt_marg is not None and len(extra):
        mt_marg = np.concatenate([mt_marg, np.full(len(extra), np.nan)])

    ru_text = [f"{t}\n{x}" for t, x in zip(ru["title"], ru["text"], strict=True)]
    en_text = [f"{t}\n{x}" for t, x in zip(en["title"], en["text"], strict=True)]
    keys = item_keys(ru_text, en_text, glossary)
    feats, shared = pair_features(keys, r_idx, e_idx, margin, cos)
    mt_used = mt_marg is not None and bool(np.isfinite(mt_marg).any())
    if mt_used:
        # ratio margins are scale-free, so the MT margin can be averaged with the cross-lingual one
        ok = np.isfinite(mt_marg)
        feats["margin"] = feats["margin"].copy()
        feats["margin"][ok] = (margin[ok] + mt_marg[ok]) / 2
    prob = combine(feats, r_idx, e_idx, base_w, w)
    follow = follow_ups(_linear(feats, base_w), prob, r_idx, e_idx, keys, thr)
    # a follow-up of a link the reviewer rejected is no follow-up
    follow = {n: v for n, v in follow.items()
              if dec_map.get(link_key(str(ru["id"][r_idx[v[0]]]), str(en["id"][e_idx[v[0]]]))) != "reject"}

    rows: list[tuple[Any, ...]] = []
    rep = LinkReport(ru_items=len(ru), en_items=len(en), candidates=len(r_idx), threshold=thr,
                     encoder=enc.signature, mt=mt_used, signature=sig,
                     mt_items=sum(1 for i in ru["id"] if str(i) in mt_map) if mt_used else 0,
                     mt_unreliable=mt_unreliable, mt_model=str(mt_model or "unknown") if use_mt else "")
    for n, (r, e) in enumerate(zip(r_idx.tolist(), e_idx.tolist(), strict=True)):
        rid, eid = str(ru["id"][r]), str(en["id"][e])
        decision = dec_map.get(link_key(rid, eid))
        if decision == "reject":
            if prob[n] >= thr or n in follow:
                rep.skipped_rejected += 1
            continue
        days = None
        d_ru, d_en = _day(ru["date"][r]), _day(en["date"][e])
        if d_ru and d_en:
            days = (d_en - d_ru).days
        if decision != "accept":
            if prob[n] < thr and n not in follow:
                continue
            if max_days is not None and days is not None and days < -max_days:
                rep.skipped_by_date += 1
                continue
        else:
            rep.kept_accepted += 1
        evidence = {
            "cos": round(float(cos[n]), 4), "margin": round(float(margin[n]), 4),
            "names": shared[n]["names"][:12], "numbers": shared[n]["numbers"][:12],
            "words": shared[n]["cognates"][:12], "names_score": round(float(feats["names"][n]), 4),
            "numbers_score": round(float(feats["numbers"][n]), 4),
            "words_score": round(float(feats["cognates"][n]), 4),
            "days": days, "prob": round(float(prob[n]), 4),
        }
        if n in follow:
            b, anchors = follow[n]
            evidence["follow_up_of"] = str(en["id"][e_idx[b]])
            evidence["anchors"] = anchors[:6]
        if mt_used and np.isfinite(mt_marg[n]):
            evidence["mt_margin"] = round(float(mt_marg[n]), 4)
        if decision == "accept":
            evidence["decision"] = "accept"
        rows.append((rid, eid, float(prob[n]), evidence))

    # rank of each link among its Russian item's links
    rows.sort(key=lambda x: (x[0], -x[2], x[1]))
    out: list[tuple[Any, ...]] = []
    rank = 0
    prev = None
    for rid, eid, score, ev_ in rows:
        rank = rank + 1 if rid == prev else 1
        prev = rid
        out.append((rid, eid, score, rank, json.dumps(ev_, ensure_ascii=False), sig))
    with ws.transaction():
        ws.conn.execute("DELETE FROM links")
        ws.conn.executemany(
            "INSERT INTO links(ru_id, en_id, score, rank, evidence, signature) VALUES (?, ?, ?, ?, ?, ?)", out
        )
        rep.links = len(out)
        rep.linked_ru = len({r[0] for r in out})
        rep.unlinked_ru = len(ru) - rep.linked_ru
        rep.per_item = [
            {"ru_id": rid, "links": sum(1 for r in out if r[0] == rid)} for rid in ru["id"]
        ]
        ws.record_run("link", sig, {k: v for k, v in rep.__dict__.items() if k != "per_item"})
    return rep


def _accepted_pairs(ws: Workspace, dec_map: dict[str, str], ru_pos: dict[str, int],
                    en_pos: dict[str, int]) -> list[tuple[int, int]]:
    """(ru, en) index pairs of links a reviewer accepted, from the decisions' payloads or live links."""
    if not any(v == "accept" for v in dec_map.values()):
        return []
    out: list[tuple[int, int]] = []
    rows = ws.conn.execute("SELECT key, payload FROM decisions WHERE kind='link' AND decision='accept'").fetchall()
    known = {link_key(r, e): (r, e) for r, e in ws.conn.execute("SELECT ru_id, en_id FROM links").fetchall()}
    for key, payload in rows:
        pair = known.get(key)
        if pair is None:
            try:
                pay = json.loads(payload or "{}")
                pair = (pay.get("ru_id"), pay.get("en_id"))
            except (ValueError, AttributeError):
                continue
        r, e = pair
        if r in ru_pos and e in en_pos:
            out.append((ru_pos[r], en_pos[e]))
    return out


# -- reading links back ---------------------------------------------------------------------------
LINK_COLUMNS = ["ru_id", "en_id", "score", "rank", "ru_title", "en_title", "ru_date", "en_date", "evidence",
                "signature", "status"]


def evidence_text(evidence: str | dict[str, Any]) -> str:
    """The evidence of a link as one line a translator can read."""
    ev = json.loads(evidence) if isinstance(evidence, str) else dict(evidence)
    parts = []
    if ev.get("follow_up_of"):
        anchors = ", ".join(str(x).lstrip("~") for x in ev.get("anchors", []))
        parts.append(f"follow-up of {ev['follow_up_of']} (shared: {anchors})")
    if ev.get("names"):
        parts.append("names: " + ", ".join(str(x).lstrip("~") for x in ev["names"][:6]))
    if ev.get("numbers"):
        parts.append("numbers/dates: " + ", ".join(map(str, ev["numbers"][:6])))
    if ev.get("days") is not None:
        d = int(ev["days"])
        parts.append("same day" if d == 0 else f"EN {abs(d)} days {'later' if d > 0 else 'earlier'}")
    parts.append(f"similarity {ev.get('cos', 0):.2f}, margin {ev.get('margin', 0):.2f}")
    if ev.get("mt_margin") is not None:
        parts.append(f"MT margin {ev['mt_margin']:.2f}")
    if ev.get("decision") == "accept":
        parts.append("accepted in review")
    return "; ".join(parts)


def _first_line(title: object, text: object, limit: int = 160) -> str:
    """The title, else the first sentence of the text, cut to ``limit`` characters."""
    if isinstance(title, str) and title.strip():
        return title.strip().splitlines()[0]
    if not isinstance(text, str) or not text.strip():
        return ""
    first = text.strip().splitlines()[0]
    m = re.match(r"(.{20,}?[.!?])\s", first)
    first = m.group(1) if m else first
    return first if len(first) <= limit else first[: limit - 1] + "…"


def links_table(ws: Workspace) -> pd.DataFrame:
    """The links with titles, dates, readable evidence and review status (proposed|accepted)."""
    df = ws.query_df(
        "SELECT l.ru_id, l.en_id, l.score, l.rank, r.title AS ru_t, r.text AS ru_x, e.title AS en_t, "
        "e.text AS en_x, r.date AS ru_date, e.date AS en_date, l.evidence, l.signature "
        "FROM links l LEFT JOIN items r ON r.id = l.ru_id LEFT JOIN items e ON e.id = l.en_id "
        "ORDER BY l.ru_id, l.rank, l.en_id"
    )
    if df.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    dec = decisions(ws, "link")
    dec_map = dict(zip(dec["key"], dec["decision"], strict=True)) if len(dec) else {}
    df["ru_title"] = [_first_line(t, x) for t, x in zip(df["ru_t"], df["ru_x"], strict=True)]
    df["en_title"] = [_first_line(t, x) for t, x in zip(df["en_t"], df["en_x"], strict=True)]
    df["evidence"] = [evidence_text(e) for e in df["evidence"]]
    df["score"] = df["score"].round(4)
    df["status"] = [
        {"accept": "accepted"}.get(dec_map.get(link_key(r, e), ""), "proposed")
        for r, e in zip(df["ru_id"], df["en_id"], strict=True)
    ]
    return df[LINK_COLUMNS].reset_index(drop=True)
