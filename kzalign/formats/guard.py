"""The output guard: every command that writes a file asks :func:`check_output` first.

It lives above the review readers (it must recognise a reviewed file) and below every stage and command.
Paths are compared after resolving symlinks (and as the same file, for hard links), so no spelling of a
path slips past it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from kzalign.core.errors import KzalignError
from kzalign.core.files import decode_text, sniff_delimiter
from kzalign.formats.review_file import has_decisions

_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
#: Columns every glossary CSV has (kzalign.glossary.entries.COLUMNS starts with them).
_GLOSSARY_COLUMNS = {"ru", "en", "kind"}
#: Glossary folders skip files named so (reviewable candidates): outputs may go there.
_CANDIDATES_PREFIX = "candidates"
#: Most CSV files of one folder looked at to tell whether it is a glossary folder.
_MAX_FOLDER_FILES = 200


def check_output(
    out: str | Path,
    *,
    workspace: str | Path | None = None,
    inputs: Iterable[str | Path] = (),
    allow_reviewed: bool = False,
    glossary_edit: bool = False,
    glossaries: Iterable[str | Path] = (),
) -> Path:
    """Refuse, before anything is written, an output path that would destroy data; return it as a Path.

    Refused: the workspace file (or its ``-wal``/``-shm``/``-journal``), any other SQLite database or its
    side files, one of the command's ``inputs`` or a file inside an input folder, a folder or other non-regular
    file, a review file with decisions in it (unless ``allow_reviewed``), and a glossary file or a CSV in a folder
    of glossary CSVs but ``candidates*.csv`` (unless ``glossary_edit``: the glossary commands that edit one).
    ``glossaries`` are the glossary files and folders the command uses: refused as inputs are, except that
    ``candidates*.csv`` may go into a glossary folder (the loader skips them).
    Every command that writes a file calls this first.
    """
    path = Path(out)
    target = path.resolve()
    if path.is_dir():
        raise KzalignError(f"{out}: cannot write this output, a folder has its name; give another file name "
                           "(or move the folder away)")
    if path.exists() and not path.is_file():
        raise KzalignError(f"{out}: is not a regular file (a device, pipe or socket); choose an output file")
    if workspace is not None and _is_workspace(target, Path(workspace)):
        raise KzalignError(f"{out}: is the workspace; refusing to overwrite the workspace, choose another output file")
    _refuse_inputs(out, target, inputs)
    _refuse_database(out, target)
    if not glossary_edit:
        candidates = target.name.lower().startswith(_CANDIDATES_PREFIX)
        _refuse_inputs(out, target, [g for g in map(Path, glossaries) if not (candidates and g.is_dir())])
        _refuse_glossary(out, target)
    if path.is_file() and not allow_reviewed and _may_be_review_file(path) and has_decisions(path):
        raise KzalignError(f"{out}: refusing to overwrite a reviewed file (it has decisions); "
                           "choose another output file")
    return path


def _same(a: Path, b: Path) -> bool:
    """``a`` and ``b`` name the same file (after symlinks; hard links too when both exist)."""
    if a == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _is_workspace(target: Path, workspace: Path) -> bool:
    ws = workspace.resolve()
    return any(_same(target, ws.with_name(ws.name + sfx)) for sfx in ("", *_SQLITE_SIDE_FILES))


def _refuse_inputs(out: str | Path, target: Path, inputs: Iterable[str | Path]) -> None:
    for p in map(Path, inputs):
        if _same(target, p):
            raise KzalignError(f"{out}: refusing to overwrite an input of this command; choose another output file")
        if p.is_dir() and p.resolve() in target.parents:
            raise KzalignError(f"{out}: is inside {p}, an input folder of this command (its inputs or glossary); "
                               "the next run would read its own outputs. Choose an output outside it")


def _sqlite_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise KzalignError(f"{path}: cannot be replaced ({exc.strerror})") from exc


def _refuse_database(out: str | Path, target: Path) -> None:
    """Any SQLite database (a workspace of another --db?) and the side files of one."""
    if target.is_file() and _sqlite_head(target) == _SQLITE_MAGIC:
        raise KzalignError(f"{out}: is a SQLite database (a kzalign workspace?); refusing to overwrite it")
    for sfx in _SQLITE_SIDE_FILES:
        if target.name.endswith(sfx):
            base = target.with_name(target.name[: -len(sfx)])
            if base.is_file() and _sqlite_head(base) == _SQLITE_MAGIC:
                raise KzalignError(f"{out}: belongs to the SQLite database {base} (a kzalign workspace?); "
                                   "refusing to overwrite it")


def _header(path: Path) -> str | None:
    """The first line that is not a ``#`` comment of a text table (from its first 64 kB), or None when the
    file is a workbook, XML or not text."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(65536)
    except OSError:
        return None
    if raw.startswith(b"PK\x03\x04") or raw.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
        return None
    try:
        text, _enc = decode_text(raw, str(path))
    except KzalignError:
        return None
    return next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")


def _may_be_review_file(path: Path) -> bool:
    """False only for a text table whose header has no ``decision`` column (an earlier run's items.csv): such
    a file is not read whole just to learn it holds no decisions."""
    header = _header(path)
    return header is None or "decision" in header.lower()


def is_glossary_csv(path: Path) -> bool:
    """True when ``path`` reads as a glossary CSV: its header (after ``#`` lines) has ru, en and kind columns."""
    header = _header(path)
    if not header:
        return False
    cells = {c.strip().strip('"').lstrip("\ufeff").lower() for c in header.split(sniff_delimiter(header))}
    return _GLOSSARY_COLUMNS <= cells


def _refuse_glossary(out: str | Path, target: Path) -> None:
    """A glossary file, or a CSV in a folder that loads as a glossary (every CSV in it but ``candidates*`` is a
    glossary file): written there, it would be loaded as part of the glossary, which then no longer loads."""
    if target.name.lower().startswith(_CANDIDATES_PREFIX):
        return
    if target.is_file() and is_glossary_csv(target):
        raise KzalignError(f"{out}: is a glossary file; refusing to overwrite it (choose another output file, or "
                           "edit the glossary with 'kzalign glossary add/merge')")
    folder = target.parent
    if target.suffix.lower() != ".csv" or not folder.is_dir():
        return  # the glossary loader reads only the CSV files of a folder
    others = sorted(f for f in folder.glob("*.csv") if f.resolve() != target and f.is_file()
                    and not f.name.lower().startswith(_CANDIDATES_PREFIX))[:_MAX_FOLDER_FILES]
    if others and all(is_glossary_csv(f) for f in others):
        raise KzalignError(f"{out}: is in a glossary folder ({Path(out).parent} holds {others[0].name}); a CSV written "
                           "there would be loaded as part of the glossary. Choose another folder")
