from __future__ import annotations

import pytest

from rag.answering.figures import (
    Figure,
    claimed,
    extract,
    is_month,
    parse_number,
    roman_value,
    supported,
    unsupported,
)


def _one(text: str) -> Figure:
    found = extract(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("19/12/2023", (2023, 12, 19)),
        ("19-12-2023", (2023, 12, 19)),
        ("19.12.2023", (2023, 12, 19)),
        ("2023-12-19", (2023, 12, 19)),
        ("ngày 19 tháng 12 năm 2023", (2023, 12, 19)),
        ("ngay 19 thang 12 nam 2023", (2023, 12, 19)),
        ("19 tháng 12", (None, 12, 19)),
        ("tháng 12/2023", (2023, 12, None)),
        ("tháng 12 năm 2023", (2023, 12, None)),
        ("December 19, 2023", (2023, 12, 19)),
        ("19 December 2023", (2023, 12, 19)),
        ("Dec 19", (None, 12, 19)),
        ("December 2023", (2023, 12, None)),
        ("19/12", (None, 12, 19)),
        ("năm 2023", (2023, None, None)),
        ("in 2023", (2023, None, None)),
    ],
)
def test_date_forms(text, date):
    assert _one(text).date == date


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("600 tỷ USD", 600e9, "usd"),
        ("600 tỉ USD", 600e9, "usd"),
        ("600 billion USD", 600e9, "usd"),
        ("600,000,000,000 USD", 600e9, "usd"),
        ("600.000.000.000 USD", 600e9, "usd"),
        ("$600 billion", 600e9, "usd"),
        ("1.200 đại biểu", 1200, None),
        ("1,200 delegates", 1200, None),
        ("2,5 triệu", 2.5e6, None),
        ("2.5 million", 2.5e6, None),
        ("1.200,5", 1200.5, None),
        ("1,200.5", 1200.5, None),
        ("3 nghìn", 3e3, None),
        ("3 ngàn", 3e3, None),
        ("3 thousand", 3e3, None),
        ("3 nghìn tỷ đồng", 3e12, "vnd"),
        ("15%", 15, "%"),
        ("15 phần trăm", 15, "%"),
        ("15 percent", 15, "%"),
        ("lần thứ 32", 32, None),
        ("thứ 32", 32, None),
        ("32nd", 32, None),
    ],
)
def test_number_forms(text, value, unit):
    figure = _one(text)
    assert figure.date is None and figure.value == pytest.approx(value, rel=1e-12)
    assert figure.unit == unit


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        ("hơn 140", "more"),
        ("trên 140", "more"),
        ("more than 140", "more"),
        ("over 140", "more"),
        ("gần 140", "near"),
        ("nearly 140", "near"),
        ("khoảng 140", "about"),
        ("about 140", "about"),
        ("140", None),
    ],
)
def test_qualifiers(text, qualifier):
    assert _one(text).qualifier == qualifier


def test_parse_number_separators():
    assert parse_number("1.200") == 1200 and parse_number("1,200") == 1200
    assert parse_number("2,5") == 2.5 and parse_number("2.5") == 2.5
    assert parse_number("1.234.567") == 1234567
    assert parse_number("1.2.3") is None


@pytest.mark.parametrize(
    ("answer", "evidence"),
    [
        ("December 19, 2023", "ngày 19/12/2023"),
        ("December 19, 2023", "ngày 19/12, năm 2023"),  # year stated elsewhere
        ("19/12", "ngày 19/12/2023"),
        ("December 2023", "ngày 19/12/2023"),
        ("2023", "ngày 19/12/2023"),
        ("ngày 19 tháng 12 năm 2023", "2023-12-19"),
        ("Dec 19", "19 tháng 12"),
        ("600,000,000 USD", "600 triệu USD"),
        ("600 billion USD", "600 tỷ USD"),
        ("600,000,000,000 USD", "600 tỷ USD"),
        ("600 tỷ", "600 tỷ USD"),  # unit only on one side
        ("more than 140", "hơn 140"),
        ("140", "hơn 140"),  # qualifier absent from the answer
        ("15 percent", "15%"),
        ("the 32nd conference", "lần thứ 32"),
        ("2.5 million", "2,5 triệu"),
        ("1,200 delegates", "1.200 đại biểu"),
        ("ngày 19", "19/12/2023"),  # a bare number backed by a part of a date
    ],
)
def test_supported(answer, evidence):
    assert unsupported(answer, evidence) == []


@pytest.mark.parametrize(
    ("answer", "evidence", "bad"),
    [
        ("20/12/2023", "ngày 19/12", "20/12/2023"),
        ("20/12", "19/12/2023", "20/12"),
        ("November 2023", "19/12/2023", "November 2023"),
        ("19/12/2024", "19/12/2023", "19/12/2024"),
        ("19/12/2024", "ngày 19/12, năm 2023", "19/12/2024"),
        ("2024", "19/12/2023", "2024"),
        ("700 tỷ USD", "600 tỷ USD", "700 tỷ USD"),
        ("600 triệu USD", "600 tỷ USD", "600 triệu USD"),
        ("600 tỷ EUR", "600 tỷ USD", "600 tỷ EUR"),
        ("more than 140", "140", "more than 140"),
        ("khoảng 140", "hơn 140", "khoảng 140"),
        ("16%", "15%", "16%"),
        ("15%", "15 tỷ", "15%"),
        ("lần thứ 33", "lần thứ 32", "33"),
        ("2,5 triệu", "25 triệu", "2,5 triệu"),
    ],
)
def test_wrong_figures_are_unsupported(answer, evidence, bad):
    assert unsupported(answer, evidence) == [bad]


def test_supported_checks_kind():
    year = Figure("2023", date=(2023, None, None))
    assert supported(year, extract("năm 2023"))
    assert not supported(Figure("x", value=5.0), [year])


def test_is_month():
    assert is_month("December") and is_month("Dec.") and is_month("sept")
    assert not is_month("Decembers") and not is_month("Hà")


def test_year_like_number_with_a_unit_is_a_number():
    assert _one("2000 USD").value == 2000 and _one("2000 USD").unit == "usd"
    assert _one("năm 2000").date == (2000, None, None)
    assert unsupported("2000 USD", "2000 EUR") == ["2000 USD"]
    assert unsupported("2000 người", "2.000 người") == []
    assert unsupported("2.000 người", "2000 người") == []


@pytest.mark.parametrize(
    ("answer", "evidence", "ok"),
    [
        ("3 delegates", "có ba đại biểu", True),
        ("3 delegates", "three delegates", True),
        ("10 đại biểu", "mười đại biểu", True),
        ("3 delegates", "có bà đại biểu", False),  # "bà" is no count
        ("4 delegates", "có ba đại biểu", False),
    ],
)
def test_count_words_in_the_evidence(answer, evidence, ok):
    assert (unsupported(answer, evidence) == []) is ok


def test_english_counts_from_two_are_an_answers_claims():
    # extract reads digits only; an answer's claims (``claimed``) also its English counts
    # from two to ten, so "six Grammy awards" is checked against "sáu lần"
    assert extract("one of the three") == []
    assert [f.value for f in claimed("one of the three")] == [3.0]
    assert unsupported("one of the three", "ba trụ cột") == []
    assert unsupported("one of the three", "hai trụ cột") == ["three"]
    assert unsupported("Lady Gaga has won six Grammy Awards", "giải Grammy sáu lần") == []
    assert unsupported("Lady Gaga has won six Grammy Awards", "giải Grammy năm 2016") == ["six"]
    # Vietnamese count words in an answer stay unread ("tư" of "đầu tư", investment)
    assert claimed("thu hút đầu tư hai dự án") == []


def test_numbers_attached_to_letters_are_still_checked():
    assert unsupported("G20 lúc 8h30", "G7 lúc 8h15") == ["20", "30"]
    assert unsupported("COVID-19", "COVID-19") == []


@pytest.mark.parametrize(
    ("answer", "evidence", "ok"),
    [
        ("June 5, 2023", "5/6/2023", True),  # day first: 5/6 is 5 June
        ("May 6, 2023", "5/6/2023", False),
        ("on December 19th, 2023", "19/12/2023", True),
        ("the 19th of December", "19/12/2023", True),
        ("from 2021 to 2025", "giai đoạn 2021-2025", True),
        ("hơn 1,2 triệu người", "hơn 1.200.000 người", True),
        ("15.5%", "15,5%", True),
    ],
)
def test_more_forms(answer, evidence, ok):
    assert (unsupported(answer, evidence) == []) is ok


@pytest.mark.parametrize(
    ("answer", "evidence", "ok"),
    [
        ("the 13th National Party Congress", "Nghị quyết Đại hội XIII của Đảng", True),
        ("the 12th Politburo", "Bộ Chính trị (khóa XII)", True),
        ("the 19th provincial congress", "Đại hội Đảng bộ tỉnh lần thứ XIX", True),
        ("Đại hội 10", "Đại hội X", True),  # one letter after a word that numbers
        ("the 5th term", "khóa V", True),
        ("the 14th Congress", "Nghị quyết Đại hội XIII", False),
        ("5 people", "ông V nói", False),  # a lone letter is no numeral
        ("100", "vitamin C", False),
        ("the 19th and 20th centuries", "thế kỷ XIX-XX", True),
        ("in 2021", "Đại hội XIII, năm 2021", True),  # a year beside a numeral
        ("in 2022", "Đại hội XIII, năm 2021", False),
    ],
)
def test_roman_numerals_in_the_evidence(answer, evidence, ok):
    assert (unsupported(answer, evidence) == []) is ok


def test_roman_numerals_in_an_answer_are_not_claims():
    assert extract("Đại hội XIII") == []
    assert [f.value for f in extract("Đại hội XIII", count_words=True)] == [13]
    assert roman_value("XIX") == 19 and roman_value("XL") == 40 and roman_value("CCCXCIX") == 399
