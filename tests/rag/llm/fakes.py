"""A scripted LLM for tests: records every prompt, answers with canned text."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from rag.llm.base import GenerationStats, Message, StreamedGeneration


class FakeLLM(StreamedGeneration):
    name = "fake"
    model = "fake-model"

    def __init__(self, reply: str | Callable[[Sequence[Message]], str] = "") -> None:
        self.reply = reply
        self.calls: list[list[Message]] = []
        self.last_stats: GenerationStats | None = None

    def _text(self, messages: Sequence[Message]) -> str:
        self.calls.append(list(messages))
        return self.reply(messages) if callable(self.reply) else self.reply

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        text = self._text(messages)
        words = text.split(" ")
        for i, word in enumerate(words):
            yield word if i == 0 else " " + word
        self.last_stats = GenerationStats(
            prompt_tokens=100, completion_tokens=len(words), prompt_s=0.1, generation_s=0.5
        )
