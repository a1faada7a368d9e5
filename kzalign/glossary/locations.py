"""Where glossaries live by default. Called by the command line only: library functions take paths.

* the **bundled** glossary ships inside the package (:data:`~kzalign.glossary.entries.BUNDLED_DIR`)
  and is never written to;
* the **user** glossary folder is ``$KZALIGN_GLOSSARY`` when set, else ``./glossaries``. Accepted
  entries go there; the first write copies the bundled files in, so nothing is hidden.

Commands read the user folder when it holds glossary files, otherwise the bundled glossary.
"""

from __future__ import annotations

import os
from pathlib import Path

from kzalign.core.errors import InputError, Problem
from kzalign.glossary.entries import BUNDLED_DIR, glossary_files

ENV_VAR = "KZALIGN_GLOSSARY"


def user_glossary_dir() -> Path:
    """The folder (or file) accepted entries go to: ``$KZALIGN_GLOSSARY``, else ``./glossaries``."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path("glossaries")


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


def default_glossary_location() -> Path:
    """TRANSITION (for ``review.import_review``, which still looks the target up itself): the user folder,
    seeded with the bundled files when it has none, so merged candidates never hide bundled entries."""
    from kzalign.glossary.edit import seed_folder

    user = user_glossary_dir()
    if not user.suffix and not _has_glossary(user):
        seed_folder(user, BUNDLED_DIR)
    return user
