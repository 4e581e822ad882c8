"""Pipeline.ask_stream: citations first, then the backend's tokens as they come, then the
verified Answer (with the LLM fields an LLM backend adds)."""

from __future__ import annotations

from dataclasses import dataclass

from rag.answering.base import Draft, citation
from rag.answering.models import Answer


@dataclass
class LlmDraft(Draft):
    model: str | None = None
    grounded: bool | None = None


class StreamingAnswerer:
    name = "fake-llm"

    def answer(self, query, passages):  # pragma: no cover - stream() is used
        raise AssertionError

    def stream(self, query, passages):
        yield "Nguyễn "
        yield "Phú Trọng [1]"
        p = passages[0]
        yield LlmDraft(
            "Nguyễn Phú Trọng [1]", False, [citation(1, p, p.chunk.start, p.chunk.end)], 1.0,
            model="fake", grounded=True,
        )  # fmt: skip


def test_stream_order_and_llm_fields(pipeline):
    pipeline._answerers[("fake-llm", pipeline.store.current())] = StreamingAnswerer()
    events = list(pipeline.ask_stream("Ai chủ trì hội nghị?", llm="fake-llm"))
    assert isinstance(events[0], list) and events[0][0].n == 1
    assert events[1:3] == ["Nguyễn ", "Phú Trọng [1]"]
    final = events[-1]
    assert isinstance(final, Answer)
    assert final.backend == "fake-llm" and final.model == "fake" and final.grounded is True
    assert final.citations[0].doc_id == events[0][0].doc_id


def test_extractive_answer_streams_in_one_piece(pipeline):
    events = list(pipeline.ask_stream("Ai chủ trì hội nghị?"))
    assert isinstance(events[0], list)
    assert isinstance(events[1], str) and isinstance(events[2], Answer)
    assert events[1] == events[2].answer


def test_short_answer_reaches_the_final_answer(pipeline):
    from rag.answering.grounded import GroundedAnswerer
    from tests.rag.cli.fakes import SpanAnswerer
    from tests.rag.llm.fakes import FakeLLM

    span = SpanAnswerer()
    pipeline._answerers[("fake-span", pipeline.store.current())] = span
    plain = pipeline.ask("Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?", llm="fake-span")
    short = plain.short_answer
    assert short is not None
    assert pipeline.document(short.doc_id).text[short.start : short.end] == short.text
    # through an LLM backend: the LLM's text is the answer, the short answer the same span
    cited = plain.citations[0].text
    pipeline._answerers[("fake-llm", pipeline.store.current())] = GroundedAnswerer(
        "fake-llm", span, FakeLLM(f"{cited[: cited.find('. ') + 1 or None]} [1]")
    )
    events = list(pipeline.ask_stream(plain.question, llm="fake-llm"))
    final = events[-1]
    assert isinstance(final, Answer) and final.backend == "fake-llm"
    assert final.grounded is True and final.answer != plain.answer
    assert final.short_answer == short
