"""The LLM answerer's own accuracy, the grounding check's acceptances and mistakes, and the
reply language, by hand and through the harness."""

from __future__ import annotations

import pytest

from eval.harness import aggregate
from eval.metrics.llm import LlmOutcome, llm_metrics


def test_llm_metrics_by_hand():
    outcomes = [
        LlmOutcome(grounded=True, llm_correct=True, question_lang="vi", reply_lang="vi"),
        LlmOutcome(grounded=True, llm_correct=False, question_lang="en", reply_lang="vi"),
        LlmOutcome(grounded=False, llm_correct=True, question_lang="en", reply_lang="en"),
        LlmOutcome(grounded=False, llm_correct=False, question_lang="vi-noaccent",
                   reply_lang="vi"),
    ]  # fmt: skip
    m = llm_metrics(outcomes)
    assert m["n_llm"] == 4
    assert m["llm_accuracy"] == 0.5
    assert m["llm_accepted"] == 0.5
    assert m["llm_false_rejection"] == 0.5  # of the two right ones, one rejected
    assert m["llm_wrong_accepted"] == 0.5  # of the two accepted, one wrong
    assert m["reply_in_question_language"] == 0.75  # the English question answered in vi
    assert llm_metrics([])["llm_accuracy"] is None


def test_aggregate_reports_llm_metrics_only_for_checked_answers(make_result):
    plain = [make_result(id="a", correct=True), make_result(id="b", correct=False)]
    assert "llm_accuracy" not in aggregate(plain)
    checked = [
        make_result(id="a", correct=True, grounded=True, llm_correct=True, reply_lang="vi"),
        make_result(id="b", correct=True, grounded=False, llm_correct=True, reply_lang="vi"),
        make_result(id="c", answerable=False, abstained=True, grounded=False, llm_correct=None),
    ]
    m = aggregate(checked)
    assert m["n_llm"] == 2  # unanswerable questions do not count
    assert m["llm_accepted"] == 0.5 and m["llm_false_rejection"] == 0.5
    assert m["llm_wrong_accepted"] == pytest.approx(0.0)


def test_evaluate_question_scores_the_llm_own_text(pipeline, monkeypatch):
    from eval.gold import load_gold
    from eval.harness import evaluate_question

    item = next(i for i in load_gold() if i.answerable and i.lang == "vi")
    real = pipeline.ask

    def rejected(question, top_k=None, mode=None, llm=None):
        answer = real(question, top_k, mode, None)
        return answer.model_copy(
            update={"grounded": False, "llm_answer": f"Câu trả lời là {item.answer}."}
        )

    monkeypatch.setattr(pipeline, "ask", rejected)
    result = evaluate_question(pipeline, item, "hybrid")
    assert result.grounded is False and result.llm_correct is True
    assert result.reply_lang in ("vi", "vi-noaccent")


def test_llm_latency_is_summarised_over_the_llm_calls_only(pipeline, monkeypatch):
    from eval.gold import load_gold
    from eval.harness import run_eval

    items = [i for i in load_gold() if i.split == "test"]
    real = pipeline.ask

    def llm_for_some(question, top_k=None, mode=None, llm=None):
        answer = real(question, top_k, mode, None)
        if len(question) % 2:  # the others: refused by the extractive gate, no LLM call
            return answer
        timings = {**answer.timings_ms, "first_token": 700.0, "total": 2000.0}
        return answer.model_copy(
            update={"model": "fake", "grounded": True, "llm_answer": answer.answer,
                    "timings_ms": timings}
        )  # fmt: skip

    monkeypatch.setattr(pipeline, "ask", llm_for_some)
    run = run_eval(pipeline, items, ["bm25"], "test", limit=6)
    assert run.config["questions"] == 6 and run.config["limit"] == 6
    assert [r.id for r in run.results] == [i.id for i in items[:6]]
    called = [r for r in run.results if r.llm_called]
    assert 0 < len(called) < 6 and all(r.llm_answer for r in called)
    llm = run.latency["bm25"]["llm"]
    assert llm["first_token"] == {"p50": 700.0, "p95": 700.0, "n": len(called)}
    assert llm["total"]["p50"] == 2000.0
