"""Items: the reports themselves, where each was found (``item_sources``) and their earlier versions
(``item_revisions``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

import pandas as pd

from kzalign.store.base import WorkspaceBase, now_iso

#: Row order of :meth:`Workspace.items` (and of :meth:`Workspace.item_texts`).
_ITEM_ORDER = " ORDER BY lang DESC, date IS NULL, date, id"


class ItemHead(NamedTuple):
    """An item's id, title, text and date (see :meth:`ItemsMixin.item_heads`)."""

    id: str
    title: str | None
    text: str | None
    date: str | None


class ItemsMixin(WorkspaceBase):
    """The ``items``, ``item_sources`` and ``item_revisions`` tables."""

    def items(self, lang: str | None = None) -> pd.DataFrame:
        """Items as a table with columns id, lang, title, text, date, url, source, sources (list)."""
        sql = "SELECT id, lang, title, text, date, url, source, content_hash, id_given FROM items"
        params: tuple[object, ...] = ()
        if lang:
            sql += " WHERE lang=?"
            params = (lang,)
        df = self.query_df(sql + _ITEM_ORDER, params)
        grouped: dict[str, list[str]] = {}  # a plain loop: a pandas groupby costs ~60 µs an item
        for item_id, source in self.conn.execute("SELECT item_id, source FROM item_sources ORDER BY item_id, source"):
            grouped.setdefault(item_id, []).append(source)
        df["sources"] = [grouped.get(i, []) for i in df["id"]]
        return df

    def item_texts(self, lang: str) -> list[tuple[str, str]]:
        """(title, text) of the items of one language, in the order of :meth:`items` (a missing one as "")."""
        rows = self.conn.execute(f"SELECT title, text FROM items WHERE lang=?{_ITEM_ORDER}", (lang,))
        return [(title or "", text or "") for title, text in rows]

    def item_heads(self, lang: str) -> Iterator[ItemHead]:
        """(id, title, text, date) of the items of one language, one at a time (no table of them all)."""
        for row in self.conn.execute("SELECT id, title, text, date FROM items WHERE lang=?", (lang,)):
            yield ItemHead(*row)

    def item_text_map(self, ids: Iterable[str]) -> dict[str, str]:
        """id -> text of the given items (those the workspace has), read 500 at a time."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            sql = f"SELECT id, text FROM items WHERE id IN ({','.join('?' * len(part))})"
            out.update((i, t) for i, t in self.conn.execute(sql, part))
        return out

    def item_ids(self) -> dict[str, set[str]]:
        """Item ids by language: ``{"ru": {...}, "en": {...}}``."""
        out: dict[str, set[str]] = {}
        for item_id, lang in self.conn.execute("SELECT id, lang FROM items"):
            out.setdefault(lang, set()).add(item_id)
        return out

    def count_items(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT lang, COUNT(*) FROM items GROUP BY lang").fetchall()
        return {lang: n for lang, n in rows}

    def given_item_hashes(self) -> dict[str, tuple[str, str]]:
        """``id -> (content_hash, lang)`` of items whose id came with the input."""
        rows = self.conn.execute("SELECT id, content_hash, lang FROM items WHERE id_given=1")
        return {r[0]: (r[1], r[2]) for r in rows}

    def derived_item_texts(self) -> list[tuple[str, str, str]]:
        """``(id, lang, text)`` of items whose id kzalign derived (candidates for near-duplicate merging)."""
        return [tuple(r) for r in self.conn.execute("SELECT id, lang, text FROM items WHERE id_given=0 ORDER BY id")]

    def insert_item(self, item_id: str, row: dict[str, object], given: bool, added_at: str) -> None:
        """Add one item (``row``: lang, title, text, date, url, source, content_hash)."""
        self.conn.execute(
            "INSERT INTO items(id, lang, title, text, date, url, source, content_hash, id_given, added_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item_id, row["lang"], row["title"], row["text"], row["date"], row["url"], row["source"],
             row["content_hash"], int(given), added_at),
        )

    def fill_item(self, item_id: str, title: str, date: str | None) -> None:
        """Give an item the title it lacks and the earlier of its date and ``date``."""
        old_title, old_date = self.conn.execute("SELECT title, date FROM items WHERE id=?", (item_id,)).fetchone()
        if not old_title and title:
            self.conn.execute("UPDATE items SET title=? WHERE id=?", (title, item_id))
        if date and (old_date is None or date < old_date):
            self.conn.execute("UPDATE items SET date=? WHERE id=?", (date, item_id))

    def add_item_source(self, item_id: str, source: str, content_hash: str) -> bool:
        """Record where an item was found; False when that place was already recorded."""
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO item_sources(item_id, source, content_hash) VALUES (?, ?, ?)",
            (item_id, source, content_hash),
        )
        return bool(cur.rowcount)

    def item_hash(self, item_id: str) -> str:
        return self.conn.execute("SELECT content_hash FROM items WHERE id=?", (item_id,)).fetchone()[0]

    def add_item_revision(self, item_id: str, row: dict[str, object], kept_at: str) -> bool:
        """Keep another version of an item's text (``row``: content_hash, title, text, date, source)."""
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO item_revisions(item_id, content_hash, title, text, date, source, kept_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item_id, row["content_hash"], row["title"] or "", row["text"], row["date"], row["source"] or "", kept_at),
        )
        return bool(cur.rowcount)

    def item_version_hashes(self) -> dict[str, set[str]]:
        """``id -> content hashes`` of every version of each item's text seen so far (current, kept revisions, and
        the copies merged into it): a version already seen is never taken for a correction."""
        out: dict[str, set[str]] = {}
        for sql in ("SELECT id, content_hash FROM items", "SELECT item_id, content_hash FROM item_revisions",
                    "SELECT item_id, content_hash FROM item_sources"):
            for item_id, h in self.conn.execute(sql):
                out.setdefault(item_id, set()).add(h)
        return out

    def supersede_item(self, item_id: str, row: dict[str, object], kept_at: str) -> None:
        """Replace an item's text by a longer or corrected version; the current text is kept as a revision with
        its date."""
        title, text, date, content_hash = self.conn.execute(
            "SELECT title, text, date, content_hash FROM items WHERE id=?", (item_id,)).fetchone()
        first = self.conn.execute("SELECT MIN(source) FROM item_sources WHERE item_id=?", (item_id,)).fetchone()[0]
        self.add_item_revision(item_id, {"content_hash": content_hash, "title": title, "text": text, "date": date,
                                         "source": first or ""}, kept_at)
        self.conn.execute("DELETE FROM item_revisions WHERE item_id=? AND content_hash=?", (item_id, row["content_hash"]))
        self.conn.execute("UPDATE items SET text=?, content_hash=?, title=CASE WHEN ?<>'' THEN ? ELSE title END "
                          "WHERE id=?", (row["text"], row["content_hash"], row["title"], row["title"], item_id))
        self.fill_item(item_id, "", row["date"])  # type: ignore[arg-type]

    def item_revisions(self) -> pd.DataFrame:
        """Every kept version of item texts: item_id, content_hash, title, text, date, source, kept_at."""
        return self.query_df("SELECT item_id, content_hash, title, text, date, source, kept_at FROM item_revisions "
                             "ORDER BY item_id, kept_at, content_hash")

    def add_items(self, rows: Iterable[dict[str, str | None]]) -> int:
        """Insert items exactly as given (keys id, lang, text; optional title, date, source), without ingest's
        checks, language detection or duplicate merging: for tests and benchmarks. Returns the number added."""
        from kzalign.core.text import text_hash

        data = [(r["id"], r["lang"], r.get("title") or "", r["text"], r.get("date"), r.get("source"),
                 text_hash(str(r["text"])), now_iso()) for r in rows]
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO items(id, lang, title, text, date, source, content_hash, id_given, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)", data,
            )
        return len(data)

