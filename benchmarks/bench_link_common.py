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
        from kzalign.engines.embed import get_encoder

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


def load_meta(name: str) -> dict[str, str]:
    """Domain (news, social, ecommerce, ...) of each RU item of an eval set, from its ``meta.tsv``."""
    meta = pd.read_csv(EVAL / name / "meta.tsv", sep="\t", dtype=str).fillna("")
    return {r: d for r, d in zip(meta["ru_id"], meta["domain"], strict=True) if r}


# -- a word-translation table induced from the multilingual encoder (benchmark only: it did not help) --
_EN_STOP = frozenset(
    "the and for that with this from was were are has have had not but they their them his her its our your you "
    "she him who which what when where will would can could should been being into about than then there these "
    "those also more most some such only over after before other any all one two very just may might must said "
    "says say out off upon while because during between through under again further once here why how both each "
    "few nor own same too does did doing".split())
_RU_FUNCTION = frozenset({"PREP", "CONJ", "PRCL", "NPRO", "INTJ", "NUMR"})


class WordBags:
    """Content-word bags: Russian lemmas (pymorphy3, function words dropped) and crude English lemmas."""

    def __init__(self) -> None:
        import pymorphy3

        self.morph = pymorphy3.MorphAnalyzer()
        self._ru: dict[str, str | None] = {}

    def ru_lemma(self, word: str) -> str | None:
        if word not in self._ru:
            p = self.morph.parse(word)[0]
            self._ru[word] = None if (p.tag.POS in _RU_FUNCTION or "Apro" in p.tag) else p.normal_form
        return self._ru[word]

    @staticmethod
    def en_lemma(word: str) -> str | None:
        if word in _EN_STOP:
            return None
        if len(word) > 4 and word.endswith("ies"):
            return word[:-3] + "y"
        if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us")):
            return word[:-1]
        return word

    def ru(self, text: str) -> tuple[set[str], set[str]]:
        """(Russian lemmas, Latin-script words) of a Russian text."""
        import re

        lem = {self.ru_lemma(w.lower()) for w in re.findall(r"[А-Яа-яЁё]{3,}", text)} - {None}
        return lem, self.en(text)  # type: ignore[return-value]

    def en(self, text: str) -> set[str]:
        import re

        return {self.en_lemma(w.lower()) for w in re.findall(r"[A-Za-z]{3,}", text)} - {None}  # type: ignore[misc]


def word_table(encoder: str, ru_words: list[str], en_words: list[str], mode: str = "mnn") -> dict[str, str]:
    """RU→EN word translations: each word embedded alone; mutual nearest neighbours by cosine (``mnn``)
    or by CSLS (Conneau et al. 2018, k=10; ``csls``)."""
    rv = cached_vectors(encoder, ru_words, kind="passage")
    ev = cached_vectors(encoder, en_words, kind="passage")
    S = rv @ ev.T
    if mode == "csls":
        r_ru = np.sort(S, 1)[:, -10:].mean(1)
        r_en = np.sort(S, 0)[-10:, :].mean(0)
        S = 2 * S - r_ru[:, None] - r_en[None, :]
    best_en, best_ru = S.argmax(1), S.argmax(0)
    return {ru_words[i]: en_words[j] for i, j in enumerate(best_en) if best_ru[j] == i}
