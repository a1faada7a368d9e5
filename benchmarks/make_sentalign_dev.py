"""Build the harder sentence-alignment dev set from public data in ../shared/eval (never committed).

Usage: python benchmarks/make_sentalign_dev.py [--eval ../shared/eval] [--out .bench/sentalign_dev] [--seed 13]

Sources: the sentalign news documents (their own gold) and FLORES-200 dev cut into documents of 40 lines.
On each document, runs of 2-4 adjacent gold beads are merged into one sentence on one side (1:n and n:1
beads), a few runs get a crossing merge on both sides (2:2 beads), and about 4% of sentences are deleted on
one side (their partners become 1:0 / 0:1 beads). The gold stays exact: it is rebuilt from the source beads.
Writes NAME.ru, NAME.en, NAME.gold (vecalign format) per document.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

Bead = tuple[list[int], list[int]]
ROOT = Path(__file__).resolve().parent.parent


def _read_gold(path: Path) -> list[Bead]:
    from kzalign.stages.evaluate import read_alignment_file

    return read_alignment_file(path)


def _merge_group(group: list[Bead], ru: list[str], en: list[str], mode: str) -> tuple[list[str], list[str]]:
    """New RU and EN sentences of a run of gold beads, merged as ``mode`` says (en, ru or cross)."""
    ru_parts = [[ru[i] for i in g[0]] for g in group]
    en_parts = [[en[j] for j in g[1]] for g in group]
    flat_ru = [s for p in ru_parts for s in p]
    flat_en = [s for p in en_parts for s in p]
    if mode == "en":
        return flat_ru, [" ".join(flat_en)]
    if mode == "ru":
        return [" ".join(flat_ru)], flat_en
    # cross: RU split after the first half of the beads, EN after all but the last bead
    h = max(1, len(group) // 2)
    r1 = [s for p in ru_parts[:h] for s in p]
    r2 = [s for p in ru_parts[h:] for s in p]
    e1 = [s for p in en_parts[:-1] for s in p]
    e2 = en_parts[-1]
    return [x for x in (" ".join(r1), " ".join(r2)) if x], [x for x in (" ".join(e1), " ".join(e2)) if x]


def transform(ru: list[str], en: list[str], gold: list[Bead], rng: random.Random, merge_rate: float = 0.25,
              delete_rate: float = 0.04, modes: tuple[float, float, float] = (0.45, 0.4, 0.15)
              ) -> tuple[list[str], list[str], list[Bead]]:
    """Merge runs and delete sentences of one document, returning its new sentences and exact gold."""
    new_ru: list[str] = []
    new_en: list[str] = []
    out: list[Bead] = []
    k = 0
    beads = [b for b in gold if b[0] and b[1]]
    while k < len(beads):
        run = rng.randint(2, 4)
        if rng.random() < merge_rate and k + run <= len(beads):
            mode = rng.choices(["en", "ru", "cross"], list(modes))[0]
            if mode == "cross" and run < 3:
                mode = "en"
            r_s, e_s = _merge_group(beads[k : k + run], ru, en, mode)
            k += run
        else:
            r_s, e_s = [ru[i] for i in beads[k][0]], [en[j] for j in beads[k][1]]
            k += 1
            if len(r_s) == 1 and len(e_s) == 1 and rng.random() < delete_rate:
                if rng.random() < 0.5:
                    r_s = []
                else:
                    e_s = []
        out.append((list(range(len(new_ru), len(new_ru) + len(r_s))), list(range(len(new_en), len(new_en) + len(e_s)))))
        new_ru.extend(r_s)
        new_en.extend(e_s)
    # a bead that lost one side becomes a deletion; vecalign gold writes each skipped sentence alone
    final: list[Bead] = []
    for r, e in out:
        if r and e:
            final.append((r, e))
        else:
            final.extend(([i], []) for i in r)
            final.extend(([], [j]) for j in e)
    return new_ru, new_en, final


def _fmt(bead: Bead) -> str:
    return f"[{','.join(map(str, bead[0]))}]:[{','.join(map(str, bead[1]))}]"


def sources(eval_dir: Path, flores_doc: int = 40) -> list[tuple[str, list[str], list[str], list[Bead]]]:
    """(name, ru, en, gold) of the sentalign documents and of FLORES dev cut into documents."""
    docs = []
    sa = eval_dir / "sentalign"
    for g in sorted(sa.glob("*.gold")):
        name = g.name[: -len(".gold")]
        ru = (sa / f"{name}.ru").read_text(encoding="utf-8").splitlines()
        en = (sa / f"{name}.en").read_text(encoding="utf-8").splitlines()
        docs.append((f"wmt__{name}", ru, en, _read_gold(g)))
    fl_ru = (eval_dir / "flores" / "ru.txt").read_text(encoding="utf-8").splitlines()
    fl_en = (eval_dir / "flores" / "en.txt").read_text(encoding="utf-8").splitlines()
    for start in range(0, len(fl_ru), flores_doc):
        ru, en = fl_ru[start : start + flores_doc], fl_en[start : start + flores_doc]
        docs.append((f"flores__{start:04d}", ru, en, [([i], [i]) for i in range(len(ru))]))
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eval", default=str(ROOT.parent / "shared" / "eval"))
    ap.add_argument("--out", default=str(ROOT / ".bench" / "sentalign_dev"))
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--one-sided", action="store_true",
                    help="merge only on the RU side, half of all runs: the English has ~1.7x the sentences "
                         "(a translation that splits long sentences); most beads are 1:n")
    args = ap.parse_args()
    rate, modes = (0.5, (0.0, 1.0, 0.0)) if args.one_sided else (0.25, (0.45, 0.4, 0.15))
    rng = random.Random(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[tuple[int, int], int] = {}
    docs = sources(Path(args.eval))
    for name, ru, en, gold in docs:
        new_ru, new_en, new_gold = transform(ru, en, gold, rng, rate, modes=modes)
        (out / f"{name}.ru").write_text("".join(s + "\n" for s in new_ru), encoding="utf-8")
        (out / f"{name}.en").write_text("".join(s + "\n" for s in new_en), encoding="utf-8")
        (out / f"{name}.gold").write_text("".join(_fmt(b) + "\n" for b in new_gold), encoding="utf-8")
        for r, e in new_gold:
            counts[(len(r), len(e))] = counts.get((len(r), len(e)), 0) + 1
    kinds = ", ".join(f"{a}:{b} {n}" for (a, b), n in sorted(counts.items(), key=lambda x: -x[1]))
    print(f"wrote {len(docs)} documents to {out}; gold beads: {kinds}")


if __name__ == "__main__":
    main()
