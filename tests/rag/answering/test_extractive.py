import re

import pytest

from rag.answering.question import analyse
from rag.sentences import split_sentences


def _check_citations(pipeline, answer):
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    numbers = {c.n for c in answer.citations}
    assert markers <= numbers
    for c in answer.citations:
        doc = pipeline.document(c.doc_id)
        assert doc.text[c.start : c.end] == c.text
    body = answer.answer
    if answer.short_answer is not None:
        short = answer.short_answer
        assert pipeline.document(short.doc_id).text[short.start : short.end] == short.text
        cited = next(c for c in answer.citations if c.n == short.n)
        assert cited.doc_id == short.doc_id and cited.start <= short.start < short.end <= cited.end
        assert body.startswith(f"{short.text} — ")
        body = body[len(short.text) + 3 :]
    # every answered sentence is inside the passage it cites
    for sentence, n in re.findall(r"(.+?) \[(\d+)\]", body):
        cited = next(c for c in answer.citations if c.n == int(n))
        assert sentence.strip() in cited.text


@pytest.mark.parametrize(
    "question",
    [
        "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?",
        "Ai chủ trì hội nghị đối ngoại toàn quốc năm 2021?",
        "Hoi nghi doi ngoai nhan dan nam 2023 co nhung ai chu tri?",
    ],
)
def test_answers_cite_real_spans(pipeline, question):
    answer = pipeline.ask(question)
    _check_citations(pipeline, answer)
    assert answer.citations
    assert set(answer.timings_ms) >= {"embed", "search", "answer", "total"}


def test_every_answer_has_a_short_answer_and_abstentions_have_none(pipeline):
    questions = [
        "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?",
        "Ai chủ trì hội nghị đối ngoại toàn quốc năm 2021?",
        "Thủ đô của Úc là gì?",
        "When was the 32nd diplomatic conference held?",
    ]
    for question in questions:
        answer = pipeline.ask(question)
        assert (answer.short_answer is None) == answer.abstained
        _check_citations(pipeline, answer)


def test_abstention_speaks_the_question_language(pipeline):
    vi = pipeline.ask("Thủ đô của Úc là gì?")
    en = pipeline.ask("What is the boiling point of water on Mars?")
    for a in (vi, en):
        if a.abstained:
            _check_citations(pipeline, a)
    if vi.abstained:
        assert vi.answer == "Không tìm thấy thông tin này trong các tài liệu."
    if en.abstained:
        assert en.answer == "The documents do not contain this."


@pytest.mark.parametrize(
    ("question", "lang", "qtype"),
    [
        ("Hội nghị diễn ra ngày nào?", "vi", "date"),
        ("hoi nghi dien ra khi nao", "vi-noaccent", "date"),
        ("When was the conference held?", "en", "date"),
        ("Có bao nhiêu đại biểu?", "vi", "number"),
        ("How many countries?", "en", "number"),
        ("Ai chủ trì hội nghị?", "vi", "person"),
        ("Who chaired it?", "en", "person"),
        ("Hội nghị tổ chức ở đâu?", "vi", "place"),
        ("where was it held", "en", "place"),
        ("Nội dung chính là gì?", "vi", "other"),
    ],
)
def test_question_analysis(question, lang, qtype):
    info = analyse(question)
    assert (info.lang, info.qtype) == (lang, qtype)


def test_sentence_offsets():
    text = "Sáng 19/12, hội nghị khai mạc tại TP. Hồ Chí Minh. Có 63 tỉnh tham dự!\nDòng mới ở đây"
    sentences = split_sentences(text, 100)
    assert [s.text for s in sentences] == [
        "Sáng 19/12, hội nghị khai mạc tại TP. Hồ Chí Minh.",
        "Có 63 tỉnh tham dự!",
        "Dòng mới ở đây",
    ]
    for s in sentences:
        assert text[s.start - 100 : s.end - 100] == s.text


@pytest.mark.parametrize(
    ("sentence", "span", "expected"),
    [
        (
            "Thực hiện cả ba trụ cột, đó là đối ngoại Đảng, ngoại giao Nhà nước và đối ngoại "
            "nhân dân. Câu sau.",
            "đó là đối ngoại Đảng",
            "đó là đối ngoại Đảng, ngoại giao Nhà nước và đối ngoại nhân dân",
        ),
        (
            "Cùng với Hà Nội, Hải Phòng và Quảng Ninh tạo thành tứ giác phát triển phía Bắc.",
            "Hà Nội",
            "Hà Nội, Hải Phòng và Quảng Ninh",
        ),
        (
            "Lãnh đạo Hà Nội, TP. Hồ Chí Minh và Thành ủy Đà Nẵng tham luận.",
            "Hà Nội",
            "Hà Nội, TP. Hồ Chí Minh và Thành ủy Đà Nẵng",
        ),
        # a name followed by a clause, a person followed by a title: no list
        ("Sáng 19/12, Tổng Bí thư Nguyễn Phú Trọng dự và phát biểu.", "Sáng 19/12", "Sáng 19/12"),
        ("Có Lê Tấn Dũng, Thứ trưởng Bộ Lao động.", "Lê Tấn Dũng", "Lê Tấn Dũng"),
        # a semicolon separates people with their titles; "v.v." is no item
        (
            "Ngô Đông Hải, Ủy viên Trung ương Đảng, Bí thư Tỉnh ủy; Lại Văn Hoàn, Phó Chủ tịch.",
            "Ủy viên Trung ương Đảng",
            "Ủy viên Trung ương Đảng, Bí thư Tỉnh ủy",
        ),
        ("văn hóa, phong tục, tín ngưỡng, v.v.", "văn hóa", "văn hóa, phong tục, tín ngưỡng"),
        # an item longer than a list's items: not a list
        (
            "Hội nghị quan trọng, vì nó định hướng công tác đối ngoại cả nhiệm kỳ.",
            "Hội nghị quan trọng",
            "Hội nghị quan trọng",
        ),
    ],
)
def test_a_short_answer_that_opens_a_list_takes_the_whole_list(sentence, span, expected):
    from rag.answering.extractive import _list_end

    start = sentence.index(span)
    end = _list_end(sentence, start, start + len(span), len(sentence))
    assert sentence[start:end] == expected
