"""What a reader of the links needs besides the links: Russian reports with no English counterpart yet (the
press officer's to-do queue, ``kzalign gaps``), display titles for untitled items, MT glosses of Russian
titles and the kind of each link. Shared by ``kzalign gaps`` and the HTML report."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from kzalign.core.errors import KzalignError
from kzalign.store.workspace import Workspace

#: Columns of :func:`gaps_table`.
GAP_COLUMNS = ["ru_id", "date", "title", "mt_title", "untitled", "rejected_links", "sources"]
#: Link kinds (``links_table(ws)["kind"]``) and how they read; "" is a link of unknown kind.
KIND_LABELS = {"translation": "translation", "same_event": "same event", "follow_up": "follow-up", "": "linked"}
#: Longest display title cut from an untitled item's text (characters).
TITLE_CHARS = 140


def display_title(title: Any, text: Any, limit: int = TITLE_CHARS) -> tuple[str, bool]:
    """(what to show as the title, whether the item is untitled): the title, else the text's first sentence,
    cut at a word boundary with an ellipsis when longer than ``limit`` (never in the middle of a word)."""
    if isinstance(title, str) and title.strip():
        return title.strip().splitlines()[0], False
    if not isinstance(text, str) or not text.strip():
        return "", True
    first = text.strip().splitlines()[0]
    m = re.match(r"(.{20,}?[.!?…])(\s|$)", first)
    first = m.group(1) if m else first
    if len(first) <= limit:
        return first, True
    cut = first[:limit].rsplit(" ", 1)[0].rstrip(",;:—–- ")
    return cut + "…", True


def link_kinds(links: pd.DataFrame) -> list[str]:
    """Each link's kind: the ``kind`` column when the link stage writes one, else ``follow_up`` for a link whose
    evidence says so and "" (unknown) for the rest."""
    if "kind" in links.columns:
        return [k if isinstance(k, str) and k in KIND_LABELS else "" for k in links["kind"]]
    return ["follow_up" if "follow-up of" in str(e) else "" for e in links.get("evidence", pd.Series(dtype=str))]


def mt_titles(ws: Workspace) -> dict[str, str]:
    """Machine translation of each Russian item's title (its first line) from the last translate run; empty
    when nothing was translated."""
    from kzalign.engines.translate import latest_translations

    found = latest_translations(ws)
    if found is None:
        return {}
    _, mt = found
    out = {}
    for item_id, text in zip(mt["id"], mt["mt_en"], strict=True):
        line = str(text or "").strip().splitlines()
        if line and line[0].strip():
            out[str(item_id)] = display_title(line[0], "")[0]
    return out


def rejected_links(ws: Workspace) -> pd.DataFrame:
    """Links a reviewer rejected (no longer in the links table): ru_id, en_id, score, kind, reviewer, decided_at,
    note, history (a list of {decision, reviewer, at, file})."""
    rows = []
    for (_, key), d in ws.decision_map("link").items():
        pay: dict[str, Any] = d["payload"]  # type: ignore[assignment]
        if d["decision"] != "reject" or not pay.get("ru_id"):
            continue
        link = pay.get("link") or {}
        rows.append({"row_id": key, "ru_id": pay["ru_id"], "en_id": pay.get("en_id", ""),
                     "score": float(link.get("score", 0.0) or 0.0), "kind": str(link.get("kind") or ""),
                     "reviewer": d["reviewer"] or "",
                     "decided_at": d["decided_at"] or "", "note": d["note"] or "",
                     "history": pay.get("history") or []})
    return pd.DataFrame(rows, columns=["row_id", "ru_id", "en_id", "score", "kind", "reviewer", "decided_at",
                                       "note", "history"])


def gaps_table(ws: Workspace, mt: dict[str, str] | None = None, since: str | None = None,
               items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Russian items with no English counterpart yet (no link; rejected candidates do not count), newest first:
    ru_id, date, title (the first sentence for an untitled item), mt_title (MT gloss when MT ran), untitled,
    rejected_links (how many candidates a reviewer turned down) and sources. ``since`` (``YYYY-MM-DD``) keeps
    reports dated that day or later (undated ones are left out then). ``items``: the Russian items when the
    caller has read them already (:meth:`Workspace.items`)."""
    if since is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", since):
        raise KzalignError(f"--since {since!r}: give a date as YYYY-MM-DD")
    items = ws.items("ru") if items is None else items  # the report passes the ones it read
    linked = ws.linked_ru_ids()
    rejected = rejected_links(ws)["ru_id"].value_counts().to_dict()
    mt = mt_titles(ws) if mt is None else mt
    rows = []
    for it in items.itertuples(index=False):
        if it.id in linked or (since and not (isinstance(it.date, str) and it.date[:10] >= since)):
            continue
        title, untitled = display_title(it.title, it.text)
        rows.append({"ru_id": it.id, "date": it.date if isinstance(it.date, str) else "", "title": title,
                     "mt_title": mt.get(it.id, ""), "untitled": untitled,
                     "rejected_links": int(rejected.get(it.id, 0)),
                     "sources": "; ".join(it.sources) if isinstance(it.sources, list) else ""})
    df = pd.DataFrame(rows, columns=GAP_COLUMNS)
    return df.sort_values(["date", "ru_id"], ascending=[False, True], key=_undated_last).reset_index(drop=True)


def _undated_last(col: pd.Series) -> pd.Series:
    """Sort key: undated rows ("" date) after every dated one when sorting newest first."""
    return col.where(col != "", "0000") if col.name == "date" else col
