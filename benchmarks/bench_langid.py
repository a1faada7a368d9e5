"""Language-identification accuracy: ru/en kept, neighbour languages refused.

    python benchmarks/bench_langid.py [--eval ../shared/eval] [--errors]

Samples: FLORES-200 dev ``ru.txt``/``en.txt`` (997 news sentences each) and Tatoeba rus–eng
(1000 short everyday sentences each) from ``../shared/eval``; ``tests/data/langid_neighbours.tsv``
(120 short news sentences written for kzalign: Ukrainian, Bulgarian, Serbian Cyrillic, Kazakh, Italian,
Spanish — FLORES here ships only ru/en). Measured: accuracy on ru/en; rejection of the neighbours
(detected as neither ru nor en); Italian/Spanish told apart. Compares lingua (``detect_lang``) with the
script + function-word heuristic kzalign used before.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Callable
from pathlib import Path

from kzalign.inputs.langid import detect_lang, heuristic_lang

ROOT = Path(__file__).resolve().parent.parent


def samples(eval_dir: Path) -> list[tuple[str, str, str]]:
    """(set, gold lang, text) rows."""
    rows: list[tuple[str, str, str]] = []
    for lang in ("ru", "en"):
        for name in ("flores", "tatoeba"):
            path = eval_dir / name / f"{lang}.txt"
            if path.exists():
                rows += [(name, lang, ln.strip()) for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    with open(ROOT / "tests" / "data" / "langid_neighbours.tsv", encoding="utf-8") as fh:
        rows += [("neighbours", r["lang"], r["text"]) for r in csv.DictReader(fh, delimiter="\t")]
    return rows


def evaluate(rows: list[tuple[str, str, str]], detect: Callable[[str], str | None], show: bool) -> None:
    t0 = time.perf_counter()
    preds = [detect(text) for _, _, text in rows]
    secs = time.perf_counter() - t0
    by: dict[str, list[bool]] = {}
    for (name, gold, text), pred in zip(rows, preds, strict=True):
        if gold in ("ru", "en"):
            ok = pred == gold
            key = f"{name}-{gold} accuracy"
        else:
            ok = pred not in ("ru", "en")
            key = "neighbours rejected"
            by.setdefault("it/es told apart", []).append(pred == gold) if gold in ("it", "es") else None
        by.setdefault(key, []).append(ok)
        if show and not ok:
            print(f"   {name} {gold} -> {pred}: {text[:80]}")
    ruen = [ok for k, v in by.items() if k.endswith("accuracy") for ok in v]
    print(f"  ru/en accuracy {sum(ruen) / len(ruen):.4f} ({len(ruen)} texts)  "
          + "  ".join(f"{k} {sum(v) / len(v):.4f}" for k, v in sorted(by.items())) + f"  [{secs:.1f}s]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--errors", action="store_true")
    args = ap.parse_args()
    rows = samples(args.eval)
    for name, fn in (("heuristic (before)", heuristic_lang), ("lingua (detect_lang)", detect_lang)):
        print(name)
        evaluate(rows, fn, args.errors)


if __name__ == "__main__":
    main()
