"""CPU of ``kzalign pairs`` on an already linked workspace against the cold ``link`` that made it (issue 16).

Usage: python benchmarks/bench_sentalign_pairs.py [--items 150] [--encoder use]
Ingests the first N RU and N EN items of ../shared/eval/docalign into a fresh workspace, loads the encoder
(one thread) before timing, then measures CPU seconds (this process) of: the cold link, ``pairs`` (sentence
vectors reused from the link's cache), ``pairs`` with encoded overlaps, and the old way (re-encoding every
sentence and 2-sentence span, as before this change), all on the same workspace.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _timed(fn):
    c, w = time.process_time(), time.time()
    out = fn()
    return out, time.process_time() - c, time.time() - w


def main() -> None:
    from kzalign.engines.embed import get_encoder
    from kzalign.inputs.ingest import ingest_paths
    from kzalign.stages.link import link_workspace
    from kzalign.stages.sentences import DEFAULT_PARAMS, align_workspace, needed_texts, run_texts
    from kzalign.store.workspace import Workspace

    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=150)
    ap.add_argument("--encoder", default="use")
    args = ap.parse_args()
    src = ROOT.parent / "shared" / "eval" / "docalign"
    enc = get_encoder(args.encoder)
    if hasattr(enc, "threads"):
        enc.threads = 1
    enc.encode(["warm up"])  # the model load is not part of either stage
    with tempfile.TemporaryDirectory() as tmp:
        for lang in ("ru", "en"):
            lines = (src / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines()[: args.items]
            (Path(tmp) / f"{lang}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        with Workspace(Path(tmp) / "ws.db") as ws:
            ingest_paths(ws, [Path(tmp) / "ru.jsonl", Path(tmp) / "en.jsonl"])
            lrep, link_cpu, link_wall = _timed(lambda: link_workspace(ws, encoder=enc))
            prep, pairs_cpu, pairs_wall = _timed(lambda: align_workspace(ws, encoder=enc))
            enc_params = replace(DEFAULT_PARAMS, overlaps="encode")
            erep, enc_cpu, _ = _timed(lambda: align_workspace(ws, encoder=enc, params=enc_params))
            sents = ws.query_df("SELECT ru_id, en_id FROM links")
            n_links = len(sents)

            def old_way():  # every sentence and 2-sentence span encoded again (no cache), as before
                from kzalign.stages.sentences import _link_sentences, _live_links

                docs = list(_link_sentences(ws, _live_links(ws)).values())
                texts = needed_texts(docs, DEFAULT_PARAMS) + [t for d in docs for t in run_texts(d, 2)]
                return enc.encode(texts)

            _, old_cpu, _ = _timed(old_way)
    print(json.dumps({"items_a_side": args.items, "links": n_links, "pairs": prep.pairs, "encoder": enc.signature}))
    print(f"cold link:                      {link_cpu:7.1f}s cpu ({link_wall:.1f}s wall)")
    print(f"pairs (cached sentence vectors): {pairs_cpu:7.1f}s cpu ({pairs_wall:.1f}s wall), {prep.encoded} texts "
          f"encoded -> {pairs_cpu / link_cpu:.3f}x link")
    print(f"pairs --overlaps encode:         {enc_cpu:7.1f}s cpu, {erep.encoded} texts encoded -> "
          f"{enc_cpu / link_cpu:.3f}x link")
    print(f"old way (re-encode spans of 1-2): {old_cpu:7.1f}s cpu -> {old_cpu / link_cpu:.3f}x link (encoding only)")


if __name__ == "__main__":
    main()
