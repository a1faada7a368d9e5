"""Names found by this checkout and by another are the same, and what finding them costs in CPU.

Usage:
  python benchmarks/check_name_keys_same.py --src /tmp/kz_before [--out DIR] [--link] [--pieces N]

Each checkout runs in a fresh process (PYTHONPATH set to it) that loads the bundled glossary and first
computes the linker's name keys of every docalign + comparable item as ``kzalign link`` does (title line, then
the text): that CPU (time.process_time) is the cold-link share of names. It then dumps, for many texts, the
sorted ``name_keys`` and the full ``repr`` of every NameMatch of ``ru_names`` and ``en_names``:
- docalign + comparable items: "\\ntext" (the link's text), the text alone, first line + text; both matchers;
  ``ru_names`` again with the gold English counterpart as context (recovered Latin spellings); name keys
  with no glossary;
- every line of flores, tatoeba and sentalign (both matchers), every word of names/*.tsv as written and
  capitalised, the seeds (both matchers, Russian with the other seeds as context).
The two dumps are compared record by record, and this checkout's ``known_tags`` (pymorphy3's ``tag`` for dictionary
words) is checked against the parses' tags for every distinct Cyrillic word of ../shared/eval. With ``--link``, both checkouts also run ``kzalign link --no-mt`` on
copies of the coldlink workspace (benchmarks/bench_coldlink_parts.py) and ``kzalign links --format jsonl`` of the
two must be byte for byte the same. With ``--pieces N``, each of find_ru, ru_names, find_en, en_names and
name_keys (both languages) is timed alone over the link's texts, cold, in a fresh process per checkout and
piece, N times alternating: the best of N is printed. The script exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL = Path(os.environ.get("KZALIGN_EVAL", ROOT.parent / "shared" / "eval"))

_CHILD = r"""
import csv, glob, json, sys, time
from pathlib import Path
T = time.process_time
t0 = T()
from kzalign.glossary import BUNDLED_DIR, Glossary, load_glossary, name_keys
g = load_glossary([BUNDLED_DIR])
t_load = T() - t0
ev, seeds, out_path = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
items = {(s, lg): [json.loads(x) for x in (ev / s / f"{lg}.jsonl").read_text(encoding="utf-8").splitlines()]
         for s in ("docalign", "comparable") for lg in ("ru", "en")}
link_texts = [(lg, "\n" + r["text"]) for lg in ("ru", "en") for s in ("docalign", "comparable") for r in items[s, lg]]
c = T()
for lg, t in link_texts:
    name_keys(t, lg, g)
t_link = T() - c
recs = []
def both(tag, t, ctx=()):
    for lg in ("ru", "en"):
        ms = g.ru_names(t, ctx) if lg == "ru" else g.en_names(t)
        recs.append([tag, lg, sorted(name_keys(t, lg, g)), [repr(m) for m in ms]])
c = T()
for (s, lg), rows in items.items():
    for r in rows:
        x = r["text"]
        for k, t in (("link", "\n" + x), ("text", x), ("title", x.split("\n", 1)[0] + "\n" + x)):
            both(f"{s}/{lg}/{r['id']}/{k}", t)
        recs.append([f"{s}/{lg}/{r['id']}/nogloss", lg, sorted(name_keys("\n" + x, lg, None)), []])
    if lg == "ru":
        en = {r["id"]: r["text"] for r in items[s, "en"]}
        ru = {r["id"]: r["text"] for r in rows}
        for line in (ev / s / "gold.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            a, b = line.split("\t")[:2]
            if a in ru and b in en:
                recs.append([f"{s}/ctx/{a}", "ru", [], [repr(m) for m in g.ru_names(ru[a], [en[b]])]])
for f in sorted(glob.glob(str(ev / "flores" / "*.txt")) + glob.glob(str(ev / "tatoeba" / "*.txt"))
               + glob.glob(str(ev / "sentalign" / "*.ru")) + glob.glob(str(ev / "sentalign" / "*.en"))):
    for i, line in enumerate(Path(f).read_text(encoding="utf-8").splitlines()):
        both(f"{Path(f).parent.name}/{Path(f).name}:{i}", line)
for f in sorted(glob.glob(str(ev / "names" / "*.tsv"))):
    for i, row in enumerate(csv.reader(open(f, encoding="utf-8"), delimiter="\t")):
        for j, w in enumerate(row):
            both(f"names/{Path(f).name}:{i}:{j}", w)
            both(f"names/{Path(f).name}:{i}:{j}/cap", w[:1].upper() + w[1:])
seed_texts = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))]
for i, t in enumerate(seed_texts):
    both(f"seeds/{i}", t, [x for k, x in enumerate(seed_texts) if k != i])
t_all = T() - c
with open(out_path, "w", encoding="utf-8") as fh:
    for r in recs:
        fh.write(json.dumps(r, ensure_ascii=False) + "\n")
print(json.dumps({"import_load_s": round(t_load, 3), "link_name_keys_s": round(t_link, 3),
                  "link_chars": sum(len(t) for _, t in link_texts), "dump_s": round(t_all, 2), "records": len(recs)}))
"""


_PIECE = r"""
import json, sys, time
from pathlib import Path
from kzalign.glossary import BUNDLED_DIR, load_glossary, name_keys
g = load_glossary([BUNDLED_DIR])
ev, piece = Path(sys.argv[1]), sys.argv[2]
texts = {lg: ["\n" + json.loads(x)["text"] for s in ("docalign", "comparable")
              for x in (ev / s / f"{lg}.jsonl").read_text(encoding="utf-8").splitlines()] for lg in ("ru", "en")}
runs = {"find_ru": [(g.find_ru, "ru")], "ru_names": [(g.ru_names, "ru")], "find_en": [(g.find_en, "en")],
        "en_names": [(g.en_names, "en")],
        "name_keys": [(lambda t: name_keys(t, "ru", g), "ru"), (lambda t: name_keys(t, "en", g), "en")]}[piece]
c = time.process_time()
for f, lg in runs:
    for t in texts[lg]:
        f(t)
print(time.process_time() - c)
"""
PIECES = ("find_ru", "ru_names", "find_en", "en_names", "name_keys")


def pieces(srcs: dict[str, Path], n: int) -> None:
    """Best of ``n`` cold CPU times of each name-finding piece, a fresh process per checkout, piece and run."""
    best: dict[tuple[str, str], float] = {}
    for _ in range(n):
        for piece in PIECES:
            for name, src in srcs.items():
                env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
                out = subprocess.run([sys.executable, "-c", _PIECE, str(EVAL), piece], cwd=src, env=env,
                                     capture_output=True, text=True, check=True).stdout
                t = float(out.strip().splitlines()[-1])
                best[name, piece] = min(best.get((name, piece), t), t)
    print(f"cold CPU, best of {n} (s): " + "  ".join(
        f"{p} {best['this', p]:.3f} vs {best['other', p]:.3f}" for p in PIECES))


def dump(src: Path, out: Path) -> dict[str, float]:
    """Run the child in a fresh process with ``src`` first on the path; its timings."""
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
    res = subprocess.run([sys.executable, "-c", _CHILD, str(EVAL), str(ROOT / "seeds"), str(out)], cwd=src, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def same_links(src: Path, folder: Path | None) -> bool:
    """Whether ``kzalign link --no-mt`` of this checkout and of ``src`` list the same links on the coldlink workspace
    (the two listings are written to ``folder`` as links_this.jsonl and links_other.jsonl, for ``cmp``)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_coldlink_parts import workspace

    outs = []
    with tempfile.TemporaryDirectory() as t:
        base = workspace(Path(t))
        for i, s in enumerate((ROOT, src)):
            db = Path(t) / f"link{i}.db"
            db.write_bytes(base.read_bytes())
            env = {**os.environ, "PYTHONPATH": str(s), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
            run = [sys.executable, "-c", "import sys; from kzalign.cli import main; main(sys.argv[1:])"]
            subprocess.run([*run, "link", "--db", str(db), "--no-mt"], cwd=s, env=env, check=True, capture_output=True)
            outs.append(subprocess.run([*run, "links", "--db", str(db), "--format", "jsonl"], cwd=s, env=env,
                                       check=True, capture_output=True).stdout)
    if folder is not None:
        for name, o in zip(("this", "other"), outs, strict=True):
            (folder / f"links_{name}.jsonl").write_bytes(o)
    n = [len(o.splitlines()) for o in outs]
    print(f"links (kzalign links --format jsonl): {n[0]} lines (this), {n[1]} (other), identical: {outs[0] == outs[1]}")
    return outs[0] == outs[1]


def known_tags_differ() -> tuple[int, int]:
    """Dictionary words of ../shared/eval (distinct, lower-cased) and how many of them known_tags gets wrong."""
    import re

    sys.path.insert(0, str(ROOT))
    from kzalign.glossary.morph import known_tags, morph

    words: set[str] = set()
    for f in sorted(EVAL.glob("*/*")):
        if f.suffix in (".jsonl", ".txt", ".tsv", ".ru", ".en"):
            words.update(w.casefold() for w in re.findall(r"[^\W\d_]+", f.read_text(encoding="utf-8")))
    known = sorted(w for w in words if re.search("[а-яё]", w) and morph().word_is_known(w))
    wrong = [w for w in known if known_tags(w) != (True, tuple(p.tag for p in morph().parse(w)))]
    return len(known), len(wrong)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", required=True, help="the other checkout (e.g. main before the change)")
    ap.add_argument("--out", help="folder for the two dumps (default: a temporary folder)")
    ap.add_argument("--link", action="store_true", help="also compare the links of a cold `kzalign link --no-mt`")
    ap.add_argument("--pieces", type=int, default=0, metavar="N", help="also time each piece cold, best of N")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        folder = Path(args.out or t)
        folder.mkdir(parents=True, exist_ok=True)
        stats = {}
        for name, src in (("this", ROOT), ("other", Path(args.src).resolve())):
            stats[name] = dump(src, folder / f"{name}.jsonl")
            print(f"{name:5s} {src}: {json.dumps(stats[name])}", flush=True)
        a = (folder / "this.jsonl").read_text(encoding="utf-8").splitlines()
        b = (folder / "other.jsonl").read_text(encoding="utf-8").splitlines()
    differ = [json.loads(x)[0] for x, y in zip(a, b, strict=False) if x != y]
    names = sum(len(json.loads(x)[3]) for x in a)
    keys = sum(len(json.loads(x)[2]) for x in a)
    print(json.dumps({"records": [len(a), len(b)], "name_matches": names, "name_keys": keys, "differ": len(differ),
                      "first": differ[:5]}))
    ratio = stats["this"]["link_name_keys_s"] / max(stats["other"]["link_name_keys_s"], 1e-9)
    print(f"link name keys CPU: this {stats['this']['link_name_keys_s']:.3f} s, other "
          f"{stats['other']['link_name_keys_s']:.3f} s (ratio {ratio:.2f})")
    n_known, n_wrong = known_tags_differ()
    print(f"known_tags: {n_known} dictionary words of the eval data, tags differ from the parses' in {n_wrong}")
    if args.pieces:
        pieces({"this": ROOT, "other": Path(args.src).resolve()}, args.pieces)
    links_ok = same_links(Path(args.src).resolve(), Path(args.out) if args.out else None) if args.link else True
    sys.exit(1 if differ or len(a) != len(b) or n_wrong or not links_ok else 0)


if __name__ == "__main__":
    main()
