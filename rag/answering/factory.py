"""Build an answerer by name. A new backend is one module and one entry here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answering.base import Answerer
from rag.errors import InputError

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

ANSWERERS = ("extractive",)


def build_answerer(name: str, pipeline: Pipeline) -> Answerer:
    if name == "extractive":
        from rag.answering.extractive import ExtractiveAnswerer

        return ExtractiveAnswerer(pipeline.embedder, pipeline.index().idf())
    raise InputError(f"unknown answer backend or LLM {name!r} (known: {', '.join(ANSWERERS)})")
