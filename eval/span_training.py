"""Learn the span scorer's weights from questions with gold answers.

For each question the real pipeline retrieves passages and the extractive answerer lists its
candidate spans with their features (``ExtractiveAnswerer.span_candidates``); a candidate is
a positive example when its text matches a gold answer (SQuAD normalisation and F1). A
conditional logit (softmax over each question's candidates) gives the weights.
``cross_validate`` scores the same procedure with whole articles held out, which is how well
the weights carry to documents they were not fitted on.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embeddings.atomic import write_text_atomic
from eval.metrics.squad import f1_score, normalize_answer

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

WEIGHTS_PATH = Path(__file__).resolve().parent.parent / "rag" / "answering" / "span_weights.json"
# chosen by article-level cross-validation (``cross_validate``)
REGULARISATION = 1.0  # inverse L2 strength
MIN_TARGET_F1 = 0.5


@dataclass
class SpanExample:
    """One question's candidate spans (features and texts) and its gold answers."""

    qid: str
    group: str  # the article (for cross-validation by article)
    lang: str
    gold: list[str]
    texts: list[str]
    features: list[dict[str, float]]


def collect(
    pipeline: Pipeline,
    questions: Sequence[tuple[str, str, str, list[str]]],
    top_k: int = 5,
    on_item: Callable[[], None] | None = None,
) -> list[SpanExample]:
    """Candidate spans for ``(qid, group, question, gold answers)`` items, asked of the
    pipeline's current index with its extractive answerer."""
    from rag.answering.extractive import ExtractiveAnswerer

    answerer = pipeline.answerer("extractive")
    assert isinstance(answerer, ExtractiveAnswerer)
    out = []
    for qid, group, question, gold in questions:
        query, passages = pipeline.retrieve_passages(question, top_k)
        reading = answerer.read(query, passages)
        if reading is None:
            continue
        texts = [
            reading.sentences[sp.sentence_index].passage.document.text[sp.start : sp.end]
            for sp in reading.spans
        ]
        features = [sp.features for sp in reading.spans]
        out.append(SpanExample(qid, group, reading.info.lang, list(gold), texts, features))
        if on_item is not None:
            on_item()
    return out


def _labels(example: SpanExample) -> list[int]:
    golds = {normalize_answer(g) for g in example.gold}
    return [int(normalize_answer(t) in golds) for t in example.texts]


def _targets(example: SpanExample) -> list[float]:
    """How much each candidate should win: its F1 with the gold answer when that is at
    least ``MIN_TARGET_F1`` (near misses teach boundaries too), else 0."""
    out = []
    for text in example.texts:
        f1 = f1_score(text, example.gold)
        out.append(f1 if f1 >= MIN_TARGET_F1 else 0.0)
    return out


def fit(examples: Sequence[SpanExample], c: float = REGULARISATION) -> dict[str, float]:
    """Weights of a conditional-logit model (softmax over each question's candidates) fitted
    to put the candidates that match the gold answer first (cross-entropy with the
    ``_targets`` distribution), L2-regularised with strength ``1/c``. Questions without any
    matching candidate are skipped."""
    import numpy as np
    from scipy.optimize import minimize
    from sklearn.feature_extraction import DictVectorizer

    kept = [(ex, _targets(ex)) for ex in examples]
    kept = [(ex, y) for ex, y in kept if any(y)]
    if not kept:
        raise ValueError("no question has its gold answer among the candidate spans")
    vectorizer = DictVectorizer(sparse=True)
    x = vectorizer.fit_transform([f for ex, _ in kept for f in ex.features]).tocsr()
    y = np.array([t / sum(targets) for _, targets in kept for t in targets], dtype=float)
    bounds = np.cumsum([0] + [len(labels) for _, labels in kept])
    starts = bounds[:-1]
    group = np.repeat(np.arange(len(kept)), np.diff(bounds))
    n_q = len(kept)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = x @ w
        top = np.maximum.reduceat(s, starts)
        e = np.exp(s - top[group])
        z = np.add.reduceat(e, starts)
        log_p = s - top[group] - np.log(z)[group]
        value = -float(y @ log_p) + 0.5 / c * float(w @ w)
        p_all = e / z[group]
        grad = x.T @ (p_all - y) + w / c
        return float(value) / n_q, np.asarray(grad).ravel() / n_q

    result = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B",
                      options={"maxiter": 500})  # fmt: skip
    names = vectorizer.get_feature_names_out()
    return {str(n): round(float(v), 5) for n, v in zip(names, result.x, strict=True) if v}


def predict(example: SpanExample, weights: dict[str, float]) -> str:
    """The text of the best-scoring candidate ("" when there is none)."""
    best, best_score = "", float("-inf")
    for text, feats in zip(example.texts, example.features, strict=True):
        score = sum(weights.get(k, 0.0) * v for k, v in feats.items())
        if score > best_score:
            best, best_score = text, score
    return best


def score(examples: Sequence[SpanExample], weights: dict[str, float]) -> dict[str, float]:
    """Mean SQuAD F1 and EM of the best span (answer found or not)."""
    f1 = em = 0.0
    for ex in examples:
        guess = predict(ex, weights)
        f1 += f1_score(guess, ex.gold)
        em += float(any(normalize_answer(guess) == normalize_answer(g) for g in ex.gold))
    n = max(1, len(examples))
    return {"f1": round(f1 / n, 4), "em": round(em / n, 4), "n": len(examples)}


def cross_validate(
    examples: Sequence[SpanExample], folds: int = 4, c: float = REGULARISATION
) -> dict[str, float]:
    """F1/EM of weights fitted without the articles they are scored on."""
    groups = sorted({ex.group for ex in examples})
    f1 = em = 0.0
    for k in range(folds):
        held = {g for i, g in enumerate(groups) if i % folds == k}
        train = [ex for ex in examples if ex.group not in held]
        test = [ex for ex in examples if ex.group in held]
        if not test or not train:
            continue
        try:
            weights = fit(train, c)
        except ValueError:  # no training question has its answer among the candidates
            continue
        result = score(test, weights)
        f1 += result["f1"] * len(test)
        em += result["em"] * len(test)
    n = max(1, len(examples))
    return {"f1": round(f1 / n, 4), "em": round(em / n, 4), "n": len(examples), "folds": folds}


def write_weights(
    weights: dict[str, float], sources: dict[str, Any], path: Path | None = None
) -> Path:
    path = path or WEIGHTS_PATH
    payload = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "method": "conditional logit over candidate-span features (eval/span_training.py)",
        "sources": sources,
        "weights": dict(sorted(weights.items())),
    }
    write_text_atomic(path, json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
    return path
