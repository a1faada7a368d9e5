"""The output guard: every command that writes a file asks :func:`check_output` first.

It lives above the review readers (it must recognise a reviewed file) and below every stage and command.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from kzalign.core.errors import KzalignError
from kzalign.formats.review_file import has_decisions

_SQLITE_MAGIC = b"SQLite format 3\x00"


def check_output(
    out: str | Path,
    *,
    workspace: str | Path | None = None,
    inputs: Iterable[str | Path] = (),
    allow_reviewed: bool = False,
) -> Path:
    """Refuse, before anything is written, an output path that would destroy data; return it as a Path.

    Refused: the workspace file (or its ``-wal``/``-shm``/``-journal``), any other SQLite database, one of
    the command's ``inputs``, a folder, and a review file with decisions in it (unless ``allow_reviewed``).
    Every command that writes a file calls this first.
    """
    path = Path(out)
    target = path.resolve()
    if path.is_dir():
        raise KzalignError(f"{out}: is a folder; give a file name for the output")
    if workspace is not None:
        ws = Path(workspace).resolve()
        if target in {ws, *(ws.with_name(ws.name + sfx) for sfx in ("-wal", "-shm", "-journal"))}:
            raise KzalignError(f"{out}: refusing to overwrite the workspace; choose another output file")
    for p in inputs:
        if Path(p).resolve() == target:
            raise KzalignError(f"{out}: refusing to overwrite an input of this command; choose another output file")
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise KzalignError(f"{out}: cannot be replaced ({exc.strerror})") from exc
        if head == _SQLITE_MAGIC:
            raise KzalignError(f"{out}: is a SQLite database (a kzalign workspace?); refusing to overwrite it")
        if not allow_reviewed and has_decisions(path):
            raise KzalignError(f"{out}: refusing to overwrite a reviewed file (it has decisions); "
                               "choose another output file")
    return path
