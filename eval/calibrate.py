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
    """The best threshold for one language (see the module docstring)."""
    best: CurvePoint | None = None
    for t in candidate_thresholds([*answerable_conf, *unanswerable_conf]):
        point = rates_at(t, answerable_conf, unanswerable_conf)
        if (point.false_abstention or 0.0) > max_false_abstention + 1e-12:
            continue
        gain = point.abstain_rate or 0.0
        if best is None or gain > (best.abstain_rate or 0.0):  # strict: ties keep the lower t
            best = point
    if best is None:  # cannot happen: the lowest candidate abstains on nothing
        raise CalibrationError("no threshold satisfies the false-abstention limit")
    return best
