"""The short answer: the span of a supporting sentence that the question word stands for.

Every run of one to ``MAX_WORDS`` words of a candidate sentence that does not cross
punctuation is a candidate. Each gets general features, none of them a word list of any
corpus:
- where the question's words are around it: those the question has before its question word
  just left of the span, those after it just right of it (Vietnamese puts the question word
  where the answer stands), question words anywhere near it, and how much of the span
  repeats the question (an answer rarely does);
- what it is: its part-of-speech tags at both ends and just outside it, whether it holds a
  number, a date, a year, a proper name, and its length, each crossed with what the question
  asks for (who, when, where, how many, why, how, what);
- how good its sentence is (the sentence ranking's features).

A linear model scores the features; its weights are learned from questions with gold answer
spans (``rag eval --calibrate``: the seed gold dev split and the external SQuAD-format dev
set) and stored in ``span_weights.json`` with the data they came from.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources

from rag.answering.wh import WhInfo
from rag.answering.words import Word
from rag.textnorm import fold

MAX_WORDS = 8
WEIGHTS_FILE = "span_weights.json"
_WINDOW = 3
_BREAK = frozenset(',;:.!?()[]{}"“”«»…|–—')
_DATE = re.compile(
    r"\b\d{1,2}\s*[/.-]\s*\d{1,2}(?:\s*[/.-]\s*\d{2,4})?\b|\bngày\s+\d{1,2}\b|\btháng\s+\d{1,2}\b"
    r"|\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:1[0-9]|20)\d{2}\b")
_TAGS = frozenset("N Np Nc Nu Ny Nb V Vb A P R L M E C Cc I T Y X Z CH".split())


Features = dict[str, float]


@dataclass
class SpanCandidate:
    words: list[Word]
    sentence_index: int
    features: Features = field(default_factory=dict)
    score: float = 0.0

    @property
    def start(self) -> int:
        return self.words[0].start

    @property
    def end(self) -> int:
        return self.words[-1].end


def _tag(word: Word | None) -> str:
    if word is None:
        return "EDGE"
    if word.is_punct:
        return "CH"
    return word.tag if word.tag in _TAGS else "X"


def _syllables(word: Word) -> list[str]:
    return word.folded.split()


Terms = dict[str, float]
"""Folded question syllables and their weights (rarer syllables weigh more, at most 1)."""


def _match(word: Word, terms: Terms) -> float:
    """Weighted share of ``word``'s syllables that are question terms."""
    sylls = _syllables(word)
    return sum(terms.get(s, 0.0) for s in sylls) / len(sylls) if sylls else 0.0


def _window(words: list[Word], start: int, step: int, terms: Terms) -> float:
    """Question terms among the ``_WINDOW`` words next to a span, nearer ones weigh more."""
    total = 0.0
    i = start
    for k in range(1, _WINDOW + 1):
        if not 0 <= i < len(words):
            break
        total += _match(words[i], terms) / k
        i += step
    return total


def _share(words: list[Word], terms: Terms) -> float:
    """How much of the weight of ``terms`` the words hold."""
    total = sum(terms.values())
    if not total:
        return 0.0
    found = {s for w in words for s in _syllables(w)}
    return sum(v for t, v in terms.items() if t in found) / total


def _kind(text: str, words: list[Word]) -> dict[str, bool]:
    tags = [w.tag for w in words]
    return {
        "num": any(ch.isdigit() for ch in text) or "M" in tags,
        "date": bool(_DATE.search(text)),
        "year": bool(_YEAR.search(text)),
        "name": "Np" in tags,
        "cap": all(w.text[:1].isupper() for w in words if not w.is_punct),
        "verb": "V" in tags,
    }


class SpanScorer:
    """Scores candidate spans with a linear model over named features."""

    def __init__(self, weights: dict[str, float] | None = None) -> None:
        self.weights = weights if weights is not None else load_span_weights()

    def score(self, features: Features) -> float:
        w = self.weights
        return sum(w.get(name, 0.0) * value for name, value in features.items())


def load_span_weights() -> dict[str, float]:
    try:
        text = resources.files("rag.answering").joinpath(WEIGHTS_FILE).read_text("utf-8")
    except (FileNotFoundError, OSError):
        return dict(DEFAULT_WEIGHTS)
    data = json.loads(text)
    weights = data.get("weights", data)
    return {str(k): float(v) for k, v in weights.items()}


# Used only until ``rag eval --calibrate`` has written learned weights: a span next to the
# question's words, of the asked kind, that does not repeat the question.
DEFAULT_WEIGHTS: dict[str, float] = {
    "left_before": 1.0,
    "right_after": 1.0,
    "near_any": 0.5,
    "overlap": -3.0,
    "len_log": -0.5,
    "number*num": 2.0,
    "when*date": 2.0,
    "when*year": 1.5,
    "who*name": 2.0,
    "where*name": 1.5,
}


def span_candidates(
    sentences: Iterable[tuple[int, list[Word], Features, list[float] | None]],
    wh: WhInfo,
    question_terms: Terms,
) -> list[SpanCandidate]:
    """Every candidate span of the given sentences (index, words, sentence features), with
    its features."""
    out: list[SpanCandidate] = []
    before = {t: question_terms.get(t, 0.0) for t in wh.before}
    after = {t: question_terms.get(t, 0.0) for t in wh.after}
    for index, words, sent_features, soft in sentences:
        positions = [i for i, w in enumerate(words) if _match(w, question_terms) > 0]
        for i in range(len(words)):
            if words[i].is_punct:
                continue
            for j in range(i + 1, min(len(words), i + MAX_WORDS) + 1):
                last = words[j - 1]
                if last.is_punct and last.text in _BREAK:
                    break
                if last.is_punct:
                    continue
                span = words[i:j]
                out.append(
                    SpanCandidate(span, index, _features(words, i, j, span, positions, wh,
                                                         question_terms, before, after,
                                                         sent_features, soft))
                )  # fmt: skip
    return out


def _features(
    words: list[Word],
    i: int,
    j: int,
    span: list[Word],
    positions: list[int],
    wh: WhInfo,
    terms: Terms,
    before: Terms,
    after: Terms,
    sent_features: Features,
    soft: list[float] | None,
) -> Features:
    cls = wh.cls
    text = " ".join(w.text for w in span)
    sylls = [s for w in span for s in _syllables(w)]
    overlap = sum(s in terms for s in sylls) / max(1, len(sylls))
    if positions:
        dist = min(i - p if p < i else p - (j - 1) if p >= j else 0 for p in positions)
    else:
        dist = 99
    f: Features = {
        "bias": 1.0,
        "overlap": overlap,
        "overlap_all": float(overlap == 1.0),
        "len_log": math.log(len(sylls)),
        f"len={min(len(span), 6)}": 1.0,
        f"{cls}*len={min(len(span), 4)}": 1.0,
        "near_any": _window(words, i - 1, -1, terms) + _window(words, j, 1, terms),
        "dist_log": math.log1p(max(0, dist)),
        "no_match": float(not positions),
        f"first={_tag(span[0])}": 1.0,
        f"last={_tag(span[-1])}": 1.0,
        f"prev={_tag(words[i - 1] if i else None)}": 1.0,
        f"next={_tag(words[j] if j < len(words) else None)}": 1.0,
        f"{cls}*first={_tag(span[0])}": 1.0,
        f"{cls}*prev={_tag(words[i - 1] if i else None)}": 1.0,
    }
    if wh.in_situ:
        left, right = words[:i], words[j:]
        f["side_before"] = _share(left, before) - _share(right, before)
        f["side_after"] = _share(right, after) - _share(left, after)
        f["left_before"] = _window(words, i - 1, -1, before)
        f["right_after"] = _window(words, j, 1, after)
        f["left_after"] = _window(words, i - 1, -1, after)
        f["right_before"] = _window(words, j, 1, before)
    if wh.head:
        head_in = any(wh.head in _syllables(w) for w in span[:2])
        head_prev = i > 0 and wh.head in _syllables(words[i - 1])
        head_next = j < len(words) and wh.head in _syllables(words[j])
        f[f"{cls}*head_in"] = float(head_in)
        f[f"{cls}*head_prev"] = float(head_prev)
        f[f"{cls}*head_next"] = float(head_next)
    for kind, present in _kind(text, span).items():
        if present:
            f[f"{cls}*{kind}"] = 1.0
            f[kind] = 1.0
    for name, value in sent_features.items():
        f[f"sent_{name}"] = value
    if soft is not None:
        _soft_features(f, soft, i, j, wh)
    return f


def _soft_window(soft: list[float], start: int, step: int) -> float:
    total = 0.0
    i = start
    for k in range(1, _WINDOW + 1):
        if not 0 <= i < len(soft):
            break
        total += soft[i] / k
        i += step
    return total


def _soft_features(f: Features, soft: list[float], i: int, j: int, wh: WhInfo) -> None:
    """Features from how well each word aligns with a question word by meaning (any
    language): the encoder's token vectors, not spelling."""
    inside = soft[i:j]
    left = _soft_window(soft, i - 1, -1)
    right = _soft_window(soft, j, 1)
    strong = [k for k, v in enumerate(soft) if v >= 0.5]
    dist = min((i - k if k < i else k - j + 1 if k >= j else 0) for k in strong) if strong else 9
    f["soft_in"] = sum(inside) / len(inside)
    f["soft_in_max"] = max(inside)
    f["soft_near"] = left + right
    f["soft_dist_log"] = math.log1p(max(0, dist))
    f[f"{wh.form}*{wh.cls}*soft_left"] = left
    f[f"{wh.form}*{wh.cls}*soft_right"] = right
    total = sum(soft) or 1.0
    f[f"{wh.form}*soft_side"] = (sum(soft[:i]) - sum(soft[j:])) / total


def fold_terms(text: str) -> frozenset[str]:
    """The folded syllables of ``text``."""
    return frozenset(re.findall(r"\w+", fold(text)))
