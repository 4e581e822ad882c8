"""Hybrid retrieval over a Milvus index: our fusion against Milvus's own ``hybrid_search``
with ``RRFRanker``, measured on the gold set like ``rag eval --mode hybrid``.

Our fusion (``rag.retrieval.hybrid``) is reciprocal rank fusion with weights per language
and the BM25 list weighted by how much of the question the corpus vocabulary covers.
Milvus's ``RRFRanker(k)`` fuses the dense request and the BM25 request (the accented or
folded field, as for our BM25) without weights. The index must be a Milvus one with BM25
fields (``RAG_VECTOR_STORE=milvus rag ingest``); settings come from ``RAG_*`` as for
``rag eval``. With ``--baseline`` (a FAISS + bm25s hybrid ``report.json``) it also prints
the share of questions whose top passage each fusion shares with it.

    RAG_VECTOR_STORE=milvus RAG_INDEX_DIR=/tmp/h1/milvus .venv/bin/python \\
        bench/milvus_fusion.py --split test --baseline /tmp/h1/faiss-hybrid/report.json \\
        --out /tmp/h1/milvus-rrf
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import rag.pipeline
from bench.report_overlap import METRICS, overlap
from embeddings import Embedder
from eval.gold import DEFAULT_GOLD, load_gold
from eval.harness import run_eval
from eval.report import write_report
from rag import Pipeline
from rag.index.milvus_index import LEXICAL_FIELDS, MilvusIndex
from rag.index.searchable import SearchableIndex
from rag.retrieval.base import Hit, Query, Retriever
from rag.retrieval.bm25 import query_syllables
from rag.retrieval.dense import query_vector


class MilvusRrfRetriever:
    """Dense and BM25 requests fused by Milvus (``hybrid_search`` with ``RRFRanker``)."""

    name = "hybrid"

    def __init__(self, index: SearchableIndex, embedder: Embedder, candidates: int, rrf_k: int):
        if not isinstance(index.vectors, MilvusIndex) or not index.vectors.has_lexical:
            raise SystemExit("the index is no Milvus collection with BM25 fields")
        self.vectors = index.vectors
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k

    def retrieve(self, query: Query, k: int) -> list[Hit]:
        from pymilvus import AnnSearchRequest, RRFRanker

        pool = max(k, self.candidates)
        vector = query_vector(query, self.embedder)
        dense = {"anns_field": "vec", "param": {"metric_type": "IP"}, "limit": pool}
        requests = [AnnSearchRequest(data=[vector.tolist()], **dense)]
        tokens, folded = query_syllables(query.lexical_text or query.text)
        if tokens:
            field = LEXICAL_FIELDS["folded" if folded else "accented"][1]
            lexical = {"anns_field": field, "param": {"metric_type": "BM25"}, "limit": pool}
            requests.append(AnnSearchRequest(data=[" ".join(tokens)], **lexical))
        (hits,) = self.vectors.client.hybrid_search(
            self.vectors.collection, requests, RRFRanker(self.rrf_k), limit=k,
            output_fields=["row"],
        )  # fmt: skip
        return [Hit(int(h["row"]), float(h["distance"])) for h in hits]


def _with_milvus_rrf() -> None:
    """Make the pipeline's hybrid mode use ``MilvusRrfRetriever`` (this process only)."""
    original = rag.pipeline.build_retriever

    def build(
        mode: str, index: SearchableIndex, embedder: Embedder, *, candidates: int, rrf_k: int
    ) -> Retriever:
        if mode == "hybrid":
            return MilvusRrfRetriever(index, embedder, candidates, rrf_k)
        return original(mode, index, embedder, candidates=candidates, rrf_k=rrf_k)

    rag.pipeline.build_retriever = build  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--split", default="test")
    parser.add_argument("--baseline", type=Path, help="FAISS + bm25s hybrid report.json")
    parser.add_argument("--out", type=Path, help="report folder of the Milvus RRF run")
    args = parser.parse_args()
    items = load_gold(args.gold)
    baseline: dict[str, Any] | None = None
    if args.baseline:
        baseline = json.loads(args.baseline.read_text(encoding="utf-8"))
    runs = {}
    pipeline = Pipeline.from_settings()
    runs["ours"] = run_eval(pipeline, items, ["hybrid"], args.split)
    _with_milvus_rrf()
    pipeline = Pipeline.from_settings()
    runs["milvus-rrf"] = run_eval(pipeline, items, ["hybrid"], args.split)
    if args.out:
        write_report(runs["milvus-rrf"], args.out)
    for name, run in runs.items():
        m = run.metrics["hybrid"]["overall"]["all"]
        cells = " ".join(f"{k}={m[k]:.3f}" for k in METRICS)
        same = ""
        if baseline is not None:
            o = overlap(baseline, run.to_dict(), "hybrid")
            same = f" same top passage as baseline {o['same_top']:.3f} ({o['questions']} q)"
        print(f"{name:10s} {cells}{same}")


if __name__ == "__main__":
    main()
