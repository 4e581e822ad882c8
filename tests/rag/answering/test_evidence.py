"""The checks that decide whether a sentence holds what a question asks for."""

import pytest

from rag.answering.evidence import answers_type, counts, deputy_mismatch, entities
from rag.answering.question import analyse


@pytest.mark.parametrize(
    ("counted", "text", "expected"),
    [
        (("dieu uoc",), "Việt Nam đã ký kết hơn 80 điều ước quốc tế đa phương", True),
        (("quoc gia",), "viện trợ cho trên 50 quốc gia và tổ chức quốc tế", True),
        (("nhiem vu",), "báo cáo đã nêu lên 9 nhiệm vụ trọng tâm", True),
        (("nhiem vu",), "đánh giá kết quả hai năm triển khai, đề xuất các nhiệm vụ", False),
        (("diem cau",), "kết nối trực tuyến đến nhiều điểm cầu địa phương", False),
        (("lieu",), "Việt Nam đã nhận được trên 151 triệu liều vắc-xin", True),
    ],
)
def test_counts_needs_a_number_of_the_counted_thing(counted, text, expected):
    assert counts(counted, text) is expected


def test_deputy_of_the_asked_title_is_a_mismatch():
    q = "Chủ tịch UBND tỉnh Thái Bình là ai?"
    assert deputy_mismatch(q, "Lại Văn Hoàn, Phó Chủ tịch UBND tỉnh.")
    assert not deputy_mismatch(q, "Đỗ Minh Tuấn - Phó Bí thư Tỉnh ủy, Chủ tịch UBND tỉnh")
    assert not deputy_mismatch("Phó Chủ tịch UBND tỉnh là ai?", "Lại Văn Hoàn, Phó Chủ tịch UBND")


def test_dates_inside_a_full_date_are_not_counts():
    assert entities("number", "Sáng ngày 14/12/2021, Bộ Chính trị họp") == []
    assert entities("number", "Toàn cảnh hội nghị năm 2021") == []


def test_publication_stamps_are_not_event_times_but_answer_posting_questions():
    stamp = "Hà Anh|14/12/2021 01:30"
    assert entities("time", stamp) == []
    assert entities("time", "Hội nghị khai mạc lúc 8 giờ 30") == ["8 giờ 30"]
    assert entities("posted", stamp) == ["14/12/2021 01:30"]
    assert analyse("Bài viết được đăng lúc mấy giờ?").qtype == "posted"
    assert analyse("Hội nghị đang diễn ra khi nào?").qtype == "date"  # "đang", not "đăng"


def test_person_check_skips_places_named_like_people():
    assert entities("person", "tại điểm cầu Thái Bình và tỉnh Hà Nam") == []
    assert entities("person", "Bí thư Tỉnh ủy Đỗ Trọng Hưng phát biểu") == ["Đỗ Trọng Hưng"]
    assert not answers_type("place", "Đại biểu phát biểu tại Hội nghị", "ở đâu?")


@pytest.mark.parametrize(
    ("question", "multipart", "counted"),
    [
        ("Ai chủ trì và ai trình bày báo cáo?", True, ()),
        ("Ký kết bao nhiêu điều ước và viện trợ cho bao nhiêu quốc gia?", True,
         ("dieu uoc", "quoc gia")),
        ("Which two provinces sent delegates to the national foreign affairs conference?", True,
         ()),
        ("Ai chủ trì hội nghị?", False, ()),
        ("How many countries recognised Vietnam's market economy?", False, ("nuoc",)),
    ],
)  # fmt: skip
def test_question_parts_and_counted_things(question, multipart, counted):
    info = analyse(question, lexicon=True)  # English counted nouns need the optional lexicon
    assert info.multipart is multipart
    assert info.counted[: len(counted)] == counted
    if " và " in question:
        assert len(info.parts) >= 2


def test_without_the_lexicon_english_terms_are_names_and_numbers():
    info = analyse("How many countries recognised Vietnam's market economy in 2023?")
    assert info.counted == ()
    assert ("2023",) in info.terms
    assert all(t[0] != "nuoc" for t in info.terms)
