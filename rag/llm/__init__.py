"""Pluggable LLMs (local llama.cpp, OpenAI-compatible servers) for grounded answers."""

from rag.llm.base import LLM, GenerationStats, Message
from rag.llm.factory import LLMS, build_llm

__all__ = ["LLM", "LLMS", "GenerationStats", "Message", "build_llm"]
