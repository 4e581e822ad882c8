"""Latency percentiles per pipeline stage, from the ``timings_ms`` of answers and searches."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) with linear interpolation between ranks."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def latency_summary(timings: Sequence[Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """``{stage: {"p50": ms, "p95": ms, "n": count}}`` over every stage seen in ``timings``."""
    stages: dict[str, list[float]] = {}
    for row in timings:
        for stage, ms in row.items():
            stages.setdefault(stage, []).append(float(ms))
    return {
        stage: {
            "p50": round(percentile(values, 50), 2),
            "p95": round(percentile(values, 95), 2),
            "n": len(values),
        }
        for stage, values in stages.items()
    }
