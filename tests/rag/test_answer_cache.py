"""The answer cache: keyed by the normalised question, options and index generation."""

from __future__ import annotations

from rag import Pipeline
from rag.answering.base import Draft, Passage
from rag.answering.models import Answer
from rag.documents import Document
from rag.retrieval.base import Query
from tests.rag.cli.fakes import SpanAnswerer

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


class CountingAnswerer:
    """Answers like ``SpanAnswerer`` and counts its calls."""

    name = "counting"

    def __init__(self) -> None:
        self.calls = 0
        self._inner = SpanAnswerer()

    def answer(self, query: Query, passages: list[Passage]) -> Draft:
        self.calls += 1
        return self._inner.answer(query, passages)


def counting(pipeline: Pipeline) -> CountingAnswerer:
    answerer = CountingAnswerer()
    pipeline._answerers[(answerer.name, pipeline.store.current())] = answerer
    return answerer


def test_a_repeated_stream_replays_the_cached_answer(pipeline: Pipeline):
    answerer = counting(pipeline)
    first = list(pipeline.ask_stream(QUESTION, llm="counting"))
    again = list(pipeline.ask_stream(f" {QUESTION}\u200b", llm="counting"))
    assert answerer.calls == 1
    assert [type(e) for e in again] == [type(e) for e in first] == [list, str, Answer]
    assert again[0] == first[0] and again[1] == first[1]  # retrieved passages, answer text
    final, cached = first[-1], again[-1]
    assert isinstance(final, Answer) and isinstance(cached, Answer)
    assert cached.timings_ms.get("cached") == 1.0 and "cached" not in final.timings_ms
    assert cached.question == f" {QUESTION}\u200b"
    assert cached.model_dump(exclude={"question", "timings_ms"}) == final.model_dump(
        exclude={"question", "timings_ms"}
    )


def test_ask_and_the_stream_share_the_cache(pipeline: Pipeline):
    answerer = counting(pipeline)
    answer = pipeline.ask(QUESTION, llm="counting")
    streamed = list(pipeline.ask_stream(QUESTION, llm="counting"))
    assert pipeline.ask(QUESTION, llm="counting").answer == answer.answer
    assert answerer.calls == 1
    assert isinstance(streamed[-1], Answer) and streamed[-1].answer == answer.answer
    list(pipeline.ask_stream(QUESTION, top_k=3, llm="counting"))  # other options: computed
    assert answerer.calls == 2
