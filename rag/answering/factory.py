"""Build an answerer by name. A new backend is one module and one entry here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.answering.base import Answerer
from rag.errors import InputError

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

ANSWERERS = ("extractive", "local", "openai")


def build_answerer(name: str, pipeline: Pipeline) -> Answerer:
    if name == "extractive":
        from rag.answering.extractive import ExtractiveAnswerer
        from rag.answering.reader import load_reader

        index = pipeline.index()
        s = pipeline.settings
        reader = load_reader(pipeline.embedder, s.model_cache) if s.reader else None
        return ExtractiveAnswerer(
            pipeline.embedder,
            index.idf(),
            index.syllable_pairs(),
            use_lexicon=s.translate_english,
            reader=reader,
        )
    if name in ("local", "openai"):  # an LLM, checked against the extractive answerer
        from rag.answering.grounded import GroundedAnswerer
        from rag.llm.factory import build_llm

        s = pipeline.settings
        return GroundedAnswerer(
            name,
            pipeline.answerer("extractive"),
            build_llm(name, s),
            max_tokens=s.llm_max_tokens,
            temperature=s.llm_temperature,
            passage_chars=s.llm_passage_chars,
            keep_answer=s.llm_keep_answer,
        )
    raise InputError(f"unknown answer backend or LLM {name!r} (known: {', '.join(ANSWERERS)})")
