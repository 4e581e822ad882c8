"""Integration: the real multilingual-e5-small over the real seeds."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

DOC_2023 = "003_792b6e1b99918ddc"


def test_32nd_conference_date_question_finds_the_2023_article(e5_pipeline):
    res = e5_pipeline.search("Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào", mode="hybrid")
    assert res.results[0].doc_id == DOC_2023
    assert res.results[0].date == "2023-12-19"


@pytest.mark.parametrize(
    "question",
    [
        "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?",
        "Hoi nghi ngoai giao lan thu 32 dien ra ngay nao?",
        "When was the 32nd diplomatic conference held?",
    ],
)
def test_each_language_answers_with_the_date(e5_pipeline, question):
    answer = e5_pipeline.ask(question)
    assert not answer.abstained
    assert "19/12" in answer.answer
    assert answer.citations[0].doc_id == DOC_2023


def test_off_topic_question_abstains(e5_pipeline):
    answer = e5_pipeline.ask("Thủ đô của Úc là gì?")
    assert answer.abstained
    assert answer.answer == "Không tìm thấy thông tin này trong các tài liệu."


def test_who_chaired_2021(e5_pipeline):
    answer = e5_pipeline.ask("Ai chủ trì hội nghị đối ngoại toàn quốc năm 2021?")
    assert not answer.abstained
    assert "Nguyễn Phú Trọng" in answer.answer
