"""The link scoring model: pure functions from pair evidence to a link probability (no workspace needed).

A pair's probability comes from evidence about the pair alone, normalised against fixed references
(:mod:`kzalign.engines.background`): the ratio margin of its cosine over both items' density among the background
vectors, and the fixed-idf overlap of glossary names, numbers/dates and cross-script words
(:mod:`kzalign.engines.keys`). Other candidates of an item never decide whether a pair links; they only rank an
item's links and feed the follow-up rule (:func:`follow_ups`). Weights are fitted by
``benchmarks/bench_link_eval.py --fit`` (held-out numbers in BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar, overload

import numpy as np

from kzalign.engines import events as EV
from kzalign.engines.keys import KINDS, ItemKeys, KeySets, pair_overlaps

T = TypeVar("T")

#: Stage 1: logistic weights over the pair's own evidence (:data:`BASE_FEATURES`). Stage 2 adds how far
#: the pair's stage-1 score stands above the best *other* candidate of its Russian item (``rel_ru``) and of
#: its English item (``rel_en``): its lead over the runner-up when it is the best, its gap to the best
#: otherwise, capped at :data:`REL_CAP`. An item with no other candidate is measured against an ordinary
#: pair (:func:`null_base`), so a lone pair gains nothing and loses nothing from having no rival.
BASE_FEATURES = ("margin", "cos", "cognates", "names", "numbers", "dated", "near", "far", "type_match",
                 "type_mismatch", "actors", "actor_miss", "dated_margin", "dated_cos", "dated_cognates",
                 "dated_names")
#: Content evidence weighs differently between dated items (a stream's short posts and reports on recurring
#: events) and undated ones (whole articles): these features are the content features of dated pairs only.
DATED_CONTENT = ("margin", "cos", "cognates", "names")
#: The stage-1 features that come from the two items' dates (left out of a pair's content score).
DATE_FEATURES = ("dated", "near", "far", "dated_margin", "dated_cos", "dated_cognates", "dated_names")
STAGE2 = ("base", "rel_ru", "rel_en", "dated", "dated_base", "dated_rel_ru", "dated_rel_en")


@dataclass(frozen=True)
class Model:
    """Fitted weights of one encoder: stage 1, stage 2, the cosine of an ordinary pair, default threshold."""

    base: dict[str, float]
    stage2: dict[str, float]
    null_cos: float
    threshold: float
    #: Cosine of item vectors above which two items about as long are a translation (encoder-specific: e5's
    #: cosines crowd near 1). See :func:`kzalign.stages.link.link_kind`.
    translation_cos: float = 0.76


#: Fitted on the dev stream, WMT docalign and comparable and the seeds (figures in BENCHMARKS.md, issue 23), per
#: encoder name; other encoders use USE's (logged). USE's: ``benchmarks/bench_link_stream.py --fit --cv
#: --stream-weight 4 --spec regularised`` — chosen by cross-validation on the stream, not in-sample F1: stage 1
#: with L2 2, ``near``/``far``/``type_mismatch`` set by hand (monotone in the date distance), no dated copies of
#: cognates and names; refit after the error analysis's fixes to the event evidence (:mod:`events`), with the
#: fitted stage-2 ``dated`` weight (the earlier hand shift of 0.85 no longer helps). e5's:
#: ``--fit --encoder e5 --stream-weight 4 --spec full`` (in-sample fit, not cross-validated).
MODELS: dict[str, Model] = {
    "use": Model({"bias": -7.843, "margin": 6.166, "cos": -1.153, "cognates": 1.261, "names": 2.294,
                  "numbers": 1.299, "dated": -0.026, "near": 2.5, "far": -8.0, "type_match": 2.84,
                  "type_mismatch": -1.0, "actors": 1.736, "actor_miss": -1.217, "dated_margin": -0.597,
                  "dated_cos": -0.174},
                 {"bias": -0.749, "base": 0.313, "rel_ru": 0.528, "rel_en": 0.659, "dated": 1.029, "dated_base": 0.847,
                  "dated_rel_ru": -0.476, "dated_rel_en": -0.889}, null_cos=0.299, threshold=0.5),
    "e5": Model({"bias": -23.69, "margin": 27.047, "cos": -7.406, "cognates": 13.588, "names": 4.164,
                 "numbers": 2.156, "dated": 1.483, "near": 0.995, "far": -7.548, "type_match": 2.906,
                 "type_mismatch": -3.324, "actors": 2.461, "actor_miss": -2.263, "dated_margin": -1.007,
                 "dated_cos": -0.857, "dated_cognates": -11.857, "dated_names": -1.699},
                {"bias": -0.687, "base": 0.325, "rel_ru": 0.931, "rel_en": 1.075, "dated": 0.885, "dated_base": 0.685,
                 "dated_rel_ru": -0.794, "dated_rel_en": -1.139}, null_cos=0.894, threshold=0.45,
                translation_cos=0.935),
}
#: Default threshold of the default encoder (USE).
THRESHOLD = MODELS["use"].threshold
#: How shared keys are normalised per kind ("min": share of the smaller key set; see BENCHMARKS.md).
OVERLAP = {"names": "cosine", "numbers": "cosine", "cognates": "cosine"}
#: Follow-up reports: besides its best link, a Russian item also links to a candidate whose linear score is
#: at most FOLLOWUP_GAP logits below the best link's, whose best Russian item it is, and which shares a rare
#: name (an "anchor") with both the Russian item and its best link; a name is rare when its idf is at least
#: FOLLOWUP_ANCHOR_IDF × the idf of a name never seen in the background sample. Not fitted (the dev sets
#: are 1:1): set for the seeds and measured on the dev sets (BENCHMARKS.md).
FOLLOWUP_GAP = 2.0
FOLLOWUP_ANCHOR_IDF = 0.5
#: Cap (in logits) of the competition features (:func:`group_rel`).
REL_CAP = 3.0
#: How far (in logits) the competition stage may move a pair's probability from its own evidence's: an orphan
#: whose best candidate is poor (stage-1 probability under 5 %) cannot be lifted to a link, and a pair whose own
#: evidence is very strong cannot be dropped because similar reports arrive. On the dev sets it changes no
#: decision (BENCHMARKS.md, issue 23).
COMPETITION_BOUND = 3.0


class PairView(Sequence[T]):
    """A per-pair value computed when asked for (``fn(ru index, en index)``): the evidence of the few pairs that
    become links, without holding a Python object for each of the millions of candidates (issue 27)."""

    def __init__(self, ru_idx: np.ndarray, en_idx: np.ndarray, fn: Callable[[int, int], T]):
        self.ru, self.en, self.fn = ru_idx, en_idx, fn

    def __len__(self) -> int:
        return len(self.ru)

    @overload
    def __getitem__(self, n: int) -> T: ...
    @overload
    def __getitem__(self, n: slice) -> list[T]: ...
    def __getitem__(self, n: int | slice) -> T | list[T]:
        if isinstance(n, slice):
            return [self[i] for i in range(*n.indices(len(self)))]
        return self.fn(int(self.ru[n]), int(self.en[n]))


def pair_shared(keys: ItemKeys, r: int, e: int) -> dict[str, list[str]]:
    """The keys of each kind RU item ``r`` and EN item ``e`` share (most telling first)."""
    j = keys.n_ru + e
    out: dict[str, list[str]] = {}
    for kind in KINDS:
        sets = getattr(keys, kind)
        common = sets.shared(r, j) if isinstance(sets, KeySets) else sets[r] & sets[j]
        out[kind] = sorted(common, key=lambda k, idf=keys.idf[kind]: (-idf.get(k, 0.0), k))
    return out


def pair_features(keys: ItemKeys, ru_idx: np.ndarray, en_idx: np.ndarray, margin: np.ndarray,
                  cos: np.ndarray, days: np.ndarray | None = None) -> tuple[dict[str, np.ndarray],
                                                                            PairView[dict[str, list[str]]]]:
    """Feature arrays for candidate pairs and the shared keys a reviewer can read (sorted, deterministic;
    computed per pair when read). Key overlaps are computed on interned key ids, a block of pairs at a time.

    ``days``: the English item's date minus the Russian one's, in days (NaN where either is undated)."""
    ru = np.asarray(ru_idx, dtype=np.int64)
    en = np.asarray(en_idx, dtype=np.int64) + keys.n_ru
    out = {kind: pair_overlaps(getattr(keys, kind), keys.idf2[kind], keys.norms[kind], ru, en, OVERLAP[kind])
           for kind in KINDS}
    out["margin"] = np.asarray(margin, dtype=np.float64)
    out["cos"] = np.asarray(cos, dtype=np.float64)
    out.update(event_features(keys, ru_idx, en_idx, days))
    for k in DATED_CONTENT:
        out[f"dated_{k}"] = out["dated"] * out[k]
    return out, PairView(ru_idx, en_idx, lambda r, e: pair_shared(keys, r, e))


def event_features(keys: ItemKeys, ru_idx: np.ndarray, en_idx: np.ndarray,
                   days: np.ndarray | None) -> dict[str, np.ndarray]:
    """Date (dated, near, far), event type (type_match, type_mismatch) and participant (actors, actor_miss)
    evidence of candidate pairs (:mod:`kzalign.engines.events`); type and participants count for dated pairs,
    where they tell one recurring event from the next."""
    n = len(ru_idx)
    d = np.full(n, np.nan) if days is None else np.asarray(days, dtype=np.float64)
    out = {k: np.zeros(n) for k in ("dated", "near", "far", "type_match", "type_mismatch", "actors", "actor_miss")}
    classes = EV.field_names().classes
    for i, (r, e) in enumerate(zip(ru_idx.tolist(), en_idx.tolist(), strict=True)):
        j = keys.n_ru + e
        out["dated"][i], out["near"][i], out["far"][i] = EV.date_features(float(d[i]))
        out["type_match"][i], out["type_mismatch"][i] = EV.type_evidence(keys.events[r], keys.events[j])
        out["actors"][i], out["actor_miss"][i] = EV.actor_evidence(keys.field_names[r], keys.field_names[j], classes)
    for k in ("type_match", "type_mismatch", "actors", "actor_miss"):
        out[k] *= out["dated"]  # undated items (whole articles) are decided on their content evidence alone
    return out


def follow_up_score(content: float, anchor_prob: float | None) -> float:
    """The score of a ``follow_up`` link, on the same 0–1 scale as every link's (how likely the two items tell
    one story): the stage-1 probability of the pair's own evidence with the date distance left out (``content``
    is that logit: a follow-up is expected weeks or months later, so the distance that keeps a same-event link
    from forming is no evidence against it; undated pairs have none anyway), at most ``anchor_prob``, the
    probability of the link it follows (None: the follow-up is its Russian report's best candidate)."""
    p = float(1.0 / (1.0 + np.exp(-np.clip(content, -50.0, 50.0))))
    return p if anchor_prob is None else min(p, float(anchor_prob))


def linear(feats: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """bias + Σ weight × feature (the logit of the link probability); a feature not given counts as 0 (e.g. the
    date and event features of pairs scored without them: undated pairs)."""
    n = len(next(iter(feats.values())))
    z = np.full(n, weights.get("bias", 0.0), dtype=np.float64)
    for name, w in weights.items():
        if name != "bias" and name in feats:
            z += w * np.asarray(feats[name], dtype=np.float64)
    return z


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, clipped against overflow."""
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def model_for(encoder_name: str) -> Model:
    """The fitted model of an encoder (USE's for encoders without fitted weights)."""
    return MODELS.get(encoder_name, MODELS["use"])


def null_base(base_weights: Mapping[str, float], null_cos: float) -> float:
    """Stage-1 logit of an ordinary pair: margin 1 (no closer than its usual neighbours), the cosine of an
    ordinary neighbour, nothing shared. It stands in for the runner-up of an item with no other candidate."""
    return float(base_weights.get("bias", 0.0) + base_weights.get("margin", 0.0)
                 + base_weights.get("cos", 0.0) * null_cos)


def stage2_features(base: np.ndarray, ru_idx: np.ndarray, en_idx: np.ndarray, alone: float,
                    cap: float = REL_CAP, dated: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Competition features of each pair from the stage-1 scores of all candidate pairs; the ``dated_`` copies
    are those of dated pairs (in a stream one report often has several same-event posts: competition weighs
    differently there)."""
    out = {"base": base, "rel_ru": group_rel(base, ru_idx, cap, alone), "rel_en": group_rel(base, en_idx, cap, alone)}
    d = np.zeros(len(base)) if dated is None else np.asarray(dated, dtype=np.float64)
    out.update({"dated": d, **{f"dated_{k}": d * v for k, v in list(out.items())}})
    return out


def combine(feats: Mapping[str, np.ndarray], ru_idx: np.ndarray, en_idx: np.ndarray, model: Model) -> np.ndarray:
    """Link probability of each candidate pair: its own evidence, then its standing among its items' candidates,
    which moves it at most :data:`COMPETITION_BOUND` logits away from its own evidence's (so the best of poor
    candidates never becomes a link, and many similar reports never drop a clear one)."""
    base = linear(feats, model.base)
    z = linear(stage2_features(base, ru_idx, en_idx, null_base(model.base, model.null_cos), dated=feats.get("dated")),
               model.stage2)
    return sigmoid(np.clip(z, base - COMPETITION_BOUND, base + COMPETITION_BOUND))


# -- competition between the candidates of one item: ranks, ties and the follow-up rule ----------------
def group_gap(score: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """How far each score is below the best score of its group (0 for the best)."""
    if len(score) == 0:
        return np.asarray(score, dtype=np.float64)
    best = np.full(int(groups.max()) + 1, -np.inf)
    np.maximum.at(best, groups, score)
    return score - best[groups]


def group_rel(score: np.ndarray, groups: np.ndarray, cap: float = REL_CAP, alone: float = 0.0) -> np.ndarray:
    """Each score minus the best *other* score of its group, at most ``cap``.

    Positive only for a group's best (its lead over the runner-up); the others get their gap to the best.
    A pair alone in its group is measured against ``alone`` instead.
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


def ranks(score: np.ndarray, groups: np.ndarray, tie: np.ndarray) -> np.ndarray:
    """1-based rank of each pair within its group (best score first; ties broken by ``tie``, ascending)."""
    order = np.lexsort((tie, -np.asarray(score, dtype=np.float64), groups))
    out = np.empty(len(score), np.int64)
    prev, r = None, 0
    for n in order.tolist():
        g = int(groups[n])
        r = r + 1 if g == prev else 1
        prev = g
        out[n] = r
    return out


def follow_ups(base: np.ndarray, prob: np.ndarray, ru_idx: np.ndarray, en_idx: np.ndarray, keys: ItemKeys,
               threshold: float, max_gap: float = FOLLOWUP_GAP, anchor_idf: float = FOLLOWUP_ANCHOR_IDF,
               content: np.ndarray | None = None, days: np.ndarray | None = None) -> dict[int, tuple[int, list[str]]]:
    """Candidates below the threshold that are follow-up reports of their Russian item.

    Returns {candidate position: (position of the Russian item's best candidate, anchor names)}. An undated
    pair (``days`` NaN or not given) follows the Russian item's best link (which must be linked): at most
    ``max_gap`` logits below it, its English item's best candidate, sharing a rare name with both. A dated pair
    must be a later event that refers back (:func:`dated_follow_ups`).
    """
    if len(base) == 0:
        return {}
    d = np.full(len(base), np.nan) if days is None else np.asarray(days, dtype=np.float64)
    out = _undated_follow_ups(base, prob, ru_idx, en_idx, keys, threshold, max_gap, anchor_idf, np.isnan(d))
    if content is not None and not np.isnan(d).all():
        out.update(dated_follow_ups(content, prob, ru_idx, en_idx, keys, threshold, d, max_gap, anchor_idf))
    return out


def _undated_follow_ups(base: np.ndarray, prob: np.ndarray, ru_idx: np.ndarray, en_idx: np.ndarray,
                        keys: ItemKeys, threshold: float, max_gap: float, anchor_idf: float,
                        allowed: np.ndarray) -> dict[int, tuple[int, list[str]]]:
    """The follow-up rule for pairs without dates (see :func:`follow_ups`)."""
    gap_ru, gap_en = group_gap(base, ru_idx), group_gap(base, en_idx)
    best_of: dict[int, int] = {}
    for n in np.flatnonzero(gap_ru == 0).tolist():
        best_of.setdefault(int(ru_idx[n]), n)
    rare = keys.rare_idf(anchor_idf)
    idf = keys.idf["names"]
    out: dict[int, tuple[int, list[str]]] = {}
    todo = (gap_ru < 0) & (gap_ru >= -max_gap) & (gap_en == 0) & (prob < threshold) & allowed
    for n in np.flatnonzero(todo).tolist():
        b = best_of.get(int(ru_idx[n]))
        if b is None or prob[b] < threshold:
            continue
        r, e, eb = int(ru_idx[n]), keys.n_ru + int(en_idx[n]), keys.n_ru + int(en_idx[b])
        anchors = [k for k in keys.names[r] & keys.names[e] & keys.names[eb] if idf.get(k, 0.0) >= rare]
        if anchors:
            out[n] = (b, sorted(anchors, key=lambda k: (-idf.get(k, 0.0), k)))
    return out


#: A dated follow-up is at least this many days later than the Russian report (closer: the same event) and at
#: most this many (a report two years on refers back to its own recent events).
FOLLOWUP_MIN_DAYS = 7
FOLLOWUP_MAX_DAYS = 730


def dated_follow_ups(content: np.ndarray, prob: np.ndarray, ru_idx: np.ndarray, en_idx: np.ndarray,
                     keys: ItemKeys, threshold: float, days: np.ndarray, max_gap: float = FOLLOWUP_GAP,
                     anchor_idf: float = FOLLOWUP_ANCHOR_IDF) -> dict[int, tuple[int, list[str]]]:
    """Dated follow-ups: the English report is FOLLOWUP_MIN_DAYS..FOLLOWUP_MAX_DAYS later, its content score
    (the pair's evidence without the date) is at most ``max_gap`` logits below its Russian item's best and is
    its English item's best, it shares a specific anchor with the Russian report (a rare name that identifies
    an event: not a country, capital or generic body, nor a head who takes part in most events) and it refers
    back: words such as "established in", "earlier", or the Russian report's year in a later year's text."""
    gap_ru, gap_en = group_gap(content, ru_idx), group_gap(content, en_idx)
    best_of: dict[int, int] = {}
    for n in np.flatnonzero(gap_ru == 0).tolist():
        best_of.setdefault(int(ru_idx[n]), n)
    ok = ~np.isnan(days)
    later = np.where(ok, days, -1.0)
    todo = ok & (later >= FOLLOWUP_MIN_DAYS) & (later <= FOLLOWUP_MAX_DAYS) & (gap_ru >= -max_gap) & (gap_en == 0)
    out: dict[int, tuple[int, list[str]]] = {}
    for n in np.flatnonzero(todo & (prob < threshold)).tolist():
        r, e = int(ru_idx[n]), keys.n_ru + int(en_idx[n])
        b = best_of.get(r, n)
        if not (b == n or prob[b] >= threshold) or not _refers_back(keys, r, e):
            continue
        anchors = specific_anchors(keys, r, e, anchor_idf)
        if anchors:
            out[n] = (b, anchors)
    return out


def _refers_back(keys: ItemKeys, r: int, e: int) -> bool:
    """Whether the English item (a later report) refers back to the Russian one's time or to an earlier event."""
    if "cue" in keys.backref[e]:
        return True
    years = getattr(keys, "years", None)
    if not years or not years[r] or not years[e] or years[e] <= years[r]:
        return False
    return str(years[r]) in keys.numbers[e]


def specific_anchors(keys: ItemKeys, r: int, e: int, anchor_idf: float = FOLLOWUP_ANCHOR_IDF) -> list[str]:
    """Names two items share that identify an event: rare glossary or other names (topical ones weigh too
    little to be rare) and the field's people, specific bodies and places (not the recurring heads)."""
    rare = keys.rare_idf(anchor_idf)
    idf = keys.idf["names"]
    classes = EV.field_names().classes
    names = [k for k in keys.names[r] & keys.names[e]
             if idf.get(k, 0.0) >= rare and classes.get(k) not in (EV.RECURRING, EV.TOPICAL)]
    field = [k for k in keys.field_names[r] & keys.field_names[e] if classes.get(k) in EV.STRONG_CLASSES]
    return sorted(set(names) | set(field), key=lambda k: (-idf.get(k, 0.0), k))
