"""The question phrase: its class, its place, and the noun it asks about."""

from __future__ import annotations

import pytest

from rag.answering.wh import analyse_wh


@pytest.mark.parametrize(
    ("question", "english", "cls"),
    [
        ("Đội thủ Panthers đã thua bao nhiêu điểm?", False, "number"),
        ("Ai chủ trì hội nghị?", False, "who"),
        ("Hội nghị diễn ra vào ngày nào?", False, "when"),
        ("hoi nghi dien ra o dau", False, "where"),
        ("Tại sao oxi quan trọng?", False, "why"),
        ("Lady Gaga đã hát bài gì?", False, "what"),
        ("How many points did the Panthers defense surrender?", True, "number"),
        ("Who sang the national anthem?", True, "who"),
        ("In what year was the conference held?", True, "when"),
    ],
)
def test_classes(question, english, cls):
    assert analyse_wh(question, english).cls == cls


def test_vietnamese_sides_and_head():
    wh = analyse_wh("Hội nghị diễn ra vào ngày nào?", english=False)
    assert {"hoi", "nghi", "dien", "ra", "vao"} <= wh.before
    assert wh.after == frozenset()
    assert wh.in_situ
    assert analyse_wh("Đội nào thắng Super Bowl 50?", english=False).head == "doi"
    number = analyse_wh("Đội thủ Panthers đã thua bao nhiêu điểm?", english=False)
    assert number.head == "diem"


def test_accents_tell_question_words_from_look_alikes():
    # "máy" (machine) is not "mấy" (how many); "đầu" (head) is not "đâu" (where)
    assert analyse_wh("Máy bay cất cánh ở sân bay nào?", english=False).cls == "what"
    assert analyse_wh("Ai đứng đầu đoàn?", english=False).cls == "who"


def test_english_form():
    assert analyse_wh("Who sang the national anthem?", english=True).form == "subj"
    assert analyse_wh("What did Lady Gaga sing?", english=True).form == "aux"
    assert not analyse_wh("Who sang?", english=True).in_situ
