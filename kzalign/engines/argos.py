"""Installed models: argos translation packages (list, check, install) and the sentence encoders.

argos packages live in argostranslate's package folder (``$ARGOS_PACKAGES_DIR`` when set, read at
call time so tests can point it at a temporary folder). An ``.argosmodel`` file is a zip whose
single top-level folder holds ``metadata.json``, a CTranslate2 model in ``model/`` and
``sentencepiece.model``. Nothing here touches the network except :func:`install_online`.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from kzalign.core.errors import InputError, KzalignError, Problem

log = logging.getLogger(__name__)


DEFAULT_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"


@dataclass
class ArgosPackage:
    """One installed argos package and whether kzalign can use it (``problem`` says why not)."""

    name: str
    path: Path
    from_code: str
    to_code: str
    from_name: str = ""
    to_name: str = ""
    package_version: str = ""
    argos_version: str = ""
    target_prefix: str = ""
    problem: str = ""

    @property
    def usable(self) -> bool:
        return not self.problem

    @property
    def pair(self) -> str:
        return f"{self.from_code}_{self.to_code}"


def packages_dir() -> Path:
    """The folder argos packages are installed into (``$ARGOS_PACKAGES_DIR`` or argostranslate's default)."""
    env = os.environ.get("ARGOS_PACKAGES_DIR")
    if env:
        return Path(env)
    from argostranslate import settings

    return Path(settings.package_data_dir)


def _package_dirs() -> list[Path]:
    if os.environ.get("ARGOS_PACKAGES_DIR"):
        return [packages_dir()]
    from argostranslate import settings

    return [Path(p) for p in settings.package_dirs]


def package_problem(path: Path) -> str:
    """Why an installed package folder cannot be used by kzalign's engine ('' when it can)."""
    if not (path / "metadata.json").is_file():
        return "no metadata.json"
    if not (path / "model" / "model.bin").is_file():
        return "no CTranslate2 model (model/model.bin)"
    if not (path / "sentencepiece.model").is_file():
        if (path / "bpe.model").is_file():
            return "BPE tokenizer packages are not supported (needs sentencepiece.model)"
        return "no sentencepiece.model"
    return ""


def _from_argos(pkg: object) -> ArgosPackage:
    path = Path(pkg.package_path)  # type: ignore[attr-defined]
    return ArgosPackage(
        name=path.name, path=path,
        from_code=str(getattr(pkg, "from_code", "") or ""), to_code=str(getattr(pkg, "to_code", "") or ""),
        from_name=str(getattr(pkg, "from_name", "") or ""), to_name=str(getattr(pkg, "to_name", "") or ""),
        package_version=str(getattr(pkg, "package_version", "") or ""),
        argos_version=str(getattr(pkg, "argos_version", "") or ""),
        target_prefix=str(getattr(pkg, "target_prefix", "") or ""),
        problem=package_problem(path),
    )


def installed_packages() -> list[ArgosPackage]:
    """Every package folder in the argos package folders, usable or not, found through argostranslate."""
    from argostranslate import package as argos_package

    dirs = [d for d in _package_dirs() if d.is_dir()]
    try:
        found = [_from_argos(p) for p in argos_package.get_installed_packages(path=dirs)]
    except Exception:  # one broken folder makes argostranslate give up on all of them
        found = []
        for d in dirs:
            for sub in sorted(d.iterdir()):
                if not sub.is_dir() or sub.name.startswith("."):
                    continue
                try:
                    found.append(_from_argos(argos_package.Package(sub)))
                except Exception as exc:
                    found.append(ArgosPackage(name=sub.name, path=sub, from_code="?", to_code="?",
                                              problem=f"unreadable package ({exc})"))
    return sorted(found, key=lambda p: (p.pair, p.name))


def _version_key(version: str) -> tuple:
    parts = []
    for chunk in version.replace("-", ".").split("."):
        parts.append((0, int(chunk), "") if chunk.isdigit() else (-1, 0, chunk))
    return tuple(parts)


def find_package(from_code: str = "ru", to_code: str = "en") -> ArgosPackage | None:
    """The usable installed package for this language pair with the highest version, or None."""
    cands = [p for p in installed_packages() if p.from_code == from_code and p.to_code == to_code and p.usable]
    return max(cands, key=lambda p: _version_key(p.package_version)) if cands else None


def broken_packages(from_code: str = "ru", to_code: str = "en") -> list[ArgosPackage]:
    """Installed packages for this pair that kzalign cannot use."""
    return [p for p in installed_packages() if p.from_code == from_code and p.to_code == to_code and not p.usable]


def encoder_status() -> list[dict[str, object]]:
    """Which sentence encoders are importable (found with importlib, nothing is loaded)."""
    from kzalign.engines.embed import ENCODERS

    out = []
    for spec in ENCODERS.values():
        try:
            found = importlib.util.find_spec(spec.module) is not None
        except (ImportError, ValueError):
            found = False
        out.append({"name": spec.name, "module": spec.module, "description": spec.description,
                    "languages": "+".join(spec.languages), "available": found})
    return out


def list_models(from_code: str = "ru", to_code: str = "en") -> pd.DataFrame:
    """What is installed and usable, and what is missing: one row per argos package and per encoder.

    Columns: kind (translation|encoder), name, languages, version, status (usable|broken|missing), detail.
    """
    rows: list[dict[str, object]] = []
    pkgs = installed_packages()
    for p in pkgs:
        rows.append({
            "kind": "translation", "name": p.name, "languages": f"{p.from_code}→{p.to_code}",
            "version": p.package_version, "status": "usable" if p.usable else "broken",
            "detail": str(p.path) if p.usable else f"{p.path}: {p.problem}",
        })
    if not any(p.from_code == from_code and p.to_code == to_code and p.usable for p in pkgs):
        rows.append({
            "kind": "translation", "name": f"translate-{from_code}_{to_code}",
            "languages": f"{from_code}→{to_code}", "version": "", "status": "missing",
            "detail": f"kzalign models install {from_code}-{to_code}  (or --from-file PATH.argosmodel)",
        })
    for e in encoder_status():
        rows.append({
            "kind": "encoder", "name": e["name"], "languages": e["languages"],
            "version": _dist_version(str(e["module"])) if e["available"] else "",
            "status": "usable" if e["available"] else "missing",
            "detail": e["description"] if e["available"] else f"pip install the package providing '{e['module']}'",
        })
    return pd.DataFrame(rows, columns=["kind", "name", "languages", "version", "status", "detail"])


def _dist_version(module: str) -> str:
    from importlib import metadata

    dists = metadata.packages_distributions().get(module, [])
    for d in dists:
        try:
            return metadata.version(d)
        except metadata.PackageNotFoundError:
            continue
    return ""


def _check_archive(path: Path, zf: zipfile.ZipFile) -> tuple[str, dict[str, object]]:
    """The archive's top folder and metadata, or InputError saying what is wrong with it."""
    names = [n for n in zf.namelist() if n.strip("/")]

    def bad(msg: str) -> InputError:
        return InputError(Problem(str(path), None, msg),
                          hint="An .argosmodel is a zip with one folder holding metadata.json, model/ and "
                               "sentencepiece.model.")

    for n in names:
        pp = PurePosixPath(n)
        if pp.is_absolute() or ".." in pp.parts or "\\" in n:
            raise bad(f"unsafe path inside the archive: {n!r}")
    tops = {PurePosixPath(n).parts[0] for n in names}
    if len(tops) != 1:
        raise bad(f"expected one top-level folder, found {len(tops)}: {', '.join(sorted(tops)[:5]) or 'none'}")
    top = tops.pop()
    present = set(names)
    if f"{top}/metadata.json" not in present:
        raise bad(f"no {top}/metadata.json")
    try:
        meta = json.loads(zf.read(f"{top}/metadata.json").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad(f"{top}/metadata.json is not valid JSON ({exc})") from exc
    if not isinstance(meta, dict) or not meta.get("from_code") or not meta.get("to_code"):
        raise bad(f"{top}/metadata.json lacks from_code/to_code")
    for need in ("model/model.bin", "sentencepiece.model"):
        if f"{top}/{need}" not in present:
            raise bad(f"no {top}/{need}")
    return top, meta


def install_from_file(path: str | Path) -> ArgosPackage:
    """Install a downloaded ``.argosmodel`` into the argos package folder (replacing the same package)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(Problem(str(path), None, "no such file"))
    if not zipfile.is_zipfile(path):
        raise InputError(Problem(str(path), None, "not an .argosmodel package (not a zip archive)"))
    dest_root = packages_dir()
    dest_root.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path) as zf:
        top, _meta = _check_archive(path, zf)
        tmp = Path(tempfile.mkdtemp(prefix=".install-", dir=str(dest_root)))
        try:
            try:
                zf.extractall(tmp)
            except (zipfile.BadZipFile, OSError) as exc:
                raise InputError(Problem(str(path), None, f"cannot unpack ({exc})")) from exc
            target = dest_root / top
            old = None
            if target.exists():
                old = dest_root / f".old-{top}-{os.getpid()}"
                os.replace(target, old)
            os.replace(tmp / top, target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    _clear_argos_cache()
    from argostranslate import package as argos_package

    pkg = _from_argos(argos_package.Package(target))
    log.info("installed %s into %s", path.name, target)
    return pkg


def _clear_argos_cache() -> None:
    try:
        from argostranslate.translate import get_installed_languages

        get_installed_languages.cache_clear()
    except Exception:  # argostranslate's own cache; nothing of ours depends on it
        pass


def install_online(from_code: str = "ru", to_code: str = "en", timeout: float = 30.0) -> ArgosPackage:
    """Download ``translate-<from>_<to>`` through argos's package index and install it."""
    from argostranslate import package as argos_package
    from argostranslate import settings

    base = os.environ.get("ARGOS_PACKAGE_INDEX") or getattr(settings, "package_index", "") or DEFAULT_INDEX
    index_url = base.rstrip("/") + "/index.json"
    offline_hint = (f"If this machine is offline, download translate-{from_code}_{to_code}-<version>.argosmodel "
                    "elsewhere and run: kzalign models install --from-file PATH.argosmodel")
    try:
        with urllib.request.urlopen(index_url, timeout=timeout) as resp:
            index = json.loads(resp.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise KzalignError(f"cannot read the argos package index {index_url} ({exc}).\n{offline_hint}") from exc
    cands = [argos_package.AvailablePackage(m) for m in index if isinstance(m, dict)]
    cands = [c for c in cands if c.from_code == from_code and c.to_code == to_code and c.type == "translate"]
    if not cands:
        raise KzalignError(f"the argos package index has no {from_code}→{to_code} translation package")
    best = max(cands, key=lambda c: _version_key(str(c.package_version)))
    fd, tmp_name = tempfile.mkstemp(suffix=".argosmodel")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        errors = []
        for link in best.links:
            try:
                with urllib.request.urlopen(link, timeout=timeout) as resp, open(tmp, "wb") as fh:
                    shutil.copyfileobj(resp, fh)
                break
            except OSError as exc:
                errors.append(f"{link}: {exc}")
        else:
            raise KzalignError("download failed: " + "; ".join(errors or ["no download links"]) + "\n" + offline_hint)
        return install_from_file(tmp)
    finally:
        tmp.unlink(missing_ok=True)
