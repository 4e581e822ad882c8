"""The answer cache: keyed by the normalised question, options and index generation."""

from __future__ import annotations

from rag import Pipeline
from rag.documents import Document

QUESTION = "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?"


def test_repeated_question_is_answered_from_the_cache(pipeline: Pipeline):
    first = pipeline.ask(QUESTION)
    again = pipeline.ask("  Hội nghị ngoại giao   lần thứ 32 diễn ra ngày nào?\u200b ")
    assert again.timings_ms.get("cached") == 1.0 and "cached" not in first.timings_ms
    assert again.answer == first.answer and again.citations == first.citations
    assert again.question.startswith("  ")  # the caller's own text is echoed
    other = pipeline.ask(QUESTION, top_k=3)
    assert "cached" not in other.timings_ms  # options are part of the key
    assert "cached" not in pipeline.ask(QUESTION, mode="bm25").timings_ms


def test_a_new_index_generation_is_never_served_an_old_answer(pipeline: Pipeline):
    pipeline.ask(QUESTION)
    pipeline.add_documents([Document("new-doc", "Tiêu đề", "Một văn bản mới về hội nghị.",
                                     "new.txt")])  # fmt: skip
    assert "cached" not in pipeline.ask(QUESTION).timings_ms


def test_the_cache_can_be_turned_off(pipeline: Pipeline):
    off = Pipeline(pipeline.settings.model_copy(update={"answer_cache_size": 0}))
    off.ask(QUESTION)
    assert "cached" not in off.ask(QUESTION).timings_ms
