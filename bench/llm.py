"""Benchmark the bundled local LLMs end to end: load time, warm-up (both answer languages'
prompt prefixes evaluated, as the API's start-up does), prompt and generation speed, answer
latency (``Pipeline.ask`` with ``--llm local``), median of 3 questions.

Uses the current index (``RAG_INDEX_DIR``, default ``.rag/index``) and the models pulled
into ``RAG_MODEL_CACHE``; a model that is not pulled is skipped (and said so):

    RAG_MODEL_CACHE=/tmp/mc .venv/bin/rag llm pull qwen2.5-0.5b --install
    RAG_MODEL_CACHE=/tmp/mc .venv/bin/python bench/llm.py [--models qwen2.5-0.5b,qwen2.5-1.5b]

Prompt tokens/s and generation tokens/s are llama.cpp's own counters (prompt tokens that
were evaluated, i.e. without a prefix cached from the previous question).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator

from rag import Pipeline
from rag.answering.base import Draft, Passage
from rag.answering.grounded import GroundedAnswerer, GroundedDraft
from rag.llm import provision
from rag.llm.llama_cpp import LlamaCppLLM, llama_cpp_available
from rag.retrieval.base import Query
from rag.settings import get_settings

QUESTIONS = (
    "Ai chủ trì hội nghị đối ngoại toàn quốc năm 2021?",
    "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?",
    "Hoi nghi doi ngoai nhan dan nam 2023 co nhung ai chu tri?",
)


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def bench(key: str, base: Pipeline) -> dict[str, object]:
    pipeline = Pipeline(base.settings.model_copy(update={"llm_model": key}), base.embedder)
    answerer = pipeline.answerer("local")
    assert isinstance(answerer, GroundedAnswerer) and isinstance(answerer.llm, LlamaCppLLM)
    llm = answerer.llm
    llm.load()
    started = time.perf_counter()
    answerer.warm_up()  # as the API's start-up does: both languages' prompt prefixes
    warm_s = time.perf_counter() - started
    drafts: list[GroundedDraft] = []
    original = answerer.stream  # what Pipeline.ask calls on a streaming answerer

    def recording(query: Query, passages: list[Passage]) -> Iterator[str | Draft]:
        for item in original(query, passages):
            if isinstance(item, GroundedDraft):
                drafts.append(item)
            yield item

    answerer.stream = recording  # type: ignore[method-assign]
    latencies: list[float] = []
    first_tokens: list[float] = []
    prompt_rates: list[float | None] = []
    gen_rates: list[float | None] = []
    rows: list[str] = []
    for question in QUESTIONS:
        llm.last_stats = None
        started = time.perf_counter()
        answer = pipeline.ask(question, llm="local")
        latencies.append(time.perf_counter() - started)
        first_tokens.append(answer.timings_ms.get("first_token", 0.0) / 1000)
        stats = llm.last_stats
        prompt_rates.append(stats.prompt_tokens_per_s if stats else None)
        gen_rates.append(stats.tokens_per_s if stats else None)
        draft = drafts[-1]
        rows.append(
            f"    {latencies[-1]:6.2f} s (first token {first_tokens[-1]:.2f})  "
            f"prompt {_fmt(prompt_rates[-1]):>6} tok/s "
            f"({stats.prompt_tokens if stats else 0} tok)  gen {_fmt(gen_rates[-1]):>5} tok/s "
            f"({stats.completion_tokens if stats else 0} tok)  "
            f"{'LLM not called (abstained)' if stats is None else f'grounded={draft.grounded}'}"
            f"{' (cited by figures and names)' if draft.attributed else ''}"
            f"\n      Q: {question}\n      A: {answer.answer[:160]!r}"
        )
    return {
        "model": key,
        "load_s": llm.load_s,
        "warm_s": warm_s,
        "prompt": _median(prompt_rates),
        "gen": _median(gen_rates),
        "e2e": statistics.median(latencies),
        "ttft": statistics.median(first_tokens),
        "grounded": sum(d.grounded is True for d in drafts),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", default="qwen2.5-0.5b,qwen2.5-1.5b")
    args = parser.parse_args()
    if not llama_cpp_available():
        sys.exit("llama-cpp-python is not installed: pip install 'llama-cpp-python>=0.3.0'")
    settings = get_settings()
    base = Pipeline(settings)
    base.ask(QUESTIONS[0])  # load the embedder and the index outside the timings
    print(
        f"index {settings.index_dir}, model cache {settings.model_cache}, "
        f"threads {settings.llm_threads or 'all cores'}, ctx {settings.llm_ctx}, "
        f"max_tokens {settings.llm_max_tokens}"
    )
    results = []
    for key in args.models.split(","):
        if not provision.is_pulled(settings.model_cache, key):
            print(f"skipping {key}: not pulled (rag llm pull {key} --install)")
            continue
        result = bench(key, base)
        print(f"{key}:")
        for row in result["rows"]:  # type: ignore[attr-defined]
            print(row)
        results.append(result)
    if not results:
        return
    print()
    print(
        "| model | load s | warm-up s | prompt tok/s | gen tok/s "
        "| answer latency s (median of 3) | first token s | grounded |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['model']} | {_fmt(r['load_s'], '.2f')} | {_fmt(r['warm_s'], '.2f')} | "  # type: ignore[arg-type]
            f"{_fmt(r['prompt'])} | "  # type: ignore[arg-type]
            f"{_fmt(r['gen'])} | {r['e2e']:.2f} | {r['ttft']:.2f} | "  # type: ignore[arg-type]
            f"{r['grounded']}/{len(QUESTIONS)} |"
        )


if __name__ == "__main__":
    main()
