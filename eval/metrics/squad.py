"""SQuAD-style answer-span metrics (exact match, token F1, containment), made for Vietnamese.

Normalisation (``normalize_answer``): ``rag.textnorm.normalize_text`` (Unicode NFC plus the
one tone-mark convention the index stores, "hoà" → "hòa", so a span copied from the cleaned
document compares equal to the same span in the raw gold text), lowercase, every character of
a Unicode punctuation category (P*) removed, whitespace split into tokens. Diacritics are
kept: "Hà Nội" and "Ha Noi" are different answers. Unlike the English SQuAD script, no
articles are dropped (Vietnamese has none to drop).

Scores are the maximum over the gold answers of a question, as in the SQuAD v1.1 script.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from rag.textnorm import normalize_text


@lru_cache(maxsize=8192)
def _is_punctuation(ch: str) -> bool:
    """A Unicode punctuation category: Pc, Pd, Ps, Pe, Pi, Pf or Po."""
    return unicodedata.category(ch).startswith("P")


def normalize_answer(text: str) -> str:
    """NFC + tone placement, lowercase, punctuation removed, single spaces."""
    text = "".join(ch for ch in normalize_text(text).lower() if not _is_punctuation(ch))
    return " ".join(text.split())


def answer_tokens(text: str) -> list[str]:
    return normalize_answer(text).split()


def exact_match(prediction: str | None, golds: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals a normalised gold answer (None → 0.0)."""
    if prediction is None:
        return 0.0
    got = normalize_answer(prediction)
    return float(any(got == normalize_answer(g) for g in golds))


def _f1(pred: Sequence[str], gold: Sequence[str]) -> float:
    common = Counter(pred) & Counter(gold)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(pred)
    recall = overlap / len(gold)
    return 2 * precision * recall / (precision + recall)


def f1_score(prediction: str | None, golds: Sequence[str]) -> float:
    """Best bag-of-tokens F1 of the prediction against any gold answer (None → 0.0)."""
    if prediction is None:
        return 0.0
    pred = answer_tokens(prediction)
    return max((_f1(pred, answer_tokens(g)) for g in golds), default=0.0)


def contains_answer(text: str | None, golds: Sequence[str]) -> bool:
    """A normalised gold answer occurs in the normalised ``text`` as whole tokens
    (so the gold "9" is not found in "2019")."""
    if not text:
        return False
    haystack = f" {normalize_answer(text)} "
    return any(
        needle and f" {needle} " in haystack for needle in (normalize_answer(g) for g in golds)
    )


def squad_scores(prediction: str | None, golds: Sequence[str]) -> dict[str, float]:
    """``{"exact_match", "f1"}`` of one prediction (None: no span predicted)."""
    return {"exact_match": exact_match(prediction, golds), "f1": f1_score(prediction, golds)}
