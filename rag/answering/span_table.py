"""The span scorer's score of every candidate span at once, without a feature dict per span.

``spans.span_candidates`` builds each candidate's named features (~40 per span, several
hundred spans per question) and ``SpanScorer.score`` sums weight × value over them: most of
the answerer's time. Here every feature is a function of the span's first word ``i``, its
end ``j`` or its length, so each is computed once per word or once per end position and
gathered into numpy arrays over the spans; each weighted feature is added in the order of
``spans._features``'s dict, so every score is the very float ``SpanScorer.score`` gives
(IEEE addition and multiplication elementwise, logarithms of integer counts from
``math``). Only the best span gets its feature dict (the abstention evidence reads it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.answering.spans import (
    _BREAK,
    _DATE,
    _WINDOW,
    _YEAR,
    MAX_WORDS,
    Features,
    SpanCandidate,
    Terms,
    _features,
    _tag,
)
from rag.answering.wh import WhInfo
from rag.answering.words import Word

Sentence = tuple[int, list[Word], Features, list[float] | None]
"""(index, words, sentence features, soft match per word or None), as ``span_candidates``."""

_KINDS = ("num", "date", "year", "name", "cap", "verb")
_MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)


@dataclass
class SpanScores:
    """Every candidate span of some sentences, as (sentence position, first word, end)."""

    sentences: Sequence[Sentence]
    where: list[tuple[int, int, int]]
    scores: np.ndarray

    def best(self, wh: WhInfo, terms: Terms) -> SpanCandidate | None:
        """The best-scoring span (the first of equals, as a stable sort gives) with its
        features."""
        if not self.where:
            return None
        k = int(np.argmax(self.scores))
        pos, i, j = self.where[k]
        index, words, sent_features, soft = self.sentences[pos]
        positions = [p for p, w in enumerate(words) if _match_value(w, terms) > 0]
        before = {t: terms.get(t, 0.0) for t in wh.before}
        after = {t: terms.get(t, 0.0) for t in wh.after}
        span = words[i:j]
        features = _features(words, i, j, span, positions, wh, terms, before, after,
                             sent_features, soft)  # fmt: skip
        return SpanCandidate(span, index, features, float(self.scores[k]))


def score_spans(
    sentences: Sequence[Sentence], wh: WhInfo, terms: Terms, weights: dict[str, float]
) -> SpanScores:
    """The scores ``SpanScorer(weights).score`` gives the features of every span of
    ``span_candidates(sentences, wh, terms)``, in the same order."""
    where: list[tuple[int, int, int]] = []
    parts: list[np.ndarray] = []
    for pos, (_, words, sent_features, soft) in enumerate(sentences):
        starts, ends = _spans(words)
        if not starts:
            continue
        where.extend((pos, i, j) for i, j in zip(starts, ends, strict=True))
        parts.append(_sentence_scores(words, starts, ends, sent_features, soft, wh, terms,
                                      weights))  # fmt: skip
    scores = np.concatenate(parts) if parts else np.zeros(0)
    return SpanScores(sentences, where, scores)


def _spans(words: list[Word]) -> tuple[list[int], list[int]]:
    """(first word, end) of every candidate span, in ``span_candidates``'s order."""
    punct = [w.is_punct for w in words]
    breaks = [p and w.text in _BREAK for p, w in zip(punct, words, strict=True)]
    n = len(words)
    starts: list[int] = []
    ends: list[int] = []
    for i in range(n):
        if punct[i]:
            continue
        for j in range(i + 1, min(n, i + MAX_WORDS) + 1):
            if breaks[j - 1]:
                break
            if punct[j - 1]:
                continue
            starts.append(i)
            ends.append(j)
    return starts, ends


def _match_value(word: Word, terms: Terms) -> float:
    sylls = word.folded.split()
    return sum(terms.get(s, 0.0) for s in sylls) / len(sylls) if sylls else 0.0


def _windows(values: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """For every first word i, the nearness-weighted sum of ``values`` of the ``_WINDOW``
    words left of it; for every end j, that of the words from j on (``spans._window``: the
    same terms added in the same order; a word past either end adds 0.0, which leaves the
    nonnegative sum as it is)."""
    n = len(values)
    pad = np.zeros(n + 2 * _WINDOW)
    pad[_WINDOW : _WINDOW + n] = values
    at = np.arange(n + 1) + _WINDOW
    left = np.zeros(n + 1)
    right = np.zeros(n + 1)
    for k in range(1, _WINDOW + 1):
        left = left + pad[at - k] / k
        right = right + pad[at + k - 1] / k
    return left, right


def _shares(sylls: list[list[str]], terms: Terms) -> tuple[list[float], list[float]]:
    """``spans._share`` of the words before every i and of the words from every j on."""
    total = sum(terms.values())
    n = len(sylls)
    if not total:
        return [0.0] * (n + 1), [0.0] * (n + 1)

    def share(found: set[str]) -> float:
        return sum(v for t, v in terms.items() if t in found) / total

    left: list[float] = []
    found: set[str] = set()
    for i in range(n + 1):
        left.append(share(found))
        if i < n:
            found.update(sylls[i])
    right: list[float] = [0.0] * (n + 1)
    found = set()
    for j in range(n, -1, -1):
        if j < n:
            found.update(sylls[j])
        right[j] = share(found)
    return left, right


def _nearest(marked: list[int], first: np.ndarray, end: np.ndarray, default: int) -> np.ndarray:
    """Distance in words from each span to the nearest marked word (0 inside it)."""
    if not marked:
        return np.full(len(first), default, np.int64)
    p = np.asarray(marked, np.int64)[None, :]
    i, j = first[:, None], end[:, None]
    dist = np.where(p < i, i - p, np.where(p >= j, p - (j - 1), 0))
    return np.maximum(0, dist.min(axis=1))


def _prefix(values: list[int]) -> np.ndarray:
    """``out[k]`` = the sum of ``values[:k]`` (integers: exact)."""
    return np.concatenate(([0], np.cumsum(np.asarray(values, np.int64))))


def _log_table(n: int, func: Callable[[float], float], start: int) -> np.ndarray:
    return np.array([func(k) if k >= start else 0.0 for k in range(n + 1)])


def _sentence_scores(
    words: list[Word],
    starts: list[int],
    ends: list[int],
    sent_features: Features,
    soft: list[float] | None,
    wh: WhInfo,
    terms: Terms,
    weights: dict[str, float],
) -> np.ndarray:
    w = weights.get
    cls = wh.cls
    n = len(words)
    first = np.asarray(starts, np.int64)
    end = np.asarray(ends, np.int64)
    length = end - first
    score = np.zeros(len(starts))

    def add(name: str, value: np.ndarray | float) -> None:
        nonlocal score
        weight = w(name, 0.0)
        if weight:
            score = score + weight * value

    def add_weights(values: list[float], index: np.ndarray) -> None:
        """A one-hot feature per span: the weight of its name, ``values[index]``."""
        nonlocal score
        score = score + np.asarray(values)[index]

    sylls = [word.folded.split() for word in words]
    counts = _prefix([len(s) for s in sylls])
    hits = _prefix([sum(x in terms for x in s) for s in sylls])
    span_sylls = counts[end] - counts[first]
    overlap = (hits[end] - hits[first]) / np.maximum(1, span_sylls)
    match = [_match_value(word, terms) for word in words]
    positions = [p for p, m in enumerate(match) if m > 0]
    left_terms, right_terms = _windows(match)
    tags = [_tag(word) for word in words]
    prev_tags = ["EDGE", *tags[:-1]]
    next_tags = [*tags, "EDGE"]
    log = _log_table(int(span_sylls.max()), math.log, 1)

    add("bias", 1.0)
    add("overlap", overlap)
    add("overlap_all", (overlap == 1.0).astype(np.float64))
    add("len_log", log[span_sylls])
    add_weights([w(f"len={min(k, 6)}", 0.0) for k in range(MAX_WORDS + 1)], length)
    add_weights([w(f"{cls}*len={min(k, 4)}", 0.0) for k in range(MAX_WORDS + 1)], length)
    add("near_any", left_terms[first] + right_terms[end])
    dist = _nearest(positions, first, end, 99)
    add("dist_log", _log_table(int(dist.max()), math.log1p, 0)[dist])
    add("no_match", float(not positions))
    add_weights([w(f"first={t}", 0.0) for t in tags], first)
    add_weights([w(f"last={t}", 0.0) for t in tags], end - 1)
    add_weights([w(f"prev={t}", 0.0) for t in prev_tags], first)
    add_weights([w(f"next={t}", 0.0) for t in next_tags], end)
    add_weights([w(f"{cls}*first={t}", 0.0) for t in tags], first)
    add_weights([w(f"{cls}*prev={t}", 0.0) for t in prev_tags], first)
    if wh.in_situ:
        before = {t: terms.get(t, 0.0) for t in wh.before}
        after = {t: terms.get(t, 0.0) for t in wh.after}
        left_b, right_b = (np.asarray(x) for x in _shares(sylls, before))
        left_a, right_a = (np.asarray(x) for x in _shares(sylls, after))
        win_b = _windows([_match_value(x, before) for x in words])
        win_a = _windows([_match_value(x, after) for x in words])
        add("side_before", left_b[first] - right_b[end])
        add("side_after", right_a[end] - left_a[first])
        add("left_before", win_b[0][first])
        add("right_after", win_a[1][end])
        add("left_after", win_a[0][first])
        add("right_before", win_b[1][end])
    if wh.head:
        head = np.asarray([wh.head in s for s in sylls] + [False])
        second = np.where(length >= 2, first + 1, n)  # ``span[:2]``
        add(f"{cls}*head_in", (head[first] | head[second]).astype(np.float64))
        add(f"{cls}*head_prev", ((first > 0) & head[first - 1]).astype(np.float64))
        add(f"{cls}*head_next", head[end].astype(np.float64))
    for kind, present in zip(_KINDS, _kinds(words, first, end), strict=True):
        flags = present.astype(np.float64)
        add(f"{cls}*{kind}", flags)
        add(kind, flags)
    for name, value in sent_features.items():
        add(f"sent_{name}", value)
    if soft is not None:
        for name, values in _soft(soft, starts, ends, wh).items():
            add(name, values)
    return score


def _kinds(
    words: list[Word],
    first: np.ndarray,
    end: np.ndarray,
) -> list[np.ndarray]:
    """``spans._kind`` of every span, in ``_KINDS`` order. The date and year patterns need a
    digit (or, for dates, an English month name), so they run only on spans with one."""

    def any_of(flags: list[bool]) -> np.ndarray:
        counts = _prefix([int(f) for f in flags])
        return np.asarray((counts[end] - counts[first]) > 0)

    digit = [any(ch.isdigit() for ch in word.text) for word in words]
    month = [_has_month(word.text) for word in words]
    tags = [word.tag for word in words]
    num = any_of([d or t == "M" for d, t in zip(digit, tags, strict=True)])
    has_digit = any_of(digit)
    maybe_date = has_digit | any_of(month)
    date = np.zeros(len(first), bool)
    year = np.zeros(len(first), bool)
    for k in np.flatnonzero(maybe_date):
        text = " ".join(word.text for word in words[first[k] : end[k]])
        date[k] = bool(_DATE.search(text))
        year[k] = bool(has_digit[k] and _YEAR.search(text))
    name = any_of([t == "Np" for t in tags])
    cap = ~any_of([not (word.is_punct or word.text[:1].isupper()) for word in words])
    verb = any_of([t == "V" for t in tags])
    return [num, date, year, name, cap, verb]


def _has_month(text: str) -> bool:
    """Whether ``text`` holds an English month name anywhere (cheap over-approximation:
    the date pattern itself decides)."""
    lowered = text.lower()
    return any(m in lowered for m in _MONTHS)


def _soft(
    soft: list[float], starts: list[int], ends: list[int], wh: WhInfo
) -> dict[str, np.ndarray]:
    """``spans._soft_features`` of every span, as arrays in the same key order."""
    n = len(soft)
    first = np.asarray(starts, np.int64)
    end = np.asarray(ends, np.int64)
    length = end - first
    # ``sum(soft[i:j])`` word by word from i, as ``sum`` adds (0.0 past the span's end
    # leaves the nonnegative sum as it is), and the largest value in the span
    values = np.concatenate((np.asarray(soft, np.float64), np.zeros(MAX_WORDS)))
    inside_sum = np.zeros(len(starts))
    inside_max = np.full(len(starts), -math.inf)
    for k in range(MAX_WORDS):
        within = k < length
        word = values[first + k]
        inside_sum = inside_sum + np.where(within, word, 0.0)
        inside_max = np.where(within, np.maximum(inside_max, word), inside_max)
    lefts, rights = _windows(soft)
    left = lefts[first]
    right = rights[end]
    strong = [k for k, v in enumerate(soft) if v >= 0.5]
    dist = _nearest(strong, first, end, 9)
    total = sum(soft) or 1.0
    before = np.asarray([sum(soft[:i]) for i in range(n + 1)])
    after = np.asarray([sum(soft[j:]) for j in range(n + 1)])
    return {
        "soft_in": inside_sum / length,
        "soft_in_max": inside_max,
        "soft_near": left + right,
        "soft_dist_log": _log_table(int(dist.max()), math.log1p, 0)[dist],
        f"{wh.form}*{wh.cls}*soft_left": left,
        f"{wh.form}*{wh.cls}*soft_right": right,
        f"{wh.form}*soft_side": (before[first] - after[end]) / total,
    }
