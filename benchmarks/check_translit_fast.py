"""Compiled transliteration vs the reference, on every distinct word of ../shared/eval, for every scheme.

Usage:
  python benchmarks/check_translit_fast.py [--repeat 3] [--schemes wikipedia,kazakh]

For each scheme: how many words, how many differ (must be 0), and the CPU (time.process_time, best of
``--repeat``) of the reference (iuliia's own ``translate``; kzalign's schemes through the Step-based path)
and of the compiled translator ``transliterate`` uses, both uncached; then the same for ``phonetic_key`` (uncached)
against its plain version, on the words and their wikipedia spellings. Exits 1 when any output differs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kzalign.core.text import has_cyrillic
from kzalign.core.translit import (
    _FOLD,
    SIMILARITY_SCHEMES,
    phonetic_key,
    schemes,
    strip_accents,
    translator,
    transliterate_reference,
)

ROOT = Path(__file__).resolve().parent.parent
EVAL = Path(os.environ.get("KZALIGN_EVAL", ROOT.parent / "shared" / "eval"))


def eval_words() -> list[str]:
    """Every distinct word (regex ``\\w+``) of the eval files: item texts, sentences, name lists."""
    words: set[str] = set()
    for path in sorted(EVAL.rglob("*")):
        if not path.is_file() or path.suffix in (".md", ".gold"):
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".jsonl":
            text = "\n".join(json.loads(ln).get("text", "") for ln in text.splitlines() if ln.strip())
        words.update(re.findall(r"\w+", text))
    return sorted(words)


_NOT_LETTER, _REPEAT = re.compile(r"[^A-Za-z]"), re.compile(r"(.)(?=\1)")


def phonetic_key_reference(text: str) -> str:
    """``phonetic_key`` as it was: every ``_FOLD`` replacement in turn, the two regexes always."""
    s = _NOT_LETTER.sub("", strip_accents(text).lower())
    for a, b in _FOLD:
        s = s.replace(a, b)
    return _REPEAT.sub("", s)


def cpu(fn: Callable[[str], str], words: list[str], repeat: int) -> tuple[float, list[str]]:
    """Best CPU seconds of ``repeat`` passes of ``fn`` over ``words``, and its outputs."""
    best, out = float("inf"), []
    for _ in range(repeat):
        t = time.process_time()
        out = [fn(w) for w in words]
        best = min(best, time.process_time() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--schemes", help="comma-separated scheme names (default: every scheme)")
    args = ap.parse_args()
    words = eval_words()
    print(f"# {len(words)} distinct words in {EVAL}, {sum(map(has_cyrillic, words))} with Cyrillic")
    print(f"{'scheme':16s} {'words':>6s} {'differ':>6s} {'old s':>7s} {'new s':>7s} {'speed-up':>8s}")
    total_old = total_new = 0.0
    n_bad = 0
    for scheme in args.schemes.split(",") if args.schemes else schemes():
        fast = translator(scheme)
        t_old, old = cpu(lambda w, s=scheme: transliterate_reference(w, s), words, args.repeat)
        t_new, new = cpu(fast, words, args.repeat)
        bad = [w for w, a, b in zip(words, old, new, strict=True) if a != b]
        n_bad += len(bad)
        total_old, total_new = total_old + t_old, total_new + t_new
        mark = " *" if scheme in SIMILARITY_SCHEMES else ""
        print(f"{scheme:16s} {len(words):6d} {len(bad):6d} {t_old:7.3f} {t_new:7.3f} {t_old / max(t_new, 1e-9):7.1f}x"
              f"{mark}{'  e.g. ' + repr(bad[:3]) if bad else ''}", flush=True)
    print(f"{'all':16s} {'':6s} {n_bad:6d} {total_old:7.3f} {total_new:7.3f} {total_old / max(total_new, 1e-9):7.1f}x")
    print("# * = a SIMILARITY_SCHEMES scheme (ru_keys); wikipedia is the cognate-key scheme")
    latin = sorted(set(words) | {translator("wikipedia")(w) for w in words})
    t_old, old = cpu(phonetic_key_reference, latin, args.repeat)
    t_new, new = cpu(phonetic_key.__wrapped__, latin, args.repeat)
    bad = [w for w, a, b in zip(latin, old, new, strict=True) if a != b]
    n_bad += len(bad)
    print(f"{'phonetic_key':16s} {len(latin):6d} {len(bad):6d} {t_old:7.3f} {t_new:7.3f} "
          f"{t_old / max(t_new, 1e-9):7.1f}x  (eval words and their wikipedia spellings){'  e.g. ' + repr(bad[:3]) if bad else ''}")
    sys.exit(1 if n_bad else 0)


if __name__ == "__main__":
    main()
