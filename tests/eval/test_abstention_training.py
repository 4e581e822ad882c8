"""Fitting the abstention model and choosing per-language thresholds."""

from __future__ import annotations

import random

import pytest

from eval import abstention_training as at


def _examples(n=200, seed=0):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        answerable = i % 2 == 0
        lang = "en" if i % 3 == 0 else "vi"
        dense = (0.85 if answerable else 0.75) + rng.gauss(0, 0.03)
        features = {"bias": 1.0, "dense": dense, "noise": rng.random()}
        out.append(at.EvidenceExample(f"q{i}", "test", lang, answerable, features))
    return out


def test_fit_separates_by_the_informative_feature():
    weights = at.fit(_examples())
    assert weights["dense"] > 0
    assert abs(weights.get("noise", 0.0)) < weights["dense"]


def test_thresholds_respect_the_false_abstention_limit_per_language():
    examples = _examples()
    weights = at.fit(examples)
    rates = at.thresholds(examples, weights, {"vi": 0.05, "en": 0.10})
    assert set(rates) == {"vi", "en"}
    assert rates["vi"]["false_abstention"] <= 0.05
    assert rates["en"]["false_abstention"] <= 0.10
    assert rates["vi"]["abstain_rate"] > 0.8


def test_fit_needs_both_classes():
    with pytest.raises(ValueError):
        at.fit([ex for ex in _examples() if ex.answerable])
