"""Editing glossary files: add one entry, merge reviewed candidates, list entries.

Writes go only where the caller points (a user glossary folder or file), never into kzalign's
bundled glossary. A folder that has no glossary yet can be seeded with a copy of the bundled
files first (``seed``), so adding one entry never hides the bundled entries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kzalign.core.errors import InputError, KzalignError
from kzalign.core.files import write_atomic
from kzalign.glossary.entries import (
    BUNDLED_DIR,
    COLUMNS,
    KIND_FILES,
    KINDS,
    STATUSES,
    Entry,
    Located,
    entry_row,
    glossary_files,
    new_entry,
    norm_ru,
    read_glossary_file,
    read_rows,
    split_forms,
    validate_entries,
    write_entries,
)
from kzalign.glossary.matcher import Glossary


def target_file(target: str | Path, kind: str) -> Path:
    """The file an entry of ``kind`` goes to: ``target`` itself, or the kind's file in a folder."""
    target = Path(target)
    if target.is_dir() or (not target.suffix and not target.exists()):
        return target / KIND_FILES.get(kind, "other.csv")
    return target


#: The package folder (never written) and, in a source checkout, its tracked project glossary.
PACKAGE_DIR = BUNDLED_DIR.parent.parent


def checkout_glossary() -> Path | None:
    """The tracked ``glossaries/`` folder when kzalign runs from a source checkout (None when installed)."""
    root = PACKAGE_DIR.parent
    return root / "glossaries" if (root / "pyproject.toml").is_file() and (root / "glossaries").is_dir() else None


def refuse_bundled(target: str | Path) -> None:
    """Raise when ``target`` is inside kzalign's package (its bundled glossary) or a checkout's tracked
    ``glossaries/``: glossary upkeep writes to a user glossary folder, never into kzalign itself."""
    t = Path(target).resolve()
    checkout = checkout_glossary()
    for protected, what in ((PACKAGE_DIR, "kzalign's bundled glossary (inside the package)"),
                            (checkout, "the project glossary tracked in kzalign's source checkout")):
        if protected is not None and (t == protected.resolve() or protected.resolve() in t.parents):
            raise KzalignError(f"{target}: is {what}, which glossary commands never edit; use your own glossary "
                               "folder ($KZALIGN_GLOSSARY, else glossaries/ in $KZALIGN_HOME or the user data "
                               "folder; or --to PATH)")


def _folder_of(target: Path) -> Path:
    return target if target.is_dir() or not target.suffix else target.parent


def _needs_seed(target: Path, seed: Path | None) -> bool:
    """A folder target with no glossary files yet gets the ``seed`` glossary copied in first."""
    if seed is None or target.suffix:
        return False
    return not (target.is_dir() and glossary_files([target]))


def seed_folder(folder: Path, seed: Path) -> list[Path]:
    """Copy the glossary files of ``seed`` into ``folder`` (atomically, one by one); returns the copies."""
    out = []
    for f in glossary_files([seed]):
        out.append(write_atomic(folder / f.name, f.read_bytes()))
    return out


def _existing_rows(target: Path, seed: Path | None) -> list[Located]:
    """Rows of the glossary a write goes into (the seed's rows when the folder is still to be seeded)."""
    if _needs_seed(target, seed) and seed is not None:
        return read_rows(glossary_files([seed]))
    folder = _folder_of(target)
    files = set(glossary_files([folder])) if folder.is_dir() else set()
    if target.is_file():
        files.add(target)
    return read_rows(sorted(files))


@dataclass
class MergeReport:
    """What a merge did: entries added per file, rows skipped with the reason, bundled files copied."""

    added: list[Entry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    seeded: list[str] = field(default_factory=list)


def _write_pending(target: Path, pending: dict[Path, list[Entry]], seed: Path | None, rep: MergeReport) -> None:
    """Validate the whole resulting glossary, then seed the folder (if asked) and write the new entries."""
    rows = _existing_rows(target, seed)
    rows += [(str(p), None, e) for p, new in pending.items() for e in new]
    validate_entries(rows)
    if _needs_seed(target, seed) and seed is not None:
        rep.seeded = [str(p) for p in seed_folder(target, seed)]
    for path, new in pending.items():
        old = [e for _, e in read_glossary_file(path)] if path.exists() else []
        write_entries(path, old + new)
        rep.added.extend(new)
        rep.files.append(str(path))


def add_to_glossary(target: str | Path, entry: Entry, seed: Path | None = None) -> MergeReport:
    """Append one entry to a glossary file (or the kind's file in a glossary folder), validated first.

    With ``seed`` (a glossary folder, e.g. :data:`BUNDLED_DIR`), a folder without glossary files
    first receives a copy of the seed's files, so the new entry joins them instead of hiding them.
    """
    if entry.kind not in KINDS or entry.status not in STATUSES or not entry.ru or not entry.en:
        raise InputError(f"entry {entry.ru!r}: need ru, en, kind in {KINDS} and status in {STATUSES}")
    refuse_bundled(target)
    rep = MergeReport()
    _write_pending(Path(target), {target_file(target, entry.kind): [entry]}, seed, rep)
    return rep


def add_entry(target: str | Path, entry: Entry, seed: Path | None = None) -> Path:
    """:func:`add_to_glossary`, returning the file written."""
    return Path(add_to_glossary(target, entry, seed).files[0])


def add_entry_values(target: str | Path, ru: str, en: str, kind: str, variants: str = "", forbidden: str = "",
                     status: str = "approved", note: str = "", source: str = "",
                     seed: Path | None = None) -> Path:
    """:func:`add_entry` from plain values (what ``kzalign glossary add`` passes)."""
    return add_entry(target, new_entry(ru, en, kind, variants, forbidden, status, note, source), seed=seed)


def _candidate_entries(candidates: str | Path | pd.DataFrame) -> list[Entry]:
    if not isinstance(candidates, pd.DataFrame):
        return [e for _, e in read_glossary_file(candidates)]
    return [Entry(str(r.get("ru", "")), str(r.get("en", "")), str(r.get("kind", "") or "other"),
                  split_forms(str(r.get("variants", "") or "")), split_forms(str(r.get("forbidden", "") or "")),
                  str(r.get("status", "") or "candidate"), str(r.get("note", "") or ""),
                  str(r.get("source", "") or "")) for r in candidates.fillna("").to_dict("records")]


def merge_candidates(candidates: str | Path | pd.DataFrame, target: str | Path,
                     only_approved: bool = True, seed: Path | None = None) -> MergeReport:
    """Merge reviewed candidate rows (status=approved unless ``only_approved`` is off) into the glossary;
    an existing entry for the same Russian name is never overwritten. ``seed`` as in :func:`add_entry`."""
    refuse_bundled(target)
    target = Path(target)
    rep = MergeReport()
    taken = {norm_ru(e.ru) for _, _, e in _existing_rows(target, seed)}
    pending: dict[Path, list[Entry]] = defaultdict(list)
    for e in _candidate_entries(candidates):
        if only_approved and e.status != "approved":
            rep.skipped.append((e.ru, f"status {e.status}, not approved"))
        elif norm_ru(e.ru) in taken:
            rep.skipped.append((e.ru, "already in the glossary (never overwritten)"))
        else:
            taken.add(norm_ru(e.ru))
            pending[target_file(target, e.kind)].append(e)
    if pending:
        _write_pending(target, dict(pending), seed, rep)
    return rep


@dataclass
class EditReport:
    """What ``glossary remove``/``edit`` did: the entry before and after (None when removed), the files
    rewritten and the bundled files copied in first."""

    old: Entry
    new: Entry | None
    files: list[str] = field(default_factory=list)
    seeded: list[str] = field(default_factory=list)


def _locate(target: Path, ru: str, seed: Path | None) -> tuple[list[Located], int]:
    """The rows of the glossary at ``target`` (the seed's when still to be seeded) and the index of ``ru``'s row."""
    rows = _existing_rows(target, seed)
    key = norm_ru(ru)
    found = [i for i, (_, _, e) in enumerate(rows) if norm_ru(e.ru) == key]
    if not found:
        raise KzalignError(f"{ru!r} is not in the glossary at {target}; 'kzalign glossary list' shows its entries")
    return rows, found[0]


def _home_file(target: Path, path: str, seeding: bool) -> Path:
    """Where a row read from ``path`` lives once the folder is seeded (the copy of the seed file)."""
    return _folder_of(target) / Path(path).name if seeding else Path(path)


def _rewrite(target: Path, seed: Path | None, rows: list[Located], i: int, new: Entry | None) -> EditReport:
    """Validate the glossary with row ``i`` replaced by ``new`` (or removed), seed if needed, then write."""
    src, _, old = rows[i]
    seeding = _needs_seed(target, seed) and seed is not None
    old_file = _home_file(target, src, seeding)
    new_file = old_file
    if new is not None and new.kind != old.kind and old_file.name == KIND_FILES.get(old.kind):
        new_file = target_file(_folder_of(target), new.kind)  # a kind's own file follows the kind
    after = rows[:i] + rows[i + 1:] + ([(str(new_file), None, new)] if new is not None else [])
    validate_entries(after)
    rep = EditReport(old=old, new=new)
    if seeding and seed is not None:
        rep.seeded = [str(p) for p in seed_folder(_folder_of(target), seed)]
    key = norm_ru(old.ru)
    entries = [e for _, e in read_glossary_file(old_file)]
    if new is not None and new_file == old_file:  # edited in place
        entries = [new if norm_ru(e.ru) == key else e for e in entries]
    else:  # removed, or moved to its new kind's file
        entries = [e for e in entries if norm_ru(e.ru) != key]
    write_entries(old_file, entries)
    rep.files.append(str(old_file))
    if new is not None and new_file != old_file:
        moved = [e for _, e in read_glossary_file(new_file)] if new_file.exists() else []
        write_entries(new_file, moved + [new])
        rep.files.append(str(new_file))
    return rep


def remove_from_glossary(target: str | Path, ru: str, seed: Path | None = None) -> EditReport:
    """Remove the entry for the Russian name ``ru`` (case and ё ignored) from the glossary at ``target``.

    With ``seed``, a folder without glossary files first receives the seed's files, so removing a
    bundled entry hides only that entry. An unknown name is an error and nothing is written.
    """
    refuse_bundled(target)
    rows, i = _locate(Path(target), ru, seed)
    return _rewrite(Path(target), seed, rows, i, None)


#: Fields ``edit_entry`` may change (variants/forbidden as |-separated text).
EDITABLE = ("en", "kind", "variants", "forbidden", "status", "note", "source")


def edit_entry(target: str | Path, ru: str, changes: dict[str, str], seed: Path | None = None) -> EditReport:
    """Change fields of the entry for ``ru`` (``changes``: field -> new value, see :data:`EDITABLE`); the
    whole glossary is validated first, and nothing is written when it would be invalid."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown or not changes:
        raise KzalignError(f"glossary edit {ru!r}: give at least one of {', '.join(EDITABLE)}"
                           + (f" (not {', '.join(unknown)})" if unknown else ""))
    refuse_bundled(target)
    rows, i = _locate(Path(target), ru, seed)
    cells = {**entry_row(rows[i][2]), **changes}
    if cells["kind"] not in KINDS or cells["status"] not in STATUSES or not cells["en"].strip():
        raise InputError(f"entry {ru!r}: need en, kind in {KINDS} and status in {STATUSES}")
    new = new_entry(cells["ru"], cells["en"].strip(), cells["kind"], cells["variants"], cells["forbidden"],
                    cells["status"], cells["note"], cells["source"])
    return _rewrite(Path(target), seed, rows, i, new)


def glossary_table(glossary: Glossary, kind: str | None = None, status: str | None = None) -> pd.DataFrame:
    """Entries as a table, optionally filtered by kind and status."""
    rows = [entry_row(e) for e in glossary.entries if (kind is None or e.kind == kind)
            and (status is None or e.status == status)]
    return pd.DataFrame(rows, columns=COLUMNS)

