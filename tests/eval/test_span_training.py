"""Fitting the span scorer: a conditional logit that learns which features mark the gold."""

from __future__ import annotations

import random

from eval import span_training as st


def _example(qid, group, rng):
    # the gold span is the one "next to the question words"; distractors are random
    texts = ["gold answer", *[f"other {k}" for k in range(9)]]
    features = [{"near": 1.0 + rng.random() * 0.2, "noise": rng.random()}]
    features += [{"near": rng.random() * 0.8, "noise": rng.random()} for _ in range(9)]
    order = list(range(10))
    rng.shuffle(order)
    return st.SpanExample(qid, group, "vi", ["Gold answer."], [texts[i] for i in order],
                          [features[i] for i in order])  # fmt: skip


def test_fit_learns_the_feature_that_marks_the_gold_and_scores_held_out_articles():
    rng = random.Random(0)
    examples = [_example(f"q{i}", f"article{i % 4}", rng) for i in range(40)]
    weights = st.fit(examples)
    assert weights["near"] > abs(weights.get("noise", 0.0))
    assert st.score(examples, weights)["em"] == 1.0  # "Gold answer." == "gold answer"
    cv = st.cross_validate(examples, folds=4)
    assert cv["em"] == 1.0 and cv["n"] == 40
    # untrained weights do no better than chance
    assert st.score(examples, {"noise": 1.0})["em"] < 0.5


def test_targets_give_partial_credit_for_near_misses():
    ex = st.SpanExample("q", "a", "vi", ["Nguyễn Phú Trọng"],
                        ["Nguyễn Phú Trọng", "Tổng Bí thư Nguyễn Phú Trọng", "Hà Nội"],
                        [{}, {}, {}])  # fmt: skip
    targets = st._targets(ex)
    assert targets[0] == 1.0 and 0.5 <= targets[1] < 1.0 and targets[2] == 0.0
