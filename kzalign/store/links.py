"""Links between a Russian and an English item (the ``links`` table), their kinds and row keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence

import pandas as pd

from kzalign.store.base import WorkspaceBase

LINK_FIELDS = ("ru_id", "en_id", "score", "rank", "evidence", "signature", "kind")


#: What a link says about its two reports: one renders the other (``translation``), both report the same
#: concrete event (``same_event``), or the English one reports a later event that refers back to the Russian
#: one's (``follow_up``).
LINK_KINDS = ("translation", "same_event", "follow_up")


#: The kind of a link stored without one (a review file's or a caller's row that names none).
DEFAULT_LINK_KIND = "same_event"


def check_link_kind(kind: object) -> str:
    """``kind`` when it is one of :data:`LINK_KINDS`; anything else is a ValueError naming the allowed kinds."""
    if kind not in LINK_KINDS:
        raise ValueError(f"unknown link kind {kind!r} (use one of {', '.join(LINK_KINDS)})")
    return str(kind)


def link_key(ru_id: str, en_id: str) -> str:
    """Stable row id of a link (used as the review row id and the decisions key)."""
    import hashlib

    return "L" + hashlib.sha1(f"{ru_id}\t{en_id}".encode()).hexdigest()[:12]


_LINKS_WITH_ITEMS = (
    "SELECT l.ru_id, l.en_id, l.score, l.rank, r.title AS ru_t, r.text AS ru_x, e.title AS en_t, "
    "e.text AS en_x, r.date AS ru_date, e.date AS en_date, l.evidence, l.signature, l.kind "
    "FROM links l LEFT JOIN items r ON r.id = l.ru_id LEFT JOIN items e ON e.id = l.en_id "
    "ORDER BY l.ru_id, l.rank, l.en_id")


class LinksMixin(WorkspaceBase):
    """The ``links`` table."""

    def replace_links(self, rows: Iterable[Mapping[str, object] | Sequence[object]]) -> int:
        """Replace the ``links`` table: rows as dicts or tuples (ru_id, en_id, score, rank, evidence, signature
        [, kind]); a missing kind is :data:`DEFAULT_LINK_KIND`.

        ``evidence`` may be a dict (stored as sorted JSON, so identical runs give identical bytes).
        """
        out = []
        for r in rows:
            rec = [r.get(c) for c in LINK_FIELDS] if isinstance(r, Mapping) else list(r)
            rec += [None] * (len(LINK_FIELDS) - len(rec))
            if not isinstance(rec[4], str):
                rec[4] = json.dumps(rec[4] or {}, ensure_ascii=False, sort_keys=True, default=str)
            rec[6] = check_link_kind(rec[6] or DEFAULT_LINK_KIND)
            out.append(tuple(rec))
        self.conn.execute("DELETE FROM links")
        self.conn.executemany(
            "INSERT INTO links(ru_id, en_id, score, rank, evidence, signature, kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
            out)
        return len(out)

    def link_scores(self) -> pd.DataFrame:
        """Current links (ru_id, en_id, score, kind), best first."""
        return self.query_df("SELECT ru_id, en_id, score, kind FROM links ORDER BY score DESC, ru_id, en_id")

    def link_rows(self) -> dict[tuple[str, str], tuple[float, int, str, str, str]]:
        """{(ru_id, en_id): (score, rank, evidence, signature, kind)} of the current links."""
        rows = self.conn.execute("SELECT ru_id, en_id, score, rank, evidence, signature, kind FROM links").fetchall()
        return {(r, e): (s, k, ev, sig, kind) for r, e, s, k, ev, sig, kind in rows}

    def update_links(self, rows: list[tuple[str, str, float, int, str, str, str]]) -> tuple[int, int, int]:
        """Make the links table exactly ``rows`` (ru_id, en_id, score, rank, evidence, signature, kind), writing only
        rows that differ (what :meth:`replace_links` does, for an incremental re-link). Returns (added,
        changed, removed)."""
        old = self.link_rows()
        new = {(r[0], r[1]): tuple(r[2:]) for r in rows}
        gone = [k for k in old if k not in new]
        put = [(*k, *v) for k, v in new.items() if old.get(k) != v]
        self.conn.executemany("DELETE FROM links WHERE ru_id=? AND en_id=?", gone)
        self.conn.executemany(
            "INSERT OR REPLACE INTO links(ru_id, en_id, score, rank, evidence, signature, kind) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", put,
        )
        changed = sum(1 for k in new if k in old and old[k] != new[k])
        return len(put) - changed, changed, len(gone)

    def links_with_items(self) -> pd.DataFrame:
        """The links joined with their items' titles, texts and dates (for :func:`kzalign.stages.link.links_table`)."""
        return self.query_df(_LINKS_WITH_ITEMS)

    def links_with_items_blocks(self, size: int = 2000) -> Iterator[pd.DataFrame]:
        """:meth:`links_with_items` in blocks of ``size`` rows, read as they are needed."""
        yield from self.query_blocks(_LINKS_WITH_ITEMS, (), size)

    def linked_ru_ids(self) -> set[str]:
        """Russian items with at least one current link."""
        return {r for (r,) in self.conn.execute("SELECT DISTINCT ru_id FROM links")}

    def link_kinds(self) -> dict[tuple[str, str], str]:
        """(ru_id, en_id) -> the link's kind (translation, same_event, follow_up; :data:`DEFAULT_LINK_KIND` when
        a link has none)."""
        rows = self.conn.execute("SELECT ru_id, en_id, kind FROM links")
        return {(r, e): k or DEFAULT_LINK_KIND for r, e, k in rows}

    def links_for_pairs(self) -> pd.DataFrame:
        """Current links (ru_id, en_id, score, evidence) in the order sentence pairs are built."""
        return self.query_df("SELECT ru_id, en_id, score, evidence FROM links ORDER BY ru_id, rank, en_id")

    def link_record(self, ru_id: str, en_id: str) -> dict[str, object] | None:
        row = self.conn.execute(f"SELECT {', '.join(LINK_FIELDS)} FROM links "
                                "WHERE ru_id=? AND en_id=?", (ru_id, en_id)).fetchone()
        return dict(zip(LINK_FIELDS, row, strict=True)) if row else None

    def restore_link(self, rec: dict[str, object]) -> bool:
        """Put a link back (a reviewer accepted it after rejecting it); False when it is there already."""
        cur = self.conn.execute(
            f"INSERT OR IGNORE INTO links({', '.join(LINK_FIELDS)}) VALUES (?,?,?,?,?,?,?)",
            tuple(rec.get(f, d) for f, d in zip(LINK_FIELDS, ("", "", 0.0, 1, "{}", "review", DEFAULT_LINK_KIND),
                                                 strict=True)))
        return cur.rowcount > 0

    def drop_link(self, ru_id: str, en_id: str) -> None:
        """Remove a rejected link and its sentence pairs, except pairs a reviewer accepted or fixed."""
        self.conn.execute("DELETE FROM links WHERE ru_id=? AND en_id=?", (ru_id, en_id))
        self.conn.execute("DELETE FROM pairs WHERE ru_id=? AND en_id=? AND id NOT IN "
                          "(SELECT key FROM decisions WHERE kind='pair' AND decision IN ('accept','fix'))",
                          (ru_id, en_id))

    def accepted_link_pairs(self) -> list[tuple[str, str]]:
        """(ru_id, en_id) of links a reviewer accepted, from the live links or the decisions' payloads."""
        rows = self.conn.execute("SELECT key, payload FROM decisions WHERE kind='link' AND decision='accept'")
        known = {link_key(r, e): (r, e) for r, e in self.conn.execute("SELECT ru_id, en_id FROM links")}
        out: list[tuple[str, str]] = []
        for key, payload in rows.fetchall():
            pair = known.get(key)
            if pair is None:
                try:
                    pay = json.loads(payload or "{}")
                    pair = (str(pay.get("ru_id")), str(pay.get("en_id")))
                except (ValueError, AttributeError):
                    continue
            out.append(pair)
        return sorted(set(out))

    def link_inputs_digest(self, items: Iterable[Sequence[object]] | None = None) -> str:
        """Digest of what a link run reads and writes here: items (id, lang, title, text, date), link decisions
        and the links table. Two equal digests, with the same run settings, mean a re-link would change nothing.

        ``items`` are the (id, lang, title, text, date) rows a run actually scored; without them the items table
        is read now. A run records the digest of *its* items, so a report ingested while it ran (and not
        scored) makes the next run's digest differ and gets linked then.
        """
        h = hashlib.sha256()
        item_sql = "SELECT id, lang, title, text, date FROM items ORDER BY id"
        rows: Iterable[Sequence[object]] = (self.conn.execute(item_sql) if items is None
                                            else sorted(items, key=lambda r: str(r[0])))
        h.update(item_sql.encode())
        for row in rows:
            h.update(json.dumps(list(row), ensure_ascii=False).encode() + b"\n")
        for sql in ("SELECT key, decision, payload FROM decisions WHERE kind='link' ORDER BY key",
                    "SELECT ru_id, en_id, score, rank, evidence, signature, kind FROM links ORDER BY ru_id, en_id"):
            h.update(sql.encode())
            for row in self.conn.execute(sql):
                h.update(json.dumps(row, ensure_ascii=False).encode() + b"\n")
        return h.hexdigest()

