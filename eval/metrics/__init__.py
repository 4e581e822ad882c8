"""Metric families for the eval harness, one per module (retrieval, answers, abstention,
latency, SQuAD). Every function works on plain values, so each can be tested on hand-made
inputs."""

from __future__ import annotations

from collections.abc import Iterable


def mean_or_none(values: Iterable[float | bool | None]) -> float | None:
    """The mean of the values that are not None, rounded to 4 places (None if there are none)."""
    kept = [float(v) for v in values if v is not None]
    return round(sum(kept) / len(kept), 4) if kept else None
