"""Retrieval metrics over a ranked list of passages: hit@k, MRR@k and nDCG@k.

A passage is relevant iff its accent- and case-folded text (``rag.textnorm.fold``) contains
the folded form of at least one of the question's evidence strings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rag.textnorm import fold


def fold_all(texts: Sequence[str]) -> list[str]:
    return [fold(t) for t in texts]


def contains_evidence(passage: str, evidence: Sequence[str], *, folded: bool = False) -> bool:
    """``passage`` contains any evidence string (pass ``folded=True`` if both are folded)."""
    text = passage if folded else fold(passage)
    needles = evidence if folded else fold_all(evidence)
    return any(e and e in text for e in needles)


def relevance(passages: Sequence[str], evidence: Sequence[str]) -> list[bool]:
    """One flag per ranked passage: does it contain an evidence string?"""
    needles = fold_all(evidence)
    return [contains_evidence(fold(p), needles, folded=True) for p in passages]


def first_relevant_rank(flags: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant passage, or None."""
    return next((rank for rank, flag in enumerate(flags, 1) if flag), None)


def hit_at_k(flags: Sequence[bool], k: int) -> float:
    return 1.0 if any(flags[:k]) else 0.0


def mrr_at_k(flags: Sequence[bool], k: int = 10) -> float:
    rank = first_relevant_rank(flags[:k])
    return 0.0 if rank is None else 1.0 / rank


def ndcg_at_k(flags: Sequence[bool], k: int = 10, n_relevant: int | None = None) -> float:
    """Binary nDCG@k.

    ``n_relevant`` is how many relevant passages exist in the whole index (the ideal ranking
    puts ``min(n_relevant, k)`` of them first). Without it the ideal is the retrieved
    relevant passages reordered, which can only overstate the score.
    """
    top = list(flags[:k])
    dcg = sum(1.0 / math.log2(rank + 1) for rank, flag in enumerate(top, 1) if flag)
    available = sum(top) if n_relevant is None else max(n_relevant, sum(top))
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(available, k) + 1))
    return dcg / ideal if ideal > 0 else 0.0


def retrieval_scores(flags: Sequence[bool], n_relevant: int | None = None) -> dict[str, float]:
    """All retrieval metrics of one ranked list (ranked up to 10)."""
    return {
        "hit@1": hit_at_k(flags, 1),
        "hit@5": hit_at_k(flags, 5),
        "mrr@10": mrr_at_k(flags, 10),
        "ndcg@10": ndcg_at_k(flags, 10, n_relevant),
    }
