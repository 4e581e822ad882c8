"""Whether an LLM reply keeps the extractive short answer (``rag.answering.keeps``)."""

from __future__ import annotations

import pytest

from rag.answering.keeps import missing_parts


@pytest.mark.parametrize(
    ("reply", "short", "lang"),
    [
        ("Hội nghị diễn ra ngày 19/12/2023.", "19/12/2023", "vi"),
        ("The conference took place on December 19, 2023.", "19/12/2023", "en"),
        ("Vietnam received 151 million doses.", "151 triệu liều", "en"),
        ("Hơn 140 đại biểu tham dự.", "hơn 140", "vi"),
        ("General Secretary Nguyen Phu Trong chaired it.", "Nguyễn Phú Trọng", "en"),
        ("Đồng chí Phú Trọng chủ trì hội nghị.", "Tổng Bí thư Nguyễn Phú Trọng", "vi"),
        ("The meeting was held in Hanoi.", "Hà Nội", "en"),
        ("Hội nghị diễn ra vào ngày 19/12.", "Sáng 19/12", "vi"),
        ("Đảng và Nhà nước coi trọng ngoại giao nhân dân.", "coi trọng ngoại giao", "vi"),
        # a common phrase translated into English cannot be compared word for word
        ("It stressed people-to-people diplomacy.", "ngoại giao nhân dân", "en"),
    ],
)
def test_kept(reply, short, lang):
    assert missing_parts(reply, short, lang) == []


@pytest.mark.parametrize(
    ("reply", "short", "lang", "missing"),
    [
        ("Hội nghị diễn ra ngày 14/12/2021.", "19/12/2023", "vi", ["19/12/2023"]),
        ("The conference had 1,200 delegates.", "hơn 140", "en", ["hơn 140"]),
        ("Thủ tướng Phạm Minh Chính phát biểu.", "Nguyễn Phú Trọng", "vi", ["nguyen phu trong"]),
        ("Thanh Hóa phấn đấu cùng các tỉnh.", "Quảng Ninh", "vi", ["quang ninh"]),
        ("Hội nghị bàn về kinh tế.", "ngoại giao nhân dân", "vi", ["ngoại giao nhân dân"]),
    ],
)
def test_left_out(reply, short, lang, missing):
    assert missing_parts(reply, short, lang) == missing


def test_empty_short_answer_asks_for_nothing():
    assert missing_parts("Bất kỳ.", "  ", "vi") == []


def test_a_name_with_digits_is_kept_whole():
    # "2A" is no capitalised word of its own: the reply keeps "Astra" and the figure 2
    assert missing_parts("Sky Digital used the Astra 2A satellite.", "Astra 2A", "en") == []
    assert missing_parts("Sky Digital used the Astra 3B satellite.", "Astra 2A", "en") == ["2"]


def test_a_capitalised_first_word_is_no_title_head():
    # "Đầu" (early) is capitalised because the span opens its sentence: the figure decides
    short = "Đầu những năm 1970"
    assert missing_parts("ABC chuyển sang màu trong thập kỷ 1970.", short, "vi") == []
    assert missing_parts("ABC chuyển sang màu trong thập kỷ 1980.", short, "vi") == ["1970"]
    # a single-word title still has its syllables checked in a Vietnamese reply
    assert missing_parts("Chủ tịch nước dự.", "Thủ tướng", "vi") == ["Thủ tướng"]
