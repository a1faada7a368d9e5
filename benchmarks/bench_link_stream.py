"""Linking in a same-topic news stream (issue 23): P/R/F1 overall and per kind, alone and among other years.

Runs ``link_workspace`` end to end on ``../shared/eval/stream`` (Russian TV reports, English ministry posts cut
at 120 lower-cased characters, dated; gold with a kind column): the dev stream alone, then with the
distractors (the same sources' other years) added, scoring only links that touch a labelled item.
``--fit`` fits the link model's weights on a mix of the dev stream, WMT docalign and comparable, and the seeds
(pairs scored by the library itself) and prints them for ``kzalign/engines/scoring.py``.

Usage: python benchmarks/bench_link_stream.py [--fit] [--stream DIR] [--encoder use|e5]
``--stream DIR`` measures another stream folder of the same layout (the held-out years are measured that way).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from bench_link_common import EVAL, ROOT

from kzalign.engines import scoring as S
from kzalign.engines.embed import embed_texts, get_encoder
from kzalign.glossary import BUNDLED_DIR, Glossary, load_glossary
from kzalign.inputs.ingest import ingest_paths
from kzalign.stages import link as L
from kzalign.stages.evaluate import kind_scores, read_gold_kinds
from kzalign.store.workspace import Workspace

OUT = ROOT / ".bench" / "stream"
ENCODER = "use"


def rows_of(path: Path, prefix: str = "") -> list[dict[str, str | None]]:
    """Items of a JSONL file as rows for Workspace.add_items (dates kept)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        j = json.loads(line)
        out.append({"id": prefix + str(j["id"]), "lang": j["lang"], "title": j.get("title") or "",
                    "text": j["text"], "date": j.get("date")})
    return out


def set_rows(name: str, prefix: str = "") -> tuple[list[dict[str, str | None]], dict[tuple[str, str], str | None]]:
    """Undated rows and gold of a WMT eval set (docalign or comparable)."""
    rows: list[dict[str, str | None]] = []
    for lang in ("ru", "en"):
        df = pd.read_json(EVAL / name / f"{lang}.jsonl", lines=True, dtype={"id": str})
        rows += [{"id": prefix + i, "lang": lang, "text": t} for i, t in zip(df["id"], df["text"], strict=True)]
    kind = "translation" if name == "docalign" else "same_event"
    g = pd.read_csv(EVAL / name / "gold.tsv", sep="\t", dtype=str)
    return rows, {(prefix + r, prefix + e): kind for r, e in zip(g["ru_id"], g["en_id"], strict=True)}


def template(rows: list[dict[str, str | None]], glossary: Glossary) -> Path:
    """A workspace without items whose caches hold the sentence vectors of ``rows`` (built once)."""
    path = OUT / f"template_{ENCODER}.db"
    if path.exists():
        return path
    from kzalign.engines.keys import cached_key_sets

    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    with Workspace(tmp) as ws:
        units = [u for r in rows for u in L.item_units(str(r.get("title") or ""), str(r["text"]), str(r["lang"]))]
        embed_texts(ws, ENCODER, units)
        cached_key_sets(ws, [f"{r.get('title') or ''}\n{r['text']}" for r in rows], [str(r["lang"]) for r in rows],
                        glossary)
    tmp.rename(path)
    return path


def workspace(name: str, rows: list[dict[str, str | None]], tpl: Path, seeds: bool = False) -> Workspace:
    """A fresh workspace (a copy of the template) holding ``rows`` (and the seeds)."""
    path = OUT / f"{name}.db"
    path.unlink(missing_ok=True)
    shutil.copy(tpl, path)
    ws = Workspace(path)
    if seeds:
        ingest_paths(ws, [ROOT / "seeds"])
    if rows:
        ws.add_items(rows)
    return ws


def scored(ws: Workspace, glossary: Glossary) -> tuple[L.ScoredPairs, list[str], list[str]]:
    """The library's candidate pairs and features of a workspace (no links written)."""
    rep = L.LinkReport()
    run = L._prepare(ws, ENCODER, glossary, None, None, None, None, None, rep)
    sp = L._score_workspace(ws, run, rep, None)
    return sp, run.ru["id"].astype(str).tolist(), run.en["id"].astype(str).tolist()


def stream_eval(stream: Path, glossary: Glossary, tpl: Path) -> list[dict[str, object]]:
    """Link the stream alone and with its distractors; score links touching labelled items."""
    ru, en = rows_of(stream / "ru.jsonl"), rows_of(stream / "en.jsonl")
    labelled = {str(r["id"]) for r in ru + en}
    gold, _ = read_gold_kinds(stream / "gold.tsv")
    out = []
    extra = [p for p in (stream / "distractors_ru.jsonl", stream / "distractors_en.jsonl") if p.exists()]
    for label, rows in (("alone", ru + en), ("with distractors", ru + en + [r for p in extra for r in rows_of(p)])):
        with workspace("stream_" + label.replace(" ", "_"), rows, tpl) as ws:
            L.link_workspace(ws, encoder=ENCODER, glossary=glossary)
            links = ws.link_scores()
        pred = {(r, e): k for r, e, k in zip(links["ru_id"], links["en_id"], links["kind"], strict=True)
                if r in labelled or e in labelled}
        res = kind_scores(pred, gold)
        out.append({"stream": label, "items": len(rows), **res})
    return out


def seeds_among_stream(stream: Path, glossary: Glossary, tpl: Path) -> dict[str, object]:
    """The seed report's links with the whole stream (and its distractors) in the workspace."""
    g = pd.read_csv(ROOT / "gold" / "seeds_links.tsv", sep="\t", dtype=str)
    gold = set(zip(g["ru_id"], g["en_id"], strict=True))
    rows = [r for p in sorted(stream.glob("*.jsonl")) for r in rows_of(p, "s:")]
    with workspace("seeds_stream", rows, tpl, seeds=True) as ws:
        L.link_workspace(ws, encoder=ENCODER, glossary=glossary)
        links = {k: v[4] for k, v in ws.link_rows().items() if not k[0].startswith("s:")}
    return {"seeds_among_stream_exact": set(links) == gold, "seed_links": sorted(f"{r}->{e}:{k}" for (r, e), k
                                                                               in links.items())}


def fit_data(glossary: Glossary, tpl: Path) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Features (stacked), labels, and RU/EN group ids of the candidate pairs of every fitting set."""
    stream = EVAL / "stream"
    sets: list[tuple[str, list[dict[str, str | None]], set[tuple[str, str]], bool]] = [
        ("fit_stream", rows_of(stream / "ru.jsonl") + rows_of(stream / "en.jsonl"),
         set(read_gold_kinds(stream / "gold.tsv")[0]), False)]
    for name in ("docalign", "comparable"):
        rows, gold = set_rows(name)
        sets.append(("fit_" + name, rows, set(gold), False))
    g = pd.read_csv(ROOT / "gold" / "seeds_links.tsv", sep="\t", dtype=str)
    sets.append(("fit_seeds", [], set(zip(g["ru_id"], g["en_id"], strict=True)), True))
    feats: dict[str, list[np.ndarray]] = {}
    ys, gr, ge = [], [], []
    offset = 0
    for name, rows, gold, seeds in sets:
        with workspace(name, rows, tpl, seeds) as ws:
            sp, ru_ids, en_ids = scored(ws, glossary)
        for k in S.BASE_FEATURES:
            feats.setdefault(k, []).append(sp.feats[k])
        ys.append(np.array([(ru_ids[r], en_ids[e]) in gold for r, e in zip(sp.ru, sp.en, strict=True)], float))
        gr.append(sp.ru + offset)
        ge.append(sp.en + offset)
        offset += 100_000
        print(f"[{name}: {len(sp.ru)} candidates, {int(ys[-1].sum())} of {len(gold)} gold among them]",
              file=sys.stderr)
    return ({k: np.concatenate(v) for k, v in feats.items()}, np.concatenate(ys), np.concatenate(gr),
            np.concatenate(ge))


L2 = [0.1]


def fit_lr_weighted(X: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float | None = None, iters: int = 60) -> np.ndarray:
    """Logistic regression with sample weights by Newton's method (bias first)."""
    l2 = L2[0] if l2 is None else l2
    Xb = np.hstack([np.ones((len(X), 1)), X])
    b = np.zeros(Xb.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(Xb @ b, -30, 30)))
        g = Xb.T @ (w * (p - y)) + l2 * b
        H = (Xb * (w * p * (1 - p))[:, None]).T @ Xb + l2 * np.eye(len(b))
        b -= np.linalg.solve(H, g)
    return b


def _fit_model(X: dict[str, np.ndarray], y: np.ndarray, gr: np.ndarray, ge: np.ndarray, sw: np.ndarray) -> S.Model:
    """Stage 1 and stage 2 weights fitted with sample weights ``sw``."""
    names = list(S.BASE_FEATURES)
    w1 = fit_lr_weighted(np.stack([X[k] for k in names], 1), y, sw)
    base = {"bias": round(float(w1[0]), 3), **{k: round(float(v), 3) for k, v in zip(names, w1[1:], strict=True)}}
    null_cos = S.model_for(ENCODER).null_cos
    cols = S.stage2_features(S.linear(X, base), gr, ge, S.null_base(base, null_cos), dated=X["dated"])
    w2 = fit_lr_weighted(np.stack([cols[k] for k in S.STAGE2], 1), y, sw)
    stage2 = {"bias": round(float(w2[0]), 3), **{k: round(float(v), 3) for k, v in zip(S.STAGE2, w2[1:], strict=True)}}
    return S.Model(base, stage2, null_cos, S.model_for(ENCODER).threshold)


def stream_cv(X: dict[str, np.ndarray], y: np.ndarray, gr: np.ndarray, ge: np.ndarray, stream_weight: float) -> str:
    """2-fold cross-validation on the stream by Russian item (WMT and seeds always in the fit): held-out F1."""
    m = gr < 100_000
    fold = (gr % 2 == 1) & m
    tp = pp = pg = 0
    for f in (False, True):
        test = m & (fold == f)
        model = _fit_model(X, y, gr, ge, np.where(test, 0.0, np.where(m, stream_weight, 1.0)))
        p = S.combine(X, gr, ge, model) >= model.threshold
        tp += int((p & (y > 0) & test).sum())
        pp += int((p & test).sum())
        pg += int(((y > 0) & test).sum())
    pr, rc = tp / max(1, pp), tp / max(1, pg)
    return f"stream 2-fold CV by RU item, thr 0.5: F1 {2 * pr * rc / max(1e-9, pr + rc):.3f} (P {pr:.3f} R {rc:.3f})"


def fit(glossary: Glossary, tpl: Path, stream_weight: float) -> S.Model:
    """Fit stage 1 (own evidence) and stage 2 (competition) on all fitting sets, the stream's pairs weighing
    ``stream_weight`` each (it has 25 gold pairs against WMT's 430); print the weights and in-sample F1."""
    X, y, gr, ge = fit_data(glossary, tpl)
    sw = np.where(gr < 100_000, stream_weight, 1.0)
    names = list(S.BASE_FEATURES)
    w1 = fit_lr_weighted(np.stack([X[k] for k in names], 1), y, sw)
    base = {"bias": round(float(w1[0]), 3), **{k: round(float(v), 3) for k, v in zip(names, w1[1:], strict=True)}}
    z = S.linear(X, base)
    null_cos = S.model_for(ENCODER).null_cos
    cols = S.stage2_features(z, gr, ge, S.null_base(base, null_cos), dated=X["dated"])
    w2 = fit_lr_weighted(np.stack([cols[k] for k in S.STAGE2], 1), y, sw)
    stage2 = {"bias": round(float(w2[0]), 3), **{k: round(float(v), 3) for k, v in zip(S.STAGE2, w2[1:], strict=True)}}
    print(f"stream weight {stream_weight:g}\nBASE = {json.dumps(base)}\nSTAGE2 = {json.dumps(stage2)}")
    print("  " + stream_cv(X, y, gr, ge, stream_weight))
    model = S.Model(base, stage2, null_cos, S.model_for(ENCODER).threshold)
    p = S.combine(X, gr, ge, model)
    for label, m in (("stream", gr < 100_000), ("docalign", (gr >= 100_000) & (gr < 200_000)),
                     ("comparable", (gr >= 200_000) & (gr < 300_000))):
        tp = int(((p >= model.threshold) & (y > 0) & m).sum())
        pp, pg = int(((p >= model.threshold) & m).sum()), int(((y > 0) & m).sum())
        pr, rc = tp / max(1, pp), tp / max(1, pg)
        print(f"  in-sample candidates, thr {model.threshold}: {label} F1 {2 * pr * rc / max(1e-9, pr + rc):.3f} "
              f"(P {pr:.3f} R {rc:.3f})")
    m = gr < 100_000
    print("  stream F1 by threshold: " + "  ".join(
        f"{t:.2f} {_f1(p[m] >= t, y[m] > 0):.3f}" for t in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)))
    return model


def _f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = int((pred & gold).sum())
    pr, rc = tp / max(1, int(pred.sum())), tp / max(1, int(gold.sum()))
    return 2 * pr * rc / max(1e-9, pr + rc)


def main() -> None:
    global ENCODER
    ap = argparse.ArgumentParser()
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--stream-weight", type=float, nargs="*", default=[1.0],
                    help="with --fit: weight of each stream pair in the fit (several: one fit each)")
    ap.add_argument("--stream", type=Path, default=EVAL / "stream")
    ap.add_argument("--l2", type=float, default=0.1, help="with --fit: L2 penalty of the logistic fits")
    ap.add_argument("--encoder", default=ENCODER, help="encoder name (use, e5)")
    args = ap.parse_args()
    ENCODER = args.encoder
    L2[0] = args.l2
    OUT.mkdir(parents=True, exist_ok=True)
    get_encoder(ENCODER)
    glossary = load_glossary([BUNDLED_DIR])
    everything = [r for p in sorted((EVAL / "stream").glob("*.jsonl")) for r in rows_of(p)]
    everything += set_rows("docalign")[0] + set_rows("comparable")[0]
    tpl = template(everything, glossary)
    if args.fit:
        for w in args.stream_weight:
            fit(glossary, tpl, w)
    print(json.dumps(seeds_among_stream(EVAL / "stream", glossary, tpl)), flush=True)
    for r in stream_eval(args.stream, glossary, tpl):
        kinds = r.pop("kinds")
        print(json.dumps(r), flush=True)
        for k, v in kinds.items():  # type: ignore[attr-defined]
            if v["tp"] or v["fp"] or v["fn"]:
                print(f"    {k}: {json.dumps(v)}")


if __name__ == "__main__":
    main()
