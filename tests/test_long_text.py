"""A report that is one long line without sentence breaks (issue 26, finding 3): what reaches the encoder, the
translator and the aligner is cut into pieces of at most MAX_SENTENCE_CHARS, and no text is lost on the way."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from kzalign.core.text import MAX_SENTENCE_CHARS, bounded_pieces, split_sentences
from kzalign.engines.embed import normalize_rows
from kzalign.inputs.ingest import ingest_paths
from kzalign.stages.link import item_units, link_workspace
from kzalign.store.workspace import Workspace

VOCAB = ("посол министр встреча сотрудничество Казахстан Мексика парламент группа дружбы стороны обсудили вопросы "
         "торговли инвестиций культуры образования Алмурат Турганбеков Астана 2025 года").split()


def _unbroken(chars: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    words: list[str] = []
    n = 0
    while n < chars:
        words.append(rng.choice(VOCAB))
        n += len(words[-1]) + 1
    return " ".join(words)


class RecordingEncoder:
    """A tiny deterministic encoder that keeps the longest text it was given."""

    name = "rec"
    signature = "rec-v1"
    dim = 8

    def __init__(self) -> None:
        self.longest = 0
        self.texts = 0

    def encode(self, texts: list[str], *, kind: str = "passage", batch_size: int = 64) -> np.ndarray:
        self.longest = max([self.longest, *map(len, texts)])
        self.texts += len(texts)
        vecs = [np.random.default_rng(len(t)).standard_normal(self.dim) for t in texts]
        return normalize_rows(np.array(vecs, dtype=np.float32).reshape(len(texts), self.dim))


def test_long_unbroken_line_is_cut_into_bounded_pieces_that_keep_every_word() -> None:
    text = _unbroken(200_000)
    sents = split_sentences(text, "ru")
    assert len(sents) > 200_000 // MAX_SENTENCE_CHARS
    assert max(map(len, sents)) <= MAX_SENTENCE_CHARS and min(map(len, sents)) >= MAX_SENTENCE_CHARS // 2 - 20
    assert " ".join(sents).split() == text.split()  # cut at spaces: every word kept whole, in order
    unspaced = "я" * 2500  # no space at all: cut where it must
    assert bounded_pieces(unspaced) == ["я" * 1000, "я" * 1000, "я" * 500]


def test_ordinary_sentences_and_headlines_are_left_whole() -> None:
    body = "Посол встретился с депутатами. " * 3 + "Стороны обсудили вопросы торговли."
    assert item_units("Заголовок", body, "ru") == ["Заголовок", *["Посол встретился с депутатами."] * 3,
                                                   "Стороны обсудили вопросы торговли."]
    long_title = _unbroken(5000)
    units = item_units(long_title, "Одно предложение.", "ru")
    assert max(map(len, units)) <= MAX_SENTENCE_CHARS and units[-1] == "Одно предложение."


def test_link_encodes_a_megabyte_line_in_bounded_pieces(tmp_path: Path, seeds_dir: Path) -> None:
    """Before the fix the whole line was one unit: ~3.5 GB of encoder memory per MB."""
    report = tmp_path / "long.txt"
    report.write_text("Посол Казахстана провёл встречу\n23.02.2026, 10:00 100\n" + _unbroken(300_000) + "\n",
                      encoding="utf-8")
    enc = RecordingEncoder()
    with Workspace(tmp_path / "w.db") as ws:
        ingest_paths(ws, [report, seeds_dir])
        link_workspace(ws, encoder=enc)
    assert enc.texts > 300_000 // MAX_SENTENCE_CHARS
    assert enc.longest <= MAX_SENTENCE_CHARS
