"""Glossary upkeep (issue 25 #6): writes go to the user glossary folder, never into the package or the
checkout; ``glossary remove`` and ``glossary edit``."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.glossary import BUNDLED_DIR, glossary_files, load_glossary

ROOT = Path(__file__).resolve().parent.parent
HEADER = "ru,en,kind,variants,forbidden,status,note,source\n"
N_BUNDLED = sum(len(list(csv.DictReader(f.open(encoding="utf-8-sig")))) for f in glossary_files([BUNDLED_DIR]))


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture()
def home(tmp_path: Path, monkeypatch) -> Path:
    """A fresh $KZALIGN_HOME; the command runs in the checkout's root, where ./glossaries is the tracked folder."""
    h = tmp_path / "home"
    monkeypatch.setenv("KZALIGN_HOME", str(h))
    monkeypatch.delenv("KZALIGN_GLOSSARY", raising=False)
    monkeypatch.chdir(ROOT)
    return h


def test_upkeep_in_a_checkout_writes_to_the_user_folder_only(home: Path, tmp_path: Path, seeds_linked_db) -> None:
    before = {"glossaries": _tree(ROOT / "glossaries"), "bundled": _tree(BUNDLED_DIR)}
    runner = CliRunner()
    r = runner.invoke(main, ["glossary", "add", "Айгерим Сейсенова", "Aigerim Seissenova", "--kind", "person"])
    assert r.exit_code == 0, r.output
    assert str(home / "glossaries" / "people.csv") in r.output and "copied the bundled glossary" in r.output
    r = runner.invoke(main, ["glossary", "extract", "--db", str(seeds_linked_db)])
    assert r.exit_code == 0, r.output
    assert (home / "glossaries" / "candidates.csv").is_file()
    cand = tmp_path / "cand.csv"
    cand.write_text(HEADER + "Ерлан Карин,Yerlan Karin,person,,,approved,,\n", encoding="utf-8")
    r = runner.invoke(main, ["glossary", "merge", str(cand)])
    assert r.exit_code == 0 and "1 added" in r.output, r.output
    r = runner.invoke(main, ["glossary", "list", "--format", "jsonl"])  # reads the user folder now
    assert len(r.output.splitlines()) == N_BUNDLED + 2
    for cmd in (["glossary", "add", "Серик Жумангарин", "Serik Zhumangarin", "--kind", "person", "--to", "glossaries"],
                ["glossary", "merge", str(cand), "--into", str(ROOT / "glossaries" / "people.csv")],
                ["glossary", "extract", "--db", str(seeds_linked_db), "--out", "glossaries/candidates.csv"],
                ["glossary", "remove", "Мексика", "--in", str(BUNDLED_DIR)]):
        r = runner.invoke(main, cmd)
        assert r.exit_code == 1 and "never edit" in r.output, (cmd, r.output)
    assert {"glossaries": _tree(ROOT / "glossaries"), "bundled": _tree(BUNDLED_DIR)} == before


def test_an_old_dot_glossaries_folder_is_named_not_silently_ignored(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KZALIGN_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "glossaries").mkdir()
    (tmp_path / "glossaries" / "mine.csv").write_text(HEADER + "Ерлан Карин,Yerlan Karin,person,,,approved,,\n",
                                                     encoding="utf-8")
    r = CliRunner().invoke(main, ["glossary", "list", "--format", "jsonl"])
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == N_BUNDLED
    assert "glossaries/ holds a glossary that is not read by default" in r.stderr and "--glossary" in r.stderr


def test_remove_a_bundled_entry_seeds_the_folder_then_hides_only_it(home: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["glossary", "remove", "МЕКСИКА"])  # case-insensitive
    assert r.exit_code == 0, r.output
    assert "copied the bundled glossary" in r.output and "removed Мексика → Mexico" in r.output
    g = load_glossary([home / "glossaries"])
    assert len(g.entries) == N_BUNDLED - 1 and "Мексика" not in {e.ru for e in g.entries}
    r = runner.invoke(main, ["glossary", "remove", "Мексика"])
    assert r.exit_code == 1 and "'Мексика' is not in the glossary" in r.output
    assert len(load_glossary([home / "glossaries"]).entries) == N_BUNDLED - 1


def test_edit_changes_fields_moves_kind_and_validates_first(home: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(main, ["glossary", "add", "Айгерим Сейсенова", "Aigerim Seissenova", "--kind", "person"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["glossary", "edit", "Айгерим Сейсенова", "--variants", "Aigerim Seisenova",
                             "--forbidden", "Ajgerim Sejsenova", "--note", "checked"])
    assert r.exit_code == 0 and "changed variants, forbidden, note" in r.output, r.output
    e = next(e for e in load_glossary([home / "glossaries"]).entries if e.ru == "Айгерим Сейсенова")
    assert (e.en, e.variants, e.forbidden, e.note) == ("Aigerim Seissenova", ("Aigerim Seisenova",),
                                                       ("Ajgerim Sejsenova",), "checked")
    people = (home / "glossaries" / "people.csv").read_bytes()
    r = runner.invoke(main, ["glossary", "edit", "Айгерим Сейсенова", "--forbidden", "Mexico"])  # Мексика's form
    assert r.exit_code == 1 and "Mexico" in r.output
    assert (home / "glossaries" / "people.csv").read_bytes() == people  # nothing written
    r = runner.invoke(main, ["glossary", "edit", "Айгерим Сейсенова", "--kind", "org"])
    assert r.exit_code == 0, r.output
    assert "Айгерим" not in (home / "glossaries" / "people.csv").read_text(encoding="utf-8")
    assert "Айгерим" in (home / "glossaries" / "organisations.csv").read_text(encoding="utf-8")
    r = runner.invoke(main, ["glossary", "edit", "Айгерим Сейсенова"])
    assert r.exit_code == 1 and "give at least one of" in r.output
    r = runner.invoke(main, ["glossary", "edit", "Нет Такого", "--en", "Nobody"])
    assert r.exit_code == 1 and "is not in the glossary" in r.output
