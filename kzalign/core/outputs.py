"""Output folders written all-or-nothing, in step with the workspace commit.

A command that writes several files (``kzalign run``) follows one order:

1. :meth:`OutputSet.check` before any work: the folder can be created and written, no output
   name is taken by a folder, and no output is the workspace itself;
2. :meth:`OutputSet.stage` inside the workspace transaction: every file is written to a hidden
   staging folder beside the outputs (same file system), so a failure here rolls the workspace back
   and leaves the output folder untouched;
3. the workspace commits;
4. :meth:`OutputSet.publish`: each staged file is renamed into place (atomic per file).

So a failed or interrupted run leaves the workspace and the earlier outputs as they were, and a
successful one replaces the outputs only after its results are safely in the workspace.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kzalign.core.errors import KzalignError


class OutputError(KzalignError):
    """An output file or folder cannot be written; the message names it."""


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


#: Staging folders are named ``.kzalign-staging-PID-XXXX`` (the PID of the run that writes them).
STAGING_PREFIX = ".kzalign-staging-"
#: A staging folder without a PID in its name (kzalign before 0.2) is stale after this many seconds.
_LEGACY_STALE_SECONDS = 3600


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_staging(folder: Path) -> list[Path]:
    """Remove staging folders that a killed run left in ``folder`` (its process is gone); returns them.

    A live run's staging folder (another ``kzalign run`` writing here now) is left alone.
    """
    removed = []
    for d in folder.glob(STAGING_PREFIX + "*"):
        pid_part = d.name[len(STAGING_PREFIX):].split("-", 1)[0]
        if pid_part.isdigit() and "-" in d.name[len(STAGING_PREFIX):]:
            stale = int(pid_part) != os.getpid() and not _alive(int(pid_part))
        else:
            try:
                stale = time.time() - d.stat().st_mtime > _LEGACY_STALE_SECONDS
            except OSError:
                continue
        if stale and d.is_dir() and not d.is_symlink():
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


class OutputSet:
    """The files one command writes into ``folder`` (see the module docstring for the order)."""

    def __init__(self, folder: str | Path, names: Iterable[str], protected: Iterable[str | Path] = ()):
        self.folder = Path(folder)
        self.names = list(names)
        self.protected = [Path(p) for p in protected]
        self.staging: Path | None = None
        self.staged: dict[str, Path] = {}
        self._created: list[Path] = []  # folders this set created (removed again if it fails)

    def target(self, name: str) -> Path:
        return self.folder / name

    def check(self) -> None:
        """Fail early, naming the path, when the outputs could not be written."""
        if self.folder.exists() and not self.folder.is_dir():
            raise OutputError(f"{self.folder}: --out must be a folder, but a file has this name")
        for name in self.names:
            t = self.target(name)
            if t.is_dir():
                raise OutputError(f"{t}: cannot write this output, a folder has its name; move it away or "
                                  "choose another --out")
            for p in self.protected:
                if p.exists() and t.exists() and os.path.samefile(t, p):
                    raise OutputError(f"{t}: is the workspace (or a reviewed file); choose another --out")
        existing = self.folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise OutputError(f"{existing}: is a file, so --out {self.folder} cannot be created")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise OutputError(f"{existing}: cannot write outputs here (permission denied)")
        if existing == self.folder:
            try:
                fd, probe = tempfile.mkstemp(prefix=".kzalign-probe-", dir=self.folder)
                os.close(fd)
                os.unlink(probe)
            except OSError as exc:
                raise OutputError(f"{self.folder}: cannot write outputs here ({_why(exc)})") from exc

    def stage(self, name: str, write: Callable[[Path], Path]) -> Path:
        """Write output ``name`` into the staging folder with ``write(path)``; returns the staged path."""
        if name not in self.names:
            raise ValueError(f"{name} is not one of this command's outputs {self.names}")
        try:
            if self.staging is None:
                missing = [p for p in [self.folder, *self.folder.parents] if not p.exists()]
                self.folder.mkdir(parents=True, exist_ok=True)
                self._created = missing
                clean_stale_staging(self.folder)
                self.staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=self.folder))
            path = write(self.staging / name)
        except OSError as exc:
            self.discard(failed=True)
            raise OutputError(f"{self.target(name)}: cannot write ({_why(exc)})") from exc
        self.staged[name] = path
        return path

    def publish(self) -> dict[str, Path]:
        """Move every staged file into place; returns name -> final path."""
        out: dict[str, Path] = {}
        for name in self.names:
            if name not in self.staged:
                continue
            t = self.target(name)
            try:
                if t.is_dir():
                    raise IsADirectoryError(21, "a folder has this name")
                os.replace(self.staged[name], t)
            except OSError as exc:
                raise OutputError(f"{t}: cannot write ({_why(exc)}); the workspace is saved and the new file "
                                  f"is kept as {self.staged[name]}") from exc
            out[name] = t
        self.discard()
        return out

    @contextmanager
    def discard_on_error(self) -> Iterator[OutputSet]:
        """Remove the staging folder when the block fails (e.g. the workspace commit)."""
        try:
            yield self
        except BaseException:
            self.discard(failed=True)
            raise

    def discard(self, failed: bool = False) -> None:
        """Remove the staging folder (and, after a failure, the empty folders this set created)."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
        if failed:
            for p in self._created:  # deepest first
                try:
                    p.rmdir()
                except OSError:
                    break
            self._created = []
