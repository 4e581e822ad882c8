"""What the LLM answerer did, beyond the final answer: how often its own text was right,
how often the grounding check accepted it, the check's two kinds of mistakes, and whether
the reply came in the asker's language (issue 16)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eval.metrics import mean_or_none


@dataclass(frozen=True)
class LlmOutcome:
    """One answerable question answered through an LLM backend."""

    grounded: bool  # the grounding check accepted the LLM's own text
    llm_correct: bool  # the LLM's own text holds the gold answer (accepted or not)
    question_lang: str  # "vi", "vi-noaccent" or "en"
    reply_lang: str  # the language detected in the final answer's text


def _family(lang: str) -> str:
    return "vi" if lang.startswith("vi") else lang


def llm_metrics(outcomes: Sequence[LlmOutcome]) -> dict[str, float | int | None]:
    """``llm_accuracy`` (own text right), ``llm_accepted`` (passed the check),
    ``llm_false_rejection`` (right but rejected, over the right ones), ``llm_wrong_accepted``
    (accepted but wrong, over the accepted ones), ``reply_in_question_language``; None for
    an empty group."""
    right = [o for o in outcomes if o.llm_correct]
    accepted = [o for o in outcomes if o.grounded]
    return {
        "n_llm": len(outcomes),
        "llm_accuracy": mean_or_none(o.llm_correct for o in outcomes),
        "llm_accepted": mean_or_none(o.grounded for o in outcomes),
        "llm_false_rejection": mean_or_none(not o.grounded for o in right),
        "llm_wrong_accepted": mean_or_none(not o.llm_correct for o in accepted),
        "reply_in_question_language": mean_or_none(
            _family(o.reply_lang) == _family(o.question_lang) for o in outcomes
        ),
    }


def llm_metrics_of(answerable: Iterable[Any]) -> dict[str, float | int | None]:
    """``llm_metrics`` over the answerable questions whose LLM answer was checked (records
    with ``grounded``, ``llm_correct``, ``lang`` and ``reply_lang``); empty without any."""
    checked = [r for r in answerable if r.grounded is not None and r.llm_correct is not None]
    if not checked:
        return {}
    return llm_metrics(
        [LlmOutcome(bool(r.grounded), bool(r.llm_correct), r.lang, r.reply_lang) for r in checked]
    )
