"""What a reply becomes before the grounding check: meta-text removed, markers placed."""

from __future__ import annotations

import pytest

from rag.answering.base import Support
from rag.answering.replies import (
    asks_back,
    cited_support,
    clean_reply,
    holds_phrase,
    only_restates,
    place_markers,
)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # the examples: meta-text at the end, as a lead-in, as its own sentence
        (
            "Hội nghị diễn ra ngày 19/12/2023. Trong đoạn",
            "Hội nghị diễn ra ngày 19/12/2023.",
        ),
        (
            'The conference was held on 19/12/2023. The passage in passage id "1" provides '
            "this information.",
            "The conference was held on 19/12/2023.",
        ),
        (
            "According to passage 1, the conference was held on 19/12/2023.",
            "The conference was held on 19/12/2023.",
        ),
        (
            "Theo đoạn 2, hội nghị có 1.200 đại biểu (đoạn 2).",
            "Hội nghị có 1.200 đại biểu.",
        ),
        (
            "Nguyễn Phú Trọng chaired the conference, as stated in the passage.",
            "Nguyễn Phú Trọng chaired the conference.",
        ),
        (
            "The passage says that 224 markets trade with Vietnam.",
            "224 markets trade with Vietnam.",
        ),
        ("Đoạn 1 cho biết hội nghị diễn ra trực tuyến.", "Hội nghị diễn ra trực tuyến."),
        ("Dựa vào các đoạn trên, hội nghị có 9 nhiệm vụ.", "Hội nghị có 9 nhiệm vụ."),
        # the model's own markers and the prompt's labels
        ("Answer: Hà Nội [1] [3].", "Hà Nội."),
        ("Câu trả lời: Thứ 3 [passage 1].", "Thứ 3."),
        # trailing fragments: an unfinished sentence after a whole one, dangling words
        (
            "The conference was held on 19/12/2023. It was chaired by",
            "The conference was held on 19/12/2023.",
        ),
        ("Nguyễn Phú Trọng chủ trì hội nghị và", "Nguyễn Phú Trọng chủ trì hội nghị."),
        ("Hội nghị có 1.200 đại biểu", "Hội nghị có 1.200 đại biểu."),
        # notes after the answer
        ("Hà Nội là nơi tổ chức. Note: the passages are in Vietnamese.", "Hà Nội là nơi tổ chức."),
        # nothing about the question
        ("The passage provides this information.", ""),
        ("[1]", ""),
    ],
)
def test_clean_reply(reply, expected):
    assert clean_reply(reply) == expected


@pytest.mark.parametrize(
    "answer",
    [
        "The conference was held in the Diên Hồng meeting room.",
        "Hội nghị được tổ chức theo hình thức trực tuyến.",  # "theo" is not a source lead-in
        "Trong năm 2021, kim ngạch vượt 600 tỷ USD.",  # "Trong" + not a source word
    ],
)
def test_clean_reply_keeps_ordinary_answers(answer):
    assert clean_reply(answer) == answer


A = Support("Sáng 19/12, Tổng Bí thư Nguyễn Phú Trọng dự hội nghị.", 1, "a", 0, 55)
B = Support("Hội nghị có 1.200 đại biểu, diễn ra theo hình thức trực tuyến.", 2, "b", 0, 62)


@pytest.mark.parametrize(
    ("sentence", "cited"),
    [
        ("Nguyen Phu Trong attended.", [1]),  # a name, without diacritics
        ("It was held on December 19.", [1]),  # a date in another form
        ("There were 1,200 delegates.", [2]),  # a number in another form
        ("Nguyễn Phú Trọng spoke to 1,200 delegates.", [1, 2]),  # both
        ("Hội nghị diễn ra theo hình thức trực tuyến.", [2]),  # shared words
        ("It was a great success.", []),  # nothing of the evidence
    ],
)
def test_cited_support(sentence, cited):
    assert cited_support(sentence, [A, B], "Who attended the conference?") == cited


def test_facts_taken_from_the_question_cite_nothing():
    assert (
        cited_support("On 19/12 there was a conference.", [A, B], "What happened on 19/12?") == []
    )


def test_place_markers_before_the_closing_punctuation():
    text, used = place_markers(
        "There were 1,200 delegates. Nguyễn Phú Trọng attended!", [A, B], "How many?"
    )
    assert text == "There were 1,200 delegates [2]. Nguyễn Phú Trọng attended [1]!"
    assert used == [2, 1]
    text, used = place_markers("It was a great success.", [A, B], "How was it?")
    assert (text, used) == ("It was a great success.", [])


@pytest.mark.parametrize(
    ("reply", "asks"),
    [
        ("Việt Nam đã viện trợ cho bao nhiêu quốc gia, tổ chức [1]?", True),
        ("Hội nghị đề ra bao nhiêu nhiệm vụ trọng tâm.", True),
        ("How many delegates attended the conference?", True),
        ("Ba trụ cột đối ngoại gồm những gì?", True),
        ("Việt Nam đã viện trợ cho hơn 50 quốc gia và tổ chức [1].", False),
        ("The conference had 1,200 delegates [1].", False),
        ("Bảo Nhi phát biểu tại hội nghị [1].", False),
    ],
)
def test_a_reply_that_asks_the_question_back(reply, asks):
    assert asks_back(reply) is asks


def test_only_restates():
    question = "Hội nghị kiểm điểm kết quả mấy năm triển khai?"
    sentence = "Hội nghị tập trung kiểm điểm kết quả hai năm triển khai."
    assert only_restates("Hội nghị kiểm điểm kết quả hai năm triển khai.", question, sentence)
    assert only_restates("Hoi nghi kiem diem ket qua HAI nam.", question, sentence)  # folded
    assert not only_restates("Hội nghị kiểm điểm kết quả ba năm.", question, sentence)


def test_holds_phrase():
    assert holds_phrase("Phòng họp nằm trong nhà Quốc hội.", "nhà Quốc hội")
    assert holds_phrase("Chaired by Nguyen Phu Trong [1].", "Nguyễn Phú Trọng")
    assert not holds_phrase("Hội nghị toàn quốc, tòa nhà nào?", "nhà Quốc hội")  # words apart
    assert not holds_phrase("anything", "")


def test_a_figure_written_as_a_numeral_or_a_word_in_the_sentence_cites_it():
    congress = Support("Nghị quyết Đại hội XIII của Đảng có ba đột phá chiến lược.", 3, "c", 0, 58)
    assert cited_support("It follows the 13th Congress.", [A, B, congress]) == [3]
    assert cited_support("There are 3 breakthroughs.", [A, B, congress]) == [3]


def test_an_english_count_cites_the_sentence_with_the_vietnamese_one():
    grammy = Support("Người chiến thắng giải Grammy sáu lần Lady Gaga đã biểu diễn.", 1, "g", 0, 60)
    teams = Support("Manning dẫn dắt hai đội khác nhau đến Super Bowl.", 2, "m", 0, 48)
    question = "How many Grammy awards has Lady Gaga won?"
    assert cited_support("Lady Gaga has won six Grammy Awards.", [teams, grammy], question) == [1]
    asked = "Peyton Manning took how many different teams to the Super Bowl?"
    reply = "Peyton Manning took two teams to the Super Bowl."
    assert cited_support(reply, [grammy, teams], asked) == [2]
    # a count the question itself states cites nothing
    assert cited_support("Two teams.", [grammy, teams], "Which two teams played?") == []


def test_the_question_restated_before_the_answer_is_dropped():
    reply = "Khu vực rộng bao nhiêu dặm vuông? 1.160.000 dặm vuông."
    assert clean_reply(reply) == "1.160.000 dặm vuông."
    assert not asks_back(clean_reply(reply))
    # a reply that is only the question stays a question (and is refused as one)
    only = "Peyton Manning đã đưa bao nhiêu đội khác nhau đến Super Bowl?"
    assert clean_reply(only) == only and asks_back(clean_reply(only))
