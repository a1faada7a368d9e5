"""Shared helpers for the linking benchmarks: eval-set loading and embeddings cached under .bench/.

Vectors are cached per (encoder, text list) in ``.bench/link_<encoder>_<kind>_<hash>.npy`` so the
benchmarks never re-embed the same texts.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL = Path(os.environ.get("KZALIGN_EVAL", ROOT.parent / "shared" / "eval"))
CACHE = ROOT / ".bench"
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def load_set(name: str) -> tuple[pd.DataFrame, pd.DataFrame, set[tuple[str, str]]]:
    """RU items, EN items and gold (ru_id, en_id) pairs of an eval set (docalign or comparable)."""
    d = EVAL / name
    ru = pd.read_json(d / "ru.jsonl", lines=True, dtype={"id": str})
    en = pd.read_json(d / "en.jsonl", lines=True, dtype={"id": str})
    gold = pd.read_csv(d / "gold.tsv", sep="\t", dtype=str)
    return ru, en, set(zip(gold["ru_id"], gold["en_id"], strict=True))


def load_lines(name: str) -> tuple[list[str], list[str]]:
    """Parallel RU and EN lines of flores or tatoeba."""
    d = EVAL / name
    return (d / "ru.txt").read_text(encoding="utf-8").splitlines(), (d / "en.txt").read_text(
        encoding="utf-8").splitlines()


def _store_path(encoder: str, kind: str) -> Path:
    return CACHE / f"linkstore_{encoder.replace(':', '_').replace('/', '_')}_{kind}.npz"


def _load_store(encoder: str, kind: str) -> dict[str, np.ndarray]:
    path = _store_path(encoder, kind)
    if not path.exists():
        return {}
    z = np.load(path)
    return dict(zip(z["hashes"].tolist(), z["vecs"], strict=True))


def _save_store(encoder: str, kind: str, store: dict[str, np.ndarray]) -> None:
    CACHE.mkdir(exist_ok=True)
    hashes = np.array(list(store))
    vecs = np.stack(list(store.values())).astype(np.float32)
    tmp = _store_path(encoder, kind).with_suffix(".tmp.npz")
    np.savez(tmp, hashes=hashes, vecs=vecs)
    os.replace(tmp, _store_path(encoder, kind))


def _h(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def cached_vectors(encoder: str, texts: list[str], kind: str = "passage", verbose: bool = True) -> np.ndarray:
    """Vectors of ``texts`` with the named kzalign encoder; a per-text cache under .bench/ (never re-embeds)."""
    store = _load_store(encoder, kind)
    hashes = [_h(t) for t in texts]
    todo = list(dict.fromkeys(t for t, h in zip(texts, hashes, strict=True) if h not in store))
    if todo:
        from kzalign.embed import get_encoder

        t0 = time.time()
        vecs = get_encoder(encoder).encode(todo, kind=kind)
        store.update(zip([_h(t) for t in todo], vecs, strict=True))
        _save_store(encoder, kind, store)
        if verbose:
            print(f"[encoded {len(todo)} texts with {encoder} in {time.time() - t0:.0f}s]", file=sys.stderr)
    if not texts:
        return np.zeros((0, 1), np.float32)
    return np.stack([store[h] for h in hashes]).astype(np.float32)


def add_to_store(encoder: str, texts: list[str], vecs: np.ndarray, kind: str = "passage") -> None:
    """Put already computed vectors into the per-text cache."""
    store = _load_store(encoder, kind)
    store.update(zip([_h(t) for t in texts], vecs, strict=True))
    _save_store(encoder, kind, store)
