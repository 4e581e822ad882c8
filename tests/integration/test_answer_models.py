"""Integration: the fitted span scorer and abstention model (``rag eval --calibrate``) help on
questions they were not fitted on — the gold *test* split (calibration reads only dev)."""

from __future__ import annotations

import pytest

from eval.gold import load_gold, select_split
from eval.metrics.squad import f1_score
from rag.answering.extractive import DEFAULT_ABSTENTION, ExtractiveAnswerer
from rag.answering.spans import DEFAULT_WEIGHTS, SpanScorer, load_span_weights

pytestmark = pytest.mark.integration


def _readings(pipeline):
    answerer = pipeline.answerer("extractive")
    assert isinstance(answerer, ExtractiveAnswerer)
    for item in select_split(load_gold(), "test"):
        query, passages = pipeline.retrieve_passages(item.question)
        reading = answerer.read(query, passages)
        if reading is not None:
            yield item, answerer, reading


def _best_text(reading, scorer):
    best = max(reading.spans, key=lambda sp: scorer.score(sp.features))
    doc = reading.sentences[best.sentence_index].passage.document
    return doc.text[best.start : best.end]


def test_fitted_span_weights_beat_the_hand_set_defaults_on_the_test_split(e5_fp32_pipeline):
    learned, default = SpanScorer(load_span_weights()), SpanScorer(DEFAULT_WEIGHTS)
    f1_learned = f1_default = 0.0
    for item, _, reading in _readings(e5_fp32_pipeline):
        if item.answerable and reading.spans:
            f1_learned += f1_score(_best_text(reading, learned), list(item.expected))
            f1_default += f1_score(_best_text(reading, default), list(item.expected))
    assert f1_learned > f1_default


def _auc(pipeline, weights=None):
    rows = [(item.answerable, answerer.evidence(reading))
            for item, answerer, reading in _readings(pipeline)]  # fmt: skip
    weights = weights or pipeline.answerer("extractive").calibration["abstention"]
    pos = [sum(weights.get(k, 0.0) * v for k, v in f.items()) for ok, f in rows if ok]
    neg = [sum(weights.get(k, 0.0) * v for k, v in f.items()) for ok, f in rows if not ok]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def test_fitted_abstention_separates_test_questions_better_than_the_defaults(e5_fp32_pipeline):
    # the models were fitted on the fp32 encoder's evidence: compare them there
    assert _auc(e5_fp32_pipeline) > _auc(e5_fp32_pipeline, DEFAULT_ABSTENTION)


def test_fitted_abstention_keeps_its_separation_with_the_int8_encoder(
    e5_pipeline, e5_fp32_pipeline
):
    """The default pipeline runs the verified int8 encoder on models fitted on fp32."""
    assert _auc(e5_pipeline) >= _auc(e5_fp32_pipeline) - 0.01
