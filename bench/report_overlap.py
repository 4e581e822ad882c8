"""How far two ``rag eval`` reports agree, question by question: the share of questions with
the same top passage, the same top-k list, and the same answer, per mode; and the headline
metrics of each side.

    .venv/bin/python bench/report_overlap.py /tmp/h1/faiss-hybrid/report.json \\
        /tmp/h1/milvus-hybrid/report.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

METRICS = ("hit@1", "hit@5", "mrr@10", "accuracy", "abstain_rate", "false_abstention")


def _records(report: dict[str, Any], mode: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in report["results"] if r["mode"] == mode}


def _chunks(record: dict[str, Any]) -> list[str]:
    return [p["chunk_id"] for p in record["retrieved"]]


def overlap(a: dict[str, Any], b: dict[str, Any], mode: str) -> dict[str, float | int]:
    """Agreement of the two reports' records of ``mode`` (questions both hold)."""
    ra, rb = _records(a, mode), _records(b, mode)
    ids = sorted(set(ra) & set(rb))
    if not ids:
        raise SystemExit(f"no question of mode {mode!r} in both reports")
    top = sum(_chunks(ra[i])[:1] == _chunks(rb[i])[:1] for i in ids)
    lists = sum(_chunks(ra[i]) == _chunks(rb[i]) for i in ids)
    answers = sum(ra[i]["answer"] == rb[i]["answer"] for i in ids)
    n = len(ids)
    return {"questions": n, "same_top": top / n, "same_topk": lists / n, "same_answer": answers / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="report.json (e.g. FAISS + bm25s)")
    parser.add_argument("b", type=Path, help="report.json (e.g. Milvus)")
    args = parser.parse_args()
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (args.a, args.b))
    for mode in [m for m in a["metrics"] if m in b["metrics"]]:
        for name, report in (("a", a), ("b", b)):
            m = report["metrics"][mode]["overall"]["all"]
            cells = " ".join(f"{k}={m[k]:.3f}" for k in METRICS)
            print(f"{mode:7s} {name}: {cells}")
        o = overlap(a, b, mode)
        print(
            f"{mode:7s} a vs b: {o['questions']} questions, same top passage {o['same_top']:.3f}, "
            f"same top-k list {o['same_topk']:.3f}, same answer {o['same_answer']:.3f}"
        )


if __name__ == "__main__":
    main()
