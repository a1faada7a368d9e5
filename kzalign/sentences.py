"""Sentence pairs inside linked item pairs: monotone DP for near-parallel texts, margin mining for comparable ones.

Near-parallel texts (one translates the other) are aligned by a monotone dynamic program over
sentence-span embeddings allowing 1:1, 1:2, 2:1, 2:2 beads and skipped sentences, in the manner
of vecalign/Bertalign. Comparable texts (a later report on the same event) are mined: only
sentence pairs that are mutual best matches with a high margin score are kept; most sentences
stay unpaired.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .errors import KzalignError
from .progress import ProgressCallback, report
from .signature import make_signature
from .store import Workspace, link_key, now_iso
from .text import split_sentences

log = logging.getLogger(__name__)

#: Bead types the monotone aligner may use (RU sentences, EN sentences).
BEAD_TYPES: tuple[tuple[int, int], ...] = ((1, 1), (1, 2), (2, 1), (2, 2), (1, 0), (0, 1))
REGIMES = ("auto", "parallel", "comparable")


class Encoder(Protocol):
    """What the aligner needs from an encoder (see :mod:`kzalign.embed`)."""

    signature: str

    def encode(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray: ...


@dataclass(frozen=True)
class AlignParams:
    """Tunable constants of the aligners (calibrated on the sentalign dev set; see BENCHMARKS.md)."""

    sim_floor: float = 0.30  # similarity a covered sentence must beat to be worth aligning
    skip: float = 0.30  # cost of leaving one sentence unaligned
    merge: float = 0.30  # extra cost of a 1:2 / 2:1 bead
    merge22: float = 0.60  # extra cost of a 2:2 bead
    len_weight: float = 0.10  # weight of the |log length ratio| penalty
    len_ratio: float = 1.1  # expected EN/RU length ratio in characters
    # comparable mining
    margin_k: int = 4
    mine_margin: float = 1.10  # ratio margin a mined pair must reach
    mine_sim: float = 0.60  # and the cosine it must reach
    # auto regime: near-parallel when this share of the shorter side aligns well, in enough beads
    parallel_coverage: float = 0.7
    parallel_sim: float = 0.5
    parallel_min_beads: int = 3


DEFAULT_PARAMS = AlignParams()


@dataclass
class Bead:
    """One aligned group: RU sentence indices, EN sentence indices and its similarity."""

    ru: list[int]
    en: list[int]
    score: float


# -- embeddings of sentence spans ---------------------------------------------------------------
def span_texts(sents: Sequence[str], max_span: int = 2) -> list[str]:
    """Texts of all spans of 1..max_span consecutive sentences, span length major."""
    out: list[str] = []
    for k in range(1, max_span + 1):
        out.extend(" ".join(sents[i : i + k]) for i in range(len(sents) - k + 1))
    return out


def span_matrices(vectors: np.ndarray, n: int, max_span: int = 2) -> list[np.ndarray]:
    """Split vectors of :func:`span_texts` into one (n, dim) matrix per span length (zero-padded)."""
    out, pos = [], 0
    dim = vectors.shape[1] if vectors.ndim == 2 and len(vectors) else 1
    for k in range(1, max_span + 1):
        cnt = max(n - k + 1, 0)
        mat = np.zeros((n, dim), dtype=np.float32)
        if cnt:
            mat[:cnt] = vectors[pos : pos + cnt]
        out.append(mat)
        pos += cnt
    return out


def span_lengths(sents: Sequence[str], max_span: int = 2) -> list[np.ndarray]:
    """Character lengths of spans, in the layout of :func:`span_matrices`."""
    lens = np.array([len(s) for s in sents], dtype=np.float64)
    out = []
    for k in range(1, max_span + 1):
        arr = np.zeros(len(sents))
        for i in range(len(sents) - k + 1):
            arr[i] = lens[i : i + k].sum() + (k - 1)
        out.append(arr)
    return out


# -- monotone alignment (near-parallel) ----------------------------------------------------------
def align_parallel(
    ru_spans: list[np.ndarray],
    en_spans: list[np.ndarray],
    ru_lens: list[np.ndarray],
    en_lens: list[np.ndarray],
    params: AlignParams = DEFAULT_PARAMS,
) -> list[Bead]:
    """Best monotone alignment (1:1, 1:2, 2:1, 2:2, skips) by dynamic programming over span similarities."""
    n, m = len(ru_spans[0]), len(en_spans[0])
    if n == 0 or m == 0:
        return [Bead([i], [], 0.0) for i in range(n)] + [Bead([], [j], 0.0) for j in range(m)]
    sims: dict[tuple[int, int], np.ndarray] = {}
    vals: dict[tuple[int, int], np.ndarray] = {}
    for a, b in BEAD_TYPES:
        if a == 0 or b == 0:
            continue
        sim = ru_spans[a - 1] @ en_spans[b - 1].T
        ratio = np.log((en_lens[b - 1][None, :] + 5.0) / (params.len_ratio * ru_lens[a - 1][:, None] + 5.0))
        adj = sim - params.len_weight * np.abs(ratio)
        pen = 0.0 if (a, b) == (1, 1) else params.merge22 if (a, b) == (2, 2) else params.merge
        sims[(a, b)] = sim
        vals[(a, b)] = ((a + b) * (adj - params.sim_floor) - pen).tolist()
    neg = -1e18
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int]]] = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    skip = params.skip
    for i in range(n + 1):
        row = best[i]
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            cur, arg = neg, (0, 0)
            if i >= 1:
                v = best[i - 1][j] - skip
                if v > cur:
                    cur, arg = v, (1, 0)
            if j >= 1:
                v = row[j - 1] - skip
                if v > cur:
                    cur, arg = v, (0, 1)
            for (a, b), val in vals.items():
                if i >= a and j >= b:
                    v = best[i - a][j - b] + val[i - a][j - b]
                    if v > cur:
                        cur, arg = v, (a, b)
            row[j] = cur
            back[i][j] = arg
    beads: list[Bead] = []
    i, j = n, m
    while i > 0 or j > 0:
        a, b = back[i][j]
        i, j = i - a, j - b
        score = float(sims[(a, b)][i, j]) if a and b else 0.0
        beads.append(Bead(list(range(i, i + a)), list(range(j, j + b)), score))
    beads.reverse()
    return beads


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


def glossary_flags(ru_text: str, en_text: str, glossary: Any) -> list[str]:
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


def qa_flags(ru_text: str, en_text: str, glossary: Any = None) -> str:
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
    signature: str = ""


def pair_key(ru_id: str, en_id: str, ru_idx: Sequence[int], en_idx: Sequence[int]) -> str:
    """Stable row id of a sentence pair (review row id and decisions key)."""
    raw = f"{ru_id}\t{en_id}\t{list(ru_idx)}\t{list(en_idx)}"
    return "P" + hashlib.sha1(raw.encode()).hexdigest()[:12]


def item_sentences(title: str | None, text: str, lang: str) -> list[str]:
    """An item's sentences: its title (when it has one) then the sentences of its text."""
    sents = split_sentences(text or "", lang)
    title = (title or "").strip()
    if title and (not sents or sents[0] != title):
        sents = [title, *sents]
    return sents


def _encode(ws: Workspace, encoder: Any, texts: list[str], progress: ProgressCallback | None) -> np.ndarray:
    """Embeddings of texts through the workspace cache."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    try:
        from .embed import embed_texts
    except ImportError:  # embed.py not installed: encode directly
        return np.asarray(encoder.encode(texts, kind="passage"), dtype=np.float32)
    return np.asarray(embed_texts(ws, encoder, texts, progress=progress), dtype=np.float32)


def resolve_encoder(encoder: Any) -> Any:
    """An encoder object as given, or the one of that name (``None``: the default) from kzalign.embed."""
    if encoder is not None and not isinstance(encoder, str):
        return encoder
    try:
        from .embed import get_encoder
    except ImportError as exc:
        raise KzalignError("no sentence encoder available (kzalign.embed is missing)") from exc
    return get_encoder(encoder)


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


def _translate(ws: Workspace, translator: Any, glossary: Any, texts: list[str]) -> dict[str, tuple[str, str]]:
    """MT drafts (and MT flags) of Russian texts; empty when no translator is given."""
    if translator is None or not texts:
        return {}
    from .translate import translate_sentences

    uniq = sorted(set(texts))
    out = translate_sentences(ws, translator, uniq, glossary=glossary)
    return {t: (mt, flags if isinstance(flags, str) else "; ".join(flags or [])) for t, (mt, flags) in
            zip(uniq, out, strict=True)}


def _decided(ws: Workspace, kind: str) -> dict[str, dict[str, Any]]:
    rows = ws.conn.execute(
        "SELECT key, decision, corrected_en, payload FROM decisions WHERE kind=?", (kind,)
    ).fetchall()
    return {k: {"decision": d, "corrected_en": c, "payload": json.loads(p or "{}")} for k, d, c, p in rows}


def align_workspace(
    ws: Workspace,
    *,
    encoder: Any = None,
    regime: str = "auto",
    translator: Any = None,
    glossary: Any = None,
    progress: ProgressCallback | None = None,
    params: AlignParams = DEFAULT_PARAMS,
) -> PairsReport:
    """Align sentences inside every linked item pair and replace the ``pairs`` table (respecting decisions)."""
    if regime not in REGIMES:
        raise KzalignError(f"unknown regime {regime!r}; choose one of {', '.join(REGIMES)}")
    encoder = resolve_encoder(encoder)
    link_dec = _decided(ws, "link")
    pair_dec = _decided(ws, "pair")
    links = ws.query_df("SELECT ru_id, en_id, score, evidence FROM links ORDER BY ru_id, rank, en_id")
    keep = [link_dec.get(link_key(r, e), {}).get("decision") != "reject"
            for r, e in zip(links["ru_id"], links["en_id"], strict=True)]
    links = links[pd.Series(keep, index=links.index, dtype=bool)]
    items = ws.items().set_index("id")
    sents: dict[str, list[str]] = {}
    for iid in set(links["ru_id"]) | set(links["en_id"]):
        if iid in items.index:
            it = items.loc[iid]
            sents[iid] = item_sentences(it["title"], it["text"], it["lang"])
    all_texts = sorted({t for s in sents.values() for t in span_texts(s)})
    vecs = _encode(ws, encoder, all_texts, progress)
    index = {t: i for i, t in enumerate(all_texts)}

    def spans(ss: list[str]) -> list[np.ndarray]:
        rows = [index[t] for t in span_texts(ss)]
        return span_matrices(vecs[rows] if rows else np.zeros((0, vecs.shape[1]), np.float32), len(ss))

    report_ = PairsReport()
    rows: list[dict[str, Any]] = []
    total = len(links)
    report(progress, "align", 0, total)
    for done, rec in enumerate(links.itertuples(index=False), start=1):
        ru_s, en_s = sents.get(rec.ru_id), sents.get(rec.en_id)
        if ru_s is None or en_s is None:
            continue
        report_.links += 1
        rv, ev = spans(ru_s), spans(en_s)
        beads = align_parallel(rv, ev, span_lengths(ru_s), span_lengths(en_s), params)
        try:
            evidence = json.loads(rec.evidence or "{}")
        except json.JSONDecodeError:
            evidence = {}
        reg = _choose_regime(regime, evidence if isinstance(evidence, dict) else {}, beads,
                             len(ru_s), len(en_s), params)
        if reg == "comparable":
            beads = mine_comparable(rv[0], ev[0], params)
        report_.regimes[reg] = report_.regimes.get(reg, 0) + 1
        for b in beads:
            if not b.ru or not b.en:
                continue
            pid = pair_key(rec.ru_id, rec.en_id, b.ru, b.en)
            if pair_dec.get(pid, {}).get("decision") == "reject":
                report_.rejected_skipped += 1
                continue
            rows.append({
                "id": pid, "ru_id": rec.ru_id, "en_id": rec.en_id,
                "ru_idx": json.dumps(b.ru), "en_idx": json.dumps(b.en),
                "ru_text": " ".join(ru_s[i] for i in b.ru), "en_text": " ".join(en_s[j] for j in b.en),
                "score": round(b.score, 4), "regime": reg,
            })
        report(progress, "align", done, total)
    # accepted / fixed pairs stay even when the aligner no longer proposes them, and even when their link
    # is gone or rejected: a reviewer's sentence-level decision is the more specific one, and a fixed pair
    # is a translation unit worth keeping whatever the two reports are about (a review is never lost)
    have = {r["id"] for r in rows}
    for pid, dec in pair_dec.items():
        pay = dec["payload"]
        if dec["decision"] in ("accept", "fix") and pid not in have and pay.get("ru_id"):
            rows.append({k: pay[k] for k in ("id", "ru_id", "en_id", "ru_idx", "en_idx", "ru_text", "en_text",
                                            "score", "regime")})
            report_.kept_by_decision += 1
    mt = _translate(ws, translator, glossary, [r["ru_text"] for r in rows])
    for r in rows:
        draft, mt_flags = mt.get(r["ru_text"], ("", ""))
        r["mt_en"] = draft
        r["flags"] = "; ".join(x for x in (qa_flags(r["ru_text"], r["en_text"], glossary), mt_flags) if x)
    sig = make_signature({
        "stage": "pairs", "enc": getattr(encoder, "signature", type(encoder).__name__), "regime": regime,
        "mt": getattr(translator, "signature", None) if translator is not None else None,
        "floor": params.sim_floor, "skip": params.skip, "mine": params.mine_margin,
    })
    report_.signature = sig
    report_.pairs = len(rows)
    with ws.transaction() as conn:
        conn.execute("DELETE FROM pairs")
        conn.executemany(
            "INSERT OR REPLACE INTO pairs(id, ru_id, en_id, ru_idx, en_idx, ru_text, en_text, mt_en, score, "
            "regime, flags, signature) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [(r["id"], r["ru_id"], r["en_id"], r["ru_idx"], r["en_idx"], r["ru_text"], r["en_text"],
              r["mt_en"], r["score"], r["regime"], r["flags"], sig) for r in rows],
        )
        ws.record_run("pairs", sig, {"links": report_.links, "pairs": report_.pairs, "regimes": report_.regimes,
                                     "at": now_iso()})
    return report_


PAIR_COLUMNS = ["pair_id", "link_id", "ru_id", "en_id", "ru_idx", "en_idx", "ru_text", "mt_en", "en_text",
                "en_original", "score", "regime", "flags", "decision", "reviewer", "ru_date", "en_date"]


def pairs_table(ws: Workspace) -> pd.DataFrame:
    """Sentence pairs with their link id, dates and review decision; a fixed pair shows the corrected English."""
    df = ws.query_df(
        "SELECT p.id AS pair_id, p.ru_id, p.en_id, p.ru_idx, p.en_idx, p.ru_text, p.mt_en, p.en_text, "
        "p.score, p.regime, p.flags, COALESCE(d.decision, '') AS decision, COALESCE(d.corrected_en, '') AS corr, "
        "COALESCE(d.reviewer, '') AS reviewer, r.date AS ru_date, e.date AS en_date "
        "FROM pairs p LEFT JOIN decisions d ON d.kind='pair' AND d.key=p.id "
        "LEFT JOIN items r ON r.id=p.ru_id LEFT JOIN items e ON e.id=p.en_id "
        "ORDER BY p.ru_id, p.en_id, p.id"
    )
    if df.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    df["link_id"] = [link_key(r, e) for r, e in zip(df["ru_id"], df["en_id"], strict=True)]
    df["en_original"] = df["en_text"]
    fixed = (df["decision"] == "fix") & (df["corr"] != "")
    df.loc[fixed, "en_text"] = df.loc[fixed, "corr"]
    first = [json.loads(x)[0] if x else 0 for x in df["ru_idx"]]
    df = df.assign(_first=first).sort_values(["ru_id", "en_id", "_first", "pair_id"])
    return df[PAIR_COLUMNS].reset_index(drop=True)

