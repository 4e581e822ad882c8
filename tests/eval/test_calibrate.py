"""Choosing per-language abstention thresholds on the dev split, and saving them."""

from __future__ import annotations

import json

import pytest

from eval.calibrate import CalibrationError, calibrate, choose_threshold, write_thresholds


def rows(make_result, lang, split, answerable, confidences, mode="hybrid"):
    return [
        make_result(id=f"{lang}-{split}-{answerable}-{i}", lang=lang, split=split, mode=mode,
                    answerable=answerable, confidence=c)
        for i, c in enumerate(confidences)
    ]  # fmt: skip


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


def test_calibrate_per_language_on_dev_only(make_result):
    results = (
        rows(make_result, "vi", "dev", True, [0.6, 0.7, 0.8])
        + rows(make_result, "vi", "dev", False, [0.1, 0.2])
        + rows(make_result, "en", "dev", True, [-0.2, 0.1])
        + rows(make_result, "en", "dev", False, [-0.9, -0.5])
        # test-split rows must not move the thresholds
        + rows(make_result, "vi", "test", True, [0.15])
        + rows(make_result, "vi", "test", False, [0.65])
        # another mode must not either
        + rows(make_result, "vi", "dev", False, [0.75], mode="bm25")
    )
    out = calibrate(results)
    assert out["mode"] == "hybrid"
    assert out["thresholds"] == {"en": pytest.approx(-0.35), "vi": pytest.approx(0.4)}
    vi = out["details"]["vi"]
    assert vi["dev"] == {"abstain_rate": 1.0, "false_abstention": 0.0, "n_answerable": 3,
                         "n_unanswerable": 2}  # fmt: skip
    # held out: the test split at the chosen threshold
    assert vi["test"] == {"abstain_rate": 0.0, "false_abstention": 1.0, "n": 2}


def test_thresholds_are_keyed_by_the_answerer_language(make_result):
    # an English question the answerer reads as Vietnamese gets the "vi" threshold
    results = (
        rows(make_result, "vi", "dev", True, [0.6, 0.7])
        + rows(make_result, "vi", "dev", False, [0.1])
        + [make_result(id="x", lang="en", answer_lang="vi", split="dev", answerable=False,
                       confidence=0.5)]
    )  # fmt: skip
    out = calibrate(results)
    assert set(out["thresholds"]) == {"vi"}
    assert out["thresholds"]["vi"] == pytest.approx(0.55)
    assert out["details"]["vi"]["dev"]["n_unanswerable"] == 2


def test_language_without_unanswerable_dev_questions_is_skipped(make_result):
    results = rows(make_result, "vi", "dev", True, [0.5]) + rows(
        make_result, "vi-noaccent", "dev", False, [0.1]
    )
    out = calibrate(results)
    assert "vi" not in out["thresholds"]
    assert "skipped" in out["details"]["vi"]
    assert "vi-noaccent" in out["thresholds"]


def test_calibrate_needs_dev_results(make_result):
    with pytest.raises(CalibrationError, match="dev-split"):
        calibrate(rows(make_result, "vi", "test", False, [0.1]))


def test_calibrate_uses_the_only_mode_when_hybrid_is_absent(make_result):
    results = rows(make_result, "vi", "dev", False, [0.1], mode="bm25") + rows(
        make_result, "vi", "dev", True, [0.9], mode="bm25"
    )
    assert calibrate(results)["mode"] == "bm25"


def test_write_thresholds_creates_the_file(tmp_path):
    path = tmp_path / "calibration.json"
    write_thresholds({"vi": 0.25}, path)
    assert json.loads(path.read_text("utf-8")) == {"thresholds": {"vi": 0.25}}


def test_write_thresholds_keeps_other_keys_and_languages(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"weights": {"dense": 1.0},
                                "thresholds": {"vi": 0.0, "en": 0.3}}), "utf-8")  # fmt: skip
    write_thresholds({"vi": 0.25, "vi-noaccent": -0.1}, path)
    data = json.loads(path.read_text("utf-8"))
    assert data == {
        "weights": {"dense": 1.0},
        "thresholds": {"vi": 0.25, "en": 0.3, "vi-noaccent": -0.1},
    }


def test_write_thresholds_rejects_a_broken_file(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text("{oops", "utf-8")
    with pytest.raises(CalibrationError):
        write_thresholds({"vi": 0.25}, path)
