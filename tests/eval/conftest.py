"""Helpers for the eval tests: hand-made per-question results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from eval.harness import QuestionResult


def _result(**overrides: Any) -> QuestionResult:
    fields: dict[str, Any] = {
        "id": "q1", "mode": "hybrid", "question": "?", "lang": "vi", "type": "other",
        "split": "dev", "answerable": True, "expected": "x", "aliases": [], "evidence": ["x"],
        "answer": "x [1]", "abstained": False, "confidence": 0.0, "citations": [],
        "retrieved": [], "hit_rank": None, "n_relevant": 1, "retrieval": None,
        "correct": None, "f1": None, "exact": None, "citation_precision": None,
        "citation_recall": None, "timings_ms": {"total": 1.0}, "search_ms": 1.0, "answer_lang": "",
    }  # fmt: skip
    fields.update(overrides)
    return QuestionResult(**fields)


@pytest.fixture
def make_result() -> Callable[..., QuestionResult]:
    """Build a ``QuestionResult`` from a few overridden fields."""
    return _result
