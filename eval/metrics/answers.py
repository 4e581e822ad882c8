"""Answer metrics: accuracy, token F1, exact match (numbers/dates) and citation quality.

Matching rules:
- Texts are compared after ``rag.textnorm.fold`` (NFC, tone placement, lowercase, no
  diacritics, single spaces), with the answer's ``[n]`` citation markers removed.
- "Contained" means contained as whole tokens: a match may not start or end inside a word
  or number, so the gold "9" is not found in "2019" and "4" is not found in "14/12".
- Compound answers (lists, two-passage answers) are also correct when every part is contained;
  parts are split on ";", "," (not a decimal comma) and " và ".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from rag.answering import figures
from rag.textnorm import fold, normalize_text, syllables

_CITATION_RE = re.compile(r"\s*\[(\d+)\]")
_PART_SPLIT_RE = re.compile(r"\s*;\s*|\s*,(?!\d)\s*|\s+và\s+", re.IGNORECASE)


def strip_citations(text: str) -> str:
    """The answer without its ``[n]`` markers."""
    return _CITATION_RE.sub("", text).strip()


def cited_numbers(text: str) -> set[int]:
    """The ``n`` of every ``[n]`` marker in the answer."""
    return {int(n) for n in _CITATION_RE.findall(text)}


def contains_token_span(haystack: str, needle: str) -> bool:
    """``needle`` occurs in ``haystack`` without cutting a word or number at either end."""
    if not needle:
        return False
    head = r"(?<!\w)" if needle[0].isalnum() else ""
    tail = r"(?!\w)" if needle[-1].isalnum() else ""
    return re.search(head + re.escape(needle) + tail, haystack) is not None


def answer_parts(answer: str) -> list[str]:
    """Split a compound answer into its parts ("A, B và C" → A, B, C)."""
    return [p.strip() for p in _PART_SPLIT_RE.split(normalize_text(answer)) if p.strip()]


def same_figures(answer: str, gold: str) -> bool:
    """``gold`` has figures (numbers, dates) and ``answer`` states every one of them, in any
    form ``rag.answering.figures`` reads as equal ("151 million" for "151 triệu",
    "December 19, 2023" for "19/12/2023"; "more than 80" for "hơn 80", not for "80"; "six"
    for "sáu": the gold's small counts in words are read, and an answer's English ones)."""
    wanted = figures.extract(gold, count_words=True)
    if not wanted:
        return False
    stated = figures.claimed(strip_citations(answer))
    return all(figures.supported(f, stated) for f in wanted)


def is_correct(
    answer: str, expected: Sequence[str], *, compound: bool = False, figure_forms: bool = False
) -> bool:
    """A gold answer or alias is contained in the answer (every part of it, if compound);
    with ``figure_forms`` (number and date questions) also when the answer states the gold's
    figures in another form or language (``same_figures``)."""
    got = fold(strip_citations(answer))
    for gold in expected:
        if contains_token_span(got, fold(gold)):
            return True
        if figure_forms and same_figures(answer, gold):
            return True
        if compound:
            parts = [fold(p) for p in answer_parts(gold)]
            if len(parts) > 1 and all(contains_token_span(got, p) for p in parts):
                return True
    return False


def _folded_tokens(text: str) -> Counter[str]:
    return Counter(fold(s) for s in syllables(text))


def token_f1(answer: str, expected: Sequence[str]) -> float:
    """Best F1 over the gold answer and aliases, on folded syllables (bag of tokens)."""
    got = _folded_tokens(strip_citations(answer))
    best = 0.0
    for gold in expected:
        want = _folded_tokens(gold)
        overlap = sum((got & want).values())
        if overlap == 0:
            continue
        precision = overlap / sum(got.values())
        recall = overlap / sum(want.values())
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def _exact_form(text: str) -> str:
    return " ".join(normalize_text(text).casefold().split())


def exact_match(answer: str, gold: str) -> bool:
    """The gold number/date string itself is in the answer: as whole tokens, diacritics kept,
    no aliases ("4" does not match the gold "bốn"; "14/12" does not match "14/12/2021")."""
    return contains_token_span(_exact_form(strip_citations(answer)), _exact_form(gold))


def citation_scores(
    answer: str, citations: Iterable[tuple[int, str]], evidence: Sequence[str]
) -> tuple[float | None, float | None]:
    """(precision, recall) of the passages the answer cites with ``[n]``.

    ``citations`` are (n, passage text) pairs. Precision: cited passages containing an
    evidence string / cited passages (None when nothing is cited). Recall: evidence strings
    contained in a cited passage / evidence strings (None without evidence).
    """
    wanted = cited_numbers(answer)
    cited = [fold(text) for n, text in citations if n in wanted]
    needles = [fold(e) for e in evidence]
    precision = None
    if cited:
        precision = sum(any(e in c for e in needles) for c in cited) / len(cited)
    recall = None
    if needles:
        recall = sum(any(e in c for c in cited) for e in needles) / len(needles)
    return precision, recall
