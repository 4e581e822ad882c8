"""Follow-up rewriting: slots merged, anaphora resolved, standalone questions untouched."""

from __future__ import annotations

import pytest

from rag.answering.models import Answer
from rag.conversation import Conversation, Rewriter, RuleBasedRewriter, Turn, subject_phrase

Q32 = "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?"
Q2021 = "Hội nghị đối ngoại toàn quốc năm 2021 do ai chủ trì?"
QEN = "When was the 32nd Diplomatic Conference held?"


def after(*previous: str) -> Conversation:
    """A conversation whose turns were ``previous`` (each one already standalone)."""
    conversation = Conversation()
    for question in previous:
        conversation.add(question, conversation.rewrite(question))
    return conversation


@pytest.mark.parametrize(
    ("question", "phrase"),
    [
        (Q32, "Hội nghị ngoại giao lần thứ 32"),
        (Q2021, "Hội nghị đối ngoại toàn quốc năm 2021"),
        (
            "Ai dự Hội nghị ngoại giao lần thứ 32 tại điểm cầu Thái Bình?",
            "Hội nghị ngoại giao lần thứ 32",
        ),
        ("hoi nghi ngoai giao lan thu 32 dien ra ngay nao?", "hoi nghi ngoai giao lan thu 32"),
        (
            "Hội nghị toàn quốc công tác đối ngoại nhân dân năm 2023 được tổ chức khi nào?",
            "Hội nghị toàn quốc công tác đối ngoại nhân dân năm 2023",
        ),
        (QEN, "the 32nd Diplomatic Conference"),
        ("What was the 32nd Diplomatic Conference's theme?", "the 32nd Diplomatic Conference"),
        ("Hội nghị diễn ra ở đâu?", None),  # a bare "hội nghị" names nothing
        ("Hội nghị lần thứ mấy?", None),
        ("Ai dự tại điểm cầu Thái Bình?", None),
    ],
)
def test_subject_phrase(question: str, phrase: str | None) -> None:
    assert subject_phrase(question) == phrase


# -------------------------------------------------------------- the brief's examples
def test_slot_year_is_merged_into_the_previous_question() -> None:
    conversation = after(Q2021)
    assert conversation.rewrite("còn năm 2023 thì sao?") == (
        "Hội nghị đối ngoại toàn quốc năm 2023 do ai chủ trì?"
    )


@pytest.mark.parametrize(
    "follow_up",
    [
        "con nam 2023 thi sao",
        "Thế còn năm 2023?",
        "Năm 2023 thì sao?",
        "còn 2023?",
        "Vậy còn năm 2023?",
    ],
)
def test_slot_year_variants_with_and_without_diacritics(follow_up: str) -> None:
    assert after(Q2021).rewrite(follow_up) == "Hội nghị đối ngoại toàn quốc năm 2023 do ai chủ trì?"


@pytest.mark.parametrize(
    ("follow_up", "standalone"),
    [
        ("Hội nghị đó do ai chủ trì?", "Hội nghị ngoại giao lần thứ 32 do ai chủ trì?"),
        ("Hội nghị này có ý nghĩa gì?", "Hội nghị ngoại giao lần thứ 32 có ý nghĩa gì?"),
        ("hội nghị ấy diễn ra ở đâu?", "Hội nghị ngoại giao lần thứ 32 diễn ra ở đâu?"),
        ("hoi nghi do dien ra o dau?", "Hội nghị ngoại giao lần thứ 32 dien ra o dau?"),
        ("Nó có ý nghĩa gì?", "Hội nghị ngoại giao lần thứ 32 có ý nghĩa gì?"),
        ("Ai phát biểu tại đó?", "Ai phát biểu tại Hội nghị ngoại giao lần thứ 32?"),
        ("Hội nghị diễn ra ở đâu?", "Hội nghị ngoại giao lần thứ 32 diễn ra ở đâu?"),
        # ellipsis: no subject of its own
        ("Ai chủ trì?", "Ai chủ trì Hội nghị ngoại giao lần thứ 32?"),
        ("Diễn ra ở đâu?", "Hội nghị ngoại giao lần thứ 32 diễn ra ở đâu?"),
        ("Vậy bao nhiêu người dự?", "Bao nhiêu người dự Hội nghị ngoại giao lần thứ 32?"),
        ("Chủ đề là gì?", "Chủ đề của Hội nghị ngoại giao lần thứ 32 là gì?"),
        ("Thế còn lần thứ 31?", "Hội nghị ngoại giao lần thứ 31 diễn ra ngày nào?"),
    ],
)
def test_vietnamese_anaphora_and_ellipsis(follow_up: str, standalone: str) -> None:
    assert after(Q32).rewrite(follow_up) == standalone


def test_do_meaning_by_is_not_that() -> None:
    # "do" (by) in "do ai chủ trì" is not the demonstrative "đó"
    conversation = after(Q32)
    question = "Hội nghị đối ngoại nhân dân năm 2023 do ai chủ trì?"
    assert conversation.rewrite(question) == question
    assert (
        after(Q32)
        .rewrite("hoi nghi doi ngoai nhan dan do ai chu tri?")
        .startswith("hoi nghi doi ngoai nhan dan do ai")
    )


# -------------------------------------------------------------------------- English
@pytest.mark.parametrize(
    ("follow_up", "standalone"),
    [
        ("Who chaired it?", "Who chaired the 32nd Diplomatic Conference?"),
        ("Who attended that conference?", "Who attended the 32nd Diplomatic Conference?"),
        ("What was its theme?", "What was the 32nd Diplomatic Conference's theme?"),
        ("Who spoke there?", "Who spoke at the 32nd Diplomatic Conference?"),
        ("And who opened it?", "Who opened the 32nd Diplomatic Conference?"),
        ("Who attended?", "Who attended the 32nd Diplomatic Conference?"),
        ("What about the 31st?", "When was the 31st Diplomatic Conference held?"),
        ("What was the theme?", "What was the theme of the 32nd Diplomatic Conference?"),
    ],
)
def test_english_follow_ups(follow_up: str, standalone: str) -> None:
    assert after(QEN).rewrite(follow_up) == standalone


def test_english_slot_merge() -> None:
    conversation = after("Who chaired the national conference on foreign affairs in 2021?")
    assert conversation.rewrite("And in 2023?") == (
        "Who chaired the national conference on foreign affairs in 2023?"
    )
    assert conversation.rewrite("what about 2020?") == (
        "Who chaired the national conference on foreign affairs in 2020?"
    )


def test_english_follow_up_to_a_vietnamese_question() -> None:
    assert after(Q32).rewrite("Who chaired it?") == "Who chaired Hội nghị ngoại giao lần thứ 32?"


def test_place_slot() -> None:
    conversation = after("Ai dự tại điểm cầu Thái Bình?")
    assert conversation.rewrite("còn Thanh Hóa thì sao?") == "Ai dự tại điểm cầu Thanh Hóa?"
    assert conversation.rewrite("What about Thanh Hoa?") == "Ai dự tại điểm cầu Thanh Hoa?"


def test_referent_carries_over_turns_without_a_subject() -> None:
    conversation = after(Q32, "Ai dự tại điểm cầu Thái Bình?")
    assert conversation.rewrite("Hội nghị đó do ai chủ trì?") == (
        "Hội nghị ngoại giao lần thứ 32 do ai chủ trì?"
    )


def test_referent_from_an_answer_when_no_question_named_one() -> None:
    conversation = Conversation()
    answer = Answer(
        question="Ai dự tại điểm cầu Thái Bình?",
        answer="Các đại biểu tỉnh Thái Bình theo dõi trực tuyến Hội nghị ngoại giao lần thứ 32 [1]",
        abstained=False,
        citations=[],
        backend="extractive",
        timings_ms={},
    )
    conversation.add(answer.question, answer.question, answer)
    assert conversation.rewrite("Hội nghị đó diễn ra khi nào?") == (
        "Hội nghị ngoại giao lần thứ 32 diễn ra khi nào?"
    )


# --------------------------------------------------------------- left unchanged
@pytest.mark.parametrize(
    "question",
    [
        "Ai dự tại điểm cầu Thái Bình?",  # names its own place: specific enough
        "Hội nghị đối ngoại toàn quốc năm 2021 do ai chủ trì?",
        "Thủ tướng có dự không?",
        "Số đại biểu là bao nhiêu?",
        "co it nguoi du khong?",  # "ít" (few) is not "it"
        "When was the 32nd Diplomatic Conference held?",
        "The documents mention which ministers?",
        "Tổng Bí thư Nguyễn Phú Trọng phát biểu gì?",
    ],
)
def test_standalone_questions_are_left_unchanged(question: str) -> None:
    assert after(Q32).rewrite(question) == question


def test_first_question_is_never_rewritten() -> None:
    assert Conversation().rewrite("Hội nghị đó do ai chủ trì?") == "Hội nghị đó do ai chủ trì?"
    assert Conversation().rewrite("còn năm 2023 thì sao?") == "còn năm 2023 thì sao?"


def test_input_is_nfc_normalised() -> None:
    decomposed = "Ho\u0302\u0323i nghi\u0323 đo\u0301 do ai chu\u0309 tri\u0300?"
    assert after(Q32).rewrite(decomposed) == "Hội nghị ngoại giao lần thứ 32 do ai chủ trì?"


def test_reset_forgets_the_conversation() -> None:
    conversation = after(Q32)
    assert conversation.rewrite("Ai chủ trì?") != "Ai chủ trì?"
    conversation.reset()
    assert conversation.turns == [] and conversation.last is None
    assert conversation.rewrite("Ai chủ trì?") == "Ai chủ trì?"
    assert conversation.referent() is None


def test_turns_record_question_standalone_answer_and_citations() -> None:
    conversation = Conversation()
    answer = Answer(
        question=Q32, answer="Sáng 19/12 [1]", abstained=False, citations=[],
        backend="extractive", timings_ms={},
    )  # fmt: skip
    turn = conversation.add("hội nghị đó?", Q32, answer)
    assert turn == Turn("hội nghị đó?", Q32, "Sáng 19/12 [1]", (), False)
    assert conversation.last is turn
    for i in range(30):
        conversation.add(f"q{i}", f"q{i}")
    assert len(conversation.turns) == conversation.max_turns


def test_rewriter_is_pluggable() -> None:
    class Upper:
        name = "upper"

        def rewrite(self, question: str, history: object) -> str:
            return question.upper()

    rewriter: Rewriter = RuleBasedRewriter()
    assert rewriter.name == "rules"
    conversation = Conversation(rewriter=Upper())
    assert conversation.rewrite("ai?") == "AI?"
