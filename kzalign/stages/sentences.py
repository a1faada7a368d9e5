"""Sentence pairs: inside linked item pairs (the workspace stage) and inside one given document pair.

Near-parallel texts (one translates the other) are aligned by :mod:`kzalign.engines.align` (monotone DP with
beads of up to 6 sentences a side, costs that adapt to each pair, coarse-to-fine search). Comparable
texts (a later report on the same event) are mined: only sentence pairs that are mutual best matches
with a high margin score are kept; most sentences stay unpaired. Sentence vectors come from the
workspace's embedding cache, so sentences that linking already encoded are not encoded again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kzalign.core.errors import InputError, KzalignError, Problem
from kzalign.core.progress import ProgressCallback, report
from kzalign.core.signature import make_signature, settings_digest
from kzalign.core.text import join_sentences, script_counts, split_sentences
from kzalign.engines.align import (
    DEFAULT_CONFIG,
    AlignConfig,
    Bead,
    align_pair,
    align_sentences,
    cascade_config,
    doubtful_runs,
)
from kzalign.store.workspace import Workspace, link_key

if TYPE_CHECKING:
    from kzalign.engines.embed import Encoder
    from kzalign.engines.translate import Translator
    from kzalign.glossary import Glossary

log = logging.getLogger(__name__)

REGIMES = ("auto", "parallel", "comparable")
#: Links aligned at a time: memory holds one block's sentence vectors, never every linked item's.
LINK_BLOCK = 2000
#: The link kind of translations; pairs of other kinds (same_event, follow_up) are not translations.
TRANSLATION = "translation"
#: How vectors of runs of consecutive sentences are made: mean of the sentence vectors (no encoding); the
#: cascade (means first, then the joined text encoded only for the groups in doubt, which are re-decided);
#: or the encoder run on every run's joined text (vecalign's overlaps: ~5x the encoding; see BENCHMARKS.md).
OVERLAPS = ("mean", "cascade", "encode")
#: Encodes texts for the cascade: {text: vector}.
Encode = Callable[[list[str]], dict[str, np.ndarray]]
#: Longest document side ``kzalign align`` accepts by default (encoding is the cost: ~30 s with use, ~30 min
#: with e5 for 20,000 sentences; the aligner itself is linear, see BENCHMARKS.md).
MAX_SENTENCES = 20_000

__all__ = ["Bead", "AlignConfig"]


@dataclass(frozen=True)
class AlignParams:
    """Constants of the sentence stage: the aligner's, comparable mining's and the auto regime's (BENCHMARKS.md)."""

    align: AlignConfig = DEFAULT_CONFIG
    overlaps: str = "mean"
    # comparable mining
    margin_k: int = 4
    mine_margin: float = 1.10  # ratio margin a mined pair must reach
    mine_sim: float = 0.60  # and the cosine it must reach
    # auto regime: near-parallel when this share of the shorter side aligns well, in enough beads
    parallel_coverage: float = 0.7
    parallel_sim: float = 0.5
    parallel_min_beads: int = 3

    def signature(self, encoder: str, regime: str, mt: str | None) -> str:
        """Signature of a pairs run with these settings: the readable ones (the cascade with its budget, e.g.
        ``ov:cascade/1.25``), then ``cfg:`` a digest of every field (the aligner's too), so a setting added later can
        never be left out of it."""
        c = self.align
        return make_signature({
            "stage": "pairs", "enc": encoder, "regime": regime, "mt": mt,
            "beads": f"{c.max_side}/{c.max_total}",
            "ov": f"cascade/{c.cascade_budget:g}" if self.overlaps == "cascade" else self.overlaps,
            "costs": "adaptive" if c.adaptive else "raw", "floor": c.floor, "skip": c.skip, "mine": self.mine_margin,
            "loose": "auto" if c.detect else "off", "cfg": settings_digest(self),
        })


DEFAULT_PARAMS = AlignParams()

#: Regime and mining thresholds are raw cosines, so they are calibrated per encoder (``bench_sentalign.py
#: --calibrate``; BENCHMARKS.md); the aligner itself needs no such table (its costs adapt to each pair).
ENCODER_PARAMS: dict[str, dict[str, Any]] = {
    "e5": {"parallel_sim": 0.87, "mine_sim": 0.86, "mine_margin": 1.05},
}


def params_for(encoder: Encoder | str | None, base: AlignParams = DEFAULT_PARAMS) -> AlignParams:
    """``base`` with the regime/mining thresholds calibrated for this encoder (USE's for encoders not calibrated)."""
    return replace(base, **ENCODER_PARAMS.get(str(getattr(encoder, "name", "")), {}))


def run_texts(sents: Sequence[str], max_side: int) -> list[str]:
    """Texts of the runs of 2..max_side consecutive sentences (what ``overlaps="encode"`` encodes)."""
    return [" ".join(sents[i : i + k]) for k in range(2, max_side + 1) for i in range(len(sents) - k + 1)]


def text_matrix(sents: Sequence[str], vec: dict[str, np.ndarray]) -> np.ndarray:
    """(n, dim) matrix of the texts' vectors ((0, 1) for no texts)."""
    if not sents:
        return np.zeros((0, 1), dtype=np.float32)
    return np.array([vec[t] for t in sents], dtype=np.float32)


def _sides(ru: Sequence[str], en: Sequence[str], vec: dict[str, np.ndarray]
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sentence vectors and character lengths of both sides."""
    return (text_matrix(ru, vec), text_matrix(en, vec), np.array([len(t) for t in ru], dtype=np.float64),
            np.array([len(t) for t in en], dtype=np.float64))


def _run_vectors(sents: Sequence[str], runs: set[tuple[int, int]] | None, vec: dict[str, np.ndarray],
                 max_side: int) -> dict[int, np.ndarray]:
    """{k: (n-k+1, dim)} vectors of runs of k sentences from ``vec``: every run, or only ``runs`` (NaN rows else)."""
    dim = next(iter(vec.values())).shape[-1] if vec else 1
    over: dict[int, np.ndarray] = {}
    for k in range(2, max_side + 1):
        if len(sents) < k:
            continue
        if runs is None:
            over[k] = np.array([vec[" ".join(sents[i : i + k])] for i in range(len(sents) - k + 1)], np.float32)
            continue
        starts = [i for i, length in runs if length == k]
        if starts:
            over[k] = np.full((len(sents) - k + 1, dim), np.nan, np.float32)
            for i in starts:
                over[k][i] = vec[" ".join(sents[i : i + k])]
    return over


def align_texts(ru: Sequence[str], en: Sequence[str], vec: dict[str, np.ndarray],
                params: AlignParams = DEFAULT_PARAMS) -> list[Bead]:
    """Align two sentence lists whose vectors (and, with encoded overlaps, their runs' vectors) are in ``vec``."""
    return align_documents([(ru, en)], vec, params)[0]


def cascade_runs(ru: Sequence[str], en: Sequence[str], beads: list[Bead], cfg: AlignConfig
                 ) -> tuple[set[tuple[int, int]], set[tuple[int, int]], list[str]]:
    """The runs of both sides the cascade encodes for these first-pass beads, and their joined texts."""
    ru_runs, en_runs = doubtful_runs(beads, np.array([len(t) for t in ru]), np.array([len(t) for t in en]),
                                     cfg.max_side, cfg.doubt_quantile, cfg.cascade_budget)
    texts = [" ".join(sents[i : i + k]) for sents, runs in ((ru, ru_runs), (en, en_runs)) for i, k in sorted(runs)]
    return ru_runs, en_runs, texts


def align_documents(docs: Sequence[tuple[Sequence[str], Sequence[str]]], vec: dict[str, np.ndarray],
                    params: AlignParams = DEFAULT_PARAMS, encode: Encode | None = None) -> list[list[Bead]]:
    """Beads of each document pair (sentence vectors in ``vec``).

    ``overlaps="cascade"``: the first pass uses averaged vectors; in the pairs it finds loose (literary), the runs
    that decide its groups in doubt (skips, groups of several sentences a side, weak 1:1 groups; within a budget
    of characters per pair) are encoded, all documents' at once through ``encode`` (those already in ``vec`` are
    not encoded again; ``vec`` gains the rest), and each such pair is re-decided on them. Close translations
    keep the first pass (encoded runs did not improve them on the dev sets).
    """
    if params.overlaps == "encode":
        out = []
        for ru, en in docs:
            rv, ev, rl, el = _sides(ru, en, vec)
            mx = params.align.max_side
            out.append(align_sentences(rv, ev, rl, el, params.align, _run_vectors(ru, None, vec, mx),
                                       _run_vectors(en, None, vec, mx)))
        return out
    first = [align_pair(*_sides(ru, en, vec), params.align) for ru, en in docs]
    if params.overlaps != "cascade":
        return [beads for beads, _cfg in first]
    empty: tuple[set[tuple[int, int]], set[tuple[int, int]], list[str]] = (set(), set(), [])
    runs = [cascade_runs(ru, en, beads, cfg) if cfg != params.align else empty  # loose pairs only
            for (ru, en), (beads, cfg) in zip(docs, first, strict=True)]
    todo = sorted(dict.fromkeys(t for _r, _e, texts in runs for t in texts if t not in vec), key=len)  # less padding
    if todo:
        if encode is None:
            raise KzalignError("the cascade needs an encoder for the runs in doubt")
        vec.update(encode(todo))
    out = []
    for (ru, en), (beads, cfg), (ru_runs, en_runs, _t) in zip(docs, first, runs, strict=True):
        if ru_runs or en_runs:
            beads = align_sentences(*_sides(ru, en, vec), cascade_config(cfg),
                                    _run_vectors(ru, ru_runs, vec, cfg.max_side),
                                    _run_vectors(en, en_runs, vec, cfg.max_side), guide=beads)
        out.append(beads)
    return out


def needed_texts(docs: Sequence[Sequence[str]], params: AlignParams) -> list[str]:
    """Every text whose vector the aligner needs for these documents, each once."""
    out: dict[str, None] = {}
    for sents in docs:
        out.update(dict.fromkeys(sents))
        if params.overlaps == "encode":
            out.update(dict.fromkeys(run_texts(sents, params.align.max_side)))
    return list(out)


# -- comparable mining -------------------------------------------------------------------------
def margin_scores(sim: np.ndarray, k: int = 4) -> np.ndarray:
    """Ratio margin of each cosine over the mean of both sentences' k nearest neighbours (LASER-style)."""
    n, m = sim.shape
    kr, ke = max(1, min(k, m)), max(1, min(k, n))
    knn_ru = -np.sort(-sim, axis=1)[:, :kr].mean(axis=1)
    knn_en = -np.sort(-sim, axis=0)[:ke, :].mean(axis=0)
    denom = (knn_ru[:, None] + knn_en[None, :]) / 2.0
    return sim / np.maximum(denom, 1e-6)


def mine_comparable(ru_vecs: np.ndarray, en_vecs: np.ndarray, params: AlignParams = DEFAULT_PARAMS) -> list[Bead]:
    """Mutual-best sentence pairs whose cosine and margin both pass the calibrated thresholds (1:1, any order)."""
    if len(ru_vecs) == 0 or len(en_vecs) == 0:
        return []
    sim = ru_vecs @ en_vecs.T
    marg = margin_scores(sim, params.margin_k)
    best_en = marg.argmax(axis=1)
    best_ru = marg.argmax(axis=0)
    out = []
    for i, j in enumerate(best_en):
        if best_ru[j] == i and sim[i, j] >= params.mine_sim and marg[i, j] >= params.mine_margin:
            out.append(Bead([i], [int(j)], float(sim[i, j])))
    return out


def parallel_coverage(beads: list[Bead], n: int, m: int, min_sim: float) -> float:
    """Share of the shorter side's sentences that sit in a non-skip bead scoring at least ``min_sim``.

    Measured on the shorter side so that a shortened translation (the RU version of a longer EN
    release) still counts as near-parallel.
    """
    if n == 0 or m == 0:
        return 0.0
    ru_cov = sum(len(b.ru) for b in beads if b.ru and b.en and b.score >= min_sim)
    en_cov = sum(len(b.en) for b in beads if b.ru and b.en and b.score >= min_sim)
    return ru_cov / n if n <= m else en_cov / m


# -- QA flags ----------------------------------------------------------------------------------
_NUM = re.compile(r"\d+(?:[ \u202f\u2009,.]\d{3})*(?:[.,]\d+)?")
_SCALE_RU = {"тыс": 1e3, "млн": 1e6, "млрд": 1e9, "трлн": 1e12}
_SCALE_EN = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "mln": 1e6, "bn": 1e9}


def _number_values(text: str, lang: str) -> list[tuple[str, set[float]]]:
    """Numbers written with digits: (as written, the values it may stand for, scale words included)."""
    out = []
    scales = _SCALE_RU if lang == "ru" else _SCALE_EN
    for m in _NUM.finditer(text):
        raw = m.group(0)
        compact = re.sub(r"[ \u202f\u2009]", "", raw)
        vals: set[float] = set()
        if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", compact):  # 10,000 or 1,234.5
            vals.add(float(compact.replace(",", "")))
        elif re.fullmatch(r"\d{1,3}(\.\d{3})+", compact) and lang == "ru":  # 10.000
            vals.add(float(compact.replace(".", "")))
        else:
            try:
                vals.add(float(compact.replace(",", ".")))
            except ValueError:
                continue
        tail = text[m.end() : m.end() + 12].lstrip().lower()
        for word, mult in scales.items():
            if tail.startswith(word):
                vals |= {v * mult for v in vals}
        out.append((raw, vals))
    return out


def number_flags(ru_text: str, en_text: str) -> list[str]:
    """``number:X`` for each number in the Russian side that the English side does not contain."""
    en_vals: set[float] = set()
    for _raw, vals in _number_values(en_text, "en"):
        en_vals |= vals
    flags = []
    for raw, vals in _number_values(ru_text, "ru"):
        if not any(any(math.isclose(v, e, rel_tol=1e-6) for e in en_vals) for v in vals):
            flags.append(f"number:{raw.strip()}")
    return flags


def glossary_flags(ru_text: str, en_text: str, glossary: Glossary | None) -> list[str]:
    """``glossary:missing:EN`` when an approved form is absent, ``glossary:forbidden:FORM`` when one is present."""
    if glossary is None:
        return []
    flags: list[str] = []
    low = en_text.casefold()
    en_matches = list(glossary.find_en(en_text))
    found_en = {str(getattr(m, "en", "")) for m in en_matches if getattr(m, "form", "") != "forbidden"}
    for m in glossary.find_ru(ru_text):
        en = str(getattr(m, "en", "") or "")
        if not en or en in found_en or en.casefold() in low:
            continue
        surface = str(getattr(m, "surface", "") or "")
        # "А.Турганбеков" (initials + surname) is rendered fine by "A. Turganbekov"
        short = len(re.findall(r"\w{2,}", surface)) < len(en.split())
        if short and en.split()[-1].casefold() in low:
            continue
        if f"glossary:missing:{en}" not in flags:
            flags.append(f"glossary:missing:{en}")
    for m in en_matches:
        if getattr(m, "form", "") == "forbidden":
            found = str(getattr(m, "text", "") or getattr(m, "surface", "") or getattr(m, "en", ""))
            flags.append(f"glossary:forbidden:{found}")
    return flags


def qa_flags(ru_text: str, en_text: str, glossary: Glossary | None = None) -> str:
    """All QA flags of a sentence pair, ``; ``-joined (empty when the pair looks clean)."""
    return "; ".join(number_flags(ru_text, en_text) + glossary_flags(ru_text, en_text, glossary))


# -- workspace ---------------------------------------------------------------------------------
@dataclass
class PairsReport:
    """What :func:`align_workspace` did."""

    links: int = 0
    pairs: int = 0
    regimes: dict[str, int] = field(default_factory=dict)
    kept_by_decision: int = 0
    rejected_skipped: int = 0
    encoded: int = 0
    signature: str = ""


def pair_key(ru_id: str, en_id: str, ru_idx: Sequence[int], en_idx: Sequence[int]) -> str:
    """Stable row id of a sentence pair (review row id and decisions key)."""
    raw = f"{ru_id}\t{en_id}\t{list(ru_idx)}\t{list(en_idx)}"
    return "P" + hashlib.sha1(raw.encode()).hexdigest()[:12]


def item_sentences(title: str | None, text: str, lang: str) -> list[str]:
    """An item's sentences, split exactly as linking splits them (headline first) so their vectors are shared."""
    from kzalign.stages.link import item_units

    if not (title or "").strip() and not (text or "").strip():
        return []
    return item_units(title, text, lang)


def _vectors(ws: Workspace, encoder: Encoder, texts: list[str], progress: ProgressCallback | None
             ) -> tuple[dict[str, np.ndarray], int]:
    """Vectors of texts through the workspace cache, and how many had to be encoded."""
    if not texts:
        return {}, 0
    from kzalign.core.text import text_hash
    from kzalign.engines.embed import cache_key, embed_texts

    known = ws.get_vectors(cache_key(encoder), list({text_hash(t) for t in texts}))
    fresh = sum(1 for t in set(texts) if text_hash(t) not in known)
    vecs = np.asarray(embed_texts(ws, encoder, texts, progress=progress), dtype=np.float32)
    return dict(zip(texts, vecs, strict=True)), fresh


def resolve_encoder(encoder: Encoder | str | None) -> Encoder:
    """An encoder object as given, or the one of that name (``None``: the default) from kzalign.engines.embed."""
    from kzalign.engines.embed import resolve

    return resolve(encoder)


def _choose_regime(requested: str, evidence: dict[str, Any], beads: list[Bead], n: int, m: int,
                   params: AlignParams) -> str:
    """Regime of one link: the override, else the link evidence's, else measured from the DP alignment."""
    if requested != "auto":
        return requested
    ev = evidence.get("regime")
    if ev in ("parallel", "comparable"):
        return str(ev)
    cov = parallel_coverage(beads, n, m, params.parallel_sim)
    good = sum(1 for b in beads if b.ru and b.en and b.score >= params.parallel_sim)
    return "parallel" if cov >= params.parallel_coverage and good >= params.parallel_min_beads else "comparable"


def _translate(ws: Workspace, translator: Translator | None, glossary: Glossary | None, texts: list[str]) -> dict[str, tuple[str, str]]:
    """MT drafts (and MT flags) of Russian texts; empty when no translator is given."""
    if translator is None or not texts:
        return {}
    from kzalign.engines.translate import translate_sentences

    uniq = sorted(set(texts))
    out = translate_sentences(ws, translator, uniq, glossary=glossary)
    return {t: (mt, flags if isinstance(flags, str) else "; ".join(flags or [])) for t, (mt, flags) in
            zip(uniq, out, strict=True)}


def _live_links(ws: Workspace) -> pd.DataFrame:
    """Links that a reviewer has not rejected, with their kind."""
    link_dec = ws.decided("link")
    links = ws.links_for_pairs()
    kinds = ws.link_kinds()
    links["kind"] = [kinds.get((r, e), TRANSLATION) for r, e in zip(links["ru_id"], links["en_id"], strict=True)]
    keep = [link_dec.get(link_key(r, e), {}).get("decision") != "reject"
            for r, e in zip(links["ru_id"], links["en_id"], strict=True)]
    return links[pd.Series(keep, index=links.index, dtype=bool)]


def _link_sentences(ws: Workspace, links: pd.DataFrame, items: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Sentences of every item that takes part in a link (``items``: the workspace's, indexed by id)."""
    items = ws.items().set_index("id") if items is None else items
    sents: dict[str, list[str]] = {}
    for iid in set(links["ru_id"]) | set(links["en_id"]):
        if iid in items.index:
            it = items.loc[iid]
            sents[iid] = item_sentences(it["title"], it["text"], it["lang"])
    return sents


def bead_rows(ru_id: str, en_id: str, ru_s: Sequence[str], en_s: Sequence[str], beads: list[Bead],
              regime: str) -> list[dict[str, Any]]:
    """Pair rows of the non-skip beads of one document pair."""
    return [{
        "id": pair_key(ru_id, en_id, b.ru, b.en), "ru_id": ru_id, "en_id": en_id,
        "ru_idx": json.dumps(b.ru), "en_idx": json.dumps(b.en),
        "ru_text": join_sentences(ru_s[i] for i in b.ru), "en_text": join_sentences(en_s[j] for j in b.en),
        "score": round(b.score, 4), "regime": regime,
    } for b in beads if b.ru and b.en]


def _align_links(links: pd.DataFrame, sents: dict[str, list[str]], vec: dict[str, np.ndarray], regime: str,
                 params: AlignParams, rep: PairsReport, progress: ProgressCallback | None,
                 encode: Encode | None = None, start: int = 0, total: int | None = None) -> list[dict[str, Any]]:
    """Pair rows of every link: DP alignment, then mining instead where the link is comparable (``links`` may
    be one block of ``total`` links starting at ``start``: progress counts all of them)."""
    rows: list[dict[str, Any]] = []
    total = len(links) if total is None else total
    if start == 0:
        report(progress, "align", 0, total)
    recs = [rec for rec in links.itertuples(index=False) if rec.ru_id in sents and rec.en_id in sents]
    aligned = align_documents([(sents[r.ru_id], sents[r.en_id]) for r in recs], vec, params, encode)
    for done, (rec, beads) in enumerate(zip(recs, aligned, strict=True), start=start + 1):
        ru_s, en_s = sents[rec.ru_id], sents[rec.en_id]
        rep.links += 1
        try:
            evidence = json.loads(rec.evidence or "{}")
        except json.JSONDecodeError:
            evidence = {}
        reg = _choose_regime(regime, evidence if isinstance(evidence, dict) else {}, beads,
                             len(ru_s), len(en_s), params)
        if rec.kind == "follow_up":
            reg = "comparable"  # a later report on a later event: never parallel, whatever the alignment says
        if reg == "comparable":
            beads = mine_comparable(text_matrix(ru_s, vec), text_matrix(en_s, vec), params)
        rep.regimes[reg] = rep.regimes.get(reg, 0) + 1
        rows.extend(bead_rows(rec.ru_id, rec.en_id, ru_s, en_s, beads, reg))
        report(progress, "align", done, total)
    return rows


def _apply_decisions(rows: list[dict[str, Any]], pair_dec: dict[str, dict[str, Any]],
                     rep: PairsReport) -> list[dict[str, Any]]:
    """Drop rejected pairs; keep accepted / fixed ones even when the aligner no longer proposes them.

    A reviewer's sentence-level decision is the more specific one, and a fixed pair is a translation
    unit worth keeping whatever the two reports are about (a review is never lost), even when its
    link is gone or rejected.
    """
    out = []
    for r in rows:
        if pair_dec.get(r["id"], {}).get("decision") == "reject":
            rep.rejected_skipped += 1
        else:
            out.append(r)
    have = {r["id"] for r in out}
    for pid, dec in pair_dec.items():
        pay = dec["payload"]
        if dec["decision"] in ("accept", "fix") and pid not in have and pay.get("ru_id"):
            out.append({k: pay[k] for k in ("id", "ru_id", "en_id", "ru_idx", "en_idx", "ru_text", "en_text",
                                           "score", "regime")})
            rep.kept_by_decision += 1
    return out


def _signature(encoder: Encoder, regime: str, translator: Translator | None, params: AlignParams) -> str:
    return params.signature(encoder.signature, regime,
                            getattr(translator, "signature", None) if translator is not None else None)


def align_workspace(
    ws: Workspace,
    *,
    encoder: Encoder | str | None = None,
    regime: str = "auto",
    translator: Translator | None = None,
    glossary: Glossary | None = None,
    progress: ProgressCallback | None = None,
    params: AlignParams | None = None,
) -> PairsReport:
    """Align sentences inside every linked item pair and replace the ``pairs`` table (respecting decisions).

    Sentence vectors come from the workspace cache (linking stores them), so only unseen texts are encoded.
    ``params`` default: :func:`params_for` the encoder.
    """
    if regime not in REGIMES:
        raise KzalignError(f"unknown regime {regime!r}; choose one of {', '.join(REGIMES)}")
    encoder = resolve_encoder(encoder)
    params = params or params_for(encoder)
    links = _live_links(ws)
    items = ws.items().set_index("id")
    rep = PairsReport()

    def encode(texts: list[str]) -> dict[str, np.ndarray]:  # the cascade's runs, through the workspace cache
        new, fresh = _vectors(ws, encoder, texts, progress)
        rep.encoded += fresh
        return new

    rows: list[dict[str, Any]] = []
    for start in range(0, len(links), LINK_BLOCK):  # one block's sentence vectors in memory, never the archive's
        block = links.iloc[start : start + LINK_BLOCK]
        sents = _link_sentences(ws, block, items)
        vec, encoded = _vectors(ws, encoder, needed_texts(list(sents.values()), params), progress)
        rep.encoded += encoded
        rows += _align_links(block, sents, vec, regime, params, rep, progress, encode, start, len(links))
    rows = _apply_decisions(rows, ws.decided("pair"), rep)
    mt = _translate(ws, translator, glossary, [r["ru_text"] for r in rows])
    for r in rows:
        draft, mt_flags = mt.get(r["ru_text"], ("", ""))
        r["mt_en"] = draft
        r["flags"] = "; ".join(x for x in (qa_flags(r["ru_text"], r["en_text"], glossary), mt_flags) if x)
    rep.signature = _signature(encoder, regime, translator, params)
    rep.pairs = len(rows)
    with ws.transaction():
        ws.replace_pairs(rows, rep.signature)
        ws.record_run("pairs", rep.signature, {"links": rep.links, "pairs": rep.pairs, "regimes": rep.regimes,
                                               "encoded": rep.encoded})
    return rep


PAIR_COLUMNS = ["pair_id", "link_id", "ru_id", "en_id", "ru_idx", "en_idx", "ru_text", "mt_en", "en_text",
                "en_original", "score", "regime", "flags", "decision", "reviewer", "ru_date", "en_date", "link_kind"]


def kind_flag(link_kind: str, regime: str) -> str:
    """The QA flag of a pair that is not a translation: from a same_event/follow_up link, or mined from comparable
    texts; "" for a translation."""
    if link_kind and link_kind != TRANSLATION:
        return f"not-translation:{link_kind}"
    return "not-translation:comparable" if regime == "comparable" else ""


def pairs_table(ws: Workspace, ru_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Sentence pairs with their link id, dates and review decision; a fixed pair shows the corrected English.
    ``ru_ids``: only the pairs of these Russian items' links."""
    df = ws.pairs_with_decisions() if ru_ids is None else ws.pairs_with_decisions_of(ru_ids)
    if df.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    df = _pair_columns(df, ws.link_kinds())
    first = [json.loads(x)[0] if x else 0 for x in df["ru_idx"]]
    df = df.assign(_first=first).sort_values(["ru_id", "en_id", "_first", "pair_id"])
    return df[PAIR_COLUMNS].reset_index(drop=True)


def pairs_table_blocks(ws: Workspace, size: int = 2000) -> Iterator[pd.DataFrame]:
    """:func:`pairs_table` in blocks of ``size`` rows (the same rows in the same order), read from the workspace
    as they are needed: a review export of an archive never holds all its sentence pairs."""
    kinds = ws.link_kinds()
    for df in ws.pairs_with_decisions_blocks(size):
        if len(df):
            yield _pair_columns(df, kinds)[PAIR_COLUMNS].reset_index(drop=True)


def _pair_columns(df: pd.DataFrame, kinds: dict[tuple[str, str], str]) -> pd.DataFrame:
    """Link id, link kind, flags with the kind's, the original English and a fixed pair's corrected English."""
    df["link_id"] = [link_key(r, e) for r, e in zip(df["ru_id"], df["en_id"], strict=True)]
    df["link_kind"] = [kinds.get((r, e), TRANSLATION) for r, e in zip(df["ru_id"], df["en_id"], strict=True)]
    df["flags"] = ["; ".join(x for x in (f, kind_flag(k, g)) if x)
                   for f, k, g in zip(df["flags"], df["link_kind"], df["regime"], strict=True)]
    df["en_original"] = df["en_text"]
    fixed = (df["decision"] == "fix") & (df["corr"] != "")
    df.loc[fixed, "en_text"] = df.loc[fixed, "corr"]
    return df


# -- one given document pair (``kzalign align``) ---------------------------------------------------
@dataclass
class DocPairResult:
    """What :func:`align_document_pair` produced: the pairs table and counts for the summary."""

    pairs: pd.DataFrame
    ru_sentences: int
    en_sentences: int
    skipped_ru: int
    skipped_en: int
    bead_types: dict[str, int]
    signature: str


def read_document(path: str | Path, lang: str, *, split: bool = True,
                  max_sentences: int = MAX_SENTENCES) -> list[str]:
    """Sentences of a plain-text document (one sentence a line with ``split=False``); bad input is an InputError."""
    from kzalign.core.files import decode_text

    p = Path(path)
    if not p.is_file():
        raise InputError(Problem(str(path), None, "file not found"))
    text, _enc = decode_text(p.read_bytes(), str(path))
    sents = split_sentences(text, lang) if split else [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not sents:
        raise InputError(Problem(str(path), None, "the document is empty: nothing to align"))
    cyr, lat = script_counts(text)
    want, other = ("Russian", "English") if lang == "ru" else ("English", "Russian")
    if (lang == "ru" and lat > 2 * cyr) or (lang == "en" and cyr > 2 * lat):
        from kzalign.inputs.langid import detect_lang

        found = detect_lang(text)
        if found == ("en" if lang == "ru" else "ru"):
            what = f"it looks like {other} ({cyr} Cyrillic, {lat} Latin letters); swapped arguments?"
        else:
            script = "Latin" if lang == "ru" else "Cyrillic"
            what = (f"it is written in {script} letters ({cyr} Cyrillic, {lat} Latin; language detected: "
                    f"{found or 'unknown'}); kzalign align pairs a Russian document with its English translation")
        raise InputError(Problem(str(path), None, f"expected {want} text, but {what}"))
    if len(sents) > max_sentences:
        raise InputError(Problem(str(path), None, f"{len(sents):,} sentences, more than the {max_sentences:,} "
                                                  "allowed; split it into chapters or raise --max-sentences"))
    return sents


def align_document_pair(ru_path: str | Path, en_path: str | Path, encoder: Encoder | str | None, *, split: bool = True,
                        max_sentences: int = MAX_SENTENCES, params: AlignParams = DEFAULT_PARAMS,
                        ws: Workspace | None = None, progress: ProgressCallback | None = None) -> DocPairResult:
    """Align the sentences of a known RU/EN document pair (no linking); rows in the ``pairs_table`` layout."""
    encoder = resolve_encoder(encoder)
    ru = read_document(ru_path, "ru", split=split, max_sentences=max_sentences)
    en = read_document(en_path, "en", split=split, max_sentences=max_sentences)

    def encode(texts: list[str]) -> dict[str, np.ndarray]:
        if ws is not None:
            return _vectors(ws, encoder, texts, progress)[0]
        from kzalign.engines.embed import ensure_loaded

        ensure_loaded(encoder, progress)
        report(progress, "embed", 0, len(texts))
        out = dict(zip(texts, np.asarray(encoder.encode(texts, kind="passage"), np.float32), strict=True))
        report(progress, "embed", len(texts), len(texts))
        return out

    vec = encode(needed_texts([ru, en], params))
    beads = align_documents([(ru, en)], vec, params, encode)[0]
    ru_id, en_id = Path(ru_path).name, Path(en_path).name
    rows = bead_rows(ru_id, en_id, ru, en, beads, "parallel")
    df = pd.DataFrame(rows).rename(columns={"id": "pair_id"}) if rows else pd.DataFrame(columns=PAIR_COLUMNS)
    df["link_id"] = link_key(ru_id, en_id)
    for col in ("mt_en", "flags", "decision", "reviewer", "ru_date", "en_date"):
        df[col] = ""
    df["link_kind"] = TRANSLATION  # a document pair the user gave as a translation
    df["en_original"] = df["en_text"]
    df["flags"] = [qa_flags(r, e) for r, e in zip(df["ru_text"], df["en_text"], strict=True)]
    types: dict[str, int] = {}
    for b in beads:
        key = f"{len(b.ru)}:{len(b.en)}"
        types[key] = types.get(key, 0) + 1
    return DocPairResult(df[PAIR_COLUMNS], len(ru), len(en), sum(1 for b in beads if not b.en),
                         sum(1 for b in beads if not b.ru), types,
                         _signature(encoder, "parallel", None, params))
