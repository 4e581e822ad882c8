"""Benchmark `ask` latency with a warm model: retrieval + answer, per stage, per mode.

  .venv/bin/python bench/ask.py [--runs 3] [--gold eval/gold.jsonl]

Uses the index at RAG_INDEX_DIR (run `rag ingest` first). Each run asks every gold
question once; prints medians over all questions and runs, and p95. The per-mode rows run
with the answer cache off (every question does the full work; the per-index sentence data
is precomputed at load as in a server); the last row asks again with the cache on.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from rag import Pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gold", type=Path, default=Path("eval/gold.jsonl"))
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in args.gold.open(encoding="utf-8")]

    pipeline = Pipeline.from_settings(answer_cache_size=0)
    started = time.perf_counter()
    pipeline.warm_up()
    print(f"warm-up (model + index load)  {time.perf_counter() - started:.2f} s")
    print(f"encoder: {pipeline.index_config().encoder}")
    for q in questions[:10]:  # first-call costs (lazy imports, tagger model)
        pipeline.ask(q)

    header = ("mode", "total p50", "total p95", "embed", "search", "answer")
    print(f"{header[0]:8} " + " ".join(f"{h:>10}" for h in header[1:]))
    for mode in ("hybrid", "dense", "bm25"):
        stages: dict[str, list[float]] = {"total": [], "embed": [], "search": [], "answer": []}
        for _ in range(args.runs):
            for q in questions:
                t = pipeline.ask(q, mode=mode).timings_ms
                for key in stages:
                    stages[key].append(t.get(key, 0.0))
        total = sorted(stages["total"])
        p95 = total[int(0.95 * (len(total) - 1))]
        med = {k: statistics.median(v) for k, v in stages.items()}
        cells = (med["total"], p95, med["embed"], med["search"], med["answer"])
        print(f"{mode:8} " + " ".join(f"{c:>8.1f}ms" for c in cells))
    cached = Pipeline(pipeline.settings.model_copy(update={"answer_cache_size": 4096}),
                      embedder=pipeline.backend)  # fmt: skip
    for q in questions:
        cached.ask(q)
    totals = sorted(cached.ask(q).timings_ms["total"] for _ in range(args.runs) for q in questions)
    p95 = totals[int(0.95 * (len(totals) - 1))]
    print(f"{'cached':8} {statistics.median(totals):>8.2f}ms {p95:>8.2f}ms   (repeated questions)")
    print(f"({len(questions)} questions x {args.runs} runs per mode)")


if __name__ == "__main__":
    main()
