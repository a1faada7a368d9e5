"""Candidate extraction: ru↔en name pairs mined from linked items for a reviewer to approve."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from kzalign.core.errors import KzalignError
from kzalign.core.files import write_csv
from kzalign.core.translit import remember_similarities
from kzalign.glossary.entries import COLUMNS
from kzalign.glossary.matcher import Glossary, NameMatch, best_window, en_windows
from kzalign.glossary.morph import RU_TOKEN, kind_of, ru_nominative

if TYPE_CHECKING:
    from kzalign.store.workspace import Workspace

CANDIDATE_COLUMNS = COLUMNS + ["score", "evidence"]


@dataclass(frozen=True)
class _Link:
    ru_id: str
    en_id: str
    score: float


def _name_words(m: NameMatch) -> list[str]:
    """Nominative forms of the words of a Russian name (initials left out)."""
    return [ru_nominative(w) for w in RU_TOKEN.findall(m.surface) if not re.fullmatch(r"[А-ЯЁ]", w)]


def _candidate(words: list[str], windows: list[tuple[str, ...]], min_score: float) -> tuple[float, str, str] | None:
    """(similarity, Russian nominative form, English form) for an unknown Russian name, or None."""
    if not words:
        return None
    top = best_window(words, windows)
    if top is None or top[0] < min_score:
        return None
    return top[0], " ".join(words), " ".join(top[1])


def _add(best: dict[tuple[str, str], dict[str, object]], link: _Link, m: NameMatch, cand: tuple[float, str, str],
         words: list[str]) -> None:
    score, ru_form, en_form = cand
    ev = f"{link.ru_id}↔{link.en_id} (link {link.score:.3f}): {m.surface!r} ~ {en_form!r}"
    key = (ru_form, en_form)
    if key in best:
        best[key]["evidence"] = f"{best[key]['evidence']}; {ev}"
        best[key]["score"] = max(float(str(best[key]["score"])), round(score, 3))
        return
    best[key] = dict(ru=ru_form, en=en_form, kind=kind_of(words), variants="", forbidden="",
                     status="candidate", note=f"extracted: transliteration similarity {score:.2f}",
                     source=f"links {link.ru_id}/{link.en_id}", score=round(score, 3), evidence=ev)


def _drop_tails(best: dict[tuple[str, str], dict[str, object]]) -> None:
    """Drop a candidate whose words are the tail of a longer one with the same English tail (А.Турганбеков).
    Linear in the candidates: each candidate lists the (Russian, English) word tails it covers."""
    tails = {(ru[i + 1:], en[j + 1:]) for ru, en in best for i, c in enumerate(ru) if c == " "
             for j, d in enumerate(en) if d == " "}
    for key in [k for k in best if k in tails]:
        best.pop(key, None)


#: Links whose name similarities are computed together (one vectorised call per Russian word and block).
LINK_BLOCK = 2000


def extract_candidates(ws: Workspace, glossary: Glossary, min_score: float = 0.75) -> pd.DataFrame:
    """Candidate ru↔en pairs mined from linked items: a Russian name outside the glossary and an English
    name in a linked item that match by transliteration, with evidence and score (status=candidate).

    Links are read a block at a time with their items' texts, so memory stays bounded in the archive's size."""
    links = ws.link_scores()
    if links.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    known = set().union(*ws.item_ids().values())
    best: dict[tuple[str, str], dict[str, object]] = {}
    rows = [(str(r), str(e), float(s)) for r, e, s in links[["ru_id", "en_id", "score"]].itertuples(index=False)
            if r in known and e in known]
    del links, known
    for start in range(0, len(rows), LINK_BLOCK):
        block = rows[start : start + LINK_BLOCK]
        texts = ws.item_text_map([i for r, e, _ in block for i in (r, e)])
        windows_of: dict[str, list[tuple[str, ...]]] = {}  # an item linked several times in a block is read once
        names_of: dict[str, list[tuple[NameMatch, list[str]]]] = {}
        for ru_id, en_id, _ in block:
            if en_id not in windows_of:
                windows_of[en_id] = en_windows(glossary, str(texts[en_id]))
            if ru_id not in names_of:
                names_of[ru_id] = [(m, _name_words(m)) for m in glossary.ru_names(str(texts[ru_id]))
                                   if m.entry is None]
        remember_similarities(_wanted(block, names_of, windows_of))
        for ru_id, en_id, score in block:
            link = _Link(ru_id, en_id, score)
            for m, words in names_of[ru_id]:
                cand = _candidate(words, windows_of[en_id], min_score)
                if cand is None or glossary.entry_for_ru(cand[1]) is not None:
                    continue
                _add(best, link, m, cand, cand[1].split(" "))
    _drop_tails(best)
    df = pd.DataFrame(list(best.values()), columns=CANDIDATE_COLUMNS)
    return df.sort_values(["score", "ru"], ascending=[False, True]).reset_index(drop=True)


def _wanted(block: list[tuple[str, str, float]], names_of: dict[str, list[tuple[NameMatch, list[str]]]],
            windows_of: dict[str, list[tuple[str, ...]]]) -> dict[str, set[str]]:
    """{Russian word: English words} that :func:`best_window` will compare for a block of links."""
    out: dict[str, set[str]] = {}
    for ru_id, en_id, _ in block:
        for _m, words in names_of[ru_id]:
            latin = {e for run in windows_of[en_id] if len(run) >= len(words) for e in run}
            for w in words:
                out.setdefault(w, set()).update(latin)
    return out


def write_candidates(df: pd.DataFrame, out: str | Path) -> Path:
    """Write candidates as a glossary-format CSV (extra score/evidence columns kept for the reviewer)."""
    if Path(out).exists():
        prev = pd.read_csv(out, dtype=str, keep_default_na=False, comment="#", encoding="utf-8-sig")
        if "status" in prev and (prev["status"] == "approved").any():
            raise KzalignError(f"{out}: has reviewed (approved) rows; merge it first or choose another --out")
    return write_csv(out, df, columns=CANDIDATE_COLUMNS, bom=True)


def extract_to_file(db: str | Path, glossary: Glossary, out: str | Path, min_score: float = 0.75) -> pd.DataFrame:
    """Run :func:`extract_candidates` on workspace ``db`` and write the candidates CSV ``out``."""
    from kzalign.store.workspace import open_workspace

    with open_workspace(db) as ws:
        df = extract_candidates(ws, glossary, min_score)
    write_candidates(df, out)
    return df
