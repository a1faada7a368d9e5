"""Review decisions (``decisions``, ``decision_history``) and the rows review files were exported with
(``review_rows``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

import pandas as pd

from kzalign.store.base import WorkspaceBase, now_iso
from kzalign.store.links import link_key
from kzalign.store.schema import pack_payload, unpack_payload


def decisions(ws: WorkspaceBase, kind: str) -> pd.DataFrame:
    """Reviewer decisions of one kind (link|pair|glossary), one row per key."""
    return ws.query_df(
        "SELECT key, decision, corrected_en, reviewer, note, payload, review_file, decided_at "
        "FROM decisions WHERE kind=?",
        (kind,),
    )


class ReviewMixin(WorkspaceBase):
    """The ``decisions``, ``decision_history`` and ``review_rows`` tables."""

    def decision_by_key(self, kind: str) -> dict[str, str]:
        """key -> decision (accept|reject|fix) of one kind (link|pair|glossary), read now.

        Called inside :meth:`transaction`, the map is current and stays so until the commit (full
        records: :meth:`decision_map`).
        """
        rows = self.conn.execute("SELECT key, decision FROM decisions WHERE kind=?", (kind,)).fetchall()
        return {k: d for k, d in rows}

    def decided(self, kind: str) -> dict[str, dict[str, object]]:
        """Reviewer decisions of one kind as {key: {decision, corrected_en, payload}}."""
        rows = self.conn.execute(
            "SELECT key, decision, corrected_en, payload FROM decisions WHERE kind=?", (kind,)
        ).fetchall()
        return {k: {"decision": d, "corrected_en": c, "payload": json.loads(p or "{}")} for k, d, c, p in rows}

    def decision_map(self, kind: str | None = None) -> dict[tuple[str, str], dict[str, object]]:
        """Decisions as {(kind, key): {decision, corrected_en, reviewer, note, payload (dict), review_file,
        decided_at, recheck}}, of one kind or all (``recheck``: why the decision needs re-review, else "")."""
        sql = ("SELECT kind, key, decision, corrected_en, reviewer, note, payload, review_file, decided_at, recheck "
               "FROM decisions")
        rows = self.conn.execute(sql + (" WHERE kind=?" if kind else ""), (kind,) if kind else ()).fetchall()
        return {(k, key): {"decision": d, "corrected_en": c, "reviewer": r, "note": n,
                           "payload": json.loads(p or "{}"), "review_file": f, "decided_at": at, "recheck": rc}
                for k, key, d, c, r, n, p, f, at, rc in rows}

    def record_decision(self, kind: str, key: str, decision: str, corrected_en: str = "", reviewer: str = "",
                        note: str = "", payload: dict[str, object] | None = None, review_file: str = "",
                        decided_at: str | None = None) -> tuple[str, str] | None:
        """Store (replace) the decision about one review row (``decided_at`` defaults to now), and add it to the
        history with the decision it replaced; returns that replaced (decision, reviewer), or None."""
        at = decided_at or now_iso()
        old = self.conn.execute("SELECT decision, reviewer FROM decisions WHERE kind=? AND key=?",
                                (kind, key)).fetchone()
        self.conn.execute(
            "INSERT OR REPLACE INTO decisions(kind, key, decision, corrected_en, reviewer, note, payload, "
            "review_file, decided_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (kind, key, decision, corrected_en, reviewer, note,
             json.dumps(payload or {}, ensure_ascii=False, default=str), review_file, at),
        )
        self.conn.execute(
            "INSERT INTO decision_history(kind, key, decision, corrected_en, reviewer, note, review_file, decided_at, "
            "replaced_decision, replaced_reviewer) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (kind, key, decision, corrected_en, reviewer, note, review_file, at, old[0] if old else "",
             old[1] if old else ""),
        )
        return (old[0], old[1]) if old else None

    def decision_history(self, kind: str | None = None) -> pd.DataFrame:
        """Every decision recorded (of one kind, or all), oldest first, with the decision each replaced."""
        sql = ("SELECT kind, key, decision, corrected_en, reviewer, note, review_file, decided_at, replaced_decision, "
               "replaced_reviewer FROM decision_history")
        args: tuple[str, ...] = ()
        if kind:
            sql, args = sql + " WHERE kind=?", (kind,)
        return self.query_df(sql + " ORDER BY decided_at, rowid", args)

    def flag_decisions(self, reasons: Mapping[str, str]) -> int:
        """Mark every link and sentence-pair decision about the items of ``reasons`` (item id -> why) for
        re-review: the decision stays in force, and recording the row's decision again clears the mark. Returns
        how many decisions were marked."""
        if not reasons:
            return 0
        ids = set(reasons)
        about = {link_key(r, e): (r, e) for r, e in self.conn.execute("SELECT ru_id, en_id FROM links")
                 if r in ids or e in ids}
        about.update({p: (r, e) for p, r, e in self.conn.execute("SELECT id, ru_id, en_id FROM pairs")
                      if r in ids or e in ids})
        marks: list[tuple[str, str, str]] = []
        for kind, key, payload in self.conn.execute(
                "SELECT kind, key, payload FROM decisions WHERE kind IN ('link', 'pair')").fetchall():
            try:
                pay = json.loads(payload or "{}")
                row = pay.get("row") if isinstance(pay.get("row"), dict) else {}
                named = [pay.get("ru_id"), pay.get("en_id"), row.get("ru_id"), row.get("en_id")]
            except (ValueError, AttributeError):
                named = []
            hit = [i for i in (*named, *about.get(key, ())) if i in ids]
            if hit:
                marks.append(("; ".join(dict.fromkeys(reasons[i] for i in hit)), kind, key))
        self.conn.executemany("UPDATE decisions SET recheck=? WHERE kind=? AND key=?", marks)
        return len(marks)

    def remember_review_rows(self, rows: list[tuple[str, str, dict[str, object]]]) -> None:
        """Keep what each exported review row was (kind, key, payload), newest export winning."""
        at = now_iso()
        self.conn.executemany(
            "INSERT OR REPLACE INTO review_rows(kind, key, payload, exported_at) VALUES (?,?,?,?)",
            [(k, key, pack_payload(p), at) for k, key, p in rows],
        )

    def review_rows(self, keys: Iterable[tuple[str, str]] | None = None) -> dict[tuple[str, str], dict[str, object]]:
        """Every review row ever exported from this workspace, as remembered by :meth:`remember_review_rows`; or
        only those of ``keys`` ((kind, key) pairs: an archive remembers a row per link and sentence pair)."""
        if keys is None:
            rows = self.conn.execute("SELECT kind, key, payload FROM review_rows").fetchall()
            return {(k, key): unpack_payload(p) for k, key, p in rows}
        out: dict[tuple[str, str], dict[str, object]] = {}
        by_kind: dict[str, list[str]] = {}
        for kind, key in dict.fromkeys(keys):
            by_kind.setdefault(kind, []).append(key)
        for kind, wanted in by_kind.items():
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                sql = f"SELECT key, payload FROM review_rows WHERE kind=? AND key IN ({','.join('?' * len(part))})"
                out.update(((kind, key), unpack_payload(p)) for key, p in self.conn.execute(sql, (kind, *part)))
        return out

