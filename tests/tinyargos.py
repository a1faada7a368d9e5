"""Build a tiny argos-format ru→en package (random-weight CTranslate2 transformer + SentencePiece).

Used by the translation tests and benchmark: it exercises the real loading and translation code
without a real model. Its output is garbage text; only the mechanics can be checked with it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

PACKAGE_VERSION = "0.0-tiny"


def _train_sentencepiece(texts: list[str], out_prefix: Path, vocab_size: int) -> Path:
    import sentencepiece as spm

    corpus = out_prefix.with_suffix(".txt")
    corpus.write_text("\n".join(t for t in texts if t.strip()), encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(out_prefix), vocab_size=vocab_size,
        character_coverage=1.0, model_type="unigram", hard_vocab_limit=False,
        num_threads=1, minloglevel=2,
    )
    return out_prefix.with_suffix(".model")


def _fill_random(spec: object, d_model: int, ffn: int, vocab: int, rng: np.random.Generator) -> None:
    """Give every required weight of a TransformerSpec a small random value of the right shape."""
    from ctranslate2.specs import model_spec

    def rand(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape, dtype=np.float32) * np.float32(0.2 if d_model <= 64 else 0.05))

    def fill(layer: object, name: str, value: object) -> None:
        if value is not None:
            return
        scope, attr = name.rsplit("/", 1) if "/" in name else ("", name)
        parts = scope.split("/")
        owner = parts[-1]
        if attr == "gamma":
            val = np.ones(d_model, np.float32)
        elif attr == "beta":
            val = np.zeros(d_model, np.float32)
        elif owner.startswith("embeddings") or owner == "projection":
            val = rand(vocab, d_model)
        elif "ffn" in parts:
            val = rand(ffn, d_model) if owner == "linear_0" else rand(d_model, ffn)
        elif "self_attention" in parts:
            val = rand(3 * d_model, d_model) if owner == "linear_0" else rand(d_model, d_model)
        elif "attention" in parts:
            val = rand(2 * d_model, d_model) if owner == "linear_1" else rand(d_model, d_model)
        else:
            raise ValueError(f"tiny model: no rule for variable {name}")
        setattr(layer, attr, val)

    model_spec.visit_spec(spec, fill)


def build_tiny_package(
    out_dir: Path,
    texts: list[str],
    vocab_size: int = 400,
    d_model: int = 32,
    num_heads: int = 2,
    ffn: int = 64,
    seed: int = 0,
    eos_bias: float = 0.0,
    num_layers: tuple[int, int] = (1, 1),
    quantization: str = "float32",
) -> Path:
    """Write ``translate-ru_en-<ver>.argosmodel`` (a zip with one top folder) into ``out_dir``; return its path.

    ``eos_bias`` raises the logit of ``</s>`` through the projection bias so random outputs stay short.
    The defaults make a tiny model; ``d_model=512, num_heads=8, ffn=2048, num_layers=(6, 6)`` gives a
    random model of the size of a real argos package (for timing only).
    """
    import ctranslate2
    import sentencepiece as spm

    out_dir = Path(out_dir)
    work = out_dir / "tiny_build"
    pkg = work / "translate-ru_en-tiny"
    (pkg / "model").mkdir(parents=True, exist_ok=True)
    sp_path = _train_sentencepiece(texts, work / "sp", vocab_size)
    (pkg / "sentencepiece.model").write_bytes(sp_path.read_bytes())
    sp = spm.SentencePieceProcessor(model_file=str(sp_path))
    tokens = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]

    rng = np.random.default_rng(seed)
    spec = ctranslate2.specs.TransformerSpec.from_config(num_layers=num_layers, num_heads=num_heads)
    _fill_random(spec, d_model, ffn, len(tokens), rng)
    bias = np.zeros(len(tokens), np.float32)
    bias[tokens.index("</s>")] = eos_bias
    spec.decoder.projection.bias = bias
    spec.register_source_vocabulary(tokens)
    spec.register_target_vocabulary(tokens)
    spec.validate()
    spec.optimize(quantization=quantization)
    spec.save(str(pkg / "model"))

    meta = {
        "package_version": PACKAGE_VERSION, "argos_version": "1.9.0",
        "from_code": "ru", "from_name": "Russian", "to_code": "en", "to_name": "English",
        "type": "translate", "links": [],
    }
    (pkg / "metadata.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    (pkg / "README.md").write_text("Tiny random-weight test package (kzalign tests).\n", encoding="utf-8")

    archive = out_dir / f"translate-ru_en-{PACKAGE_VERSION}.argosmodel"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(pkg.rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(work).as_posix())
    return archive


def seed_texts(seeds_dir: Path) -> list[str]:
    """All lines of the seed digests (Russian and English), the SentencePiece training text."""
    lines: list[str] = []
    for f in sorted(Path(seeds_dir).glob("*.txt")):
        lines.extend(x.strip() for x in f.read_text(encoding="utf-8").splitlines() if x.strip())
    return lines
