"""The real local LLM (Qwen2.5-Coder-0.5B-Instruct Q4_K_M via llama-cpp-python) over the
real seeds with the real embedding model.

Needs ``pip install 'llama-cpp-python>=0.3.0'`` and ``rag llm pull qwen2.5-0.5b`` (into
``RAG_MODEL_CACHE``); skipped otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import pytest

from rag.answering.base import Draft
from rag.llm import provision
from rag.llm.base import GenerationStats, Message
from rag.llm.llama_cpp import llama_cpp_available
from rag.settings import Settings
from rag.textnorm import fold

MODEL = "qwen2.5-0.5b"


class CountingLLM:
    """Passes calls to the real model and remembers what it said."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.name = inner.name
        self.model = inner.model
        self.calls = 0
        self.texts: list[str] = []

    @property
    def last_stats(self) -> GenerationStats | None:
        return self.inner.last_stats

    def generate(self, messages: Sequence[Message], *args, **kw) -> str:  # type: ignore[no-untyped-def]
        return "".join(self.stream(messages, *args, **kw))

    def stream(self, messages: Sequence[Message], *args, **kw) -> Iterator[str]:  # type: ignore[no-untyped-def]
        self.calls += 1
        pieces = []
        for piece in self.inner.stream(messages, *args, **kw):
            pieces.append(piece)
            yield piece
        self.texts.append("".join(pieces))


_CACHE = Settings().model_cache
# Checked at collection, so that a skip does not first build the session's e5 index.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not llama_cpp_available(),
        reason="llama-cpp-python is not installed: pip install 'llama-cpp-python>=0.3.0'",
    ),
    pytest.mark.skipif(
        not provision.is_pulled(_CACHE, MODEL),
        reason=f"{MODEL} is not pulled into {_CACHE}: run `rag llm pull {MODEL} --install`",
    ),
]


def test_local_llm_answers_with_citations_and_abstains_without_calling(e5_pipeline, monkeypatch):
    import rag.llm.factory

    real_build = rag.llm.factory.build_llm
    counting: list[CountingLLM] = []

    def build(name: str, settings: Settings):  # type: ignore[no-untyped-def]
        llm = CountingLLM(real_build(name, settings.model_copy(update={"llm_model": MODEL})))
        counting.append(llm)
        return llm

    monkeypatch.setattr(rag.llm.factory, "build_llm", build)
    answerer = e5_pipeline.answerer("local")
    assert answerer.llm.model == provision.BUNDLED[MODEL].filename
    drafts = []
    original = answerer.stream

    def recording(query, passages):  # type: ignore[no-untyped-def]
        for item in original(query, passages):
            if isinstance(item, Draft):
                drafts.append(item)
            yield item

    monkeypatch.setattr(answerer, "stream", recording)
    llm = counting[0]

    answer = e5_pipeline.ask("Ai chủ trì hội nghị đối ngoại toàn quốc năm 2021?", llm="local")
    draft = drafts[-1]
    assert llm.calls == 1
    assert not answer.abstained and answer.backend == "local"
    assert draft.grounded is True, (draft.llm_answer, draft.unsupported)
    assert "nguyen phu trong" in fold(answer.answer), answer.answer
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert markers and markers == {c.n for c in answer.citations}
    for c in answer.citations:
        assert e5_pipeline.document(c.doc_id).text[c.start : c.end] == c.text
    cited_text = " ".join(c.text for c in answer.citations)
    assert "nguyen phu trong" in fold(cited_text)
    assert draft.tokens_per_s and draft.tokens_per_s > 0
    assert answer.grounded is True and answer.model == draft.model  # reported in the response

    answer = e5_pipeline.ask("Thủ đô của Úc là gì?", llm="local")
    assert answer.abstained
    assert answer.answer == "Không tìm thấy thông tin này trong các tài liệu."
    assert llm.calls == 1  # the extractive gate abstained: the model was not called
