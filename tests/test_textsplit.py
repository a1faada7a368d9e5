"""Sentence splitting a translation memory can trust (boundary P/R/F1: benchmarks/bench_textsplit.py)."""

from __future__ import annotations

import pytest

from kzalign.core.text import split_sentences

CASES = [
    ("Talks were held on Jan. 5 in Washington. The sides agreed.", ["Talks were held on Jan. 5 in Washington.", "The sides agreed."]),
    ("The U.S. President met him. Then he left.", ["The U.S. President met him.", "Then he left."]),
    ("The delegation arrived in Washington, D.C. The talks began.", ["The delegation arrived in Washington, D.C.", "The talks began."]),
    ("Mr. Smith met Dr. Jones. They talked for 3 hrs. and agreed.", ["Mr. Smith met Dr. Jones.", "They talked for 3 hrs. and agreed."]),
    ("Decree No. 5 was signed. It enters into force today.", ["Decree No. 5 was signed.", "It enters into force today."]),
    ("The rate rose to 3.5 per cent. Exports grew by 1.2 bn.", ["The rate rose to 3.5 per cent.", "Exports grew by 1.2 bn."]),
    ("Встреча прошла 5 янв. в Астане. Стороны договорились.", ["Встреча прошла 5 янв. в Астане.", "Стороны договорились."]),
    ("К.-Ж. Токаев принял посла. Встреча прошла в г. Астане.", ["К.-Ж. Токаев принял посла.", "Встреча прошла в г. Астане."]),
    ("Это произошло в 2015 г. Документы были опубликованы.", ["Это произошло в 2015 г.", "Документы были опубликованы."]),
    ("В 2020–2021 гг. рост составил 3,5%, т.е. больше плана.", ["В 2020–2021 гг. рост составил 3,5%, т.е. больше плана."]),
    ("Музей им. Н.И. Пирогова открыт. Вход свободный.", ["Музей им. Н.И. Пирогова открыт.", "Вход свободный."]),
    ("Цена 22 500 долл. США за унцию.", ["Цена 22 500 долл. США за унцию."]),
    ("«Это важно», - написал Иванов. - Мы продолжим работу.", ["«Это важно», - написал Иванов. - Мы продолжим работу."]),
    ("Адрес: ул. Ленина, 5; вход со двора.", ["Адрес: ул. Ленина, 5; вход со двора."]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_abbreviations_initials_and_numbers(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_word_line_breaks_inside_a_sentence_do_not_split_or_glue() -> None:
    text = "Ambassador Almurat Turganbekov met\nwith the Director General.\nHeadline of the next report\nBody text."
    assert split_sentences(text) == ["Ambassador Almurat Turganbekov met with the Director General.",
                                     "Headline of the next report", "Body text."]


def test_sentences_are_substrings_and_long_lines_split() -> None:
    line = "Посол провёл встречу с министром. " * 30000  # ~1 MB on one line: razdel is linear
    out = split_sentences(line)
    assert len(out) == 30000 and set(out) == {"Посол провёл встречу с министром."}


def test_units_and_months_end_a_sentence_before_a_capital_only() -> None:
    assert split_sentences("The talks lasted 3 hrs. The sides agreed.") == ["The talks lasted 3 hrs.", "The sides agreed."]
    assert split_sentences("It was held 5 Jan. 2026 in Astana.") == ["It was held 5 Jan. 2026 in Astana."]


def test_chinese_full_stops_end_sentences_quotes_stay_with_them() -> None:
    text = "韦小宝道：“谁说不会？”那男孩道：“好，你上来！”他走了。那天夜里我没走掉。"
    assert split_sentences(text, "zh") == ["韦小宝道：“谁说不会？”", "那男孩道：“好，你上来！”", "他走了。",
                                           "那天夜里我没走掉。"]
    assert split_sentences("他说：“我走了。你呢？”", "zh") == ["他说：“我走了。", "你呢？”"]  # as MAC's gold splits
    stammer = "韦小宝道：“那部书…… 书…… 我……”海老公又哼了一声。"  # a pause inside a sentence, then its end
    assert split_sentences(stammer, "zh") == ["韦小宝道：“那部书…… 书…… 我……”", "海老公又哼了一声。"]
    assert split_sentences("Он сказал: «Нет.» Потом ушёл.") == ["Он сказал: «Нет.»", "Потом ушёл."]  # unchanged
    assert split_sentences("“Well…” he said. Then he left.", "en") == ["“Well…” he said.", "Then he left."]


def test_join_sentences_puts_no_space_between_chinese_ones() -> None:
    from kzalign.core.text import join_sentences

    assert join_sentences(["那天晚上我没走掉。", "陈清扬把我拽住。"]) == "那天晚上我没走掉。陈清扬把我拽住。"
    assert join_sentences(["Он ушёл.", "Потом вернулся."]) == "Он ушёл. Потом вернулся."
    assert join_sentences(["他说：“好。”", "OK."]) == "他说：“好。” OK."
