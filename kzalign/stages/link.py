"""The linking stage: which English reports tell the same story as each Russian report.

Steps (each measured on ``../shared/eval``; see the "Linking" section of BENCHMARKS.md):

1. item vectors: the mean of the item's sentence vectors (cached sentence embeddings, shared with the
   sentence stage);
2. candidates: each item's nearest items on the other side (:mod:`kzalign.engines.candidates`);
3. evidence about each pair (:mod:`kzalign.engines.scoring`): its ratio margin over both items' nearest neighbours
   among the workspace's other items *and* the shipped background sample (:mod:`kzalign.engines.background`; the
   pair's own partner left out, so a lone pair is measured against the background alone), and fixed-idf
   shared names, numbers and cross-script words (:mod:`kzalign.engines.keys`, cached per item);
4. a fitted two-stage logistic model, a calibrated threshold, follow-up reports of a linked item, the
   optional date rule and reviewer decisions (re-read inside the write transaction: rejected links never
   return, accepted ones stay). Only links that changed are rewritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kzalign.core.errors import KzalignError
from kzalign.core.progress import ProgressCallback
from kzalign.core.signature import make_signature, settings_digest
from kzalign.core.text import MAX_SENTENCE_CHARS, bounded_pieces, split_sentences, text_hash
from kzalign.core.version import __version__
from kzalign.engines import candidates as C
from kzalign.engines import events as EV
from kzalign.engines.background import Background, key_weights_signature, load_background, load_key_weights
from kzalign.engines.embed import DEFAULT_EN_ENCODER, Encoder, embed_texts, resolve
from kzalign.engines.keys import KEYS_VERSION, ItemKeys, cached_item_keys
from kzalign.engines.scoring import (
    DATE_FEATURES,
    THRESHOLD,
    Model,
    PairView,
    combine,
    follow_up_score,
    follow_ups,
    linear,
    model_for,
    pair_features,
)
from kzalign.store.workspace import LINK_KINDS, Workspace, link_key

if TYPE_CHECKING:
    from kzalign.glossary import Glossary

log = logging.getLogger(__name__)

__all__ = ["THRESHOLD", "GlossaryChanged", "LinkReport", "LinkSettings", "evidence_text", "item_units", "item_vectors",
           "link_workspace", "links_table", "pool_units", "reliable_mt", "score_pairs"]

#: Weight of the headline in the item vector (sentences weigh 1 each); 2 and 3 measured worse on comparable.
HEAD_WEIGHT = 1.0
#: An item's MT draft is used for linking only when at most this share of its sentences is flagged by the
#: translation guards (empty, repetition, copied source, length ratio, lost name): a broken or unsuitable
#: model must not pull links down (with a random-weight model every draft is flagged and set aside).
MT_MAX_FLAGGED = 0.5
#: Bump when :func:`item_units` or the sentence splitter changes: cached item vectors are then recomputed.
SENTENCES_VERSION = "s3"  # s2: sentences and headlines longer than MAX_SENTENCE_CHARS cut into pieces; s3: 。！？ end sentences
#: New items embedded and pooled at a time (bounds a cold link's memory to one block's sentence vectors).
ITEM_BLOCK = 2000
#: Shared keys shown per kind in a link's evidence.
EVIDENCE_KEYS = 12
#: A link is a ``translation`` when its items are this close (cosine of the item vectors) and about as long
#: (Russian characters per English character within :data:`TRANSLATION_LENGTH`): on the dev sets, 90 % of
#: docalign's translations have cosine ≥ 0.78 and ratio 0.83–1.07, while half of comparable's same-story halves
#: have cosine ≤ 0.44, and the seeds' meeting report (a same-event report, not a translation) 0.74. This is
#: USE's value; each encoder's model carries its own (:attr:`kzalign.engines.scoring.Model.translation_cos`).
TRANSLATION_COS = 0.76
TRANSLATION_LENGTH = (0.7, 1.45)


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
    head = bounded_pieces(title) if title else []  # a headline of megabytes is cut like a sentence
    units = head + [s for s in sents if s != title]
    return units or [body[:MAX_SENTENCE_CHARS] or " "]


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
    """Item vectors (columns title, text, lang) pooled from cached sentence vectors (which the sentence stage
    reuses); the pooled vectors are cached too, by item text, so an unchanged item is not even split again.
    New items are embedded :data:`ITEM_BLOCK` at a time: memory holds one block's sentence vectors, never
    the archive's."""
    titles = [t if isinstance(t, str) else "" for t in (items["title"] if "title" in items else [""] * len(items))]
    rows = list(zip(titles, items["text"].astype(str), items["lang"].astype(str), strict=True))
    hashes = [text_hash(f"{lang}\n{title}\n{text}") for title, text, lang in rows]
    key = f"{encoder.signature}|item:{__version__}-{SENTENCES_VERSION}:h{head_weight:g}"
    uniq = {h: n for n, h in enumerate(dict.fromkeys(hashes))}
    have = set(ws.get_vector_hashes(key, list(uniq)))
    todo = [h for h in uniq if h not in have]
    where = {h: i for i, h in enumerate(hashes)}
    for s in range(0, len(todo), ITEM_BLOCK):
        block = todo[s : s + ITEM_BLOCK]
        _pool_block(ws, encoder, key, block, [rows[where[h]] for h in block], progress, head_weight)
    del have, todo, where
    if not hashes:
        return np.zeros((0, encoder.dim), np.float32)
    return _read_vectors(ws, key, list(uniq), [uniq[h] for h in hashes])


def _read_vectors(ws: Workspace, key: str, uniq: list[str], rows: list[int], chunk: int = 4096) -> np.ndarray:
    """The cached vectors of ``uniq`` hashes read ``chunk`` at a time straight into one array, then one row per
    item (``rows``: its hash's position): never a dict of 10^5 small arrays beside the result."""
    out: np.ndarray | None = None
    for s in range(0, len(uniq), chunk):
        part = uniq[s : s + chunk]
        found = ws.get_vectors(key, part)
        if out is None:
            out = np.empty((len(uniq), len(next(iter(found.values())))), np.float32)
        for i, h in enumerate(part):
            out[s + i] = found[h]
    assert out is not None
    return out if rows == list(range(len(uniq))) else out[np.asarray(rows, dtype=np.int64)]


def _pool_block(ws: Workspace, encoder: Encoder, key: str, hashes: list[str], rows: list[tuple[str, str, str]],
                progress: ProgressCallback | None, head_weight: float) -> dict[str, np.ndarray]:
    """Pooled vectors of a block of new items (their sentences embedded through the cache), stored."""
    units: list[str] = []
    counts: list[int] = []
    for title, text, lang in rows:
        u = item_units(title, text, lang)
        units.extend(u)
        counts.append(len(u))
    vecs = pool_units(embed_texts(ws, encoder, units, progress=progress), counts, head_weight)
    with ws.transaction():
        vecs = ws.put_vectors(key, hashes, vecs)
    return dict(zip(hashes, vecs, strict=True))


# -- the pure scoring of candidate pairs ----------------------------------------------------------
@dataclass
class ScoredPairs:
    """Candidate pairs (indices into the RU and EN lists) with their evidence and link probability."""

    ru: np.ndarray
    en: np.ndarray
    feats: dict[str, np.ndarray]
    #: The keys each pair shares (computed when read: only links' evidence shows them).
    shared: Sequence[dict[str, list[str]]]
    prob: np.ndarray
    follow: dict[int, tuple[int, list[str]]]
    mt_margin: np.ndarray | None = None
    #: Event types of each pair's Russian and English item (for the evidence).
    types: Sequence[tuple[set[str], set[str]]] = field(default_factory=list)
    #: Stage-1 logit of each pair without its date features (the follow-up rule's and a follow-up's score).
    content: np.ndarray | None = None


def pair_margins(rv: np.ndarray, ev: np.ndarray, background: Background | None, ru_idx: np.ndarray,
                 en_idx: np.ndarray, k: int = C.K_NEIGHBOURS,
                 cand: C.Candidates | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(cos, ratio margin) of the pairs: cos over the denser of both items' neighbourhoods among the other
    side's items and the background, the partner left out (in a small workspace one side's neighbourhood
    is mostly background: the denser side keeps a topic's reports from standing out of a thin one).
    Without a background, the mean density among the workspace alone (the fallback). ``cand``: the
    candidate search's nearest neighbours, reused so that only the small background is searched again."""
    cos = C.pair_cos(rv, ev, ru_idx, en_idx)
    if background is None:
        d_ru, d_en = C.workspace_densities(rv, ev, k)
        return cos, C.ratio_margin(cos, d_ru[ru_idx], d_en[en_idx])
    d_ru = C.pair_density(rv, ev, background.en, ru_idx, en_idx, k, cand.ru_nn if cand else None)
    d_en = C.pair_density(ev, rv, background.ru, en_idx, ru_idx, k, cand.en_nn if cand else None)
    d = np.maximum(d_ru, d_en)
    return cos, C.ratio_margin(cos, d, d)


def score_pairs(rv: np.ndarray, ev: np.ndarray, keys: ItemKeys, model: Model, ru_idx: np.ndarray,
                en_idx: np.ndarray, background: Background | None, threshold: float,
                mt_margin: np.ndarray | None = None, cand: C.Candidates | None = None,
                days: np.ndarray | None = None) -> ScoredPairs:
    """Score given candidate pairs (pure: no workspace). ``mt_margin`` (NaN where no draft) is averaged
    with the cross-lingual margin: ratio margins are scale-free. ``cand``: see :func:`pair_margins`.
    ``days``: English date minus Russian date per pair (NaN where either is undated)."""
    cos, margin = pair_margins(rv, ev, background, ru_idx, en_idx, cand=cand)
    feats, shared = pair_features(keys, ru_idx, en_idx, margin, cos, days)
    feats["margin_xl"] = feats["margin"]
    if mt_margin is not None and np.isfinite(mt_margin).any():
        ok = np.isfinite(mt_margin)
        feats["margin"] = feats["margin"].copy()
        feats["margin"][ok] = (margin[ok] + mt_margin[ok]) / 2
    prob = combine(feats, ru_idx, en_idx, model)
    content = linear(feats, {k: w for k, w in model.base.items() if k not in DATE_FEATURES})
    follow = follow_ups(linear(feats, model.base), prob, ru_idx, en_idx, keys, threshold, content=content, days=days)
    types = PairView(ru_idx, en_idx, lambda r, e: (set(keys.events[r]), set(keys.events[keys.n_ru + e])))
    return ScoredPairs(ru_idx, en_idx, feats, PairView(ru_idx, en_idx, lambda r, e: _shared(keys, shared, r, e)),
                       prob, follow, mt_margin, types, content)


def _shared(keys: ItemKeys, shared: PairView[dict[str, list[str]]], r: int, e: int) -> dict[str, list[str]]:
    """The keys a pair shares, with the field's non-topical names both items name (``field``)."""
    classes = EV.field_names().classes
    sh = shared.fn(r, e)
    sh["field"] = sorted(k for k in keys.field_names[r] & keys.field_names[keys.n_ru + e] if classes.get(k) != EV.TOPICAL)
    return sh


# -- the stage ------------------------------------------------------------------------------------
class GlossaryChanged(KzalignError):
    """The glossary given explicitly differs from the one the workspace's last link run used."""

    def __init__(self, path: object, old: str, new: str):
        super().__init__(
            f"{path}: the workspace was last linked with glossary {old}, the glossary given is {new}; "
            "linking now would mix evidence from two glossaries. Give the same glossary, or re-link every "
            "pair with the new one (relink=True)."
        )
        self.old, self.new = old, new


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
    glossary: str = ""
    #: The glossary differs from the last link run's (every pair was scored with the new one).
    glossary_changed: bool = False
    #: Background sample the margins were normalised against ("workspace" when none ships for the encoder).
    background: str = ""
    keys_computed: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    #: Nothing a link run reads changed since the last one (same items, decisions, links and settings):
    #: nothing was scored or written, and the numbers are the last run's.
    unchanged: bool = False


def link_signature(encoder: Encoder, threshold: float, max_days: int | None, glossary: Glossary,
                   mt_encoder: Encoder | None, mt_model: str | None = None, background: str = "ws",
                   model: Model | None = None) -> str:
    """Signature of a link run: encoders, translator, threshold, date rule, glossary, background, idf table,
    the field's reference (names and event lexicons) and ``model:``, a digest of every fitted weight."""
    mt_sig = (mt_model or "unknown").replace("|", "+") if mt_encoder else None
    return make_signature({
        "stage": "link", "enc": encoder.signature, "mt": mt_sig,
        "mtenc": mt_encoder.signature if mt_encoder else None,
        "k": C.K_NEIGHBOURS, "thr": float(threshold), "days": max_days, "gloss": glossary.signature,
        "bg": background, "idf": key_weights_signature(), "dom": EV.reference_signature(),
        "model": settings_digest(model) if model is not None else None,
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
               ru_idx: np.ndarray, en_idx: np.ndarray, progress: ProgressCallback | None) -> np.ndarray:
    """Ratio margin of MT-English against English (English encoder and its background; NaN without a draft)."""
    ru_mt = pd.DataFrame({"title": "", "text": [mt_map.get(i, "") or " " for i in ru["id"]], "lang": "en"})
    has = np.array([str(i) in mt_map for i in ru["id"]])
    ru_v = item_vectors(ws, mt_encoder, ru_mt, progress=progress)
    en_v = item_vectors(ws, mt_encoder, en.assign(lang="en"), progress=progress)
    bg = load_background(mt_encoder.name, mt_encoder.signature)
    ref = Background(bg.encoder, bg.en, bg.en, bg.signature) if bg is not None and len(bg.en) else None
    _, marg = pair_margins(ru_v, en_v, ref, ru_idx, en_idx)
    return np.where(has[ru_idx], marg, np.nan)


def _check_inputs(ws: Workspace, threshold: float | None, max_days: int | None) -> None:
    """Refuse bad parameters and a workspace with nothing to link (before anything is computed)."""
    if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
        raise KzalignError(f"threshold must be between 0 and 1 (a link probability), got {threshold}")
    if max_days is not None and max_days < 0:
        raise KzalignError(f"max_days must be 0 or more, got {max_days}")
    counts = ws.count_items()
    if not counts:
        raise KzalignError(f"{ws.path}: the workspace has no items; run 'kzalign ingest' first")
    missing = [lg for lg in ("ru", "en") if not counts.get(lg)]
    if missing:
        have = ", ".join(f"{n} {lg}" for lg, n in counts.items())
        raise KzalignError(f"{ws.path}: nothing to link: no {' or '.join(missing).upper()} items (have {have})")


def _glossary_changed(ws: Workspace, glossary: Glossary, refuse: bool) -> bool:
    """Whether the glossary differs from the last link run's; with ``refuse``, a difference is an error."""
    last = ws.last_run("link")
    old = str(last[1].get("glossary", "")) if last else ""
    if not old or old == glossary.signature:
        return False
    if refuse:
        raise GlossaryChanged(ws.path, old, glossary.signature)
    log.info("glossary changed since the last link run (%s -> %s): every pair is scored with the new one",
             old, glossary.signature)
    return True


def _empty_glossary() -> Glossary:
    from kzalign.glossary import Glossary

    return Glossary([], "none")


@dataclass
class _Run:
    """Everything one link run resolved before scoring (items, encoders, MT drafts, model); its signature is
    computed from these same fields, so it cannot disagree with what ran (sacrebleu's signature per metric)."""

    ru: pd.DataFrame
    en: pd.DataFrame
    encoder: Encoder
    glossary: Glossary
    model: Model
    threshold: float
    max_days: int | None
    background: Background | None
    mt_map: dict[str, str] = field(default_factory=dict)
    mt_encoder: Encoder | None = None
    mt_model: str | None = None

    @property
    def signature(self) -> str:
        return link_signature(self.encoder, self.threshold, self.max_days, self.glossary, self.mt_encoder,
                              self.mt_model, self.background.signature if self.background else "ws", self.model)


def _prepare(ws: Workspace, encoder: Encoder | str | None, glossary: Glossary | None, threshold: float | None,
             max_days: int | None, mt: pd.DataFrame | None, mt_encoder: Encoder | str | None,
             mt_model: str | None, rep: LinkReport) -> _Run:
    """Resolve the encoders, model, threshold, MT drafts and signature of a run; fill the report's header."""
    enc = resolve(encoder)
    gl = glossary if glossary is not None else _empty_glossary()
    bg = load_background(enc.name, enc.signature)
    if bg is None:
        log.warning("no background sample ships for encoder %s: margins are measured against the workspace "
                    "alone (a lone pair in a tiny workspace may not link)", enc.name)
    model = model_for(enc.name)
    thr = model.threshold if threshold is None else float(threshold)
    use_mt = mt is not None and len(mt) > 0
    mt_enc = resolve(mt_encoder or DEFAULT_EN_ENCODER) if use_mt else None
    run = _Run(ws.items("ru").reset_index(drop=True), ws.items("en").reset_index(drop=True), enc, gl, model, thr,
               max_days, bg, mt_encoder=mt_enc, mt_model=mt_model)
    if use_mt and mt is not None:
        run.mt_map, rep.mt_unreliable = reliable_mt(mt)
        rep.mt_model = str(mt_model or "unknown")
        if rep.mt_unreliable:
            log.info("%d of %d MT drafts are mostly flagged by the translation guards and are not used for "
                     "linking", rep.mt_unreliable, len(mt))
    rep.ru_items, rep.en_items, rep.threshold = len(run.ru), len(run.en), thr
    rep.encoder, rep.signature, rep.glossary = enc.signature, run.signature, gl.signature
    rep.background = bg.signature if bg else "workspace"
    return run


def _score_workspace(ws: Workspace, run: _Run, rep: LinkReport, progress: ProgressCallback | None) -> ScoredPairs:
    """Vectors (cached), candidates plus accepted pairs, keys (cached) and scores of every candidate pair."""
    ru, en = run.ru, run.en
    rv = item_vectors(ws, run.encoder, ru, progress=progress)
    ev = item_vectors(ws, run.encoder, en, progress=progress)
    cand = C.candidate_pairs(rv, ev)
    texts = ((f"{t}\n{x}", lg) for df, lg in ((ru, "ru"), (en, "en")) for t, x in zip(df["title"], df["text"], strict=True))
    keys, rep.keys_computed = cached_item_keys(ws, texts, run.glossary, len(ru), load_key_weights(),
                                               EV.name_weights(run.glossary), progress)
    ru_days, en_days = [EV.day(d) for d in ru["date"]], [EV.day(d) for d in en["date"]]
    keys.years = [d.year if d else 0 for d in ru_days + en_days]  # type: ignore[attr-defined]
    extra = _extra_pairs(ws, ru, en, cand, ru_days, en_days, keys)
    r_idx = np.concatenate([cand.ru, extra[:, 0]])
    e_idx = np.concatenate([cand.en, extra[:, 1]])
    days = _ordinals(en_days)[e_idx] - _ordinals(ru_days)[r_idx]
    mt_marg = None
    if run.mt_map and run.mt_encoder is not None:
        mt_marg = _mt_margin(ws, run.mt_map, ru, en, run.mt_encoder, r_idx, e_idx, progress)
    rep.candidates = len(r_idx)
    sp = score_pairs(rv, ev, keys, run.model, r_idx, e_idx, run.background, run.threshold, mt_marg, cand, days)
    rep.mt = sp.mt_margin is not None and bool(np.isfinite(sp.mt_margin).any())
    rep.mt_items = sum(1 for i in ru["id"] if str(i) in run.mt_map) if rep.mt else 0
    return sp


def _extra_pairs(ws: Workspace, ru: pd.DataFrame, en: pd.DataFrame, cand: C.Candidates, ru_days: list[Any],
                 en_days: list[Any], keys: ItemKeys) -> np.ndarray:
    """(RU, EN) index pairs scored besides the candidates, sorted: accepted links and close dated pairs naming
    the same participant (those already candidates left out by their codes, not a set of 10^6 tuples)."""
    ru_pos = {i: n for n, i in enumerate(ru["id"])}
    en_pos = {i: n for n, i in enumerate(en["id"])}
    accepted = {(ru_pos[r], en_pos[e]) for r, e in ws.accepted_link_pairs() if r in ru_pos and e in en_pos}
    extra = sorted(accepted | C.close_pairs(ru_days, en_days, keys.field_names[: len(ru)],
                                            keys.field_names[len(ru):], _participant))
    pairs = np.array(extra, dtype=np.int64).reshape(-1, 2)
    m = max(1, len(en))
    have = np.isin(pairs[:, 0] * m + pairs[:, 1], cand.ru * m + cand.en)
    return pairs[~have]


def _ordinals(days: list[Any]) -> np.ndarray:
    """Each date's day number (NaN where undated): a pair's day difference is one subtraction."""
    return np.array([d.toordinal() if d else np.nan for d in days], dtype=np.float64)


def _participant(key: str) -> bool:
    """Whether a field name is a person or a specific body that identifies an event together with a close date."""
    return EV.field_names().classes.get(key) in ("person", "body", EV.RECURRING)


@dataclass(frozen=True)
class LinkSettings:
    """The choices of a link run (what ``kzalign link``'s options set). The run resolves them (encoders loaded,
    the encoder's fitted model and background found) and its signature is built from the resolved fields.

    ``glossary`` is the loaded glossary (None: no glossary, signature ``gloss:none``; the library never looks
    for one). ``mt`` (columns id, mt_en and optionally flagged_share, from
    :func:`kzalign.engines.translate.item_translations`) made by ``mt_model`` adds MT-English scoring; with
    ``workspace_mt`` and no ``mt``, the drafts of the workspace's last ``kzalign translate`` run are used.
    With ``relink=False`` a glossary other than the last link run's is refused (:class:`GlossaryChanged`).
    """

    encoder: Encoder | str | None = None
    glossary: Glossary | None = None
    threshold: float | None = None
    max_days: int | None = None
    mt: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    mt_encoder: Encoder | str | None = None
    mt_model: str | None = None
    workspace_mt: bool = False
    relink: bool = True


def link_workspace(ws: Workspace, settings: LinkSettings | None = None, *,
                   progress: ProgressCallback | None = None, **choices: Any) -> LinkReport:
    """Link every Russian item to the English items on the same story; rewrite only the links that change.

    ``settings`` (or the same fields as keywords, e.g. ``encoder="use", glossary=g``) say how
    (:class:`LinkSettings`). A Russian item may get several links (follow-ups, copies) or none. Reviewer
    decisions are re-read inside the write transaction, so one recorded meanwhile is honoured.
    """
    if settings is not None and choices:
        raise TypeError("give either a LinkSettings or its fields as keywords, not both")
    st = settings if settings is not None else LinkSettings(**choices)
    encoder, glossary, threshold, max_days = st.encoder, st.glossary, st.threshold, st.max_days
    mt, mt_encoder, mt_model = st.mt, st.mt_encoder, st.mt_model
    workspace_mt, relink = st.workspace_mt, st.relink
    encoder = resolve(encoder)  # an unknown encoder name is the first error a user sees
    _check_inputs(ws, threshold, max_days)
    if mt is None and workspace_mt:
        from kzalign.engines.translate import latest_translations

        found = latest_translations(ws)
        if found is not None:
            mt_model, mt = found
    rep = LinkReport()
    run = _prepare(ws, encoder, glossary, threshold, max_days, mt, mt_encoder, mt_model, rep)
    rep.glossary_changed = _glossary_changed(ws, run.glossary, refuse=not relink)
    last = ws.last_run("link")
    if last is not None and last[0] == run.signature and last[1].get("inputs") == _inputs(ws, run):
        return _unchanged_report(last[1])
    sp = _score_workspace(ws, run, rep, progress)
    with ws.transaction():
        rows = _decide(ws, run, sp, rep)
        rep.added, rep.changed, rep.removed = ws.update_links(rows)
        rep.links = len(rows)
        rep.linked_ru = len({r[0] for r in rows})
        rep.unlinked_ru = len(run.ru) - rep.linked_ru
        last, inputs = ws.last_run("link"), _inputs(ws, run)
        if (rep.added or rep.changed or rep.removed or last is None or last[0] != run.signature
                or last[1].get("inputs") != inputs):
            ws.record_run("link", run.signature, {**_run_stats(rep), "inputs": inputs})
    return rep


def _inputs(ws: Workspace, run: _Run) -> str:
    """Digest of everything a link run's result depends on: its signature, key and scoring versions, the MT
    drafts it uses, and the workspace's items, link decisions and links (:meth:`Workspace.link_inputs_digest`)."""
    h = hashlib.sha256(f"{run.signature}|{KEYS_VERSION}|{run.model!r}".encode())
    for item_id in sorted(run.mt_map):
        h.update(f"{item_id}\t{run.mt_map[item_id]}\n".encode())
    h.update(ws.link_inputs_digest(_scored_items(run)).encode())
    return h.hexdigest()


def _scored_items(run: _Run) -> list[tuple[str | None, ...]]:
    """(id, lang, title, text, date) of the items the run read and scored, not of the items table at write time:
    a report ingested while the run scored must leave the recorded digest different from the next run's."""
    cols = ["id", "lang", "title", "text", "date"]
    return [tuple(v if isinstance(v, str) else None for v in rec)
            for df in (run.ru, run.en) for rec in df[cols].itertuples(index=False, name=None)]


def _unchanged_report(stats: dict[str, object]) -> LinkReport:
    """The report of a run that found nothing changed: the last run's numbers, nothing added or computed."""
    known = {f.name for f in fields(LinkReport)}
    rep = LinkReport(**{k: v for k, v in stats.items() if k in known})  # type: ignore[arg-type]
    rep.added = rep.changed = rep.removed = rep.keys_computed = 0
    rep.glossary_changed, rep.unchanged = False, True
    return rep


def _run_stats(rep: LinkReport) -> dict[str, object]:
    """What is stored about a run in the workspace (the report's numbers and signatures)."""
    return dict(rep.__dict__)


def _evidence(run: _Run, sp: ScoredPairs, n: int, days: int | None, decision: str | None,
              follow: tuple[int, list[str]] | None) -> dict[str, object]:
    """The evidence of candidate ``n`` as a JSON-ready dict (shared keys in a fixed order)."""
    f, sh = sp.feats, sp.shared[n]
    ev: dict[str, object] = {
        "cos": round(float(f["cos"][n]), 4), "margin": round(float(f["margin_xl"][n]), 4),
        "names": sh["names"][:EVIDENCE_KEYS], "numbers": sh["numbers"][:EVIDENCE_KEYS],
        "words": sh["cognates"][:EVIDENCE_KEYS], "names_score": round(float(f["names"][n]), 4),
        "numbers_score": round(float(f["numbers"][n]), 4), "words_score": round(float(f["cognates"][n]), 4),
        "days": days, "prob": round(float(sp.prob[n]), 4),
    }
    types = [sorted(sp.types[n][0]), sorted(sp.types[n][1])] if sp.types else [[], []]
    if types[0] or types[1]:
        ev["events"] = types
    if sh.get("field"):
        ev["participants"] = sh["field"][:EVIDENCE_KEYS]
    if days is None:
        ev["undated"] = True
    if follow is not None:
        b, anchors = follow
        # the Russian item's best link it follows, or (a dated follow-up that is itself the best) the report itself
        same = int(sp.en[b]) == int(sp.en[n])
        ev["follow_up_of"] = str(run.ru["id"][sp.ru[n]] if same else run.en["id"][sp.en[b]])
        ev["anchors"] = anchors[:6]
    if sp.mt_margin is not None and np.isfinite(sp.mt_margin[n]):
        ev["mt_margin"] = round(float(sp.mt_margin[n]), 4)
    if decision == "accept":
        ev["decision"] = "accept"
    return ev


def link_kind(cos: float, ru_chars: int, en_chars: int, follow_up: bool, translation_cos: float = TRANSLATION_COS) -> str:
    """The kind of a link (:data:`kzalign.store.workspace.LINK_KINDS`): ``follow_up`` when the follow-up rule
    made it, ``translation`` when its items are about as long and very close (cosine ≥ ``translation_cos``, the
    encoder's), ``same_event`` otherwise."""
    if follow_up:
        return "follow_up"
    ratio = ru_chars / max(1, en_chars)
    lo, hi = TRANSLATION_LENGTH
    return "translation" if cos >= translation_cos and lo <= ratio <= hi else "same_event"


def _decide(ws: Workspace, run: _Run, sp: ScoredPairs, rep: LinkReport) -> list[tuple[str, str, float, int, str, str, str]]:
    """The link rows: scored pairs over the threshold or follow-ups, with the decisions read now (inside
    the write transaction): rejected ones left out, accepted ones kept; ranked per Russian item."""
    dec = _link_decisions(ws)
    ru_ids, en_ids = run.ru["id"].astype(str).tolist(), run.en["id"].astype(str).tolist()
    ru_days, en_days = [EV.day(d) for d in run.ru["date"]], [EV.day(d) for d in run.en["date"]]
    ru_len, en_len = run.ru["text"].astype(str).str.len().tolist(), run.en["text"].astype(str).str.len().tolist()
    rows: dict[tuple[str, str], tuple[float, dict[str, object]]] = {}
    for n in _to_decide(sp, run.threshold, dec, _accepted_positions(ws, sp, ru_ids, en_ids, dec)):
        r, e = int(sp.ru[n]), int(sp.en[n])
        rid, eid = ru_ids[r], en_ids[e]
        decision = dec.get(link_key(rid, eid))
        fu = sp.follow.get(n)
        if fu is not None and dec.get(link_key(rid, en_ids[sp.en[fu[0]]])) == "reject":
            fu = None  # a follow-up of a link the reviewer rejected is no follow-up
        linked = sp.prob[n] >= run.threshold or fu is not None
        if decision == "reject":
            rep.skipped_rejected += int(linked)
            continue
        rd, ed = ru_days[r], en_days[e]
        days = (ed - rd).days if rd and ed else None
        if decision != "accept":
            if not linked:
                continue
            if run.max_days is not None and days is not None and days < -run.max_days:
                rep.skipped_by_date += 1
                continue
        else:
            rep.kept_accepted += 1
        ev = _evidence(run, sp, n, days, decision, fu)
        ev["kind"] = link_kind(float(sp.feats["cos"][n]), ru_len[r], en_len[e], fu is not None,
                               run.model.translation_cos)
        rows[(rid, eid)] = (round(_link_score(sp, n, fu), 6), ev)
    rows.update(_accepted_meanwhile(ws, dec, rows, rep))
    return _ranked(rows, run.signature)


def _to_decide(sp: ScoredPairs, threshold: float, dec: dict[str, str], accepted: np.ndarray | None
               ) -> Sequence[int]:
    """Positions of the pairs that can become a link, in order: over the threshold, follow-ups and the pairs a
    reviewer accepted (``accepted``; None when an accepted link's ids are unknown: then every pair, as its key
    is a hash of the ids). The others are left out unchanged (10^6 key hashes a run saved at 100,000 a side)."""
    if accepted is None:
        return range(len(sp.ru))
    return sorted(set(np.flatnonzero(sp.prob >= threshold).tolist()) | set(sp.follow) | set(accepted.tolist()))


def _accepted_positions(ws: Workspace, sp: ScoredPairs, ru_ids: list[str], en_ids: list[str],
                        dec: dict[str, str]) -> np.ndarray | None:
    """Positions in ``sp`` of the links a reviewer accepted, found by their items' indices (None when some
    accepted decision does not name its items)."""
    pairs = ws.accepted_link_pairs()
    if {link_key(r, e) for r, e in pairs} != {k for k, d in dec.items() if d == "accept"}:
        return None
    ru_pos = {i: n for n, i in enumerate(ru_ids)}
    en_pos = {i: n for n, i in enumerate(en_ids)}
    m = max(1, len(en_ids))
    codes = [ru_pos[r] * m + en_pos[e] for r, e in pairs if r in ru_pos and e in en_pos]
    return np.flatnonzero(np.isin(sp.ru * m + sp.en, np.asarray(codes, dtype=np.int64)))


def _link_score(sp: ScoredPairs, n: int, follow: tuple[int, list[str]] | None) -> float:
    """A link's score: the model's probability; a follow-up's from its evidence without the date distance,
    capped by the link it follows (:func:`kzalign.engines.scoring.follow_up_score`)."""
    if follow is None or sp.content is None:
        return float(sp.prob[n])
    b = follow[0]
    return follow_up_score(float(sp.content[n]), None if b == n else float(sp.prob[b]))


def _link_decisions(ws: Workspace) -> dict[str, str]:
    """{link key: accept|reject} of the reviewer decisions about links."""
    return ws.decision_by_key("link")


def _accepted_meanwhile(ws: Workspace, dec: dict[str, str], rows: dict[tuple[str, str], tuple[float, dict[str, object]]],
                        rep: LinkReport) -> dict[tuple[str, str], tuple[float, dict[str, object]]]:
    """Existing links a reviewer accepted while this run was scoring (not among its scored pairs): kept."""
    out: dict[tuple[str, str], tuple[float, dict[str, object]]] = {}
    for (r, e), (score, _rank, evidence, _sig, kind) in ws.link_rows().items():
        if (r, e) not in rows and dec.get(link_key(r, e)) == "accept":
            ev = json.loads(evidence or "{}")
            ev["decision"] = "accept"
            ev.setdefault("kind", kind or "same_event")
            out[(r, e)] = (float(score), ev)
            rep.kept_accepted += 1
    return out


def _ranked(rows: dict[tuple[str, str], tuple[float, dict[str, object]]],
            signature: str) -> list[tuple[str, str, float, int, str, str, str]]:
    """Rows with their rank among their Russian item's links (best first; ties by English id) and their kind
    (stored in the evidence too, so the evidence text can name it)."""
    order = sorted(rows.items(), key=lambda kv: (kv[0][0], -kv[1][0], kv[0][1]))
    out: list[tuple[str, str, float, int, str, str, str]] = []
    prev, rank = None, 0
    for (rid, eid), (score, ev) in order:
        rank = rank + 1 if rid == prev else 1
        prev = rid
        kind = str(ev.get("kind") or "same_event")
        out.append((rid, eid, score, rank, json.dumps(ev, ensure_ascii=False, sort_keys=True), signature, kind))
    return out


# -- reading links back ---------------------------------------------------------------------------
LINK_COLUMNS = ["ru_id", "en_id", "score", "rank", "kind", "ru_title", "en_title", "ru_date", "en_date", "evidence",
                "signature", "status"]


#: How the evidence text names each kind of link.
KIND_LABELS = {"translation": "translation", "same_event": "same event", "follow_up": "follow-up"}


def evidence_text(evidence: str | dict[str, Any]) -> str:
    """The evidence of a link as one line a translator can read."""
    ev: dict[str, Any] = json.loads(evidence) if isinstance(evidence, str) else dict(evidence)
    parts = []
    anchors = ", ".join(str(x).lstrip("~") for x in ev.get("anchors", []))
    if ev.get("follow_up_of"):  # names the kind itself
        parts.append(f"follow-up of {ev['follow_up_of']} (shared: {anchors})")
        if ev.get("prob") is not None:  # a follow-up's score leaves the date distance out (follow_up_score)
            parts.append(f"scored without the date distance (with it {float(ev['prob']):.2f})")
    elif ev.get("kind") in LINK_KINDS:
        parts.append(KIND_LABELS[ev["kind"]] + (f": refers back (shared: {anchors})" if anchors else ""))
    if ev.get("names"):
        parts.append("names: " + ", ".join(str(x).lstrip("~") for x in ev["names"][:6]))
    if ev.get("numbers"):
        parts.append("numbers/dates: " + ", ".join(map(str, ev["numbers"][:6])))
    if ev.get("participants"):
        parts.append("participants: " + ", ".join(map(str, ev["participants"][:6])))
    if ev.get("events"):
        ru_t, en_t = ev["events"]
        parts.append(f"event: {'/'.join(ru_t) or '?'} vs {'/'.join(en_t) or '?'}")
    if ev.get("days") is not None:
        d = int(ev["days"])
        parts.append("same day" if d == 0 else f"EN {abs(d)} days {'later' if d > 0 else 'earlier'}")
    elif ev.get("undated"):
        parts.append("undated: decided on the other evidence")
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
    """The links with their kind (translation|same_event|follow_up), titles, dates, readable evidence and review
    status (proposed|accepted)."""
    df = ws.links_with_items()
    if df.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    dec = _link_decisions(ws)
    df["ru_title"] = [_first_line(t, x) for t, x in zip(df["ru_t"], df["ru_x"], strict=True)]
    df["en_title"] = [_first_line(t, x) for t, x in zip(df["en_t"], df["en_x"], strict=True)]
    df["evidence"] = [evidence_text(e) for e in df["evidence"]]
    df["score"] = df["score"].round(4)
    df["kind"] = df["kind"].fillna("same_event").astype(str)
    df["status"] = [
        {"accept": "accepted"}.get(dec.get(link_key(r, e), ""), "proposed")
        for r, e in zip(df["ru_id"], df["en_id"], strict=True)
    ]
    return df[LINK_COLUMNS].reset_index(drop=True)
