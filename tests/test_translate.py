"""Translation: package install/listing, the CTranslate2 engine on a tiny random model, cache, guards, names.

The tiny package (random weights) translates into garbage, so these tests check mechanics — what is
installed, what is cached and re-used, which flags are raised, that names are restored or flagged —
never translation quality.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from kzalign.cli import main
from kzalign.core.errors import InputError, KzalignError
from kzalign.core.text import split_sentences, text_hash
from kzalign.engines.argos import find_package, install_from_file, install_online, list_models
from kzalign.engines.translate import (
    MT_OFF,
    ArgosTranslator,
    Translator,
    cache_key,
    check_translation,
    item_translations,
    load_translator,
    mt_status,
    protect_names,
    restore_names,
    translate_sentences,
    translate_workspace,
)
from kzalign.inputs.ingest import ingest_paths
from kzalign.store.workspace import Workspace

RU_ITEMS = [
    {"id": "ru-a", "lang": "ru", "title": "Токаев встретился с послом Мексики",
     "text": "Президент Казахстана Касым-Жомарт Токаев принял посла Мексики. Стороны обсудили торговлю.\n"
             "Встреча прошла в Астане."},
    {"id": "ru-b", "lang": "ru", "title": "",
     "text": "Стороны обсудили торговлю.\nМинистр иностранных дел Ермек Кошербаев провёл переговоры в Риме."},
]


# -- helpers -------------------------------------------------------------------------------------

@dataclass
class _Match:
    start: int
    end: int
    en: str


class FakeGlossary:
    """The duck-typed glossary interface translate.py codes against: find_ru(text) -> matches, signature."""

    signature = "fake1"

    def __init__(self, names: dict[str, str]):
        self.names = names  # Russian stem -> approved English form

    def find_ru(self, text: str) -> list[_Match]:
        import re

        out = []
        for stem, en in self.names.items():
            for m in re.finditer(rf"{stem}\w*", text):
                out.append(_Match(m.start(), m.end(), en))
        return out


GLOSSARY = FakeGlossary({"Токаев": "Tokayev", "Кошербаев": "Kosherbayev", "Астан": "Astana"})


class EchoTranslator:
    """A Translator that returns its input (so protected names come back) and counts calls."""

    signature = "echo-test|v1"
    batch_size = 4

    def __init__(self, transform=None):
        self.calls: list[list[str]] = []
        self.transform = transform or (lambda s: s)

    def translate(self, sentences: list[str]) -> list[str]:
        self.calls.append(list(sentences))
        return [self.transform(s) for s in sentences]


def _ingest_ru(ws: Workspace, tmp_path: Path, seeds_dir: Path) -> None:
    f = tmp_path / "ru.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in RU_ITEMS) + "\n", encoding="utf-8")
    ingest_paths(ws, [f, next(seeds_dir.glob("004_*.txt"))])


def _unique_sentences(ws: Workspace) -> set[str]:
    items = ws.items("ru")
    out: set[str] = set()
    for title, text in zip(items["title"], items["text"], strict=True):
        for line in ([title] if title else []) + text.splitlines():
            out.update(split_sentences(line))
    return out


@pytest.fixture()
def installed(argos_dir: Path, tiny_argosmodel: Path) -> Path:
    """The tiny package installed into this test's argos folder."""
    install_from_file(tiny_argosmodel)
    return argos_dir


@pytest.fixture()
def tiny_translator(installed: Path) -> ArgosTranslator:
    tr = load_translator(beam_size=1, batch_size=8)
    assert tr is not None
    return tr


# -- no model ----------------------------------------------------------------------------------

def test_no_model_is_a_clear_message(argos_dir: Path, ws: Workspace, tmp_path: Path) -> None:
    assert load_translator() is None
    assert mt_status() == MT_OFF
    runner = CliRunner()
    res = runner.invoke(main, ["models"])
    assert res.exit_code == 0
    assert "translate-ru_en" in res.output and "missing" in res.output
    assert "MT is off" in res.output
    for enc in ("use", "e5", "minilm"):
        assert enc in res.output
    db = tmp_path / "ws.db"
    res = runner.invoke(main, ["translate", "--db", str(db)])
    assert res.exit_code == 1
    assert "MT is off" in res.output and "kzalign models install --from-file" in res.output


def test_broken_package_is_listed_not_used(argos_dir: Path) -> None:
    bad = argos_dir / "translate-ru_en-broken"
    bad.mkdir()
    (bad / "metadata.json").write_text(json.dumps({"from_code": "ru", "to_code": "en", "package_version": "9"}))
    df = list_models()
    row = df[df["name"] == "translate-ru_en-broken"].iloc[0]
    assert row["status"] == "broken" and "model.bin" in row["detail"]
    assert load_translator() is None
    assert "unusable" in mt_status() and str(bad) in mt_status()


def test_online_install_unreachable_index_is_clean_error(argos_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", "http://127.0.0.1:9/")
    with pytest.raises(KzalignError, match="--from-file"):
        install_online("ru", "en", timeout=5)
    res = CliRunner().invoke(main, ["models", "install", "ru-en"])
    assert res.exit_code == 1 and "cannot read the argos package index" in res.output
    assert not any(argos_dir.iterdir())


# -- install -------------------------------------------------------------------------------------

def test_install_from_file_cli_and_listing(argos_dir: Path, tiny_argosmodel: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["models", "install", "--from-file", str(tiny_argosmodel)])
    assert res.exit_code == 0, res.output
    assert "Installed translate-ru_en-tiny" in res.output and "MT is on" in res.output
    assert (argos_dir / "translate-ru_en-tiny" / "model" / "model.bin").is_file()
    assert not [p for p in argos_dir.iterdir() if p.name.startswith(".")]  # no temp folders left
    pkg = find_package("ru", "en")
    assert pkg is not None and pkg.package_version == "0.0-tiny" and pkg.usable
    res = runner.invoke(main, ["models", "--format", "jsonl"])
    rows = [json.loads(x) for x in res.output.splitlines()]
    tr = [r for r in rows if r["kind"] == "translation"]
    assert tr == [{"kind": "translation", "name": "translate-ru_en-tiny", "languages": "ru→en",
                   "version": "0.0-tiny", "status": "usable", "detail": str(argos_dir / "translate-ru_en-tiny")}]
    # installing again replaces the package in place
    res = runner.invoke(main, ["models", "install", "--from-file", str(tiny_argosmodel)])
    assert res.exit_code == 0
    assert sorted(p.name for p in argos_dir.iterdir()) == ["translate-ru_en-tiny"]


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a/metadata.json": b"{}", "b/x": b""}, "one top-level folder"),
        ({"p/metadata.json": b'{"from_code": "ru", "to_code": "en"}', "p/sentencepiece.model": b"x"},
         "p/model/model.bin"),
        ({"p/metadata.json": b"not json", "p/model/model.bin": b"", "p/sentencepiece.model": b""}, "not valid JSON"),
        ({"p/metadata.json": b"{}", "p/model/model.bin": b"", "p/sentencepiece.model": b""}, "from_code"),
        ({"p/../../evil.txt": b"x"}, "unsafe path"),
    ],
)
def test_install_rejects_bad_archives(argos_dir: Path, tmp_path: Path, files: dict[str, bytes], message: str) -> None:
    bad = _zip(tmp_path / "bad.argosmodel", files)
    with pytest.raises(InputError) as exc:
        install_from_file(bad)
    assert str(bad) in str(exc.value) and message in str(exc.value)
    assert not any(argos_dir.iterdir())


def test_install_rejects_missing_and_non_zip(argos_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        install_from_file(tmp_path / "nope.argosmodel")
    txt = tmp_path / "x.argosmodel"
    txt.write_text("hello")
    res = CliRunner().invoke(main, ["models", "install", "--from-file", str(txt)])
    assert res.exit_code == 1 and "not a zip archive" in res.output and str(txt) in res.output


# -- engine, cache -----------------------------------------------------------------------------

def test_translator_interface_and_signature(tiny_translator: ArgosTranslator) -> None:
    assert isinstance(tiny_translator, Translator)
    assert tiny_translator.signature == "argos-ru_en-0.0-tiny|ct2-int8|beam1"
    out = tiny_translator.translate(["Стороны обсудили торговлю.", "", "Встреча прошла в Астане."])
    assert len(out) == 3 and out[1] == ""
    assert all(isinstance(x, str) for x in out)
    # batching never changes the output: one call with all sentences == one call per sentence
    sents = ["Стороны обсудили торговлю.", "Встреча прошла в Астане.", "Президент принял посла Мексики."]
    assert tiny_translator.translate(sents) == [tiny_translator.translate([s])[0] for s in sents]


def test_translate_cli_caches_and_reruns(installed: Path, tmp_path: Path, seeds_dir: Path) -> None:
    db = tmp_path / "ws.db"
    with Workspace(db) as ws:
        _ingest_ru(ws, tmp_path, seeds_dir)
        n_sent = len(_unique_sentences(ws))
    runner = CliRunner()
    res = runner.invoke(main, ["translate", "--db", str(db), "--beam-size", "1", "--batch-size", "4"])
    assert res.exit_code == 0, res.output
    assert f"Translated {n_sent} sentences, 0 from the cache, of {n_sent} unique" in res.output
    assert "in 3 Russian items" in res.output
    sig = "argos-ru_en-0.0-tiny|ct2-int8|beam1"
    assert f"model: {sig}" in res.output
    res = runner.invoke(main, ["translate", "--db", str(db), "--beam-size", "1"])
    assert f"Translated 0 sentences, {n_sent} from the cache" in res.output
    res = runner.invoke(main, ["translate", "--db", str(db), "--beam-size", "1", "--force"])
    assert f"Translated {n_sent} sentences, 0 from the cache" in res.output
    res = runner.invoke(main, ["translate", "--db", str(db)])  # beam 2: another signature, translated anew
    assert f"Translated {n_sent} sentences, 0 from the cache" in res.output
    with Workspace(db) as ws:
        rows = ws.conn.execute("SELECT model, COUNT(*) FROM translations GROUP BY model").fetchall()
        # the cache key is the model signature plus the glossary's (placeholders change the output)
        by_model = {m.split("|gloss:")[0]: n for m, n in rows}
        assert by_model == {sig: n_sent, "argos-ru_en-0.0-tiny|ct2-int8|beam2": n_sent}
        assert all("|gloss:" in m for m, _ in rows)
        key1 = next(m for m, _ in rows if m.startswith(sig + "|"))
        srcs = {r[0] for r in ws.conn.execute("SELECT src FROM translations WHERE model=?", (key1,))}
        assert srcs == _unique_sentences(ws)
        runs = ws.conn.execute("SELECT COUNT(*) FROM runs WHERE stage='translate'").fetchone()[0]
        assert runs == 4


def test_translate_workspace_report_and_item_translations(
    tiny_translator: ArgosTranslator, ws: Workspace, tmp_path: Path, seeds_dir: Path
) -> None:
    _ingest_ru(ws, tmp_path, seeds_dir)
    seen: list[tuple[str, int, int]] = []
    rep = translate_workspace(ws, tiny_translator, progress=lambda s, d, t: seen.append((s, d, t)))
    n = len(_unique_sentences(ws))
    assert (rep.sentences, rep.cached, rep.translated, rep.items) == (n, 0, n, 3)
    assert seen[0] == ("translate", 0, n) and seen[-1] == ("translate", n, n)
    flagged = ws.conn.execute("SELECT COUNT(*) FROM translations WHERE flags != ''").fetchone()[0]
    assert rep.flagged == flagged and sum(rep.flag_counts.values()) >= flagged
    rep2 = translate_workspace(ws, tiny_translator)
    assert (rep2.translated, rep2.cached) == (0, n)

    mt = item_translations(ws, tiny_translator.signature)
    assert list(mt.columns) == ["id", "mt_en", "flags", "flagged_share"]
    assert mt["flagged_share"].between(0, 1).all()
    assert set(mt["id"]) == set(ws.items("ru")["id"])
    items = ws.items("ru").set_index("id")
    for rec in mt.itertuples():
        item = items.loc[rec.id]
        n_lines = (1 if item["title"] else 0) + len([x for x in item["text"].splitlines() if x.strip()])
        assert len(rec.mt_en.split("\n")) == n_lines
        assert "untranslated" not in rec.flags
    # a shared sentence ("Стороны обсудили торговлю.") has one translation, used by both items
    shared = ws.conn.execute(
        "SELECT mt FROM translations WHERE src_hash=?", (text_hash("Стороны обсудили торговлю."),)
    ).fetchall()
    assert len(shared) == 1
    a = mt.set_index("id").loc["ru-a", "mt_en"].split("\n")[1]
    b = mt.set_index("id").loc["ru-b", "mt_en"].split("\n")[0]
    assert shared[0][0] in a and b == shared[0][0]


def test_item_translations_before_translating_says_untranslated(ws: Workspace, tmp_path: Path, seeds_dir: Path) -> None:
    _ingest_ru(ws, tmp_path, seeds_dir)
    mt = item_translations(ws, "argos-ru_en-0.0-tiny|ct2-int8|beam2")
    assert len(mt) == 3 and set(mt["flags"]) == {"untranslated"}


def test_translate_sentences_cached_and_ordered(ws: Workspace) -> None:
    tr = EchoTranslator(lambda s: "EN " + s.upper())
    sents = ["Один.", "Два.", "Один.", "", "Три."]
    out = translate_sentences(ws, tr, sents)
    assert [m for m, _ in out] == ["EN ОДИН.", "EN ДВА.", "EN ОДИН.", "", "EN ТРИ."]
    assert sum(len(c) for c in tr.calls) == 3  # unique, non-empty sentences only
    out2 = translate_sentences(ws, tr, ["Три.", "Четыре."])
    assert tr.calls[-1] == ["Четыре."] and out2[0] == out[4]


# -- names ---------------------------------------------------------------------------------------

def test_protect_and_restore_names() -> None:
    src = "Президент Токаев и министр Кошербаев прибыли в Астану."
    text, names = protect_names(src, GLOSSARY)
    assert text == "Президент Tokayev и министр Kosherbayev прибыли в Astana."
    assert names == ["Tokayev", "Kosherbayev", "Astana"]
    # exact copies come back re-cased; a bent copy is repaired; a missing one is reported
    assert restore_names("president TOKAYEV met Kosher-bayev in astana", names) == (
        "president Tokayev met Kosherbayev in Astana", False)
    assert restore_names("President Tokaev and Kosherbaev arrived in Astana.", names) == (
        "President Tokayev and Kosherbayev arrived in Astana.", False)
    out, lost = restore_names("The president arrived in Astana.", names)
    assert lost and "Astana" in out
    # a name protected twice must come back twice
    assert restore_names("Tokayev said", ["Tokayev", "Tokayev"])[1] is True
    # names glued to neighbouring text get spaces so the model sees a word
    assert protect_names("(Токаев)", GLOSSARY)[0] == "(Tokayev)"


def test_names_restored_through_translate_sentences(ws: Workspace) -> None:
    src = ["Касым-Жомарт Токаев встретился с Ермеком Кошербаевым.", "Встреча прошла в Астане."]
    good = translate_sentences(ws, EchoTranslator(lambda s: s.replace("встретился с", "met")), src, glossary=GLOSSARY)
    assert "Tokayev" in good[0][0] and "Kosherbayev" in good[0][0] and "placeholder_lost" not in good[0][1]
    assert "Astana" in good[1][0]
    # a model that drops a name: the sentence is flagged, not silently wrong
    dropper = EchoTranslator(lambda s: s.replace("Kosherbayev", "").replace("Tokayev", "Tokayev"))
    dropper.signature = "dropper|v1"
    bad = translate_sentences(ws, dropper, src, glossary=GLOSSARY)
    assert "placeholder_lost" in bad[0][1].split("|") and "placeholder_lost" not in bad[1][1]
    keys = {r[0] for r in ws.conn.execute("SELECT DISTINCT model FROM translations")}
    assert keys == {"echo-test|v1|gloss:fake1", "dropper|v1|gloss:fake1"}


def test_names_with_the_tiny_model_are_restored_or_flagged(
    tiny_translator: ArgosTranslator, ws: Workspace, tmp_path: Path, seeds_dir: Path
) -> None:
    _ingest_ru(ws, tmp_path, seeds_dir)
    rep = translate_workspace(ws, tiny_translator, glossary=GLOSSARY)
    assert rep.signature == cache_key(tiny_translator, GLOSSARY) == tiny_translator.signature + "|gloss:fake1"
    rows = ws.conn.execute("SELECT src, mt, flags FROM translations WHERE model=?", (rep.signature,)).fetchall()
    with_names = [r for r in rows if GLOSSARY.find_ru(r[0])]
    assert len(with_names) >= 3
    for src, mt, flags in with_names:
        expected = [m.en for m in GLOSSARY.find_ru(src)]
        assert all(e in mt for e in expected) or "placeholder_lost" in flags.split("|")
    # item_translations finds the glossary-keyed rows from the translator signature alone
    mt = item_translations(ws, tiny_translator.signature)
    assert "untranslated" not in "|".join(mt["flags"])


def test_bundled_glossary_names_are_protected(ws: Workspace) -> None:
    from kzalign.glossary import BUNDLED_DIR, load_glossary

    g = load_glossary([BUNDLED_DIR])
    src = "Президент Казахстана Касым-Жомарт Токаев принял посла."
    text, names = protect_names(src, g)
    for m in g.find_ru(src):
        assert m.en in text
    out = translate_sentences(ws, EchoTranslator(), [src], glossary=g)
    assert all(n in out[0][0] for n in names) and "placeholder_lost" not in out[0][1]


def test_sentinel_placeholders_are_not_in_a_sentencepiece_vocabulary(tiny_translator: ArgosTranslator) -> None:
    """Why names are protected as Latin text, not ⟦0⟧: the sentinel is unknown to the tokenizer."""
    sp = tiny_translator.sp
    assert sp.unk_id() in sp.encode("Президент ⟦0⟧ прибыл.")
    assert sp.unk_id() not in sp.encode("Президент Tokayev прибыл.")


# -- guards --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("src", "mt", "flags"),
    [
        ("Стороны обсудили торговлю.", "The parties discussed trade.", []),
        ("Стороны обсудили торговлю.", "", ["empty"]),
        ("Стороны обсудили торговлю.", " . ", ["empty"]),
        ("Стороны обсудили торговлю.", "The the the the parties", ["repetition"]),
        ("Стороны обсудили вопросы торговли и инвестиций.",
         "the parties of the parties of the parties of the parties", ["repetition"]),
        ("Стороны обсудили торговлю.", "Стороны обсудили торговлю.", ["copied_source"]),
        ("Стороны обсудили торговлю.", "Parties обсудили торговлю.", ["copied_source"]),
        ("Стороны обсудили вопросы двустороннего сотрудничества в сфере торговли и инвестиций.", "Yes.",
         ["length_ratio"]),
        ("Привет.", "Hello, " + "and welcome to the official ceremony of the Embassy " * 2, ["length_ratio"]),
        ("Токаев", "Tokayev", []),  # short headline-like lines are not length-flagged
    ],
)
def test_guards(src: str, mt: str, flags: list[str]) -> None:
    assert check_translation(src, mt) == flags
