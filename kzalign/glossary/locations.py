"""Where glossaries live by default. Called by the command line only: library functions take paths.

* the **bundled** glossary ships inside the package (:data:`~kzalign.glossary.entries.BUNDLED_DIR`)
  and is never written to;
* the **user** glossary folder is ``$KZALIGN_GLOSSARY`` when set, else ``glossaries`` in kzalign's home
  (``$KZALIGN_HOME``, else the platform's user data folder: ``~/.local/share/kzalign`` on Linux,
  ``~/Library/Application Support/kzalign`` on macOS, ``%APPDATA%\\kzalign`` on Windows). Accepted
  entries go there, never into the package or a checkout; the first write copies the bundled files in,
  so nothing is hidden.

Commands read the user folder when it holds glossary files, otherwise the bundled glossary.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kzalign.core.errors import InputError, Problem
from kzalign.glossary.entries import BUNDLED_DIR, glossary_files

ENV_VAR = "KZALIGN_GLOSSARY"
HOME_VAR = "KZALIGN_HOME"
#: Where earlier kzalign versions kept the user glossary (relative to the current folder); no longer read by default.
LEGACY_DIR = Path("glossaries")


def kzalign_home() -> Path:
    """kzalign's per-user folder: ``$KZALIGN_HOME``, else the platform's user data folder + ``kzalign``."""
    env = os.environ.get(HOME_VAR)
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "kzalign"


def user_glossary_dir() -> Path:
    """The folder (or file) accepted entries go to: ``$KZALIGN_GLOSSARY``, else ``<kzalign home>/glossaries``."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else kzalign_home() / "glossaries"


def user_folder() -> Path:
    """The folder of the user glossary (its parent when ``$KZALIGN_GLOSSARY`` names a file)."""
    user = user_glossary_dir()
    return user.parent if user.suffix else user


def _has_glossary(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and bool(glossary_files([path])))


def default_glossary_paths() -> list[Path]:
    """Glossary paths a command uses when given none: the user glossary if it has entries, else the bundled one.

    A ``$KZALIGN_GLOSSARY`` that does not exist is an error naming it (a typo must not silently
    fall back to another glossary).
    """
    user = user_glossary_dir()
    if os.environ.get(ENV_VAR) and not user.exists():
        raise InputError(Problem(str(user), None, f"${ENV_VAR} names a glossary file or folder that does not exist"))
    return [user] if _has_glossary(user) else [BUNDLED_DIR]


def legacy_glossary_hint() -> str | None:
    """A warning when ``./glossaries`` holds a glossary that differs from the bundled one (earlier kzalign versions
    wrote there; it is not read by default any more), so entries added there are not silently ignored."""
    if os.environ.get(ENV_VAR) or not LEGACY_DIR.is_dir() or LEGACY_DIR.resolve() == user_folder().resolve():
        return None
    files = glossary_files([LEGACY_DIR])
    bundled = {f.name: f.read_bytes() for f in glossary_files([BUNDLED_DIR])}
    if not files or all(bundled.get(f.name) == f.read_bytes() for f in files):
        return None
    return (f"{LEGACY_DIR}/ holds a glossary that is not read by default any more: use --glossary {LEGACY_DIR}, "
            f"or move its files to your glossary folder {user_glossary_dir()} (or set ${ENV_VAR})")


def default_glossary_location() -> Path:
    """TRANSITION (for ``review.import_review``, which still looks the target up itself): the user folder,
    seeded with the bundled files when it has none, so merged candidates never hide bundled entries."""
    from kzalign.glossary.edit import seed_folder

    user = user_glossary_dir()
    if not user.suffix and not _has_glossary(user):
        seed_folder(user, BUNDLED_DIR)
    return user
