"""Answer metrics on hand-made answers."""

from __future__ import annotations

import pytest

from eval.metrics.answers import (
    answer_parts,
    citation_scores,
    cited_numbers,
    contains_token_span,
    exact_match,
    is_correct,
    strip_citations,
    token_f1,
)


# -------------------------------------------------------------------------------- accuracy
def test_contained_answer_is_correct_after_folding():
    answer = "Hội nghị do TỔNG BÍ THƯ Nguyễn Phú Trọng chủ trì. [1]"
    assert is_correct(answer, ["Nguyễn Phú Trọng"])
    assert is_correct("Hoi nghi do Nguyen Phu Trong chu tri [1]", ["Nguyễn Phú Trọng"])
    assert not is_correct(answer, ["Phạm Bình Minh"])


def test_an_alias_is_enough():
    assert is_correct("Có 4 cơ quan tham gia. [1]", ["bốn", "4 cơ quan"])
    assert not is_correct("Có 4 cơ quan tham gia. [1]", ["bốn"])


def test_containment_does_not_cut_numbers_or_words():
    assert not is_correct("Từ năm 2019 đến nay. [1]", ["9"])
    assert not is_correct("Sáng 14/12/2021. [1]", ["4"])
    assert is_correct("Có 9 nhiệm vụ trọng tâm. [1]", ["9"])
    assert not is_correct("Hội nghị ngoại giao [1]", ["giao lan"])


def test_citation_markers_do_not_break_a_match():
    assert is_correct("Hà Nội [1] và Đà Nẵng [2]", ["Hà Nội và Đà Nẵng"])
    assert strip_citations("Câu một [1]. Câu hai [12]") == "Câu một. Câu hai"


def test_abstention_message_is_not_correct():
    assert not is_correct("Không tìm thấy thông tin này trong các tài liệu.", ["Hà Nội"])


def test_compound_answers_are_correct_part_by_part():
    answer = "Đỗ Trọng Hưng phát biểu. [1] Ngô Đông Hải báo cáo. [2]"
    gold = ["Đỗ Trọng Hưng và Ngô Đông Hải"]
    assert not is_correct(answer, gold)
    assert is_correct(answer, gold, compound=True)
    assert not is_correct("Đỗ Trọng Hưng phát biểu. [1]", gold, compound=True)


def test_compound_rule_with_semicolons_and_commas():
    gold = ["hơn 80; trên 50"]
    assert is_correct("ký hơn 80 điều ước, trên 50 quốc gia [1]", gold, compound=True)
    assert not is_correct("ký hơn 80 điều ước [1]", gold, compound=True)
    assert is_correct("năm 2017 và năm 2006 [1]", ["2006, 2017"], compound=True)


def test_answer_parts():
    assert answer_parts("Hà Nội, Hải Phòng và Quảng Ninh") == ["Hà Nội", "Hải Phòng", "Quảng Ninh"]
    assert answer_parts("A; B") == ["A", "B"]
    assert answer_parts("tăng 1,5 lần và 2,7 lần") == ["tăng 1,5 lần", "2,7 lần"]
    assert answer_parts("Phạm Bình Minh") == ["Phạm Bình Minh"]


# --------------------------------------------------------------------------------- token F1
def test_token_f1():
    assert token_f1("Nguyễn Phú Trọng [1]", ["Nguyễn Phú Trọng"]) == 1.0
    # 3 of 6 answer syllables match all 3 gold syllables: P = 0.5, R = 1
    assert token_f1("Tổng Bí thư Nguyen Phu Trong [1]", ["Nguyễn Phú Trọng"]) == pytest.approx(
        2 / 3
    )
    assert token_f1("Phạm Minh Chính", ["Nguyễn Phú Trọng"]) == 0.0


def test_token_f1_takes_the_best_alias_and_counts_repeats():
    assert token_f1("151 triệu", ["trên 151 triệu liều", "151 triệu"]) == 1.0
    # bag of tokens: "ha ha" vs "ha": P = 1/2, R = 1
    assert token_f1("hà hà", ["hà"]) == pytest.approx(2 / 3)


# ------------------------------------------------------------------------------ exact match
def test_exact_match_for_dates_and_numbers():
    assert exact_match("Khai mạc sáng 14/12/2021 tại Hà Nội. [1]", "14/12/2021")
    assert not exact_match("Khai mạc sáng 14/12 tại Hà Nội. [1]", "14/12/2021")
    assert not exact_match("Có 4 cơ quan [1]", "bốn")
    assert exact_match("Có BỐN cơ quan [1]", "bốn")
    assert not exact_match("Có bon co quan [1]", "bốn")  # diacritics are kept
    assert not exact_match("năm 2019 [1]", "9")


def test_contains_token_span_edges():
    assert contains_token_span("tp. ho chi minh", "tp. ho")
    assert not contains_token_span("abc", "")
    assert contains_token_span("(2022-2023)", "2022-2023")


# -------------------------------------------------------------------------------- citations
CITATIONS = [
    (1, "Tổng Bí thư Nguyễn Phú Trọng chủ trì Hội nghị."),
    (2, "Thời tiết Hà Nội hôm nay."),
    (3, "Phó Thủ tướng Phạm Bình Minh trình bày báo cáo."),
]
EVIDENCE = ["Nguyễn Phú Trọng chủ trì", "Phạm Bình Minh trình bày báo cáo"]


def test_cited_numbers():
    assert cited_numbers("A [1]. B [3] [12]") == {1, 3, 12}
    assert cited_numbers("no markers") == set()


def test_citation_precision_and_recall():
    # cites [1] (relevant) and [2] (not); [3] is relevant but not cited
    assert citation_scores("A [1] B [2]", CITATIONS, EVIDENCE) == (0.5, 0.5)
    assert citation_scores("A [1] B [3]", CITATIONS, EVIDENCE) == (1.0, 1.0)
    assert citation_scores("A [2]", CITATIONS, EVIDENCE) == (0.0, 0.0)


def test_citation_scores_without_citations_or_evidence():
    assert citation_scores("no markers", CITATIONS, EVIDENCE) == (None, 0.0)
    assert citation_scores("A [1]", CITATIONS, []) == (0.0, None)


def test_citation_matching_is_folded():
    assert citation_scores("A [1]", [(1, "NGUYEN PHU TRONG chu tri")], EVIDENCE) == (1.0, 0.5)


def test_number_and_date_answers_in_other_forms_need_figure_forms():
    from eval.metrics.answers import same_figures

    english = "Vietnam had received 151 million doses by then [1]."
    assert not is_correct(english, ["151 triệu liều", "151 triệu"])  # strict: the gold string
    assert is_correct(english, ["151 triệu liều", "151 triệu"], figure_forms=True)
    assert is_correct("It opened on December 19, 2023.", ["19/12/2023"], figure_forms=True)
    assert not is_correct("It opened on December 20, 2023.", ["19/12/2023"], figure_forms=True)
    assert same_figures("more than 80 treaties", "hơn 80")
    assert not same_figures("80 treaties", "hơn 80")  # the qualifier is part of the answer
    assert not same_figures("Hà Nội", "Hà Nội")  # no figures: containment decides
    assert same_figures("Lady Gaga has won six Grammy Awards [1].", "sáu")  # a count in words
    assert not same_figures("Lady Gaga has won five Grammy Awards.", "sáu")
