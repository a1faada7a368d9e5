"""Where the batch stages run: CPU threads per model, in-process or on a Dask cluster.

:func:`engine` is entered once at the edge (the CLI's ``--threads`` / ``--cluster``). Inside it,
:func:`kzalign.engines.embed.get_encoder` and :func:`kzalign.engines.translate.load_translator` return models with that
many threads, and with a cluster they wrap themselves around a :class:`RemoteModel` (keeping their name and
signature, so cache keys and results do not change) that sends each chunk of texts to a Dask worker.
The engine knows no model: a model describes itself by a :class:`WorkerSpec` (module-level functions to
build it and to check that a worker can, with picklable arguments); a worker builds each model once and
keeps it for every later chunk.

The workspace stays on the client: chunks come back as they finish and the stages write each one to
the cache at once, so a lost worker loses nothing (Dask re-runs its chunks elsewhere) and a stopped
run resumes from the cache. Dask is only imported when a cluster is asked for (``pip install
'kzalign[cluster]'``).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from kzalign.core.errors import KzalignError
from kzalign.core.version import __version__

log = logging.getLogger(__name__)

#: Threads per encoder/translator when none are asked for (measured: BENCHMARKS.md, "Threads and workers").
DEFAULT_THREADS = 1
#: Seconds to wait for a scheduler (and for its first worker) before giving up.
CONNECT_TIMEOUT = 10.0
HOW_TO = ("Start a scheduler with `dask scheduler` and workers with `dask worker tcp://HOST:8786` "
          "(kzalign and its models installed on every worker), or use --cluster local:N for workers on this "
          "machine.")

_ENGINE: ContextVar[Engine | None] = ContextVar("kzalign_engine", default=None)


def check_threads(threads: object) -> int | None:
    """``threads`` as a positive int (None stays None); anything else is a clear error."""
    if threads is None:
        return None
    try:
        n = int(threads)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        n = 0
    if n < 1 or isinstance(threads, bool) or str(threads).strip() != str(n):
        raise KzalignError(f"threads must be a whole number of 1 or more, got {threads!r} (--threads or "
                           "KZALIGN_THREADS: CPU threads for each encoder and translator)")
    return n


def current_engine() -> Engine | None:
    """The engine entered with :func:`engine` in this context, or None (in-process, default threads)."""
    return _ENGINE.get()


def parse_cluster(spec: str) -> tuple[str, Any]:
    """``("local", n_workers)`` for ``local`` / ``local:N``, ``("address", url)`` for ``tcp://host:port``."""
    s = spec.strip()
    if s == "local" or s.startswith("local:"):
        n = s.partition(":")[2] or str(os.cpu_count() or 1)
        if not n.isdigit() or int(n) < 1:
            raise KzalignError(f"--cluster {spec!r}: local:N needs a number of workers of 1 or more")
        return "local", int(n)
    if "://" in s and s.split("://", 1)[1]:
        return "address", s
    raise KzalignError(f"--cluster {spec!r}: expected tcp://HOST:PORT (a running Dask scheduler) or local:N. "
                       + HOW_TO)


@dataclass
class Engine:
    """Threads per model and, optionally, the Dask client whose workers run the chunks."""

    threads: int = DEFAULT_THREADS
    address: str = ""
    client: Any = None
    local_cluster: Any = None
    _checked: dict[str, str] = field(default_factory=dict)

    def workers(self) -> int:
        """Number of workers the scheduler knows now (0 in-process)."""
        if self.client is None:
            return 0
        return len(self.client.scheduler_info().get("workers", {}))

    def remote(self, spec: WorkerSpec) -> RemoteModel | None:
        """None in-process; on a cluster a :class:`RemoteModel` of ``spec``, once every worker says it can
        build the model (so a missing model fails before any work)."""
        if self.client is None:
            return None
        self._preflight(spec.label, spec.check, *spec.args)
        return RemoteModel(self, spec)

    def _preflight(self, what: str, check: Callable[..., str], *args: Any) -> None:
        """Fail before any work when a worker cannot load a model (so the workspace stays unchanged)."""
        if what in self._checked:
            return
        found = self.client.run(check, *args, on_error="return")
        bad = {w: (r if isinstance(r, str) else f"{type(r).__name__}: {r}") for w, r in found.items()
               if not isinstance(r, str) or r}
        if bad:
            lines = "; ".join(f"{w}: {p}" for w, p in sorted(bad.items()))
            raise KzalignError(f"Dask workers at {self.address} cannot load the {what}: {lines}. "
                               "Install the same kzalign and models on every worker.")
        self._checked[what] = ""

    def run_chunks(self, fn: Callable[..., Any], args: Iterable[tuple[Any, ...]], what: str
                   ) -> Iterator[tuple[int, Any]]:
        """``fn(*a)`` for each ``a`` on the workers; (index, result) as they finish, a few chunks in flight
        per worker (so memory stays bounded); a failed chunk is a clear error naming the cluster."""
        from distributed import as_completed

        window = max(2, 2 * max(1, self.workers()))
        todo = iter(enumerate(args))
        index: dict[str, int] = {}
        done = as_completed()
        tag = uuid.uuid4().hex[:8]

        def submit() -> None:
            nxt = next(todo, None)
            if nxt is not None:
                fut = self.client.submit(fn, *nxt[1], key=f"kzalign-{fn.__name__}-{tag}-{nxt[0]}", pure=False)
                index[fut.key] = nxt[0]
                done.add(fut)

        try:
            for _ in range(window):
                submit()
            for fut in done:
                result = self._result(fut, what)
                i = index.pop(fut.key)
                fut.release()
                submit()
                yield i, result
        finally:
            if index:  # stopped early (error or the caller gave up): drop what is still queued
                self.client.cancel(list(done.futures), force=True)

    def _result(self, fut: Any, what: str) -> Any:
        try:
            return fut.result()
        except KzalignError as exc:
            raise KzalignError(f"a Dask worker at {self.address} failed while {what}: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - scheduler lost, worker crash loop, missing module...
            raise KzalignError(
                f"the Dask cluster at {self.address} failed while {what} ({type(exc).__name__}: {exc}). "
                "Finished chunks are saved in the workspace: run the command again to resume.") from exc

    def close(self) -> None:
        """Disconnect (and stop a cluster this engine started)."""
        if self.client is not None:
            self.client.close()
        if self.local_cluster is not None:
            self.local_cluster.close()
        self.client = self.local_cluster = None


def start(cluster: str | None = None, threads: int | None = None, timeout: float = CONNECT_TIMEOUT) -> Engine:
    """An :class:`Engine`: in-process when ``cluster`` is empty, else connected to a scheduler or a new
    LocalCluster (``local:N``: N single-threaded worker processes), with kzalign checked on every worker."""
    n = check_threads(threads) or DEFAULT_THREADS
    if not cluster or not str(cluster).strip():
        return Engine(threads=n)
    kind, arg = parse_cluster(str(cluster))
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise KzalignError("--cluster needs Dask distributed: pip install 'kzalign[cluster]'") from exc
    # Dask logs at INFO on its own handler; keep it as quiet as the rest of the command (-v shows it)
    logging.getLogger("distributed").setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))
    eng = Engine(threads=n, address=str(cluster).strip())
    try:
        if kind == "local":
            eng.local_cluster = LocalCluster(n_workers=arg, threads_per_worker=1, processes=True,
                                             dashboard_address=":0",  # any free port
                                             silence_logs=logging.ERROR)
            eng.address = f"{cluster} ({eng.local_cluster.scheduler_address})"
            eng.client = Client(eng.local_cluster, timeout=timeout)
        else:
            eng.client = Client(arg, timeout=timeout)
        _check_workers(eng, timeout)
    except KzalignError:
        eng.close()
        raise
    except (OSError, TimeoutError, RuntimeError) as exc:
        eng.close()
        what = ("cannot start local Dask workers" if kind == "local"
                else f"cannot reach the Dask scheduler at {cluster} within {timeout:g}s")
        raise KzalignError(f"{what} ({type(exc).__name__}: {exc}). " + HOW_TO) from exc
    return eng


def _check_workers(eng: Engine, timeout: float) -> None:
    """At least one worker, and every worker runs this kzalign version."""
    try:
        eng.client.wait_for_workers(1, timeout=timeout)
    except TimeoutError as exc:
        raise KzalignError(f"the Dask scheduler at {eng.address} has no workers (waited {timeout:g}s). "
                           + HOW_TO) from exc
    found = eng.client.run(_worker_version, on_error="return")
    bad = {w: v for w, v in found.items() if v != __version__}
    if bad:
        what = "; ".join(f"{w}: {v if isinstance(v, str) else f'{type(v).__name__}: {v}'}"
                         for w, v in sorted(bad.items()))
        raise KzalignError(f"Dask workers at {eng.address} cannot run kzalign {__version__} ({what}). "
                           "Install the same kzalign (and its models) on every worker.")


@contextmanager
def engine(threads: int | None = None, cluster: str | None = None,
           timeout: float = CONNECT_TIMEOUT) -> Iterator[Engine]:
    """Run the enclosed stages with ``threads`` threads per model, on ``cluster`` when one is given."""
    eng = start(cluster, threads, timeout)
    token = _ENGINE.set(eng)
    try:
        yield eng
    finally:
        _ENGINE.reset(token)
        eng.close()


def map_chunks(fn: Callable[..., Any], args: Iterable[tuple[Any, ...]], what: str = "working"
               ) -> Iterator[tuple[int, Any]]:
    """(index, ``fn(*a)``) for each ``a``: on the active engine's Dask workers as they finish, else here in
    order. For any batch stage (``fn`` must be importable on the workers, its arguments picklable)."""
    eng = current_engine()
    if eng is None or eng.client is None:
        for i, a in enumerate(args):
            yield i, fn(*a)
        return
    yield from eng.run_chunks(fn, args, what)


# -- any model on the workers ----------------------------------------------------------------------

@dataclass(frozen=True)
class WorkerSpec:
    """How a worker builds the same model: ``build(*args)`` makes it, ``check(*args)`` says why it cannot
    ('' when it can) without building it. Both module-level (importable on the workers), ``args`` picklable."""

    label: str
    build: Callable[..., Any]
    check: Callable[..., str]
    args: tuple[Any, ...]


class RemoteModel:
    """A model built on the Dask workers from a :class:`WorkerSpec`; its methods run there chunk by chunk."""

    def __init__(self, eng: Engine, spec: WorkerSpec) -> None:
        self.engine, self.spec = eng, spec

    def __repr__(self) -> str:
        return f"RemoteModel({self.spec.label!r} on {self.engine.address})"

    def map(self, method: str, chunks: Iterable[Any], what: str, **kwargs: Any) -> Iterator[tuple[int, Any]]:
        """(chunk index, ``model.method(chunk, **kwargs)``) as the workers finish them."""
        spec = self.spec
        return self.engine.run_chunks(_call_model, ((spec.build, spec.args, method, c, kwargs) for c in chunks),
                                      what)


# -- what runs on the workers ---------------------------------------------------------------------
_MODELS: dict[tuple[str, str, str], Any] = {}
#: glibc malloc on a worker: arrays below this many bytes come from the heap, and up to twice it stays
#: there when freed. 32 MiB is glibc's own ceiling for its dynamic threshold (64-bit), i.e. what an
#: in-process run ends up with; a Dask nanny's ``MALLOC_TRIM_THRESHOLD_=65536`` freezes it at 128 KiB instead,
#: so every encoder batch is mmap'd and page-faulted afresh: 1.4x the CPU (BENCHMARKS.md, "Dask workers").
WORKER_MMAP_THRESHOLD = 32 * 1024 * 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def tune_worker_malloc() -> bool:
    """Give this process glibc's in-process malloc thresholds (see :data:`WORKER_MMAP_THRESHOLD`); False
    where there is no glibc ``mallopt`` (macOS, musl...), which leaves the allocator as it is."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    ok = mallopt(_M_MMAP_THRESHOLD, WORKER_MMAP_THRESHOLD) == 1
    return ok and mallopt(_M_TRIM_THRESHOLD, 2 * WORKER_MMAP_THRESHOLD) == 1


def _worker_version() -> str:
    return __version__


def _call_model(build: Callable[..., Any], args: tuple[Any, ...], method: str, chunk: Any,
                kwargs: dict[str, Any]) -> Any:
    """On a worker: the model of ``build(*args)`` (built once per worker), its ``method`` on ``chunk``."""
    key = (build.__module__, build.__qualname__, repr(args))
    if key not in _MODELS:
        if not _MODELS:  # the first model on this worker (also after a restart)
            tune_worker_malloc()
        _MODELS[key] = build(*args)
    return getattr(_MODELS[key], method)(chunk, **kwargs)
