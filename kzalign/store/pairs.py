"""Sentence pairs inside linked items (the ``pairs`` table)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import pandas as pd

from kzalign.store.base import WorkspaceBase

PAIR_FIELDS = ("id", "ru_id", "en_id", "ru_idx", "en_idx", "ru_text", "en_text", "mt_en", "score", "regime", "flags",
               "signature")


_PAIRS_WITH_DECISIONS = (
    "SELECT p.id AS pair_id, p.ru_id, p.en_id, p.ru_idx, p.en_idx, p.ru_text, p.mt_en, p.en_text, "
    "p.score, p.regime, p.flags, COALESCE(d.decision, '') AS decision, "
    "COALESCE(d.corrected_en, '') AS corr, COALESCE(d.reviewer, '') AS reviewer, r.date AS ru_date, "
    "e.date AS en_date FROM pairs p LEFT JOIN decisions d ON d.kind='pair' AND d.key=p.id "
    "LEFT JOIN items r ON r.id=p.ru_id LEFT JOIN items e ON e.id=p.en_id")


class PairsMixin(WorkspaceBase):
    """The ``pairs`` table."""

    def count_pairs(self) -> int:
        """How many sentence pairs the workspace holds."""
        return int(self.conn.execute("SELECT COUNT(*) FROM pairs").fetchone()[0])

    def replace_pairs(self, rows: Iterable[Mapping[str, object]], signature: str,
                      links: Iterable[tuple[str, str]] | None = None) -> int:
        """Replace sentence pairs: all of them, or only those of ``links`` ((ru_id, en_id) pairs).

        Each row has id, ru_id, en_id, ru_idx, en_idx, ru_text, en_text, mt_en, score, regime, flags.
        """
        if links is None:
            self.conn.execute("DELETE FROM pairs")
        else:
            self.conn.executemany("DELETE FROM pairs WHERE ru_id=? AND en_id=?", list(links))
        cols = ("id", "ru_id", "en_id", "ru_idx", "en_idx", "ru_text", "en_text", "mt_en", "score", "regime", "flags")
        data = [tuple(r.get(c, "") for c in cols) + (signature,) for r in rows]
        self.conn.executemany(
            "INSERT OR REPLACE INTO pairs(id, ru_id, en_id, ru_idx, en_idx, ru_text, en_text, mt_en, score, "
            "regime, flags, signature) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", data)
        return len(data)

    def pairs_with_decisions(self) -> pd.DataFrame:
        """Sentence pairs joined with their review decision and the two items' dates."""
        return self.query_df(_PAIRS_WITH_DECISIONS + " ORDER BY p.ru_id, p.en_id, p.id")

    def pairs_with_decisions_blocks(self, size: int = 2000) -> Iterator[pd.DataFrame]:
        """:meth:`pairs_with_decisions` in blocks of ``size`` rows read as they are needed, in the order of the
        pairs table (Russian item, English item, first Russian sentence, pair id)."""
        first = "CASE WHEN p.ru_idx IS NULL OR p.ru_idx = '' THEN 0 ELSE json_extract(p.ru_idx, '$[0]') END"
        yield from self.query_blocks(f"{_PAIRS_WITH_DECISIONS} ORDER BY p.ru_id, p.en_id, {first}, p.id", (), size)

    def pairs_with_decisions_of(self, ru_ids: Iterable[str]) -> pd.DataFrame:
        """:meth:`pairs_with_decisions` of the links of some Russian items only (a report's shown ones)."""
        wanted = list(dict.fromkeys(ru_ids))
        parts = [self.query_df(f"{_PAIRS_WITH_DECISIONS} WHERE p.ru_id IN ({','.join('?' * len(part))}) "
                               "ORDER BY p.ru_id, p.en_id, p.id", part)
                 for part in (wanted[i : i + 500] for i in range(0, len(wanted), 500))]
        parts = [df for df in parts if len(df)]
        return pd.concat(parts, ignore_index=True) if parts else self.query_df(_PAIRS_WITH_DECISIONS + " LIMIT 0")

    def count_fixed_pairs(self) -> int:
        """How many sentence pairs a reviewer fixed (a corrected English)."""
        return int(self.conn.execute("SELECT COUNT(*) FROM pairs p JOIN decisions d ON d.kind='pair' AND d.key=p.id "
                                     "WHERE d.decision='fix'").fetchone()[0])

    def pair_record(self, pair_id: str) -> dict[str, object] | None:
        row = self.conn.execute(f"SELECT {', '.join(PAIR_FIELDS)} FROM pairs WHERE id=?", (pair_id,)).fetchone()
        return dict(zip(PAIR_FIELDS, row, strict=True)) if row else None

    def restore_pair(self, rec: dict[str, object]) -> bool:
        """Put a sentence pair back (accepted or fixed after it was dropped); False when it is there already."""
        defaults = {"mt_en": "", "flags": "", "score": 0.0, "regime": "", "signature": "review"}
        cur = self.conn.execute(
            f"INSERT OR IGNORE INTO pairs({', '.join(PAIR_FIELDS)}) VALUES ({','.join('?' * len(PAIR_FIELDS))})",
            tuple(rec.get(f, defaults.get(f, "")) for f in PAIR_FIELDS))
        return cur.rowcount > 0

    def drop_pair(self, pair_id: str) -> None:
        self.conn.execute("DELETE FROM pairs WHERE id=?", (pair_id,))

