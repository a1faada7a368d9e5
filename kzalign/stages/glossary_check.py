"""Glossary QA: forbidden/variant spellings, inconsistent English spellings, unknown Russian names,
machine translations that miss a glossary name. One row per finding, with the item's source."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from kzalign.core.text import mixed_script_note, mixed_script_words
from kzalign.core.translit import strip_accents
from kzalign.glossary.matcher import EN_TOKEN, Glossary, en_parts

if TYPE_CHECKING:
    from kzalign.store.workspace import Workspace

CHECK_COLUMNS = ["item_id", "lang", "source", "finding", "found", "expected", "entry", "note"]
Row = dict[str, object]
Record = Mapping[Any, Any]  # a DataFrame record (pandas types its keys as Hashable)


def _sources(row: Record) -> str:
    src = row.get("sources")
    if isinstance(src, (list, tuple)) and src:
        return "; ".join(map(str, src))
    return str(row.get("source") or "")


def _spelling_key(word: str) -> str:
    """Light key for near-identical spellings: accents, case and doubled letters ignored (Isetov = Issetov)."""
    return re.sub(r"(.)\1+", r"\1", strip_accents(word).casefold())


def _proper_tokens(en_items: pd.DataFrame) -> tuple[dict[str, Counter[str]], dict[str, set[str]],
                                                    dict[str, list[tuple[str, str]]]]:
    """Capitalised English words that never occur in lower case in the corpus, with their items."""
    lower_seen: set[str] = set()
    occ: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in en_items.to_dict("records"):
        text = f"{row.get('title') or ''}\n{row['text']}"
        for tok in EN_TOKEN.finditer(text):
            w = re.sub(r"['’]s$", "", tok.group())
            if w[:1].islower():
                lower_seen.add(w.casefold())
            elif len(w) >= 4 and not w.isupper():
                occ[w].append((str(row["id"]), _sources(row)))
    by_key: dict[str, Counter[str]] = defaultdict(Counter)
    items_of: dict[str, set[str]] = defaultdict(set)
    for w, places in occ.items():
        if w.casefold() in lower_seen:
            continue
        by_key[_spelling_key(w)][w] += len(places)
        items_of[w].update(i for i, _ in places)
    return by_key, items_of, occ


def _finding(item_id: object, lang: str, source: str, finding: str, found: str, expected: str, entry: str,
             note: str) -> Row:
    return dict(item_id=item_id, lang=lang, source=source, finding=finding, found=found, expected=expected,
                entry=entry, note=note)


def _en_findings(row: Record, text: str, glossary: Glossary) -> list[Row]:
    out: list[Row] = []
    for m in glossary.find_en(text):
        if m.form in ("forbidden", "variant") and m.entry is not None:
            note = "never use this spelling" if m.form == "forbidden" else "accepted variant; approved form preferred"
            out.append(_finding(row["id"], "en", _sources(row), f"{m.form}_spelling", m.surface, m.entry.en,
                                m.entry.ru, note))
    return out


def _ru_findings(row: Record, text: str, glossary: Glossary, mt_text: str | None) -> list[Row]:
    out: list[Row] = []
    src = _sources(row)
    seen: set[str] = set()
    for m in glossary.ru_names(text):
        if m.entry is None and m.surface not in seen:
            seen.add(m.surface)
            out.append(_finding(row["id"], "ru", src, "unknown_ru_name", m.surface, m.en, "",
                                "not in glossary; transliterated (kazakh scheme), unverified"))
    if not mt_text:
        return out
    en_found = glossary.find_en(mt_text)
    ok = {m.entry.ru for m in en_found if m.entry and m.form in ("approved", "variant")}
    bad = {m.entry.ru: m.surface for m in en_found if m.entry and m.form == "forbidden"}
    done: set[str] = set()
    for m in glossary.find_ru(text):
        e = m.entry
        if e is None or e.ru in ok or e.ru in done:
            continue
        done.add(e.ru)
        out.append(_finding(row["id"], "ru", src, "mt_missing_name", bad.get(e.ru, ""), e.en, e.ru,
                            f"Russian has {m.surface!r}; the machine translation lacks the approved name"))
    return out


def _mixed_findings(row: Record, text: str, glossary: Glossary) -> list[Row]:
    """Words mixing Cyrillic and Latin letters ("Тургaнбeкoв" with Latin a, e, o): they read right and match
    nothing as written; the glossary name they match once folded is the expected form."""
    mixed = mixed_script_words(text)
    if not mixed:
        return []
    lang = str(row["lang"])
    names = glossary.find_ru(text) if lang == "ru" else glossary.find_en(text)
    out: list[Row] = []
    for start, end, folded in mixed:
        word = text[start:end]
        e = next((m.entry for m in names if m.entry is not None and m.start <= start < m.end), None)
        out.append(_finding(row["id"], lang, _sources(row), "mixed_script", word, e.en if e else folded,
                            e.ru if e else "", "look-alike letters: " + mixed_script_note(word, folded)))
    return out


def _inconsistent_spellings(items: pd.DataFrame, glossary: Glossary) -> list[Row]:
    approved_tokens = {t.casefold(): t for e in glossary.entries for t in en_parts(e.en)}
    by_key, items_of, occ = _proper_tokens(items[items["lang"] == "en"])
    out: list[Row] = []
    for spellings in by_key.values():
        if len(spellings) < 2:
            continue
        ranked = sorted(spellings, key=lambda w: (approved_tokens.get(w.casefold()) == w, len(items_of[w]),
                                                  spellings[w]), reverse=True)
        best = ranked[0]
        for w in ranked[1:]:
            for item_id, src in dict.fromkeys(occ[w]):
                out.append(_finding(item_id, "en", src, "inconsistent_spelling", w, best, "",
                                    f"{best!r} is used in {len(items_of[best])} item(s), {w!r} in {len(items_of[w])}"))
    return out


def check_items(items: pd.DataFrame, glossary: Glossary, mt: Mapping[str, str] | None = None) -> pd.DataFrame:
    """QA report, one row per finding: words mixing Cyrillic and Latin look-alike letters, forbidden/variant
    spellings, inconsistent spellings across items, Russian names with no entry, machine translations missing a
    glossary name."""
    rows: list[Row] = []
    for row in items.to_dict("records"):
        title, body = row.get("title") or "", str(row["text"])
        text = f"{title}\n{body}" if title and title not in body else body
        rows.extend(_mixed_findings(row, text, glossary))
        if row["lang"] == "en":
            rows.extend(_en_findings(row, text, glossary))
        else:
            rows.extend(_ru_findings(row, text, glossary, (mt or {}).get(str(row["id"]))))
    rows.extend(_inconsistent_spellings(items, glossary))
    df = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    return df.drop_duplicates().reset_index(drop=True)


def workspace_mt(ws: Workspace) -> dict[str, str] | None:
    """Item id -> machine translation from the last translate run, or None when there is none."""
    from kzalign.engines.translate import item_translations

    last = ws.last_run("translate")
    if last is None:
        return None
    got = item_translations(ws, last[0])
    cols = [c for c in ("mt_en", "mt", "text") if c in got.columns]
    if "id" not in got.columns or not cols:
        return None
    return dict(zip(got["id"], got[cols[0]], strict=False))


def check_workspace(ws: Workspace, glossary: Glossary, mt: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`check_items` over every item of a workspace (MT from the last translate run by default)."""
    return check_items(ws.items(), glossary, mt if mt is not None else workspace_mt(ws))


def check_inputs(inputs: list[str], db: str | Path, glossary: Glossary) -> pd.DataFrame:
    """Check INPUT files (ingested into a temporary workspace) or, without inputs, the workspace ``db``."""
    import tempfile

    from kzalign.inputs.ingest import ingest_paths
    from kzalign.store.workspace import Workspace, open_workspace

    if inputs:
        with tempfile.TemporaryDirectory(prefix="kzalign-check-") as tmp:
            with Workspace(Path(tmp) / "check.db") as ws:
                ingest_paths(ws, inputs)
                return check_items(ws.items(), glossary)
    with open_workspace(db) as ws:
        return check_workspace(ws, glossary)
