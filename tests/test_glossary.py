"""Glossary: CSV validation, Russian matching in any case, English matching, check, extract, merge."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from kzalign.core.errors import InputError
from kzalign.glossary import (
    BUNDLED_DIR,
    Glossary,
    add_entry,
    extract_candidates,
    load_glossary,
    merge_candidates,
    name_keys,
    new_entry,
)
from kzalign.stages.glossary_check import check_items

HEADER = "ru,en,kind,variants,forbidden,status,note,source\n"


@pytest.fixture(scope="module")
def g() -> Glossary:
    return load_glossary([BUNDLED_DIR])


@pytest.fixture(scope="module")
def seed_ws(tmp_path_factory, seeds_dir):
    from kzalign.inputs.ingest import ingest_paths
    from kzalign.store.workspace import Workspace

    ws = Workspace(tmp_path_factory.mktemp("gl") / "ws.db")
    ingest_paths(ws, [seeds_dir])
    yield ws
    ws.close()


def _write(tmp_path: Path, body: str, name: str = "g.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + body, encoding="utf-8")
    return p


def _small(tmp_path: Path) -> Glossary:
    """A glossary lacking Турганбеков and Мартинес Руис (to test extraction)."""
    return load_glossary([_write(tmp_path, "Мексика,Mexico,place,,,approved,,\n"
                                           "Касым-Жомарт Токаев,Kassym-Jomart Tokayev,person,,,approved,,\n")])


# -- shipped glossary and validation --------------------------------------------------------------
def test_shipped_glossary_covers_seed_names(g: Glossary) -> None:
    en = {e.en for e in g.entries}
    for name in ["Almurat Turganbekov", "Kassym-Jomart Tokayev", "Arman Issetov", "Maribel Martinez Ruiz",
                 "Mexico", "Mexico City", "Ministry of Foreign Affairs of the Republic of Kazakhstan",
                 "Timcho Mucunski", "Yerzhan Ashikbayev", "Roman Vassilenko", "Zharkynbek Amantaiuly"]:
        assert name in en, name
    assert len(g.signature) == 10
    assert all(e.ru and e.en and e.kind and e.source for e in g.entries)


def test_official_kazakh_forms_match_eval(g: Glossary, eval_dir: Path) -> None:
    rows = pd.read_csv(eval_dir / "names" / "kz_seed_names.tsv", sep="\t")
    by_ru = {e.ru: e.en for e in g.entries}
    assert all(by_ru[r.ru] == r.en for r in rows.itertuples())


@pytest.mark.parametrize("body,needle", [
    ("Арман Исетов,Arman Issetov,person,,,approved,,\nАрман Исетов,Arman Issetov,person,,,approved,,\n", "duplicate"),
    ("Арман Исетов,Arman Issetov,person,,,approved,,\nАрман Исетов,Arman Isetov,person,,,approved,,\n", "conflicts"),
    ("Арман Исетов,,person,,,approved,,\n", "empty en"),
    ("Арман Исетов,Arman Issetov,person,,arman issetov,approved,,\n", "forbidden form"),
    ("Арман Исетов,Arman Issetov,human,,,approved,,\n", "kind 'human'"),
    ("Арман Исетов,Arman Issetov,person,,,maybe,,\n", "status 'maybe'"),
    ("Мексика,Mexico,place,,,approved,,\nМехико,Mexico City,place,,Mexico,approved,,\n", "approved form of"),
])
def test_validation_names_file_and_row(tmp_path: Path, body: str, needle: str) -> None:
    p = _write(tmp_path, body)
    with pytest.raises(InputError) as exc:
        load_glossary([p])
    assert needle in str(exc.value)
    assert f"{p}:" in str(exc.value)


# -- Russian ----------------------------------------------------------------------------------------
def test_find_ru_any_case_and_form(g: Glossary) -> None:
    text = ("А.Турганбеков встретил Турганбекова, говорил с Турганбековым. Послание Касым-Жомарта Токаева "
            "обсудили в Мексике, в Мехико. Жанной Сагиновой; МИД РК; Министерства иностранных дел "
            "Республики Казахстан. Роман Василенко читал роман в Вене.")
    got = [(m.surface, m.en) for m in g.find_ru(text)]
    assert got == [
        ("А.Турганбеков", "Almurat Turganbekov"), ("Турганбекова", "Almurat Turganbekov"),
        ("Турганбековым", "Almurat Turganbekov"), ("Касым-Жомарта Токаева", "Kassym-Jomart Tokayev"),
        ("Мексике", "Mexico"), ("Мехико", "Mexico City"), ("Жанной Сагиновой", "Zhanna Saginova"),
        ("МИД РК", "Ministry of Foreign Affairs of the Republic of Kazakhstan"),
        ("Министерства иностранных дел Республики Казахстан", "Ministry of Foreign Affairs of the Republic of Kazakhstan"),
        ("Роман Василенко", "Roman Vassilenko"), ("Вене", "Vienna"),
    ]
    m = g.find_ru(text)[0]
    assert text[m.start:m.end] == m.surface and m.verified and m.entry is not None


def test_ru_names_marks_unknown_names_unverified(g: Glossary) -> None:
    ms = g.ru_names("Встретились Нурлан Ермекбаев и А.Турганбеков. Спикеры выступили.")
    got = [(m.surface, m.en, m.verified) for m in ms]
    assert got == [("Нурлан Ермекбаев", "Nurlan Yermekbayev", False), ("А.Турганбеков", "Almurat Turganbekov", True)]


def test_foreign_name_recovered_from_linked_english(tmp_path: Path) -> None:
    small = _small(tmp_path)
    ru = "председатель Группы дружбы мексиканский депутат Марибель Мартинес Руис"
    plain = small.ru_names(ru)[-1]
    assert plain.en == "Maribel Martines Ruis" and plain.form == "foreign?"
    rec = small.ru_names(ru, en_context=["Maribel Martinez Ruiz, Head of the Friendship Group"])[-1]
    assert (rec.en, rec.form, rec.verified) == ("Maribel Martinez Ruiz", "recovered", False)


# -- English -----------------------------------------------------------------------------------------
def test_find_en_forms(g: Glossary) -> None:
    text = ("Deputy Minister Isetov noted. Arman Isetov said. A. Turganbekov met TOKAYEV's aide; "
            "Kassym Jomart Tokayev; Kasym-Zhomart Tokayev; A. Gomez Toledo; Jose Manuel Albares; the UN, un.")
    got = [(m.surface, m.en, m.form) for m in g.find_en(text)]
    assert got == [
        ("Isetov", "Arman Issetov", "forbidden"), ("Arman Isetov", "Arman Issetov", "forbidden"),
        ("A. Turganbekov", "Almurat Turganbekov", "approved"), ("TOKAYEV", "Kassym-Jomart Tokayev", "approved"),
        ("Kassym Jomart Tokayev", "Kassym-Jomart Tokayev", "approved"),
        ("Kasym-Zhomart Tokayev", "Kassym-Jomart Tokayev", "forbidden"),
        ("A. Gomez Toledo", "Anibal Gomez Toledo", "approved"),
        ("Jose Manuel Albares", "José Manuel Albares", "approved"), ("UN", "UN", "approved"),
    ]


def test_name_keys_shared_across_languages(g: Glossary) -> None:
    ru = name_keys("А.Турганбеков и Нурлан Ермекбаев в Мексике", "ru", g)
    en = name_keys("A. Turganbekov met Nurlan Yermekbayev in Mexico", "en", g)
    assert {"Almurat Turganbekov", "Mexico"} <= ru & en
    assert len(ru & en) == 4  # the two unknown words meet through their folded keys


def test_names_found_on_seeds(g: Glossary, seed_ws) -> None:
    """Every item gives its names (speed is measured by benchmarks/bench_glossary.py, not here)."""
    for r in seed_ws.items().itertuples():
        found = g.ru_names(r.text) if r.lang == "ru" else g.en_names(r.text)
        assert found and all(r.text[m.start:m.end] == m.surface for m in found)


# -- check / extract / merge ---------------------------------------------------------------------------
def test_check_flags_isetov(g: Glossary, seed_ws) -> None:
    rep = check_items(seed_ws.items(), g)
    forb = rep[rep.finding == "forbidden_spelling"]
    assert set(forb.found) == {"Isetov", "Arman Isetov"} and set(forb.expected) == {"Arman Issetov"}
    assert all(":" in s for s in forb.source)


def test_check_without_entry_finds_inconsistent_spelling(tmp_path: Path, seed_ws) -> None:
    rep = check_items(seed_ws.items(), _small(tmp_path))
    inc = rep[rep.finding == "inconsistent_spelling"]
    assert ("Isetov", "Issetov") in set(zip(inc.found, inc.expected, strict=True))
    unknown = rep[rep.finding == "unknown_ru_name"]
    assert "Алмурат Турганбеков" in set(unknown.found)
    assert "Almurat Turganbekov" in set(unknown.expected)


def test_check_machine_translation_missing_names(g: Glossary) -> None:
    items = pd.DataFrame([dict(id="r1", lang="ru", title="", text="Посол А.Турганбеков прибыл в Мехико.",
                               sources=["x.txt:1"])])
    rep = check_items(items, g, mt={"r1": "Ambassador A. Turganbekov arrived in Mexico."})
    miss = rep[rep.finding == "mt_missing_name"]
    assert list(miss.expected) == ["Mexico City"] and list(miss.source) == ["x.txt:1"]


def _link_seed(ws) -> None:
    items = ws.items()
    ru_id = items[items.lang == "ru"].id.iloc[0]
    en_id = items[(items.lang == "en") & items.text.str.contains("Maribel")].id.iloc[0]
    with ws.transaction():
        ws.replace_links([dict(ru_id=ru_id, en_id=en_id, score=0.81, rank=1, evidence={}, signature="test")])


def test_extract_proposes_missing_names(tmp_path: Path, seed_ws) -> None:
    _link_seed(seed_ws)
    df = extract_candidates(seed_ws, _small(tmp_path))
    pairs = set(zip(df.ru, df.en, strict=True))
    assert ("Марибель Мартинес Руис", "Maribel Martinez Ruiz") in pairs
    assert ("Алмурат Турганбеков", "Almurat Turganbekov") in pairs
    assert set(df.status) == {"candidate"} and all("↔" in e for e in df.evidence)
    assert not any(ru.startswith("Касым") for ru in df.ru)  # already in the glossary


def test_drop_tails_matches_the_pairwise_rule() -> None:
    """The linear tail filter drops exactly what comparing every candidate with every other one drops."""
    import random

    from kzalign.glossary.extract import _drop_tails

    rng = random.Random(0)
    ru_words, en_words = ["Алмурат", "Турганбеков", "Арман", "Исетов", "А."], ["Almurat", "Turganbekov", "Arman", "Isetov"]
    for _ in range(200):
        keys = {(" ".join(rng.choices(ru_words, k=rng.randint(1, 3))), " ".join(rng.choices(en_words, k=rng.randint(1, 3))))
                for _ in range(rng.randint(1, 12))}
        want = {(ru, en) for ru, en in keys if not any((r2, e2) != (ru, en) and r2.endswith(" " + ru)
                                                       and e2.endswith(" " + en) for r2, e2 in keys)}
        best: dict[tuple[str, str], dict[str, object]] = {k: {} for k in keys}
        _drop_tails(best)
        assert set(best) == want


def test_extract_nothing_new_with_full_glossary(g: Glossary, seed_ws) -> None:
    _link_seed(seed_ws)
    df = extract_candidates(seed_ws, g)
    assert not ({"Марибель Мартинес Руис", "Алмурат Турганбеков"} & set(df.ru))


def test_add_and_merge_never_overwrite(tmp_path: Path) -> None:
    folder = tmp_path / "gl"
    folder.mkdir()
    _write(folder, "Арман Исетов,Arman Issetov,person,,Arman Isetov,approved,,\n", "people.csv")
    add_entry(folder, new_entry("Мексика", "Mexico", "place"))
    assert "Мексика" in (folder / "places.csv").read_text(encoding="utf-8")
    with pytest.raises(InputError, match="conflicts"):
        add_entry(folder, new_entry("Арман Исетов", "Arman Isetov", "person"))
    cand = pd.DataFrame([
        dict(ru="Арман Исетов", en="Arman Isetov", kind="person", status="approved"),
        dict(ru="Данат Мусаев", en="Danat Mussayev", kind="person", status="approved"),
        dict(ru="Марибель Мартинес Руис", en="Maribel Martinez Ruiz", kind="person", status="candidate"),
    ])
    rep = merge_candidates(cand, folder)
    assert [e.ru for e in rep.added] == ["Данат Мусаев"]
    assert {ru for ru, _ in rep.skipped} == {"Арман Исетов", "Марибель Мартинес Руис"}
    g2 = load_glossary([folder])
    assert {e.ru: e.en for e in g2.entries}["Арман Исетов"] == "Arman Issetov"


def test_glossary_cli(tmp_path: Path, seeds_dir: Path, seed_ws) -> None:
    from kzalign.cli import main

    runner = CliRunner()
    out = tmp_path / "report.csv"
    r = runner.invoke(main, ["glossary", "check", str(seeds_dir / "003_8a12eeeba84bdb19.txt"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    rep = pd.read_csv(out, encoding="utf-8-sig")
    assert "Isetov" in set(rep.found)
    _link_seed(seed_ws)
    _small(tmp_path)
    cand = tmp_path / "cand.csv"
    r = runner.invoke(main, ["glossary", "extract", "--db", str(seed_ws.path), "--out", str(cand),
                             "--glossary", str(tmp_path / "g.csv")])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(cand, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert "Maribel Martinez Ruiz" in set(df.en)
    df.loc[df.en == "Maribel Martinez Ruiz", "status"] = "approved"
    df.to_csv(cand, index=False)
    target = tmp_path / "merged"
    target.mkdir()
    _write(target, "Мексика,Mexico,place,,,approved,,\n", "places.csv")  # an existing user glossary
    r = runner.invoke(main, ["glossary", "merge", str(cand), "--into", str(target)])
    assert r.exit_code == 0, r.output
    assert "Maribel Martinez Ruiz" in (target / "people.csv").read_text(encoding="utf-8")
    r = runner.invoke(main, ["glossary", "list", "--glossary", str(target)])
    assert "Марибель Мартинес Руис" in r.output
    bad = _write(tmp_path, "Мексика,,place,,,approved,,\n", "bad.csv")
    r = runner.invoke(main, ["glossary", "list", "--glossary", str(bad)])
    assert r.exit_code == 1 and f"{bad}:2: empty en" in r.output


def test_repository_glossary_matches_packaged_copy() -> None:
    """``glossaries/`` (the project's glossary in a checkout) and the packaged copy never drift apart."""
    from kzalign.glossary import BUNDLED_DIR

    root = Path(__file__).resolve().parent.parent / "glossaries"
    names = sorted(p.name for p in root.glob("*.csv"))
    assert names == sorted(p.name for p in Path(BUNDLED_DIR).glob("*.csv")) and names
    for name in names:
        assert (root / name).read_bytes() == (Path(BUNDLED_DIR) / name).read_bytes(), (
            f"glossaries/{name} differs from kzalign/data/glossaries/{name}: copy it over")
