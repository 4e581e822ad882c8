"""Comparing two report.json files."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from eval.compare import ReportError, flatten, flips, load_report, metric_deltas, print_comparison


def report(hit5: float, fa: float, results: list[dict]) -> dict:
    return {
        "config": {"model_id": "m", "thresholds": {"vi": 0.0}},
        "metrics": {"hybrid": {"overall": {"all": {"n": 2, "hit@5": hit5, "abstain_rate": None,
                                                   "false_abstention": fa}}}},
        "latency": {"hybrid": {"ask": {"total": {"p50": 10.0, "p95": 20.0, "n": 2}}}},
        "results": results,
    }  # fmt: skip


A = report(0.5, 0.2, [
    {"id": "q1", "mode": "hybrid", "answerable": True, "correct": False, "abstained": False},
    {"id": "q2", "mode": "hybrid", "answerable": False, "correct": None, "abstained": True},
])  # fmt: skip
B = report(0.75, 0.1, [
    {"id": "q1", "mode": "hybrid", "answerable": True, "correct": True, "abstained": False},
    {"id": "q2", "mode": "hybrid", "answerable": False, "correct": None, "abstained": False},
])  # fmt: skip


def test_flatten():
    flat = flatten(A)
    assert flat["hybrid/overall/all/hit@5"] == 0.5
    assert flat["hybrid/overall/all/abstain_rate"] is None
    assert flat["hybrid/latency/ask.total/p95"] == 20.0


def test_metric_deltas_only_lists_changes():
    deltas = {d.key: d for d in metric_deltas(A, B)}
    assert set(deltas) == {"hybrid/overall/all/hit@5", "hybrid/overall/all/false_abstention"}
    assert deltas["hybrid/overall/all/hit@5"].change == pytest.approx(0.25)
    assert deltas["hybrid/overall/all/hit@5"].improved is True
    assert deltas["hybrid/overall/all/false_abstention"].improved is True  # lower is better
    assert metric_deltas(A, A) == []


def test_flips():
    changed = flips(A, B)
    assert [(f.id, f.fixed) for f in changed] == [("q1", True), ("q2", False)]


def test_print_comparison(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(A), "utf-8")
    b.write_text(json.dumps(B), "utf-8")
    console = Console(record=True, width=200)
    deltas = print_comparison(a, b, console)
    text = console.export_text()
    assert len(deltas) == 2
    assert "+0.250" in text
    assert "fixed: q1 (hybrid)" in text
    assert "broken: q2 (hybrid)" in text


def test_bad_reports(tmp_path):
    with pytest.raises(ReportError, match="not found"):
        load_report(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{}", "utf-8")
    with pytest.raises(ReportError, match="not an eval report"):
        load_report(bad)
