"""Choose per-language abstention thresholds on the dev split and store them for the answerer.

For each language: among thresholds t (abstain iff ``Answer.confidence`` < t) whose false
abstention on answerable dev questions is at most 5%, take the one with the highest abstention
on unanswerable dev questions; ties go to the lower threshold. Confidences are recorded even
when the answerer abstained, so any run can be calibrated, whatever thresholds it ran with.
The test split is never used to choose; its rates at the chosen thresholds are reported.

Questions are grouped by the language the answerer detects (``QuestionResult.answer_lang``),
not the gold label: that is the key the answerer looks its threshold up with, and its
confidence formula depends on it (an English question naming "Nguyễn Phú Trọng" is "vi" to it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import rag.answering
from embeddings.atomic import write_text_atomic
from eval.harness import QuestionResult
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


def calibrate(
    results: Sequence[QuestionResult],
    mode: str | None = None,
    max_false_abstention: float = MAX_FALSE_ABSTENTION,
) -> dict[str, Any]:
    """Per-language thresholds from the dev results of ``mode`` (default: hybrid if present).

    Returns ``{"mode", "max_false_abstention", "thresholds": {lang: t}, "details": {...}}``.
    Languages without unanswerable dev questions are skipped (nothing to trade off).
    """
    modes = list(dict.fromkeys(r.mode for r in results))
    if mode is None:
        mode = "hybrid" if "hybrid" in modes or not modes else modes[0]
    rows = [r for r in results if r.mode == mode]
    dev = [r for r in rows if r.split == "dev"]
    if not dev:
        raise CalibrationError(
            f"calibration needs dev-split results in mode {mode!r} (run with --split dev or all)"
        )
    thresholds: dict[str, float] = {}
    details: dict[str, Any] = {}
    for lang in sorted({_lang(r) for r in dev}):
        ans = [r.confidence for r in dev if _lang(r) == lang and r.answerable]
        unans = [r.confidence for r in dev if _lang(r) == lang and not r.answerable]
        if not unans:
            details[lang] = {"skipped": "no unanswerable dev questions"}
            continue
        point = choose_threshold(ans, unans, max_false_abstention)
        threshold = round(point.threshold, 6)
        thresholds[lang] = threshold
        test = [r for r in rows if r.split == "test" and _lang(r) == lang]
        held_out = rates_at(
            threshold,
            [r.confidence for r in test if r.answerable],
            [r.confidence for r in test if not r.answerable],
        )
        details[lang] = {
            "threshold": threshold,
            "dev": {
                "abstain_rate": point.abstain_rate,
                "false_abstention": point.false_abstention,
                "n_answerable": len(ans),
                "n_unanswerable": len(unans),
            },
            "test": {
                "abstain_rate": held_out.abstain_rate,
                "false_abstention": held_out.false_abstention,
                "n": len(test),
            },
        }
    return {
        "mode": mode,
        "max_false_abstention": max_false_abstention,
        "thresholds": thresholds,
        "details": details,
    }


def _lang(result: QuestionResult) -> str:
    return result.answer_lang or result.lang


def write_thresholds(thresholds: Mapping[str, float], path: Path | None = None) -> Path:
    """Merge ``thresholds`` into the "thresholds" key of the calibration file (default: the
    answerer's package file), keeping every other key and language."""
    path = path or CALIBRATION_FILE
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CalibrationError(f"{path}: cannot read the calibration file ({exc})") from None
        if not isinstance(data, dict):
            raise CalibrationError(f"{path}: the calibration file is not a JSON object")
    current = data.get("thresholds")
    data["thresholds"] = {**(current if isinstance(current, dict) else {}), **thresholds}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return path
