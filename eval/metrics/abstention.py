"""Abstention metrics: how often the system declines on unanswerable questions, how often it
wrongly declines on answerable ones, and both as a function of a confidence threshold.

The curve recomputes abstention from the raw ``Answer.confidence`` values (abstain iff
confidence < t), independently of the threshold the answerer applied during the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    abstain_rate: float | None  # share of unanswerable questions abstained on
    false_abstention: float | None  # share of answerable questions abstained on

    def as_dict(self) -> dict[str, float | None]:
        return asdict(self)


def _rate(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def abstention_rates(
    answerable: Sequence[bool], abstained: Sequence[bool]
) -> dict[str, float | None]:
    """``abstain_rate`` on unanswerable and ``false_abstention`` on answerable questions.

    Both sequences are parallel, one entry per question. A rate is None when its group is empty.
    """
    if len(answerable) != len(abstained):
        raise ValueError("answerable and abstained must have the same length")
    pairs = list(zip(answerable, abstained, strict=True))
    return {
        "abstain_rate": _rate([a for ok, a in pairs if not ok]),
        "false_abstention": _rate([a for ok, a in pairs if ok]),
    }


def rates_at(
    threshold: float, answerable_conf: Sequence[float], unanswerable_conf: Sequence[float]
) -> CurvePoint:
    """Abstention rates if the system abstained iff confidence < ``threshold``."""
    return CurvePoint(
        threshold,
        _rate([c < threshold for c in unanswerable_conf]),
        _rate([c < threshold for c in answerable_conf]),
    )


def candidate_thresholds(values: Sequence[float], margin: float = 1e-3) -> list[float]:
    """Every threshold that gives a different outcome on ``values``: just below the minimum
    (abstain on nothing), midpoints between consecutive distinct values, and just above the
    maximum (abstain on everything). Thresholds never equal a value, so rounding of the
    recorded confidences cannot flip a decision."""
    distinct = sorted(set(values))
    if not distinct:
        return []
    mids = [(a + b) / 2 for a, b in pairwise(distinct)]
    return [distinct[0] - margin, *mids, distinct[-1] + margin]


def threshold_curve(
    answerable_conf: Sequence[float],
    unanswerable_conf: Sequence[float],
    thresholds: Sequence[float] | None = None,
) -> list[CurvePoint]:
    """Abstain-rate and false-abstention for each threshold (default: all distinct outcomes)."""
    if thresholds is None:
        thresholds = candidate_thresholds([*answerable_conf, *unanswerable_conf])
    return [rates_at(t, answerable_conf, unanswerable_conf) for t in sorted(thresholds)]
