"""Saved prompt prefixes with the real local LLM (Qwen2.5-Coder-0.5B-Instruct Q4_K_M): a
request whose prefix the context no longer holds is answered exactly as if it still did,
evaluating only what follows the prefix. Skipped without llama-cpp-python or the model."""

from __future__ import annotations

import pytest

from rag.answering.base import Support
from rag.answering.prompt import Evidence, build_messages
from rag.llm import provision
from rag.llm.base import Message
from rag.llm.llama_cpp import LlamaCppLLM, llama_cpp_available
from rag.llm.prefix_states import prefix_key
from rag.settings import Settings

MODEL = "qwen2.5-0.5b"
_CACHE = Settings().model_cache
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not llama_cpp_available(), reason="llama-cpp-python is not installed"),
    pytest.mark.skipif(
        not provision.is_pulled(_CACHE, MODEL), reason=f"{MODEL} is not pulled into {_CACHE}"
    ),
]

SENTENCE = "Sáng 19/12, tại Hà Nội, Bộ Ngoại giao tổ chức Hội nghị Ngoại giao lần thứ 32."
REQUESTS = (
    ("vi", "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?"),
    ("en", "When was the 32nd Diplomatic Conference held?"),
    ("vi", "Hội nghị ngoại giao lần thứ 32 tổ chức ở đâu?"),
    ("en", "Where was the 32nd Diplomatic Conference held?"),
)


def _messages(lang: str, question: str) -> list[Message]:
    support = [Support(SENTENCE, 1, "d", 0, len(SENTENCE))]
    return build_messages(Evidence(question, None, support, []), lang)


def _llm(capacity: int) -> LlamaCppLLM:
    path = provision.model_path(_CACHE, MODEL)
    llm = LlamaCppLLM(path, n_ctx=2048, threads=2)
    llm.prefixes.capacity = capacity
    return llm


def _answer(llm: LlamaCppLLM, messages: list[Message]) -> tuple[str, int]:
    text = "".join(llm.stream(messages, max_tokens=12, stop=["\n\n"]))
    assert llm.last_stats is not None and llm.last_stats.prompt_tokens is not None
    return text, llm.last_stats.prompt_tokens


def test_switching_prefixes_restores_the_saved_one() -> None:
    """Asked in turn (vi, en, vi, en), the third and fourth requests find their language's
    prefix restored, and are answered exactly as by a model whose context still held it
    (the same requests asked back to back: vi, vi, en, en)."""
    kept = _llm(capacity=4)
    turns = {n: _answer(kept, _messages(*REQUESTS[n])) for n in range(4)}
    reference = _llm(capacity=0)  # llama.cpp's own reuse of the live context only
    back_to_back = {n: _answer(reference, _messages(*REQUESTS[n])) for n in (0, 2, 1, 3)}
    for n in range(4):
        text, evaluated = turns[n]
        ref_text, ref_evaluated = back_to_back[n]
        assert text == ref_text
        assert evaluated == ref_evaluated, (n, evaluated, ref_evaluated)
    whole = turns[0][1]
    assert turns[2][1] < whole / 2  # only what follows the restored prefix was evaluated
    assert kept.prefixes.restored == 2 and reference.prefixes.restored == 0
    assert len(kept.prefixes) == 2  # one per language: the prefix is all but the last message
    assert prefix_key(_messages("vi", "a?")) == prefix_key(_messages("vi", "b?"))
    assert prefix_key(_messages("vi", "a?")) != prefix_key(_messages("en", "a?"))


def test_only_the_most_recent_prefixes_are_kept() -> None:
    one = _llm(capacity=1)
    for n in (0, 1, 2):  # vi, en, vi: the Vietnamese prefix was dropped for the English one
        _, evaluated = _answer(one, _messages(*REQUESTS[n]))
    assert one.prefixes.restored == 0 and len(one.prefixes) == 1
    assert evaluated > _answer(_llm(capacity=0), _messages(*REQUESTS[2]))[1] / 2
