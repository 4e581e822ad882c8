"""Latency percentiles."""

from __future__ import annotations

import pytest

from eval.metrics.latency import latency_summary, percentile


def test_percentile_interpolates():
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([7.0], 95) == 7.0


def test_percentile_rejects_bad_input():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_latency_summary_per_stage():
    timings = [{"embed": 1.0, "total": 10.0}, {"embed": 3.0, "total": 30.0}, {"total": 20.0}]
    summary = latency_summary(timings)
    assert summary["embed"] == {"p50": 2.0, "p95": 2.9, "n": 2}
    assert summary["total"]["p50"] == 20.0
    assert summary["total"]["n"] == 3
