"""Choosing an abstention threshold under a false-abstention limit."""

from __future__ import annotations

import pytest

from eval.calibrate import choose_threshold


def test_separable_confidences_abstain_on_all_unanswerable():
    point = choose_threshold([0.5, 0.8, 0.9], [0.1, 0.3])
    assert point.abstain_rate == 1.0
    assert point.false_abstention == 0.0
    # ties go to the lower threshold: just above the highest unanswerable confidence
    assert point.threshold == pytest.approx(0.4)


def test_false_abstention_limit_is_respected():
    answerable = [0.2] + [0.9] * 9  # one answerable question below the unanswerable ones
    unanswerable = [0.3, 0.4]
    point = choose_threshold(answerable, unanswerable, max_false_abstention=0.05)
    assert point.false_abstention == 0.0  # 1/10 = 10% would exceed 5%
    assert point.abstain_rate == 0.0
    assert point.threshold < 0.2
    relaxed = choose_threshold(answerable, unanswerable, max_false_abstention=0.1)
    assert relaxed.abstain_rate == 1.0
    assert relaxed.false_abstention == pytest.approx(0.1)


def test_five_percent_allows_one_miss_in_twenty():
    answerable = [0.0] + [1.0] * 19
    point = choose_threshold(answerable, [0.5])
    assert point.false_abstention == pytest.approx(0.05)
    assert point.abstain_rate == 1.0
