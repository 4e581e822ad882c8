"""Learn when the extractive answerer should abstain.

For each question the answerer reads the retrieved passages (``ExtractiveAnswerer.read``) and
reports its evidence (``ExtractiveAnswerer.evidence``: span score, cosines, term coverage by
spelling and by meaning, terms the documents never contain…). A logistic regression
(scikit-learn) tells answerable questions from unanswerable ones by that evidence; its
log-odds is the answer's ``confidence``. Per-language thresholds on it keep false abstention
within a limit in every data set while abstaining on as many unanswerable questions as
possible.

Unanswerable examples come from the gold set (questions the seed articles do not answer) and
from the SQuAD-format dev set with whole articles left out of the index: their questions are
about documents the index does not hold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

REGULARISATION = 1.0


@dataclass
class EvidenceExample:
    qid: str
    source: str  # which data set the question came from
    lang: str  # the language the answerer detects (the key of its thresholds)
    answerable: bool
    features: dict[str, float]


def collect(
    pipeline: Pipeline,
    questions: Sequence[tuple[str, str, bool]],
    source: str,
    top_k: int = 5,
    on_item: Callable[[], None] | None = None,
) -> list[EvidenceExample]:
    """The answerer's evidence for ``(qid, question, answerable)`` items over the pipeline's
    current index."""
    from rag.answering.extractive import ExtractiveAnswerer

    answerer = pipeline.answerer("extractive")
    assert isinstance(answerer, ExtractiveAnswerer)
    out = []
    for qid, question, answerable in questions:
        query, passages = pipeline.retrieve_passages(question, top_k)
        reading = answerer.read(query, passages)
        if reading is not None:
            features = answerer.evidence(reading)
            out.append(EvidenceExample(qid, source, reading.info.lang, answerable, features))
        if on_item is not None:
            on_item()
    return out


def _family(source: str) -> str:
    """The data set a source belongs to ("squad-fold1" → "squad")."""
    return source.split("-fold")[0]


def balance(examples: Sequence[EvidenceExample]) -> list[float]:
    """Sample weights under which each data set and, within it, each class weighs the same
    (so a small gold set counts as much as a large SQuAD set); they sum to the count."""
    from collections import Counter

    cells = Counter((_family(ex.source), ex.answerable) for ex in examples)
    return [len(examples) / (len(cells) * cells[(_family(ex.source), ex.answerable)])
            for ex in examples]  # fmt: skip


def fit(examples: Sequence[EvidenceExample], c: float = REGULARISATION) -> dict[str, float]:
    """Logistic-regression weights (answerable = 1), examples weighed by ``balance``."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    if len({ex.answerable for ex in examples}) < 2:
        raise ValueError("abstention needs answerable and unanswerable examples")
    vectorizer = DictVectorizer(sparse=False)
    x = vectorizer.fit_transform([ex.features for ex in examples])
    y = [int(ex.answerable) for ex in examples]
    weights = balance(examples)
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(x, y, sample_weight=weights)
    names = vectorizer.get_feature_names_out()
    learned = {str(n): round(float(w), 5) for n, w in zip(names, model.coef_[0], strict=True)}
    learned["bias"] = round(learned.get("bias", 0.0) + float(model.intercept_[0]), 5)
    return learned


def language_terms(examples: Sequence[EvidenceExample], lang: str) -> list[str]:
    """The weights that only ``lang``'s questions use: its ``lang=`` intercept and its
    interaction terms (``vi-noaccent*coverage``…), as the examples' evidence names them."""
    own = {k for ex in examples for k in ex.features if k.startswith(f"{lang}*")}
    return [f"lang={lang}", *sorted(own)]


def fit_language(
    examples: Sequence[EvidenceExample],
    weights: dict[str, float],
    lang: str,
    c: float = REGULARISATION,
    steps: int = 50,
) -> dict[str, float]:
    """``weights`` with only ``lang``'s own terms (``language_terms``) fitted again on that
    language's examples, every other weight held fixed (a logistic regression with the rest
    of the model as an offset; Newton steps; the same ``balance`` and L2 as ``fit``, the
    intercept not penalised; scikit-learn's LogisticRegression takes no offset). For a
    language whose own evidence grew, without touching what the other languages rely on."""
    import numpy as np

    mine = [ex for ex in examples if ex.lang == lang]
    if len({ex.answerable for ex in mine}) < 2:
        raise ValueError(f"{lang}: needs answerable and unanswerable examples")
    terms = language_terms(mine, lang)
    own = set(terms)
    sample = np.array(balance(mine))
    x = np.array([[ex.features.get(t, 0.0) for t in terms] for ex in mine])
    offset = np.array(
        [sum(weights.get(k, 0.0) * v for k, v in ex.features.items() if k not in own)
         for ex in mine]
    )  # fmt: skip
    y = np.array([float(ex.answerable) for ex in mine])
    penalty = np.full(len(terms), 1.0 / c)
    penalty[0] = 1e-6  # the intercept (a tiny ridge keeps the Newton step defined)
    b = np.array([weights.get(t, 0.0) for t in terms])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(offset + x @ b)))
        gradient = x.T @ (sample * (p - y)) + penalty * b
        hessian = (x * (sample * p * (1.0 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        b -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return {**weights, **{t: round(float(v), 5) for t, v in zip(terms, b, strict=True)}}


def confidence(features: dict[str, float], weights: dict[str, float]) -> float:
    return sum(weights.get(k, 0.0) * v for k, v in features.items())


def thresholds(
    examples: Sequence[EvidenceExample],
    weights: dict[str, float],
    max_false_abstention: dict[str, float],
) -> dict[str, dict[str, float | int | None]]:
    """Per language: the threshold with the highest mean abstention over the data sets that
    keeps false abstention within the language's limit in *every* data set (so a threshold
    good for SQuAD topic shifts must also hold on the gold set, and the reverse)."""
    from eval.calibrate import choose_threshold_sets
    from eval.metrics.abstention import rates_at

    out: dict[str, dict[str, float | int | None]] = {}
    for lang in sorted({ex.lang for ex in examples}):
        by_set: dict[str, tuple[list[float], list[float]]] = {}
        for ex in examples:
            if ex.lang == lang:
                ans, unans = by_set.setdefault(_family(ex.source), ([], []))
                (ans if ex.answerable else unans).append(confidence(ex.features, weights))
        if not any(unans for _, unans in by_set.values()):
            continue
        point = choose_threshold_sets(list(by_set.values()), max_false_abstention.get(lang, 0.05))
        t = point.threshold
        out[lang] = {
            "threshold": round(t, 5),
            "abstain_rate": point.abstain_rate,
            "false_abstention": point.false_abstention,
            "n_answerable": sum(len(ans) for ans, _ in by_set.values()),
            "n_unanswerable": sum(len(unans) for _, unans in by_set.values()),
            **{f"{name}_abstain_rate": rates_at(t, *v).abstain_rate for name, v in by_set.items()},
            **{f"{name}_false_abstention": rates_at(t, *v).false_abstention
               for name, v in by_set.items()},
        }  # fmt: skip
    return out
