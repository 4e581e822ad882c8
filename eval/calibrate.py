"""Choosing an abstention threshold: among thresholds t (abstain iff confidence < t) whose
false abstention on answerable questions is within a limit, the one with the highest
abstention on unanswerable questions; ties go to the lower threshold. Used per language by
``eval.abstention_training`` (``rag eval --calibrate``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import rag.answering
from eval.metrics.abstention import CurvePoint, candidate_thresholds, rates_at
from rag.errors import RagError

MAX_FALSE_ABSTENTION = 0.05
CALIBRATION_FILE = Path(rag.answering.__file__).with_name("calibration.json")


class CalibrationError(RagError):
    exit_code = 2


def choose_threshold(
    answerable_conf: Sequence[float],
    unanswerable_conf: Sequence[float],
    max_false_abstention: float = MAX_FALSE_ABSTENTION,
) -> CurvePoint:
    """The best threshold for one set of questions (see the module docstring)."""
    return choose_threshold_sets([(answerable_conf, unanswerable_conf)], max_false_abstention)


ConfidenceSet = tuple[Sequence[float], Sequence[float]]
"""Confidences of one data set's (answerable, unanswerable) questions."""


def choose_threshold_sets(
    sets: Sequence[ConfidenceSet], max_false_abstention: float = MAX_FALSE_ABSTENTION
) -> CurvePoint:
    """The threshold with the highest mean abstention over the data sets that keeps false
    abstention within the limit in *every* set (ties keep the lower threshold). The returned
    point's rates are over all sets pooled."""
    everything = [v for ans, unans in sets for v in (*ans, *unans)]
    best: tuple[float, float] | None = None
    for t in candidate_thresholds(everything):
        points = [rates_at(t, ans, unans) for ans, unans in sets]
        if any((p.false_abstention or 0.0) > max_false_abstention + 1e-12 for p in points):
            continue
        gains = [p.abstain_rate for p in points if p.abstain_rate is not None]
        gain = sum(gains) / len(gains) if gains else 0.0
        if best is None or gain > best[1]:  # strict: ties keep the lower t
            best = (t, gain)
    if best is None:  # cannot happen: the lowest candidate abstains on nothing
        raise CalibrationError("no threshold satisfies the false-abstention limit")
    pooled_ans = [v for ans, _ in sets for v in ans]
    pooled_unans = [v for _, unans in sets for v in unans]
    return rates_at(best[0], pooled_ans, pooled_unans)
