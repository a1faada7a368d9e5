"""Offline Russian→English machine translation: argos packages run with CTranslate2, cached and guarded.

* Engine: an installed argos package is loaded by hand (``metadata.json``, the CTranslate2 model in
  ``model/``, ``sentencepiece.model``), never through argostranslate's own translate path, whose
  sentence splitter may try to download a model. Sentences come from :func:`kzalign.core.text.split_sentences`
  (razdel, the splitter every stage uses, so cache keys agree) and are translated in length-sorted
  batches with ``ctranslate2.Translator.translate_batch``.
* Cache: the workspace table ``translations`` keyed by (cache key, ``text_hash(sentence)``); the cache key is
  the translator signature, plus the glossary signature when names are protected.
* Names: glossary names in the Russian source are replaced by their approved English form before
  translation and checked (and re-cased / repaired) afterwards; a name the model lost is flagged
  ``placeholder_lost``, never silently wrong.
* Guards: ``empty``, ``repetition``, ``copied_source``, ``length_ratio``, ``placeholder_lost`` flags.

Placeholder choice. The protected span is the approved English name itself (a "code-switched" source,
as in Song et al. 2019, NAACL, and Dinu et al. 2019, ACL), not a sentinel such as ``⟦0⟧``: argos
SentencePiece vocabularies never saw such sentinels (they become ``<unk>`` or stray pieces, which a
model drops, moves or "translates"), while Latin-script names inside Russian text are common in the
training data and are copied through. And when a model does bend a Latin name (an inflection, a
different casing, a small re-spelling), the approved form is still recoverable by a fuzzy match; a
mangled sentinel is not.
"""

from __future__ import annotations

import difflib
import json
import logging
import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pandas as pd

from kzalign.core.errors import KzalignError
from kzalign.core.progress import ProgressCallback, report
from kzalign.core.text import has_cyrillic, script_counts, split_sentences, text_hash, words
from kzalign.engines.argos import ArgosPackage, broken_packages, find_package, package_problem
from kzalign.engines.cluster import DEFAULT_THREADS, RemoteModel, WorkerSpec, check_threads, current_engine
from kzalign.store.workspace import Workspace

log = logging.getLogger(__name__)

FLAG_NAMES = ("empty", "repetition", "copied_source", "length_ratio", "placeholder_lost")
#: Flag of a sentence that has no cached translation when :func:`item_translations` is asked for it.
UNTRANSLATED = "untranslated"

MT_OFF = (
    "MT is off: no Russian→English argos model is installed; linking uses the multilingual encoders only. "
    "Turn it on with `kzalign models install ru-en` (online) or "
    "`kzalign models install --from-file translate-ru_en-<ver>.argosmodel`."
)

if TYPE_CHECKING:
    from kzalign.glossary import Glossary


@runtime_checkable
class Translator(Protocol):
    """Anything that translates a list of sentences; ``signature`` identifies model and settings."""

    signature: str

    def translate(self, sentences: list[str]) -> list[str]: ...


@dataclass
class TranslateReport:
    """What a translate run did: sentence counts (unique sentences), flags, wall time and the cache key."""

    sentences: int = 0
    cached: int = 0
    translated: int = 0
    flagged: int = 0
    seconds: float = 0.0
    items: int = 0
    signature: str = ""
    flag_counts: dict[str, int] | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# -- the engine ---------------------------------------------------------------------------------

class ArgosTranslator:
    """An argos package (CTranslate2 model + SentencePiece) translating batches of sentences."""

    def __init__(
        self,
        package: ArgosPackage,
        beam_size: int = 2,
        batch_size: int = 32,
        compute_type: str = "int8",
        threads: int = 0,
        max_decoding_length: int = 256,
        length_penalty: float = 0.2,
    ):
        import ctranslate2
        import sentencepiece as spm

        if beam_size < 1 or batch_size < 1:
            raise KzalignError("beam size and batch size must be at least 1")
        self.package = package
        self.beam_size = int(beam_size)
        self.batch_size = int(batch_size)
        self.max_decoding_length = int(max_decoding_length)
        self.length_penalty = float(length_penalty)
        self.threads = int(threads)
        supported = ctranslate2.get_supported_compute_types("cpu")
        if compute_type not in supported and compute_type != "auto":
            log.warning("compute type %s not supported on this CPU; using auto", compute_type)
            compute_type = "auto"
        self.compute_type = compute_type
        model_dir = package.path / "model"
        try:
            self.sp = spm.SentencePieceProcessor(model_file=str(package.path / "sentencepiece.model"))
            self.model = ctranslate2.Translator(
                str(model_dir), device="cpu", compute_type=compute_type,
                inter_threads=1, intra_threads=self.threads,  # 0: CTranslate2 picks
            )
        except (RuntimeError, OSError, ValueError) as exc:
            raise KzalignError(f"{package.path}: cannot load the argos package ({exc})") from exc
        self.target_prefix = package.target_prefix or ""
        version = package.package_version or "0"
        self.signature = f"argos-{package.pair}-{version}|ct2-{compute_type}|beam{self.beam_size}"
        #: constructor settings, so a Dask worker can build the same translator (kzalign.engines.cluster)
        self.options = {"beam_size": self.beam_size, "batch_size": self.batch_size, "compute_type": compute_type,
                        "threads": self.threads, "max_decoding_length": self.max_decoding_length,
                        "length_penalty": self.length_penalty}

    def __repr__(self) -> str:
        return f"ArgosTranslator({self.signature!r}, batch_size={self.batch_size})"

    def tokenize(self, sentences: Sequence[str]) -> list[list[str]]:
        """SentencePiece pieces of each sentence (the model's input)."""
        return [self.sp.encode(s, out_type=str) for s in sentences]

    def detokenize(self, pieces: list[str]) -> str:
        """Text of an output piece sequence (target prefix removed)."""
        if self.target_prefix and pieces and pieces[0] == self.target_prefix:
            pieces = pieces[1:]
        return self.sp.decode(pieces).replace("▁", " ").strip()

    def batch_options(self, batch: list[list[str]]) -> dict[str, Any]:
        """Keyword arguments of ``translate_batch`` for one batch (decoding length capped from the input)."""
        longest = max((len(t) for t in batch), default=1)
        opts: dict[str, Any] = {
            "beam_size": self.beam_size,
            "max_batch_size": self.batch_size,
            "max_decoding_length": max(16, min(self.max_decoding_length, 2 * longest + 10)),
            "length_penalty": self.length_penalty,
            "replace_unknowns": True,
            "num_hypotheses": 1,
        }
        if self.target_prefix:
            opts["target_prefix"] = [[self.target_prefix]] * len(batch)
        return opts

    def batches(self, tokens: list[list[str]]) -> list[list[int]]:
        """Indices of ``tokens`` grouped into length-sorted batches of at most ``batch_size``."""
        order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
        return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]

    def translate_tokens(self, tokens: list[list[str]]) -> list[list[str]]:
        """Output pieces for each input piece list, batched by length."""
        out: list[list[str]] = [[] for _ in tokens]
        for idx in self.batches(tokens):
            batch = [tokens[i] for i in idx]
            todo = [j for j, t in enumerate(batch) if t]
            if not todo:
                continue
            res = self.model.translate_batch([batch[j] for j in todo], **self.batch_options([batch[j] for j in todo]))
            for j, r in zip(todo, res, strict=True):
                out[idx[j]] = list(r.hypotheses[0]) if r.hypotheses else []
        return out

    def translate(self, sentences: list[str]) -> list[str]:
        """Translate sentences (one output per input, in order)."""
        if not sentences:
            return []
        pieces = self.translate_tokens(self.tokenize(sentences))
        return [self.detokenize(p) if s.strip() else "" for s, p in zip(sentences, pieces, strict=True)]


@dataclass(frozen=True)
class TranslatorEngine:
    """A kind of translator kzalign can load: ``load(from_code, to_code, **settings)`` gives one, or None when
    nothing usable is installed (then MT is off, and :data:`MT_OFF` says how to turn it on)."""

    name: str
    description: str
    load: Callable[..., Translator | None]


def load_translator(from_code: str = "ru", to_code: str = "en", engine: str = "argos", **settings: Any
                    ) -> Translator | None:
    """The translator of the registered ``engine`` (:data:`TRANSLATORS`) for this pair, or None when none is
    usable; ``settings`` go to the engine's loader (argos: :func:`load_argos`'s beam_size, batch_size...)."""
    if engine not in TRANSLATORS:
        raise KzalignError(f"unknown translator {engine!r}; choose one of {', '.join(TRANSLATORS)}")
    return TRANSLATORS[engine].load(from_code, to_code, **settings)


def load_argos(
    from_code: str = "ru",
    to_code: str = "en",
    beam_size: int = 2,
    batch_size: int = 32,
    compute_type: str = "int8",
    threads: int | None = None,
    max_decoding_length: int = 256,
) -> Translator | None:
    """The installed argos translator for this pair, or None when no usable package is installed.

    ``threads`` (default: the active :func:`kzalign.engines.cluster.engine`'s, else ``DEFAULT_THREADS``) sets
    CTranslate2's intra-op threads; inside an engine with a Dask cluster the translator runs on its workers.
    """
    pkg = find_package(from_code, to_code)
    if pkg is None:
        for bad in broken_packages(from_code, to_code):
            log.warning("ignoring argos package %s: %s", bad.path, bad.problem)
        return None
    eng = current_engine()
    n = check_threads(threads) or (eng.threads if eng is not None else DEFAULT_THREADS)
    tr = ArgosTranslator(pkg, beam_size=beam_size, batch_size=batch_size, compute_type=compute_type,
                         threads=n, max_decoding_length=max_decoding_length)
    if eng is None:
        return tr
    spec = WorkerSpec(f"argos package {pkg.path}", build_translator, translator_problem,
                      (pkg, tuple(sorted(tr.options.items()))))
    remote = eng.remote(spec)
    return ClusterTranslator(remote, tr) if remote is not None else tr


#: The translators kzalign can load, by name (``kzalign models`` lists them; tests plug a tiny argos package).
TRANSLATORS: dict[str, TranslatorEngine] = {
    "argos": TranslatorEngine("argos", "an installed argostranslate package (CTranslate2 + SentencePiece), offline",
                              load_argos),
}


def build_translator(package: ArgosPackage, options: tuple[tuple[str, Any], ...]) -> ArgosTranslator:
    """The translator of ``package`` with these settings (what a Dask worker builds, once)."""
    return ArgosTranslator(package, **dict(options))


def translator_problem(package: ArgosPackage, options: tuple[tuple[str, Any], ...] = ()) -> str:
    """Why this process cannot load the argos ``package`` ('' when it can): a Dask worker's check."""
    import importlib.util

    if importlib.util.find_spec("ctranslate2") is None:
        return "ctranslate2 is missing"
    path = Path(package.path)
    return package_problem(path) if path.is_dir() else f"no argos package folder {path}"


class ClusterTranslator:
    """A translator whose chunks run on Dask workers with the wrapped argos translator's settings."""

    def __init__(self, remote: RemoteModel, local: ArgosTranslator) -> None:
        self.remote, self.local = remote, local
        self.signature, self.batch_size, self.package = local.signature, local.batch_size, local.package

    def __repr__(self) -> str:
        return f"ClusterTranslator({self.signature!r} on {self.remote.engine.address})"

    def map_chunks(self, chunks: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
        """(chunk index, translations) as the workers finish them."""
        return self.remote.map("translate", chunks, "translating")

    def translate(self, sentences: list[str]) -> list[str]:
        """Translations of ``sentences`` in order (one chunk per worker task)."""
        step = self.batch_size * 4
        parts = dict(self.map_chunks(sentences[s : s + step] for s in range(0, len(sentences), step)))
        return [t for i in range(len(parts)) for t in parts[i]]


def mt_status(from_code: str = "ru", to_code: str = "en") -> str:
    """One plain sentence saying which ru→en model is used, or that MT is off and how to turn it on."""
    try:
        pkg = find_package(from_code, to_code)
        broken = broken_packages(from_code, to_code) if pkg is None else []
    except Exception as exc:  # a status line must never fail the caller
        log.warning("cannot list argos packages: %s", exc)
        pkg, broken = None, []
    if pkg is not None:
        return (f"MT is on: Russian→English with the argos package {pkg.name} "
                f"(version {pkg.package_version or '?'}, {pkg.path}), run with CTranslate2 on the CPU.")
    if broken:
        b = broken[0]
        return MT_OFF.replace("no Russian→English argos model is installed",
                              f"the installed Russian→English argos package {b.path} is unusable ({b.problem})")
    return MT_OFF


# -- glossary placeholders ------------------------------------------------------------------------

def protect_names(sentence: str, glossary: Glossary | None) -> tuple[str, list[str]]:
    """Replace glossary names found in ``sentence`` by their approved English form; return text and names."""
    if glossary is None:
        return sentence, []
    matches = [m for m in glossary.find_ru(sentence) if getattr(m, "en", "") and m.end > m.start]
    matches.sort(key=lambda m: (m.start, -(m.end - m.start)))
    out: list[str] = []
    names: list[str] = []
    pos = 0
    for m in matches:
        if m.start < pos:  # overlaps a longer match already taken
            continue
        en = str(m.en).strip()
        before = sentence[pos : m.start]
        out.append(before)
        if before and not before[-1].isspace() and before[-1].isalnum():
            out.append(" ")
        out.append(en)
        nxt = sentence[m.end : m.end + 1]
        if nxt and nxt.isalnum():
            out.append(" ")
        names.append(en)
        pos = m.end
    out.append(sentence[pos:])
    return "".join(out), names


def _name_regex(name: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in re.split(r"[\s\-‐–]+", name.strip()) if p]
    body = r"[\s\-‐–]*".join(parts)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def _fuzzy_spans(text: str, name: str, taken: list[tuple[int, int]], need: int) -> list[tuple[int, int]]:
    """Up to ``need`` non-overlapping word spans of ``text`` that look like a bent ``name`` (ratio ≥ 0.8)."""
    toks = [(m.start(), m.end()) for m in re.finditer(r"\w+(?:['’]\w+)?", text)]
    n = max(1, len(re.findall(r"\w+", name)))
    target = name.casefold()
    cands: list[tuple[float, int, int]] = []
    for k in range(max(1, n - 1), n + 2):
        for i in range(0, len(toks) - k + 1):
            s, e = toks[i][0], toks[i + k - 1][1]
            if any(s < te and ts < e for ts, te in taken):
                continue
            ratio = difflib.SequenceMatcher(None, text[s:e].casefold(), target).ratio()
            if ratio >= 0.8:
                cands.append((ratio, s, e))
    chosen: list[tuple[int, int]] = []
    for _ratio, s, e in sorted(cands, key=lambda c: (-c[0], c[1])):
        if len(chosen) >= need:
            break
        if any(s < ce and cs < e for cs, ce in chosen + taken):
            continue
        chosen.append((s, e))
    return chosen


def restore_names(mt: str, names: list[str]) -> tuple[str, bool]:
    """Put every protected name back in its approved form; return the text and whether a name was lost.

    Exact matches (any case, any spacing/hyphens) are re-cased; near matches of names of four or more
    letters (an inflected or re-spelled copy) are replaced; anything else counts as lost.
    """
    if not names:
        return mt, False
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    spans: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    lost = False
    for name in sorted(counts, key=len, reverse=True):
        need = counts[name]
        found = [
            (m.start(), m.end()) for m in _name_regex(name).finditer(mt)
            if not any(m.start() < te and ts < m.end() for ts, te in taken)
        ]
        if len(found) < need and len(name) >= 4:
            found += _fuzzy_spans(mt, name, taken + found, need - len(found))
        if len(found) < need:
            lost = True
        for s, e in found:
            spans.append((s, e, name))
            taken.append((s, e))
    out = mt
    for s, e, name in sorted(spans, reverse=True):
        out = out[:s] + name + out[e:]
    return out, lost


# -- guards ----------------------------------------------------------------------------------------

#: (n, times): an n-word group repeated back to back this many times is a ``repetition``.
_REPEAT_LIMITS = ((1, 4), (2, 3), (3, 3), (4, 3))


def _has_repeats(toks: list[str]) -> bool:
    """Whether a word repeats 4 times in a row, or a group of 2, 3 or 4 words 3 times in a row.

    ``times`` copies of an n-word group start at ``i`` exactly when ``toks[j] == toks[j + n]`` for the
    ``(times - 1) * n`` positions ``j`` from ``i`` on, so it is a run of that many ones in the bytes
    of those comparisons (computed in C).
    """
    if len(set(toks)) == len(toks):
        return False
    return any(
        b"\x01" * ((times - 1) * n) in bytes(map(operator.eq, toks, toks[n:])) for n, times in _REPEAT_LIMITS
    )


def check_translation(src: str, mt: str) -> list[str]:
    """QA flags for one machine-translated sentence (known failure modes of offline NMT)."""
    flags: list[str] = []
    if not mt.strip():
        return ["empty"]
    mt_words = words(mt)
    if not mt_words and words(src):
        return ["empty"]
    if _has_repeats(mt_words) or (len(mt_words) >= 8 and len(set(mt_words)) / len(mt_words) < 0.35):
        flags.append("repetition")
    if has_cyrillic(src):
        cyr, lat = script_counts(mt)
        # an all-ASCII output cannot have the same words as a source with Cyrillic letters
        if cyr > 0.3 * (cyr + lat) or (not mt.isascii() and " ".join(words(src)) == " ".join(mt_words)):
            flags.append("copied_source")
    ratio = (len(mt) + 10) / (len(src) + 10)
    if ratio < 0.4 or ratio > 2.5:
        flags.append("length_ratio")
    return flags


def join_flags(flags: Iterable[str]) -> str:
    """Flags as the ``|``-joined string stored in the workspace (sorted, unique)."""
    return "|".join(sorted({f for f in flags if f}))


# -- cache -----------------------------------------------------------------------------------------

def cache_key(translator: Translator, glossary: Glossary | None = None) -> str:
    """The ``model`` column of cached translations: translator signature [+ glossary signature]."""
    sig = str(translator.signature)
    if glossary is not None:
        sig += f"|gloss:{getattr(glossary, 'signature', 'unknown')}"
    return sig


def _finish_chunk(translator: Translator, chunk: list[str], protected: list[tuple[str, list[str]]],
                  raw: list[str]) -> list[tuple[str, str]]:
    """(translation with glossary names restored, flags) for each source sentence of a chunk."""
    if len(raw) != len(chunk):
        raise KzalignError(f"translator {translator.signature} returned {len(raw)} outputs for {len(chunk)} inputs")
    out = []
    for src, (_, names), mt in zip(chunk, protected, raw, strict=True):
        mt = (mt or "").strip()
        restored, lost = restore_names(mt, names)
        flags = check_translation(src, restored)
        if lost:
            flags.append("placeholder_lost")
        out.append((restored, join_flags(flags)))
    return out


def translate_chunks(translator: Translator, chunks: list[list[str]], glossary: Glossary | None
                     ) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """(chunk index, [(mt, flags)]) for each chunk of sentences as it finishes (names protected here;
    a translator with ``map_chunks``, e.g. on a Dask cluster, translates chunks in parallel)."""
    protected: dict[int, list[tuple[str, list[str]]]] = {}

    def inputs() -> Iterator[list[str]]:
        for i, chunk in enumerate(chunks):
            protected[i] = [protect_names(s, glossary) for s in chunk]
            yield [p for p, _ in protected[i]]

    mapper = getattr(translator, "map_chunks", None)
    raw = mapper(inputs()) if mapper is not None else enumerate(map(translator.translate, inputs()))
    for i, out in raw:
        yield i, _finish_chunk(translator, chunks[i], protected.pop(i), out)


def _translate_cached(
    ws: Workspace,
    translator: Translator,
    sentences: Sequence[str],
    glossary: Glossary | None,
    force: bool,
    progress: ProgressCallback | None,
    stage: str = "translate",
) -> tuple[dict[str, tuple[str, str]], TranslateReport]:
    """Translations (mt, flags) by sentence hash for the unique sentences; translate and store the missing."""
    t0 = time.perf_counter()
    key = cache_key(translator, glossary)
    uniq: dict[str, str] = {}
    for s in sentences:
        if s and s.strip():
            uniq.setdefault(text_hash(s), s)
    hashes = list(uniq)
    have = {} if force else ws.cached_translations(key, hashes)
    todo = sorted((h for h in hashes if h not in have), key=lambda h: len(uniq[h]))
    rep = TranslateReport(sentences=len(hashes), cached=len(hashes) - len(todo), signature=key)
    chunk_size = max(1, int(getattr(translator, "batch_size", 32))) * 4
    report(progress, stage, 0, len(todo))
    results = dict(have)
    chunks = [todo[s : s + chunk_size] for s in range(0, len(todo), chunk_size)]
    done = 0
    for i, out in translate_chunks(translator, [[uniq[h] for h in hs] for hs in chunks], glossary):
        hs = chunks[i]
        with ws.transaction():  # each finished chunk is saved at once (outside a command's transaction)
            ws.put_translations(key, [(h, uniq[h], mt, fl) for h, (mt, fl) in zip(hs, out, strict=True)])
        results.update(zip(hs, out, strict=True))
        done += len(hs)
        report(progress, stage, done, len(todo))
    rep.translated = len(todo)
    counts: dict[str, int] = {}
    for h in hashes:
        fl = results[h][1]
        for f in fl.split("|") if fl else []:
            counts[f] = counts.get(f, 0) + 1
    rep.flagged = sum(1 for h in hashes if results[h][1])
    rep.flag_counts = counts
    rep.seconds = time.perf_counter() - t0
    return results, rep


def _item_segments(title: str, text: str) -> list[list[str]]:
    """Sentences of an item, line by line: the title's line first (when there is one), then each text line."""
    lines = ([title] if title and title.strip() else []) + (text or "").splitlines()
    return [split_sentences(line, "ru") for line in lines if line.strip()]


def translate_workspace(
    ws: Workspace,
    translator: Translator,
    glossary: Glossary | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> TranslateReport:
    """Translate every sentence of the Russian items (title and text) not yet cached for this translator."""
    items = ws.item_texts("ru")
    sentences = [s for title, text in items for seg in _item_segments(title, text) for s in seg]
    # translations are cached chunk by chunk as they finish (a stopped run resumes from there);
    # what marks the run as done is written at the end, in one transaction
    _, rep = _translate_cached(ws, translator, sentences, glossary, force, progress)
    with ws.transaction():
        rep.items = len(items)
        ws.set_meta(f"translate_key:{translator.signature}", rep.signature)
        ws.set_meta("translate_last", translator.signature)
        stats = {k: v for k, v in rep.as_dict().items() if k != "signature"}
        ws.record_run("translate", rep.signature, json.loads(json.dumps(stats, default=str)))
    log.info("translated %d sentences (%d cached, %d flagged) in %.1fs",
             rep.translated, rep.cached, rep.flagged, rep.seconds)
    return rep


def translate_sentences(
    ws: Workspace,
    translator: Translator,
    sentences: Sequence[str],
    glossary: Glossary | None = None,
    progress: ProgressCallback | None = None,
) -> list[tuple[str, str]]:
    """(mt, flags) for each sentence, in order, from the cache or translated now (and cached)."""
    results, _ = _translate_cached(ws, translator, sentences, glossary, False, progress, stage="translate")
    return [results.get(text_hash(s), ("", "")) if s and s.strip() else ("", "") for s in sentences]


def item_translations(ws: Workspace, translator_signature: str) -> pd.DataFrame:
    """Machine translation of each Russian item from the cache: columns id, mt_en, flags, flagged_share.

    ``mt_en`` keeps the item's lines (title first, then each text line; a line's sentences joined
    by spaces); ``flags`` is the ``|``-joined union of its sentences' flags (``untranslated`` when
    a sentence is not in the cache); ``flagged_share`` is the share of its sentences that carry a
    flag (linking leaves out drafts that are mostly flagged). ``translator_signature`` is a
    translator's signature (the cache key of its last :func:`translate_workspace` run is used) or a
    full cache key.
    """
    key = ws.get_meta(f"translate_key:{translator_signature}") or translator_signature
    items = ws.items(lang="ru")
    segs = [_item_segments(t, x) for t, x in zip(items["title"].fillna(""), items["text"].fillna(""), strict=True)]
    hashes = list({text_hash(s) for item in segs for line in item for s in line})
    cache = ws.cached_translations(key, hashes)
    rows = []
    for item_id, item in zip(items["id"], segs, strict=True):
        lines: list[str] = []
        flags: set[str] = set()
        n_sent = n_flagged = 0
        for line in item:
            parts = []
            for s in line:
                mt, fl = cache.get(text_hash(s), ("", UNTRANSLATED))
                if mt:
                    parts.append(mt)
                flags.update(f for f in fl.split("|") if f)
                n_sent += 1
                n_flagged += bool(fl)
            lines.append(" ".join(parts))
        rows.append({"id": item_id, "mt_en": "\n".join(lines), "flags": join_flags(flags),
                     "flagged_share": round(n_flagged / n_sent, 4) if n_sent else 0.0})
    return pd.DataFrame(rows, columns=["id", "mt_en", "flags", "flagged_share"])


def latest_translations(ws: Workspace) -> tuple[str, pd.DataFrame] | None:
    """(translator signature, :func:`item_translations`) of the workspace's last ``translate`` run, or
    None when nothing was ever translated in it (so ``kzalign link`` can use translations already made)."""
    sig = ws.get_meta("translate_last")
    if not sig:
        return None
    mt = item_translations(ws, sig)
    if not len(mt) or not mt["mt_en"].str.strip().astype(bool).any():
        return None
    return sig, mt
