"""Build kzalign/data/background: the fixed reference sample link scores are normalised against.

Source: FLORES-200 dev (``../shared/eval/flores``, CC-BY-SA 4.0), which no linking dev evaluation uses
(docalign/comparable/sentalign are WMT documents). Consecutive FLORES lines come from one article, so
windows of ``--window`` consecutive sentences (stride ``--stride``) make short pseudo-documents; each
window's vector is the normalised mean of its sentence vectors, exactly as kzalign pools an item.
Only vectors (float16) and key document frequencies are shipped, never the text.

Usage: python benchmarks/build_link_background.py [--encoders use,e5,minilm] [--window 4] [--stride 2]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
from bench_link_common import EVAL, ROOT, cached_vectors, load_lines

from kzalign.engines.candidates import K_NEIGHBOURS
from kzalign.engines.embed import get_encoder
from kzalign.engines.keys import KINDS, text_keys
from kzalign.glossary import Glossary

OUT = ROOT / "kzalign" / "data" / "background"
#: English-only encoders get an English background only (MT-English vs English).
EN_ONLY = {"minilm"}


def windows(n: int, size: int, stride: int) -> list[tuple[int, int]]:
    """(start, end) of the sentence windows."""
    return [(s, min(n, s + size)) for s in range(0, max(1, n - size + 1), stride)]


def pooled(vecs: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    out = np.stack([vecs[a:b].mean(0) for a, b in spans])
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def key_df(lines: dict[str, list[str]], size: int) -> dict[str, object]:
    """Document frequencies of link keys over non-overlapping windows of both languages (names keyed
    without a glossary: a glossary name counts as its rarest word, see kzalign.engines.keys.KeyWeights)."""
    empty = Glossary([], "none")
    df: dict[str, Counter[str]] = {k: Counter() for k in KINDS}
    n = 0
    for lang, ls in lines.items():
        for a, b in windows(len(ls), size, size):
            keys = text_keys("\n".join(ls[a:b]), lang, empty)
            for kind in KINDS:
                df[kind].update(keys[kind])
            n += 1
    return {"n_docs": n, "df": {k: dict(sorted(v.items())) for k, v in df.items()}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoders", default="use,e5,minilm")
    ap.add_argument("--window", type=int, default=4)
    ap.add_argument("--stride", type=int, default=2)
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ru, en = load_lines("flores")
    spans = windows(len(ru), args.window, args.stride)
    manifest: dict[str, object] = {
        "source": f"FLORES-200 dev ({EVAL.name}/flores), windows of {args.window} sentences, stride {args.stride}",
        "k": K_NEIGHBOURS, "encoders": {}, "keys_df": "keys_df.json",
    }
    for name in args.encoders.split(","):
        enc = get_encoder(name)
        entry: dict[str, object] = {"signature": enc.signature, "n": len(spans)}
        for lang, ls in (("ru", ru), ("en", en)):
            if lang == "ru" and name in EN_ONLY:
                continue
            vec = pooled(cached_vectors(name, ls), spans).astype(np.float16)
            np.save(out / f"{name}_{lang}.npy", vec)
            entry[lang] = f"{name}_{lang}.npy"
        manifest["encoders"][name] = entry  # type: ignore[index]
        print(f"{name}: {len(spans)} pseudo-documents a language ({enc.signature})")
    (out / "keys_df.json").write_text(json.dumps(key_df({"ru": ru, "en": en}, args.window), ensure_ascii=False,
                                                 sort_keys=True), encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
