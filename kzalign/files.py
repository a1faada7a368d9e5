"""Safe output files: atomic writes, spreadsheet-friendly CSV, and refusal to overwrite reviewed files."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from .errors import KzalignError

#: Cells starting with these run as formulas in Excel/LibreOffice; we prefix them with a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_atomic(path: str | Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write to a temporary file beside ``path`` and rename it into place (never a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode(encoding) if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _mode_for(path: Path) -> int:
    """Permissions for a new output: those of the file it replaces, else 0o666 less the umask (as open() does)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def neutralize_formula(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unneutralize_formula(value: str) -> str:
    """Undo :func:`neutralize_formula` when reading a reviewed sheet back."""
    if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def csv_text(
    rows: pd.DataFrame | Sequence[dict[str, object]],
    columns: Sequence[str] | None = None,
    comments: Iterable[str] = (),
    spreadsheet: bool = True,
) -> str:
    """Render rows as CSV text; ``spreadsheet`` neutralises formulas. Comments go first as ``# ...`` lines."""
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=columns)
    if columns is not None:
        df = df.reindex(columns=list(columns))
    buf = io.StringIO()
    for c in comments:
        buf.write(f"# {c}\n")
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(list(df.columns))
    for rec in df.itertuples(index=False, name=None):
        cells = []
        for v in rec:
            if v is None or (isinstance(v, float) and pd.isna(v)):
                v = ""
            elif isinstance(v, (list, tuple)):
                v = "; ".join(str(x) for x in v)
            cells.append(neutralize_formula(v) if spreadsheet else v)
        writer.writerow(cells)
    return buf.getvalue()


def write_csv(
    path: str | Path,
    rows: pd.DataFrame | Sequence[dict[str, object]],
    columns: Sequence[str] | None = None,
    comments: Iterable[str] = (),
    bom: bool = True,
) -> Path:
    """Atomically write a CSV that opens cleanly in Excel/LibreOffice (UTF-8 BOM, CRLF, quoted)."""
    text = csv_text(rows, columns=columns, comments=comments)
    return write_atomic(path, ("\ufeff" if bom else "") + text)


def refuse_overwrite(path: str | Path, protected: Iterable[str | Path]) -> None:
    """Raise if ``path`` is one of the ``protected`` files (e.g. a reviewed CSV)."""
    target = Path(path).resolve()
    for p in protected:
        if Path(p).resolve() == target:
            raise KzalignError(f"{path}: refusing to overwrite a reviewed file; choose another --out")
