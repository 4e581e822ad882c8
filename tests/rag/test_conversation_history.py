"""``standalone_question``: a stateless client's (question, answer) turns, replayed."""

from __future__ import annotations

from rag.conversation import Conversation, standalone_question

Q32 = "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?"


def test_no_history_leaves_the_question_as_typed():
    assert standalone_question("  Ai chủ trì?  ", []) == "  Ai chủ trì?  "


def test_slot_follow_up_is_merged_into_the_previous_question():
    history = [(Q32, "Hội nghị diễn ra ngày 19/12/2023 [1].")]
    assert standalone_question("còn lần thứ 31 thì sao?", history) == (
        "Hội nghị ngoại giao lần thứ 31 diễn ra ngày nào?"
    )


def test_earlier_follow_ups_are_rewritten_before_the_new_one():
    """The same chain the REPL builds: each earlier question is rewritten in turn."""
    turns = [Q32, "còn lần thứ 31 thì sao?", "Ai chủ trì?"]
    conversation = Conversation()
    for asked in turns[:-1]:
        conversation.add(asked, conversation.rewrite(asked))
    expected = conversation.rewrite(turns[-1])
    history = [(asked, "") for asked in turns[:-1]]
    assert standalone_question(turns[-1], history) == expected
    assert "lần thứ 31" in expected and expected != turns[-1]


def test_the_referent_can_come_from_an_answer():
    history = [("Sự kiện nào diễn ra ngày 19/12?", "Hội nghị ngoại giao lần thứ 32 [1].")]
    rewritten = standalone_question("Ai chủ trì hội nghị đó?", history)
    assert "Hội nghị ngoại giao lần thứ 32" in rewritten
