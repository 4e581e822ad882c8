"""Abstention rates and the threshold curve on hand-made confidences."""

from __future__ import annotations

from itertools import pairwise

import pytest

from eval.metrics.abstention import (
    abstention_rates,
    candidate_thresholds,
    rates_at,
    threshold_curve,
)


def test_abstention_rates():
    answerable = [True, True, True, True, False, False]
    abstained = [False, False, False, True, True, False]
    assert abstention_rates(answerable, abstained) == {
        "abstain_rate": 0.5,
        "false_abstention": 0.25,
    }


def test_rates_are_none_for_an_empty_group():
    assert abstention_rates([True], [True]) == {"abstain_rate": None, "false_abstention": 1.0}
    assert abstention_rates([], []) == {"abstain_rate": None, "false_abstention": None}


def test_lengths_must_match():
    with pytest.raises(ValueError):
        abstention_rates([True], [])


def test_rates_at_abstains_strictly_below_the_threshold():
    point = rates_at(0.5, answerable_conf=[0.5, 0.9], unanswerable_conf=[0.1, 0.5])
    assert point.abstain_rate == 0.5  # 0.1 < 0.5; 0.5 is not
    assert point.false_abstention == 0.0


def test_candidate_thresholds():
    assert candidate_thresholds([0.2, 0.0, 0.2, 1.0], margin=0.1) == pytest.approx(
        [-0.1, 0.1, 0.6, 1.1]
    )
    assert candidate_thresholds([]) == []


def test_curve_runs_from_nothing_to_everything_and_is_monotonic():
    answerable = [0.9, 0.7, 0.5, 0.45]
    unanswerable = [0.1, 0.4]
    curve = threshold_curve(answerable, unanswerable)
    assert (curve[0].abstain_rate, curve[0].false_abstention) == (0.0, 0.0)
    assert (curve[-1].abstain_rate, curve[-1].false_abstention) == (1.0, 1.0)
    for a, b in pairwise(curve):
        assert a.threshold < b.threshold
        assert a.abstain_rate <= b.abstain_rate
        assert a.false_abstention <= b.false_abstention
    # between 0.4 and 0.45 every unanswerable question is abstained on, no answerable one
    assert any(p.abstain_rate == 1.0 and p.false_abstention == 0.0 for p in curve)


def test_curve_at_given_thresholds():
    curve = threshold_curve([0.5], [0.0], thresholds=[1.0, 0.25])
    assert [(p.threshold, p.abstain_rate, p.false_abstention) for p in curve] == [
        (0.25, 1.0, 0.0),
        (1.0, 1.0, 1.0),
    ]
    assert curve[0].as_dict() == {"threshold": 0.25, "abstain_rate": 1.0, "false_abstention": 0.0}
