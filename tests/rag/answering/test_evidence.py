"""The checks that decide whether a sentence holds what a question asks for."""

import pytest

from rag.answering.evidence import (
    answers_type,
    asked_kind,
    counts,
    deputy_mismatch,
    entities,
    of_kind,
)
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


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Đội thủ Panthers đã thua bao nhiêu điểm?", "quantity"),
        ("Hoi nghi de ra bao nhieu nhiem vu?", "quantity"),
        ("How many doses did Vietnam receive?", "quantity"),
        ("Hội nghị lần thứ mấy?", "quantity"),
        ("Hội nghị bắt đầu lúc mấy giờ?", "clock"),
        ("What time did the conference end?", "clock"),
        ("Máy tính giải quyết vấn đề gì?", None),
        ("May tinh giai quyet van de gi?", None),  # unaccented "may" may be "máy"
        ("Ai chủ trì hội nghị?", None),
    ],
)
def test_asked_kind(question, kind):
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("308", True),
        ("bốn lựa chọn", True),
        ("hơn 80 điều ước", True),
        ("ít nhất 5 người", True),
        ("7.000.000 km vuông", True),
        ("năm hoàng tử", True),  # five princes
        ("một triệu liều", True),
        ("about 24", True),
        ("20-18", True),  # a score
        ("19-12-2023", False),
        ("năm 2015", False),  # a year
        ("một khu rừng", False),  # "a forest"
        ("19/12, Tổng Bí thư", False),  # a date
        ("32 đại biểu", False),  # the number the question names
        ("Nam Mỹ", False),
    ],
)
def test_a_quantity_answer_leads_with_a_quantity_the_question_does_not_name(text, expected):
    assert of_kind("quantity", "Có bao nhiêu đại biểu dự Hội nghị lần thứ 32?", text) is expected


def test_a_clock_answer_holds_a_time_of_day():
    assert of_kind("clock", "Hội nghị kết thúc lúc mấy giờ?", "11 giờ 30")
    assert of_kind("clock", "What time?", "8:30")
    assert not of_kind("clock", "Hội nghị kết thúc lúc mấy giờ?", "14/12/2021")
