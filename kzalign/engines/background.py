"""The fixed background sample that link scores are normalised against, shipped in ``kzalign/data/background``.

A few hundred pseudo-documents (windows of consecutive FLORES-200 dev sentences, Russian and English) per
encoder, as float16 unit vectors, and the document frequencies of link keys in the same texts. The ratio
margin divides a pair's cosine by its items' density among these vectors, and key idf comes from these
frequencies, so a pair scores the same alone or among 100,000 other items. Built by
``benchmarks/build_link_background.py``; the files' hash is part of the link signature.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from kzalign.engines.keys import KeyWeights

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent.parent / "data" / "background"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Background:
    """Reference vectors of one encoder (``ru``, ``en``: unit float32 rows) and the files' short hash."""

    encoder: str
    ru: np.ndarray
    en: np.ndarray
    signature: str


def _hash_files(paths: list[Path]) -> str:
    h = hashlib.sha1()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()[:10]


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return np.ascontiguousarray(x / n, dtype=np.float32)


@lru_cache(maxsize=16)
def load_background(encoder_name: str, encoder_signature: str, folder: Path = DATA) -> Background | None:
    """The shipped background of an encoder, or None when none ships for it (e.g. ``st:`` models).

    Matched by encoder name; a different model version (signature) is used with a logged warning.
    """
    entry = _manifest(folder).get("encoders", {}).get(encoder_name)
    if not entry:
        return None
    files = {lang: folder / entry[lang] for lang in ("ru", "en") if entry.get(lang)}
    if entry.get("signature") != encoder_signature:
        log.warning("background vectors were built with %s, the encoder is %s", entry.get("signature"),
                    encoder_signature)
    vecs = {lang: _unit(np.load(p)) for lang, p in files.items()}
    empty = np.zeros((0, next(iter(vecs.values())).shape[1]), np.float32)
    return Background(encoder_name, vecs.get("ru", empty), vecs.get("en", empty),
                      _hash_files([files[lang] for lang in sorted(files)]))


@lru_cache(maxsize=4)
def load_key_weights(folder: Path = DATA) -> KeyWeights:
    """Fixed key document frequencies (a uniform weight for every key when no table ships)."""
    name = _manifest(folder).get("keys_df")
    if not name:
        log.warning("no key frequency table in %s: every shared key weighs the same", folder)
        return KeyWeights(1, {})
    data = json.loads((folder / str(name)).read_text(encoding="utf-8"))
    return KeyWeights(int(data["n_docs"]), {k: dict(v) for k, v in data["df"].items()})


@lru_cache(maxsize=4)
def key_weights_signature(folder: Path = DATA) -> str:
    """Short hash of the key frequency table (part of the link signature)."""
    name = _manifest(folder).get("keys_df")
    return _hash_files([folder / str(name)]) if name else "none"
