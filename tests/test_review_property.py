"""Property: however review files (CSV or XLIFF) are exported, edited and imported, in whatever order, no sentence
pair whose last imported decision is accept or fix is ever missing from the TMX (and nothing else is in it)."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from test_review import _add_e2_pair, _fill

from kzalign.core.errors import KzalignError
from kzalign.stages.review import export_pairs, export_review, import_review
from kzalign.stages.sentences import pair_key
from kzalign.store.workspace import Workspace, link_key

P3 = pair_key("r1", "e2", [1], [1])
ROWS = [link_key("r1", "e1"), link_key("r1", "e2"), pair_key("r1", "e1", [1], [1]), pair_key("r1", "e1", [2], [2]),
        P3]
EN_BY_PAIR = {ROWS[2]: "-Kazakhstan's ambassador met the minister.",
              ROWS[3]: "The parties discussed trade of 10,000 tonnes.", P3: "Snow is expected."}

edits = st.dictionaries(st.sampled_from(ROWS), st.sampled_from(["accept", "reject", "fix"]), max_size=5)
exports = st.tuples(st.just("export"), edits, st.sampled_from(["csv", "xliff"]))
ops = st.lists(st.one_of(exports, st.tuples(st.just("import"), st.integers(0, 30), st.none())), min_size=1,
               max_size=10)


def _workspace(folder: Path) -> Workspace:
    ws = Workspace(folder / "ws.db")
    _fill(ws)
    assert _add_e2_pair(ws) == P3  # a pair on the second link too, so link rejections have pairs to drop
    return ws


def _export_and_edit(ws: Workspace, folder: Path, n: int, edit: dict[str, str], fmt: str) -> tuple[Path, dict]:
    """Export a review file, apply the edits as a reviewer would; returns the file and its decided pairs."""
    out = folder / f"export{n}.{'xlf' if fmt == 'xliff' else 'csv'}"
    export_review(ws, out, what="all" if n % 2 else "pairs")
    path = folder / f"reviewed{n}{out.suffix}"
    if fmt == "xliff":
        return path, _edit_xliff(out, path, n, edit)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    decided = {}
    for r in rows:
        if r["row_id"] in edit:
            d = edit[r["row_id"]]
            d = "accept" if d == "fix" and r["kind"] == "link" else d
            r["decision"], r["corrected_en"] = d, f"Fixed {n} {r['row_id']}." if d == "fix" else ""
        if r["decision"]:
            decided[r["row_id"]] = (r["decision"], r["corrected_en"])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["row_id"], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))
    return path, decided


def _edit_xliff(out: Path, path: Path, n: int, edit: dict[str, str]) -> dict:
    """The edits as a CAT tool makes them: approve (accept), edit the target and approve (fix), x-rejected."""
    ns = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
    doc = etree.parse(str(out))
    decided = {}
    for tu in doc.iterfind(".//x:trans-unit", ns):
        rid, target = tu.get("id"), tu.find("x:target", ns)
        d = edit.get(rid)
        if d == "reject":
            tu.set("approved", "no")
            target.set("state", "x-rejected")
        elif d is not None:
            tu.set("approved", "yes")
            target.set("state", "final")
            if rid in EN_BY_PAIR:
                target.text = f"Fixed {n} {rid}." if d == "fix" else EN_BY_PAIR[rid]
        if rid in EN_BY_PAIR and target.get("state") == "x-rejected":
            decided[rid] = ("reject", "")
        elif rid in EN_BY_PAIR and tu.get("approved") == "yes":
            decided[rid] = ("accept", "") if target.text == EN_BY_PAIR[rid] else ("fix", target.text)
    doc.write(str(path), xml_declaration=True, encoding="UTF-8")
    return decided


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_accepted_and_fixed_pairs_are_never_lost(operations):
    folder = Path(tempfile.mkdtemp(prefix="kzprop-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    try:
        ws = _workspace(folder)
        files: list[tuple[Path, dict]] = []
        last: dict[str, tuple[str, str]] = {}  # row id -> the decision of the last import that had it
        for kind, arg, fmt in operations:
            if kind == "export":
                files.append(_export_and_edit(ws, folder, len(files), arg, fmt))
            elif files:
                path, decided = files[arg % len(files)]
                import_review(ws, path)  # files of this workspace are never refused, in any order
                last.update(decided)
        want = {rid: (corr if d == "fix" else EN_BY_PAIR[rid]) for rid, (d, corr) in last.items()
                if rid in EN_BY_PAIR and d in ("accept", "fix")}
        if not want:  # nothing accepted: the export refuses to write an empty memory
            with pytest.raises(KzalignError, match="nothing to export"):
                export_pairs(ws, folder / "m.tmx")
            assert not (folder / "m.tmx").exists()
        else:
            out = export_pairs(ws, folder / "m.tmx")
            tus = etree.parse(str(out.path)).findall("body/tu")
            assert {tu.get("tuid"): tu.findall("tuv/seg")[1].text for tu in tus} == want
        ws.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
