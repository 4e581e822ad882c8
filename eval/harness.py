"""Run the gold questions through the real ``Pipeline`` and score them.

For each question and retrieval mode: ``pipeline.search(question, top_k=10, mode)`` gives the
ranked passages for the retrieval metrics and ``pipeline.ask(question, top_k, mode)`` the
answer for the answer, citation and abstention metrics. Metrics are aggregated overall, per
language, per question type and per split.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from eval.gold import GoldItem, select_split
from eval.metrics import mean_or_none
from eval.metrics.abstention import abstention_rates, threshold_curve
from eval.metrics.answers import (
    citation_scores,
    cited_numbers,
    exact_match,
    is_correct,
    strip_citations,
    token_f1,
)
from eval.metrics.latency import latency_summary
from eval.metrics.llm import llm_metrics_of
from eval.metrics.retrieval import contains_evidence, first_relevant_rank, retrieval_scores
from rag.answering.question import analyse
from rag.errors import InputError
from rag.language import detect_language
from rag.retrieval.factory import MODES
from rag.textnorm import fold

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

SEARCH_K = 10
GROUPS = ("lang", "type", "split")
EXACT_TYPES = ("number", "date")
PASSAGE_PREVIEW = 300  # characters of passage text kept per result...
PREVIEW_RANKS = 3  # ...for the top passages only (the report shows those)


@dataclass
class Retrieved:
    rank: int
    chunk_id: str
    doc_id: str
    start: int
    end: int
    score: float
    relevant: bool
    text: str  # the first PASSAGE_PREVIEW characters ("" below rank PREVIEW_RANKS)


@dataclass
class CitedPassage:
    n: int
    doc_id: str
    start: int
    end: int
    cited: bool  # referenced as [n] in the answer
    relevant: bool  # contains an evidence string


@dataclass
class QuestionResult:
    """Everything measured for one question in one retrieval mode."""

    id: str
    mode: str
    question: str
    lang: str
    type: str
    split: str
    answerable: bool
    expected: str
    aliases: list[str]
    evidence: list[str]
    answer: str
    abstained: bool
    confidence: float
    citations: list[CitedPassage]
    retrieved: list[Retrieved]
    hit_rank: int | None  # 1-based rank of the first relevant passage in the top 10
    n_relevant: int  # passages of the whole index that contain an evidence string
    retrieval: dict[str, float] | None  # hit@1, hit@5, mrr@10, ndcg@10 (answerable only)
    correct: bool | None  # answerable: gold answer found; unanswerable: None
    f1: float | None
    exact: bool | None  # number/date questions only
    citation_precision: float | None
    citation_recall: float | None
    timings_ms: dict[str, float]
    search_ms: float
    answer_lang: str = ""  # the answerer's own language detection (keys its thresholds)
    backend: str = ""
    grounded: bool | None = None  # LLM backends: the LLM answer passed the citation check
    llm_correct: bool | None = None  # LLM backends, answerable: the LLM's own text was right
    reply_lang: str = ""  # language detected in the answer's text
    llm_called: bool = False  # an LLM was asked (not for questions the extractive gate refused)
    llm_answer: str | None = None  # the LLM's own text (accepted or not)

    @property
    def ok(self) -> bool:
        """Answered correctly, or abstained on an unanswerable question."""
        return bool(self.correct) if self.answerable else self.abstained


@dataclass
class EvalRun:
    config: dict[str, Any]
    results: list[QuestionResult]
    metrics: dict[str, dict[str, dict[str, dict[str, Any]]]] = field(default_factory=dict)
    latency: dict[str, dict[str, dict[str, dict[str, float]]]] = field(default_factory=dict)
    curves: dict[str, dict[str, list[dict[str, float | None]]]] = field(default_factory=dict)

    @property
    def modes(self) -> list[str]:
        return list(self.config["modes"])

    @property
    def primary_mode(self) -> str:
        """The mode floors and calibration apply to: hybrid if it was run, else the first."""
        return "hybrid" if "hybrid" in self.modes else self.modes[0]

    def of_mode(self, mode: str) -> list[QuestionResult]:
        return [r for r in self.results if r.mode == mode]

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "metrics": self.metrics,
            "latency": self.latency,
            "abstention_curves": self.curves,
            "results": [asdict(r) for r in self.results],
        }


# ---------------------------------------------------------------------------- scoring


def aggregate(results: Sequence[QuestionResult]) -> dict[str, Any]:
    """Every metric over a group of results (rates are None when their group is empty)."""
    answerable = [r for r in results if r.answerable]
    answered = [r for r in answerable if not r.abstained]
    out: dict[str, Any] = {
        "n": len(results),
        "n_answerable": len(answerable),
        "n_unanswerable": len(results) - len(answerable),
    }
    for metric in ("hit@1", "hit@5", "mrr@10", "ndcg@10"):
        out[metric] = mean_or_none(r.retrieval[metric] for r in answerable if r.retrieval)
    out["accuracy"] = mean_or_none(r.correct for r in answerable)
    out["f1"] = mean_or_none(r.f1 for r in answerable)
    out["exact_match"] = mean_or_none(r.exact for r in answerable)
    out["citation_precision"] = mean_or_none(r.citation_precision for r in answered)
    out["citation_recall"] = mean_or_none(r.citation_recall for r in answered)
    rates = abstention_rates([r.answerable for r in results], [r.abstained for r in results])
    out["abstain_rate"] = None if rates["abstain_rate"] is None else round(rates["abstain_rate"], 4)
    fa = rates["false_abstention"]
    out["false_abstention"] = None if fa is None else round(fa, 4)
    out["overall_correct"] = mean_or_none(r.ok for r in results)
    out.update(llm_metrics_of(answerable))
    return out


def breakdown(results: Sequence[QuestionResult]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{"overall": {"all": m}, "lang": {...}, "type": {...}, "split": {...}}``."""
    out: dict[str, dict[str, dict[str, Any]]] = {"overall": {"all": aggregate(results)}}
    for group in GROUPS:
        keys = sorted({getattr(r, group) for r in results})
        out[group] = {k: aggregate([r for r in results if getattr(r, group) == k]) for k in keys}
    return out


def curves(results: Sequence[QuestionResult]) -> dict[str, list[dict[str, float | None]]]:
    """The abstention-threshold curve overall and per language, where the language is the one
    the answerer detects (``answer_lang``: the key of its per-language thresholds)."""
    out = {}
    for lang in ["all", *sorted({_threshold_lang(r) for r in results})]:
        rows = [r for r in results if lang in ("all", _threshold_lang(r))]
        points = threshold_curve(
            [r.confidence for r in rows if r.answerable],
            [r.confidence for r in rows if not r.answerable],
        )
        out[lang] = [p.as_dict() for p in points]
    return out


def _threshold_lang(result: QuestionResult) -> str:
    return result.answer_lang or result.lang


# ------------------------------------------------------------------------------ running
class _Relevance:
    """Evidence matching against the index's chunks (folded once)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._chunks = [fold(c.text) for c in pipeline.index().snapshot.chunks]

    def n_relevant(self, evidence: Sequence[str]) -> int:
        needles = [fold(e) for e in evidence]
        return sum(contains_evidence(c, needles, folded=True) for c in self._chunks)


def evaluate_question(
    pipeline: Pipeline,
    item: GoldItem,
    mode: str,
    top_k: int = 5,
    llm: str | None = None,
    n_relevant: int = 0,
) -> QuestionResult:
    """Search and ask one gold question in one mode, and score both."""
    search = pipeline.search(item.question, top_k=SEARCH_K, mode=mode)
    needles = [fold(e) for e in item.evidence]
    retrieved = [
        Retrieved(
            rank=r.rank, chunk_id=r.chunk_id, doc_id=r.doc_id, start=r.start, end=r.end,
            score=r.score, relevant=contains_evidence(fold(r.text), needles, folded=True),
            text=r.text[:PASSAGE_PREVIEW] if r.rank <= PREVIEW_RANKS else "",
        )
        for r in search.results
    ]  # fmt: skip
    flags = [r.relevant for r in retrieved]
    answer = pipeline.ask(item.question, top_k, mode, llm)
    cited = cited_numbers(answer.answer)
    citations = [
        CitedPassage(
            n=c.n, doc_id=c.doc_id, start=c.start, end=c.end, cited=c.n in cited,
            relevant=contains_evidence(fold(c.text), needles, folded=True),
        )
        for c in answer.citations
    ]  # fmt: skip
    scored = item.answerable
    figure_forms = item.type in EXACT_TYPES  # "151 million" is "151 triệu"
    correct: bool | None = None
    exact: bool | None = None
    f1: float | None = None
    precision: float | None = None
    recall: float | None = None
    if scored:
        correct = not answer.abstained and is_correct(
            answer.answer, item.expected, compound=item.compound, figure_forms=figure_forms
        )
        f1 = 0.0 if answer.abstained else token_f1(answer.answer, item.expected)
        if item.type in EXACT_TYPES:
            exact = not answer.abstained and exact_match(answer.answer, item.answer)
        if not answer.abstained:
            precision, recall = citation_scores(
                answer.answer, [(c.n, c.text) for c in answer.citations], item.evidence
            )
    grounded = getattr(answer, "grounded", None)
    llm_correct: bool | None = None
    if scored and grounded is not None:  # the LLM's own text: the answer, or the rejected one
        own = answer.answer if grounded else (getattr(answer, "llm_answer", None) or "")
        llm_correct = bool(own) and is_correct(
            own, item.expected, compound=item.compound, figure_forms=figure_forms
        )
    return QuestionResult(
        id=item.id, mode=mode, question=item.question, lang=item.lang, type=item.type,
        split=item.split, answerable=item.answerable, expected=item.answer,
        aliases=list(item.aliases), evidence=list(item.evidence), answer=answer.answer,
        abstained=answer.abstained, confidence=answer.confidence, citations=citations,
        retrieved=retrieved,
        hit_rank=first_relevant_rank(flags) if scored else None, n_relevant=n_relevant,
        retrieval=retrieval_scores(flags, n_relevant) if scored else None,
        correct=correct, f1=None if f1 is None else round(f1, 4), exact=exact,
        citation_precision=precision, citation_recall=recall,
        timings_ms=dict(answer.timings_ms), search_ms=search.timings_ms.get("total", 0.0),
        answer_lang=analyse(pipeline.check_question(item.question)).lang,
        backend=answer.backend, grounded=grounded, llm_correct=llm_correct,
        reply_lang=detect_language(strip_citations(answer.answer)),
        llm_called=answer.model is not None, llm_answer=answer.llm_answer,
    )  # fmt: skip


def _calibration(answerer: object) -> dict[str, Any]:
    """The calibration the answerer runs with (the extractive one's, for LLM backends)."""
    calibration = getattr(answerer, "calibration", None)
    if isinstance(calibration, dict):
        return calibration
    from rag.answering.extractive import load_calibration

    return load_calibration()


def run_eval(
    pipeline: Pipeline,
    gold: Sequence[GoldItem],
    modes: Sequence[str],
    split: str = "all",
    top_k: int = 5,
    *,
    llm: str | None = None,
    on_result: Callable[[QuestionResult], None] | None = None,
    limit: int | None = None,
) -> EvalRun:
    """Evaluate ``gold`` (restricted to ``split``, then to its first ``limit`` questions) in
    every mode of ``modes``."""
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise InputError(f"unknown retrieval mode(s) {unknown} (use: {', '.join(MODES)})")
    items = select_split(gold, split)
    if limit is not None:
        if limit < 1:
            raise InputError("--limit must be at least 1")
        items = items[:limit]
    if not items:
        raise InputError(f"no gold questions in split {split!r}")
    generation = pipeline.index().snapshot.generation
    relevance = _Relevance(pipeline)
    n_relevant = {item.id: relevance.n_relevant(item.evidence) for item in items}
    if llm:  # latencies of a service that warmed its LLM up at start, as the API does
        pipeline.warm_llm(llm)
    results: list[QuestionResult] = []
    for mode in modes:
        for item in items:
            result = evaluate_question(pipeline, item, mode, top_k, llm, n_relevant[item.id])
            results.append(result)
            if on_result is not None:
                on_result(result)
    snapshot = pipeline.index().snapshot
    answerer = pipeline.answerer(llm or pipeline.settings.llm or None)
    config: dict[str, Any] = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "modes": list(modes),
        "split": split,
        "top_k": top_k,
        "search_k": SEARCH_K,
        "answerer": answerer.name,
        "thresholds": dict(_calibration(answerer).get("thresholds", {})),
        "model_id": pipeline.embedder.model_id,
        "index_generation": generation,
        "index_changed_during_run": snapshot.generation != generation,
        "chunks": len(snapshot.chunks),
        "questions": len(items),
        "limit": limit,
    }
    run = EvalRun(config, results)
    for mode in modes:
        rows = run.of_mode(mode)
        run.metrics[mode] = breakdown(rows)
        run.latency[mode] = {
            "ask": latency_summary([r.timings_ms for r in rows]),
            "search": latency_summary([{"total": r.search_ms} for r in rows]),
        }
        called = [r.timings_ms for r in rows if r.llm_called]
        if called:  # the answers an LLM wrote: time to the first streamed token, total
            run.latency[mode]["llm"] = latency_summary(called)
        run.curves[mode] = curves(rows)
    return run
