"""Sentence-boundary precision/recall/F1 of ``kzalign.core.text.split_sentences`` on a labelled sample.

    python benchmarks/bench_textsplit.py [--eval ../shared/eval] [--errors ru|en|zh]

The sample is built from ``../shared/eval``: the WMT news documents of ``sentalign/`` (one segment a
line, in document order) and FLORES-200 dev (``flores/``, in groups of five) are joined back into
paragraphs of 2–6 segments (seeded): a segment ending in ``. ! ? …`` (with closing quotes) is followed
by a space, any other (a headline) by a line break, as on a page. Every join is a gold boundary; the
splitter's output is mapped back to character offsets. Label cleaning: segments that plainly hold two
sentences themselves (a word of 4+ letters, not an abbreviation, then ``.``/``!``/``?`` and a capital)
are left out, since a correct split inside them would count as an error.
"before" is plain razdel line by line (kzalign's splitter up to this change); sentencex is shown too.
Chinese ("zh"): the MAC-Dev documents of ``sentalign_peers_dev`` (their ``.ru`` side, one sentence a line as the
benchmark's gold splits them), joined the same way but with no space after a Chinese full stop.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Callable
from pathlib import Path

from kzalign.core.text import razdel_sentences, split_sentences

ROOT = Path(__file__).resolve().parent.parent
_ENDS = re.compile(r"[.!?…][\"»”')]*$")
_CJK_ENDS = re.compile(r"[。！？…][”’」』）]*$")
_NOT_ABBR = r"(?!(?:Corp|Prof|Sept|Gov|долл|проф|сент|нояб|февр|просп)\.)"
_MULTI = re.compile(rf"(?:\b{_NOT_ABBR}\w{{4,}}|[!?…)])[.!?…]?[\"»”)]*\s+[\"«“(]?[A-ZА-ЯЁ]")


def documents(eval_dir: Path, lang: str) -> list[list[str]]:
    """Segment lists in order: each WMT document, then FLORES in groups of five (zh: the MAC-Dev documents)."""
    if lang == "zh":
        return [[s for s in (ln.strip() for ln in p.read_text(encoding="utf-8").splitlines()) if s]
                for p in sorted((eval_dir / "sentalign_peers_dev").glob("macdev_*.ru"))]

    def keep(lines: list[str]) -> list[str]:
        return [s for s in (ln.strip() for ln in lines) if s and not _MULTI.search(s)]

    docs = [keep(p.read_text(encoding="utf-8").splitlines()) for p in sorted((eval_dir / "sentalign").glob(f"*.{lang}"))]
    flores = keep((eval_dir / "flores" / f"{lang}.txt").read_text(encoding="utf-8").splitlines())
    return docs + [flores[i : i + 5] for i in range(0, len(flores), 5)]


def paragraphs(docs: list[list[str]], seed: int = 1) -> list[list[str]]:
    rnd = random.Random(seed)
    out: list[list[str]] = []
    for d in docs:
        i = 0
        while i < len(d):
            n = rnd.randint(2, 6)
            out.append(d[i : i + n])
            i += n
    return out


def join(parts: list[str]) -> tuple[str, set[int]]:
    """The paragraph text and the offsets of its gold boundaries (end of each segment but the last)."""
    text, gold = "", set()
    for i, s in enumerate(parts):
        text += s
        if i < len(parts) - 1:
            gold.add(len(text))
            text += "" if _CJK_ENDS.search(s) else " " if _ENDS.search(s) else "\n"
    return text, gold


def predicted(text: str, sents: list[str]) -> set[int]:
    out, pos = set(), 0
    for s in sents:
        i = text.find(s, pos)
        if i < 0:  # a splitter that rewrote the text: fall back to the next word's position
            i = pos
        pos = i + len(s)
        out.add(pos)
    out.discard(len(text))
    return out


def score(paras: list[list[str]], split: Callable[[str], list[str]]) -> tuple[float, float, float, list[str]]:
    tp = fp = fn = 0
    errors: list[str] = []
    for p in paras:
        text, gold = join(p)
        pred = predicted(text, split(text))
        tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
        errors += [f"FP …{text[max(0, x - 50):x]}|{text[x:x + 30]}…" for x in sorted(pred - gold)]
        errors += [f"FN …{text[max(0, x - 50):x]}|{text[x:x + 30]}…" for x in sorted(gold - pred)]
    p = tp / max(1, tp + fp)
    r = tp / max(1, tp + fn)
    return p, r, 2 * p * r / max(1e-9, p + r), errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--errors", choices=["ru", "en", "zh"], help="print the errors of the new splitter")
    args = ap.parse_args()
    for lang in ("ru", "en", "zh"):
        paras = paragraphs(documents(args.eval, lang))
        n_bound = sum(len(p) - 1 for p in paras)
        splitters: dict[str, Callable[[str], list[str]]] = {
            "before (razdel)": razdel_sentences,
            "after (split_sentences)": lambda t, lang=lang: split_sentences(t, lang),
        }
        try:
            import sentencex

            splitters["sentencex"] = lambda t, lang=lang: [
                s.strip() for ln in t.split("\n") for s in sentencex.segment(lang, ln) if s.strip()]
        except ImportError:
            pass
        for name, fn in splitters.items():
            p, r, f, errs = score(paras, fn)
            print(f"{lang} {name:<24} P {p:.4f} R {r:.4f} F1 {f:.4f}  ({len(paras)} paragraphs, {n_bound} boundaries)")
            if args.errors == lang and name.startswith("after"):
                print("\n".join(errs))


if __name__ == "__main__":
    main()
