"""The ``LLM`` protocol: a chat model that writes text, whole or streamed.

Backends (one module each, built by name in ``rag.llm.factory``):

- ``local``: a GGUF file run in-process by llama-cpp-python (``rag.llm.llama_cpp``),
- ``openai``: any OpenAI-compatible ``/v1/chat/completions`` server (``rag.llm.openai_compat``).

Messages are OpenAI-style ``{"role": "system" | "user" | "assistant", "content": str}``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypedDict, runtime_checkable


class Message(TypedDict):
    role: str
    content: str


@dataclass
class GenerationStats:
    """What one ``generate``/``stream`` call cost (``None`` where the backend cannot tell)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_s: float | None = None
    """Time to the first generated token (prompt evaluation)."""
    generation_s: float | None = None
    """Time from the first to the last generated token."""

    @property
    def prompt_tokens_per_s(self) -> float | None:
        if not self.prompt_tokens or not self.prompt_s:
            return None
        return self.prompt_tokens / self.prompt_s

    @property
    def tokens_per_s(self) -> float | None:
        """Generation speed: tokens after the first one over the time they took."""
        if not self.completion_tokens or self.completion_tokens < 2 or not self.generation_s:
            return None
        return (self.completion_tokens - 1) / self.generation_s


@runtime_checkable
class LLM(Protocol):
    name: str
    """Backend name: ``local`` or ``openai``."""
    model: str
    """The model actually used: GGUF file name or the server's model id."""
    last_stats: GenerationStats | None
    """Statistics of the last finished call (set when the call completes)."""

    def generate(
        self,
        messages: Sequence[Message],
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> str: ...

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]: ...


class StreamedGeneration:
    """Mixin for backends whose whole answer is simply their stream joined."""

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        raise NotImplementedError

    def generate(
        self,
        messages: Sequence[Message],
        max_tokens: int = 256,
        temperature: float = 0.0,
        stop: Sequence[str] | None = None,
    ) -> str:
        return "".join(self.stream(messages, max_tokens, temperature, stop))
