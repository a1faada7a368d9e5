"""Ablation of the stream's event evidence (issue 23 error analysis): refit and cross-validate with one change undone.

Each variant patches :mod:`kzalign.engines.events` (or a fitting choice) in this process only, then runs
``bench_link_stream.py --fit --cv --stream-weight 4 --spec regularised`` on features computed under the patch
(its own key version and feature cache, so nothing is mixed with the shipped features).

Usage: python benchmarks/bench_link_stream_ablate.py VARIANT[,VARIANT...]   (one run per variant set)
Variants: ``none`` (as shipped); ``no_nbsp`` (no-break spaces not made plain spaces); ``no_rewrites`` (no
``TYPE_REWRITES``); ``rwMASK`` (keep only the rewrites whose bit is 1: Russian ones, then English ones, in order);
``ru_summit`` (also rewrite Russian "заседание совета/глав/ШОС…" as a summit, tried and dropped);
``no_programme`` (programme names not left out of the field's names); ``old_compat`` (a press conference
compatible with every in-person type, call not with talks); ``no_calltalks``; ``old_press`` (the press-conference
patterns before the analysis); ``nd=X`` (``NEAR_DAYS``); ``shift=X`` (the dated pairs' stage-2 shift).
"""

from __future__ import annotations

import dataclasses
import functools
import sys

import bench_link_stream as B

from kzalign.engines import events as EV
from kzalign.engines import keys as K

OLD_PRESS = (r"пресс-конференц|брифинг|ответил на вопросы|ответы на вопросы",
             r"press[- ]conference|press approach|briefing|media questions|answers? (?:to )?(?:a )?questions?")
RU_SUMMIT = (r"заседани\w* (?=(?:совета?|глав|шос|одкб|снг|еаэс|брикс)\b)", "саммит ")
FIT_ONLY = ("shift=",)


def _rewrites(mask: str) -> None:
    ru, en = EV.TYPE_REWRITES["ru"], EV.TYPE_REWRITES["en"]
    EV.TYPE_REWRITES = {"ru": tuple(x for x, b in zip(ru, mask[: len(ru)], strict=False) if b == "1"),
                        "en": tuple(x for x, b in zip(en, mask[len(ru):], strict=False) if b == "1")}


def patch(variant: str) -> None:
    """Apply one variant to the events module or the shipped spec."""
    if variant == "no_nbsp":
        EV.lowered = lambda text: text.lower()
    elif variant == "no_rewrites":
        EV.TYPE_REWRITES = {"ru": (), "en": ()}
    elif variant.startswith("rw"):
        _rewrites(variant[2:])
    elif variant == "ru_summit":
        EV.TYPE_REWRITES = {**EV.TYPE_REWRITES, "ru": (RU_SUMMIT, *EV.TYPE_REWRITES["ru"])}
    elif variant == "no_programme":  # the shipped names without their not-participant rows
        full = EV.field_names
        EV.field_names = functools.cache(lambda path=EV.FIELD_NAMES: dataclasses.replace(
            full(path), not_ru=None, not_en=None))
    elif variant == "old_compat":
        EV._IN_PERSON = frozenset({"talks", "meeting", "visit", "summit", "signing", "press"})
        EV._COMPATIBLE = frozenset({("call", "greetings"), ("call", "condolences"), ("interview", "press")})
    elif variant == "no_calltalks":
        EV._COMPATIBLE = EV._COMPATIBLE - {("call", "talks")}
    elif variant == "old_press":
        EV.EVENT_TYPES = {**EV.EVENT_TYPES, "press": OLD_PRESS}
    elif variant.startswith("nd="):
        EV.NEAR_DAYS = float(variant[3:])
    elif variant.startswith("shift="):
        B.SPECS["regularised"] = dataclasses.replace(B.SPECS["regularised"], dated_shift=float(variant[6:]))
    elif variant != "none":
        raise SystemExit(f"unknown variant {variant!r}")


def main() -> None:
    arg = sys.argv[1] if len(sys.argv) > 1 else "none"
    variant = arg.split(",")
    for v in variant:
        patch(v)
    for f in (EV._type_patterns, EV._rewrites, EV.field_names):
        f.cache_clear()
    tag = "_".join(v for v in variant if not v.startswith(FIT_ONLY))
    source_hash = B._source_hash
    B._source_hash = lambda: f"{source_hash()}_{tag}"  # features of this variant cached apart
    K.KEYS_VERSION = f"{K.KEYS_VERSION}-{tag}"  # keys too
    print(f"== {arg}", flush=True)
    sys.argv = ["bench_link_stream.py", "--fit", "--cv", "--stream-weight", "4", "--spec", "regularised"]
    B.main()


if __name__ == "__main__":
    main()
