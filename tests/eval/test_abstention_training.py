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


def _accentless(n=300, seed=1):
    """Questions of two languages; only "vi-noaccent"'s own term tells its classes apart."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        answerable = i % 2 == 0
        lang = "vi-noaccent" if i % 3 else "vi"
        signal = (1.0 if answerable else 0.0) + rng.gauss(0, 0.3)
        coverage = signal if lang == "vi-noaccent" else rng.random()
        features = {"bias": 1.0, "dense": rng.random(), f"lang={lang}": 1.0,
                    f"{lang}*coverage": coverage}  # fmt: skip
        out.append(at.EvidenceExample(f"q{i}", "squad-fold0", lang, answerable, features))
    return out


def test_fit_language_refits_only_that_languages_terms():
    weights = {"bias": -0.5, "dense": 2.0, "lang=vi": 0.3, "vi*coverage": 1.0,
               "lang=vi-noaccent": 0.0, "vi-noaccent*coverage": -1.0}  # fmt: skip
    fitted = at.fit_language(_accentless(), weights, "vi-noaccent")
    for shared in ("bias", "dense", "lang=vi", "vi*coverage"):
        assert fitted[shared] == weights[shared]
    assert fitted["vi-noaccent*coverage"] > 1.0  # the wrong sign is corrected
    assert fitted["lang=vi-noaccent"] != 0.0


def test_fit_language_separates_better_than_the_weights_it_started_from():
    examples = _accentless()
    weights = {"bias": 0.0, "dense": 0.0, "lang=vi-noaccent": 0.0, "vi-noaccent*coverage": -1.0}
    fitted = at.fit_language(examples, weights, "vi-noaccent")
    mine = [ex for ex in examples if ex.lang == "vi-noaccent"]

    def accuracy(w):
        return sum((at.confidence(ex.features, w) > 0) == ex.answerable for ex in mine) / len(mine)

    assert accuracy(fitted) > 0.85 > accuracy(weights)


def test_fit_language_needs_both_classes():
    examples = [ex for ex in _accentless() if ex.answerable]
    with pytest.raises(ValueError):
        at.fit_language(examples, {"bias": 0.0}, "vi-noaccent")
