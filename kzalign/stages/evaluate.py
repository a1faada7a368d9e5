"""Scorers that make results reproducible: item-link P/R/F1 and vecalign-style sentence-alignment scores.

Each scorer is a plain function over tables or files, so benchmarks and the CLI share one
implementation.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from kzalign.store.workspace import Workspace

# -- sentence alignment (vecalign-style strict/lax scoring) -----------------------------------

Alignment = list[tuple[list[int], list[int]]]


_GOLD_LINE = re.compile(r"^\s*\[([\d,\s]*)\]\s*:\s*\[([\d,\s]*)\](?:\s+[-+\d.eE]+)?\s*$")


def _ids(part: str) -> list[int]:
    items = [x.strip() for x in part.split(",")]
    if items == [""]:
        return []
    if any(not x.isdigit() for x in items):
        raise ValueError("ids must be non-negative integers separated by commas")
    return [int(x) for x in items]


def parse_alignment_line(line: str) -> tuple[list[int], list[int]]:
    """One vecalign/Bertalign alignment line: ``[0,1]:[0]`` or ``[9, 10]:[9]``, an optional score column after."""
    m = _GOLD_LINE.match(line.replace("\t", " "))
    if m is None:
        raise ValueError(f"not an alignment line (expected like [0,1]:[0]): {line.strip()[:60]!r}")
    return _ids(m.group(1)), _ids(m.group(2))


def read_alignment_file(path: str | Path, n_ru: int | None = None, n_en: int | None = None) -> Alignment:
    """Read a vecalign-format alignment file; bad lines and ids past ``n_ru`` / ``n_en`` raise InputError (file:line)."""
    from kzalign.core.errors import InputError, Problem

    out: Alignment = []
    problems: list[Problem] = []
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(str(path), None, f"cannot read gold file ({exc})")) from exc
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            src, tgt = parse_alignment_line(line)
        except ValueError as exc:
            problems.append(Problem(str(path), lineno, str(exc)))
            continue
        for ids, n, side in ((src, n_ru, "Russian"), (tgt, n_en, "English")):
            bad = [i for i in ids if n is not None and i >= n]
            if bad:
                problems.append(Problem(str(path), lineno, f"{side} sentence id {bad[0]} out of range "
                                                           f"(the document has {n} sentences, ids from 0)"))
        out.append((src, tgt))
    if problems:
        raise InputError(problems)
    return out


def _align_counts(gold: Alignment, test: Alignment) -> tuple[int, int, int, int]:
    """(tp_strict, fp_strict, tp_lax, fp_lax) of ``test`` against ``gold`` (vecalign's _precision)."""
    test_set = {(tuple(x), tuple(y)) for x, y in test if len(x) or len(y)}
    gold_set = {(tuple(x), tuple(y)) for x, y in gold if len(x) or len(y)}
    src_to_tgt: dict[int, set[int]] = {}
    for g_src, g_tgt in gold_set:
        for s in g_src:
            src_to_tgt.setdefault(s, set()).update(g_tgt)
    tps = fps = tpl = fpl = 0
    for t_src, t_tgt in test_set:
        if (t_src, t_tgt) in gold_set:
            tps += 1
            tpl += 1
            continue
        fps += 1
        reachable: set[int] = set()
        for s in t_src:
            reachable |= src_to_tgt.get(s, set())
        if reachable.intersection(t_tgt):
            tpl += 1
        else:
            fpl += 1
    return tps, fps, tpl, fpl


def score_sentence_alignment(gold_list: list[Alignment], test_list: list[Alignment]) -> dict[str, dict[str, float]]:
    """Strict and lax precision/recall/F1 over several documents, exactly as vecalign's score.py defines them."""
    if len(gold_list) != len(test_list):
        raise ValueError("need as many test alignments as gold alignments")
    p = np.zeros(4, dtype=np.int64)
    r = np.zeros(4, dtype=np.int64)
    for gold, test in zip(gold_list, test_list, strict=True):
        p += _align_counts(gold, test)
        test_nd = [(x, y) for x, y in test if len(x) and len(y)]
        gold_nd = [(x, y) for x, y in gold if len(x) and len(y)]
        r += _align_counts(test_nd, gold_nd)

    def ratio(a: int, b: int) -> float:
        return float(a) / float(a + b) if a + b else 0.0

    def f1(pr: float, rc: float) -> float:
        return 2 * pr * rc / (pr + rc) if pr + rc else 0.0

    ps, pl = ratio(p[0], p[1]), ratio(p[2], p[3])
    rs, rl = ratio(r[0], r[1]), ratio(r[2], r[3])
    return {
        "strict": {"precision": ps, "recall": rs, "f1": f1(ps, rs)},
        "lax": {"precision": pl, "recall": rl, "f1": f1(pl, rl)},
    }


#: Group types of the confusion report, in report order (``group_type`` names them).
GROUP_TYPES = ("1-1", "1-2", "2-1", "1-0/0-1", "1-n", "many-to-many")


def group_type(src: list[int], tgt: list[int]) -> str:
    """Type of one alignment group: 1-1, 1-2, 2-1, 1-0/0-1 (a skip), 1-n (1:3+ or 3+:1) or many-to-many (2:2 …)."""
    a, b = len(src), len(tgt)
    if a == 0 or b == 0:
        return "1-0/0-1"
    if (a, b) in ((1, 1), (1, 2), (2, 1)):
        return f"{a}-{b}"
    return "1-n" if min(a, b) == 1 else "many-to-many"


def group_confusion(gold_list: list[Alignment], test_list: list[Alignment]) -> dict[str, dict[str, int]]:
    """Per group type: gold groups, predicted groups, predicted ones exactly in the gold (correct), gold ones not
    predicted exactly (missed) — the diagnostic behind strict F1 (which types are over- or under-predicted)."""
    out = {t: {"gold": 0, "predicted": 0, "correct": 0, "missed": 0} for t in GROUP_TYPES}
    for gold, test in zip(gold_list, test_list, strict=True):
        gold_set = {(tuple(x), tuple(y)) for x, y in gold if len(x) or len(y)}
        test_set = {(tuple(x), tuple(y)) for x, y in test if len(x) or len(y)}
        for g in gold_set:
            row = out[group_type(list(g[0]), list(g[1]))]
            row["gold"] += 1
            row["missed"] += g not in test_set
        for t in test_set:
            row = out[group_type(list(t[0]), list(t[1]))]
            row["predicted"] += 1
            row["correct"] += t in gold_set
    return out


def read_sentalign_dir(gold_dir: str | Path) -> list[tuple[str, list[str], list[str], Alignment]]:
    """Documents of a vecalign-format gold folder: (name, ru lines, en lines, gold) sorted by name."""
    from kzalign.core.errors import InputError

    gold_dir = Path(gold_dir)
    if not gold_dir.is_dir():
        raise InputError(f"{gold_dir}: not a folder")
    docs = []
    for gold_path in sorted(gold_dir.glob("*.gold")):
        name = gold_path.name[: -len(".gold")]
        ru_path, en_path = gold_dir / f"{name}.ru", gold_dir / f"{name}.en"
        if not ru_path.exists() or not en_path.exists():
            raise InputError(f"{gold_path}: missing {ru_path.name} or {en_path.name} beside it")
        ru = ru_path.read_text(encoding="utf-8-sig").splitlines()
        en = en_path.read_text(encoding="utf-8-sig").splitlines()
        docs.append((name, ru, en, read_alignment_file(gold_path, len(ru), len(en))))
    if not docs:
        raise InputError(f"{gold_dir}: no NAME.gold files found")
    return docs


def eval_sentence_alignment(gold_dir: str | Path, encoder: object, params: object = None,
                            every: int = 1) -> dict[str, object]:
    """Align the documents of a vecalign-format gold folder (every ``every``-th one) and score them.

    Each line of NAME.ru / NAME.en is one sentence, as in vecalign's and Bertalign's data.
    """
    from kzalign.stages.sentences import DEFAULT_PARAMS, align_documents, needed_texts

    params = params or DEFAULT_PARAMS
    docs = read_sentalign_dir(gold_dir)[:: max(1, every)]
    if not any(gold for _n, _ru, _en, gold in docs):
        from kzalign.core.errors import InputError

        raise InputError(f"{gold_dir}: every NAME.gold file is empty: nothing to score")

    def encode(texts: list[str]) -> dict[str, np.ndarray]:
        if not texts:
            return {}
        vecs = np.asarray(encoder.encode(texts, kind="passage"), dtype=np.float32)  # type: ignore[attr-defined]
        return dict(zip(texts, vecs, strict=True))

    vec = encode(needed_texts([side for _n, ru, en, _g in docs for side in (ru, en)], params))  # type: ignore[arg-type]
    aligned = align_documents([(ru, en) for _n, ru, en, _g in docs], vec, params, encode)  # type: ignore[arg-type]
    tests: list[Alignment] = [[(b.ru, b.en) for b in beads] for beads in aligned]
    scores: dict[str, object] = dict(score_sentence_alignment([d[3] for d in docs], tests))
    scores["confusion"] = group_confusion([d[3] for d in docs], tests)
    scores["docs"] = len(docs)
    return scores


# -- item links (precision / recall / F1 against a gold TSV) ------------------------------------------
def read_gold_links(path: str | Path, known_ru: set[str] | None = None,
                    known_en: set[str] | None = None) -> set[tuple[str, str]]:
    """Gold (ru_id, en_id) pairs from a TSV with header ``ru_id<TAB>en_id[<TAB>kind]``; bad rows, unknown ids
    and unknown kinds are errors naming the row."""
    return set(read_gold_kinds(path, known_ru, known_en)[0])


def _gold_lines(path: str | Path) -> list[str]:
    """The lines of a gold file (a missing or undecodable file is an InputError naming it)."""
    from kzalign.core.errors import InputError, Problem

    p = Path(path)
    if not p.is_file():
        raise InputError(Problem(str(path), None, "gold file not found"))
    try:
        return p.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(Problem(str(path), None, f"not UTF-8 text ({exc.reason})")) from exc


def read_gold_kinds(path: str | Path, known_ru: set[str] | None = None, known_en: set[str] | None = None
                    ) -> tuple[dict[tuple[str, str], str | None], bool]:
    """({(ru_id, en_id): kind or None}, whether the file has a ``kind`` column) of a gold TSV.

    The header is ``ru_id<TAB>en_id`` with an optional third column ``kind`` (translation, same_event or
    follow_up, :data:`kzalign.store.workspace.LINK_KINDS`); a row with another kind is refused, naming the row.
    """
    from kzalign.core.errors import InputError, Problem
    from kzalign.store.workspace import LINK_KINDS

    lines = _gold_lines(path)
    header = [c.strip() for c in lines[0].split("\t")] if lines else []
    if header not in (["ru_id", "en_id"], ["ru_id", "en_id", "kind"]):
        got = lines[0][:60] if lines else "an empty file"
        raise InputError(Problem(str(path), 1, f"header must be 'ru_id<TAB>en_id' (optionally <TAB>kind), got {got!r}"))
    problems: list[Problem] = []
    gold: dict[tuple[str, str], str | None] = {}
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) != len(header) or not all(cells):
            what = "two tab-separated ids" if len(header) == 2 else "two tab-separated ids and a kind"
            problems.append(Problem(str(path), n, f"expected {what}, got {line[:60]!r}"))
            continue
        ru, en = cells[0], cells[1]
        kind = cells[2] if len(cells) == 3 else None
        if kind is not None and kind not in LINK_KINDS:
            problems.append(Problem(str(path), n, f"unknown kind {kind!r} (use one of {', '.join(LINK_KINDS)})"))
        if known_ru is not None and ru not in known_ru:
            problems.append(Problem(str(path), n, f"unknown Russian item id {ru!r}"))
        if known_en is not None and en not in known_en:
            problems.append(Problem(str(path), n, f"unknown English item id {en!r}"))
        gold[(ru, en)] = kind
    if problems:
        raise InputError(problems, hint="ids must be the item ids of the workspace (as given in JSONL input)")
    return gold, len(header) == 3


def link_scores(pred: set[tuple[str, str]], gold: set[tuple[str, str]]) -> dict[str, float | int]:
    """Precision, recall, F1, tp, fp, fn of predicted links against gold links."""
    tp = len(pred & gold)
    fp, fn = len(pred - gold), len(gold - pred)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}


def kind_scores(pred: dict[tuple[str, str], str], gold: dict[tuple[str, str], str | None]) -> dict[str, object]:
    """Overall P/R/F1 (a link is right when its pair is in the gold, whatever its kind) and, per kind, P/R/F1
    of the links predicted with that kind against the gold links of that kind."""
    res: dict[str, object] = dict(link_scores(set(pred), set(gold)))
    from kzalign.store.workspace import LINK_KINDS

    res["kinds"] = {k: link_scores({p for p, v in pred.items() if v == k}, {p for p, v in gold.items() if v == k})
                    for k in LINK_KINDS}
    return res


def read_labelled_ids(path: str | Path) -> set[str]:
    """The item ids a labelled set covers: the ``id`` of each line of a JSONL file of items (as ingested), or one
    id a line in any other text file. A JSONL line without an id is an error naming the line."""
    import json

    from kzalign.core.errors import InputError, Problem

    ids: set[str] = set()
    lines = _gold_lines(path)
    jsonl = str(path).lower().endswith((".jsonl", ".ndjson"))
    for n, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not jsonl:
            ids.add(line.strip())
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(Problem(str(path), n, f"not a JSON object ({exc.msg})")) from exc
        if not isinstance(obj, dict) or not str(obj.get("id", "")).strip():
            raise InputError(Problem(str(path), n, "an item without an 'id'"))
        ids.add(str(obj["id"]).strip())
    return ids


def eval_links(ws: Workspace, gold_path: str | Path, labelled: set[str] | None = None) -> dict[str, object]:
    """Score the workspace's current links against a gold TSV (``ru_id<TAB>en_id[<TAB>kind]``): precision,
    recall, F1, tp, fp, fn; with a ``kind`` column also ``kinds``: the same figures per kind of link.

    ``labelled``: the ids of the items the gold covers (e.g. a labelled stream, with unlabelled reports of other
    years added to the workspace); only links touching one of them are scored, so links among the unlabelled
    items are not counted as false positives. ``None`` scores every link.
    """
    ids = ws.item_ids()
    gold, has_kind = read_gold_kinds(gold_path, ids.get("ru", set()), ids.get("en", set()))
    links = ws.link_scores()
    pred = {(str(r), str(e)): str(k or "same_event")
            for r, e, k in zip(links["ru_id"], links["en_id"], links["kind"], strict=True)
            if labelled is None or str(r) in labelled or str(e) in labelled}
    res: dict[str, object] = kind_scores(pred, gold) if has_kind else dict(link_scores(set(pred), set(gold)))
    if labelled is not None:
        res["labelled_items"] = len(labelled & (ids.get("ru", set()) | ids.get("en", set())))
    return res
