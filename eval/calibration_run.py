"""``rag eval --calibrate``: fit the span scorer and the abstention model, and choose the
per-language thresholds, from the seed gold dev split and a SQuAD-format dev set.

1. Span scorer (``eval.span_training``): candidate spans of the gold dev questions over the
   seeds and of every SQuAD question (its own language and, with a questions file, English)
   over the SQuAD paragraphs; fitted, then cross-validated with whole articles held out.
2. Abstention (``eval.abstention_training``): evidence for the gold dev questions (answerable
   or not) and for the SQuAD questions over indexes that each leave a fold of articles out
   (those articles' questions are unanswerable); a logistic regression and thresholds that
   keep false abstention within ``MAX_FALSE_ABSTENTION``; and, as on-topic unanswerable
   questions, the same questions over indexes where a fold of articles keeps its paragraphs
   but loses the sentences that hold the answers (``eval.negatives``). The SQuAD questions
   are asked as written, in the second language, and typed without diacritics (so the
   unaccented threshold rests on as many questions as the others).
The fitted numbers are written to ``rag/answering/span_weights.json`` and
``rag/answering/calibration.json`` together with the data they came from. Never the gold
test or holdout split: those stay for measuring.

``keep_weights``: the span scorer and the abstention model stay as committed and only the
thresholds are chosen again, by the same rule on the same data (what to run when the
answerer's evidence changed but its weights were not refitted); ``refit_languages``: with
it, those languages' own terms of the abstention model are fitted again on their questions,
every shared weight held (``abstention_training.fit_language``).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embeddings.atomic import write_text_atomic
from eval import abstention_training, calibrate, negatives, span_training
from eval.gold import GoldItem
from eval.squad import SquadData, _build_index, load_question_texts, paragraph_documents
from rag.documents import Document, load_documents
from rag.pipeline import Pipeline
from rag.textnorm import strip_diacritics

if TYPE_CHECKING:
    from rag.answering.extractive import ExtractiveAnswerer

FOLDS = 3
# Stricter than the targets (0.05 Vietnamese, 0.10 English) to leave a margin on new data.
MAX_FALSE_ABSTENTION = {"vi": 0.04, "vi-noaccent": 0.04, "en": 0.08}

Step = Callable[[str], None]


def _gold_span_items(gold: Sequence[GoldItem]) -> list[tuple[str, str, str, list[str]]]:
    return [(g.id, "seeds", g.question, list(g.expected)) for g in gold if g.answerable]


def _squad_span_items(
    data: SquadData, texts: dict[str, str] | None
) -> list[tuple[str, str, str, list[str]]]:
    return [
        (q.id, q.article, texts[q.id] if texts else q.question, list(q.answers))
        for q in data.questions
        if q.answers and (texts is None or q.id in texts)
    ]


def run_calibration(
    pipeline: Pipeline,
    gold: Sequence[GoldItem],
    seeds: Path,
    squad: SquadData,
    questions_file: Path | None = None,
    *,
    write: bool = True,
    step: Step | None = None,
    keep_weights: bool = False,
    refit_languages: Sequence[str] = (),
) -> dict[str, Any]:
    """Fit, cross-validate and (``write``) store the span weights and the abstention model
    (with ``keep_weights``, only choose the thresholds again for the committed ones).
    ``gold`` must already be restricted to the dev split. Returns a report."""
    say = step or (lambda _message: None)
    english = load_question_texts(questions_file) if questions_file else None
    variants = [v for v in (english, _unaccented(squad)) if v]
    dev = list(gold)
    cv: dict[str, Any] = {}
    examples: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="rag-calibrate-") as tmp:
        seeds_pipe = _pipeline(pipeline, Path(tmp) / "seeds")
        _build_index(seeds_pipe, load_documents([seeds]))
        squad_pipe = _pipeline(pipeline, Path(tmp) / "squad")
        docs = paragraph_documents(squad)
        _build_index(squad_pipe, docs)

        if keep_weights:
            weights = _answerer(seeds_pipe).spans.weights
        else:
            say("span examples")
            spans = span_training.collect(seeds_pipe, _gold_span_items(dev))
            squad_vi = span_training.collect(squad_pipe, _squad_span_items(squad, None))
            squad_en = []
            if english:
                squad_en = span_training.collect(squad_pipe, _squad_span_items(squad, english))
            examples = spans + squad_vi + squad_en
            weights = span_training.fit(examples)
            cv = {
                "squad": span_training.cross_validate(squad_vi),
                **({"squad_en": span_training.cross_validate(squad_en)} if squad_en else {}),
                "all_articles_one_model": span_training.cross_validate(examples),
            }
            if write:
                span_training.write_weights(weights, _span_sources(dev, squad, questions_file, cv))
        for pipe in (seeds_pipe, squad_pipe):
            _use_span_weights(pipe, weights)

        say("abstention examples")
        evidence = abstention_training.collect(
            seeds_pipe, [(g.id, g.question, g.answerable) for g in dev], "seeds"
        )
        for fold in range(FOLDS):
            held = {a for i, a in enumerate(squad.articles) if i % FOLDS == fold}
            # off topic: the fold's articles are not in the index at all
            kept = [d for d, p in zip(docs, squad.paragraphs, strict=True) if p.article not in held]
            answerable = {q.id: q.article not in held for q in squad.questions}
            evidence += _squad_evidence(
                squad_pipe, weights, kept, squad, variants, answerable, f"squad-fold{fold}"
            )
        for fold in range(FOLDS):
            held = {a for i, a in enumerate(squad.articles) if i % FOLDS == fold}
            # on topic: the fold's articles are indexed without their answer sentences
            cut, answerable = negatives.without_answers(squad, docs, held)
            evidence += _squad_evidence(
                squad_pipe, weights, cut, squad, variants, answerable, f"removed-fold{fold}"
            )
        if keep_weights:
            abstention = _committed_abstention() or _answerer(seeds_pipe).abstention_weights
            for lang in refit_languages:
                say(f"abstention terms of {lang}")
                abstention = abstention_training.fit_language(evidence, abstention, lang)
        else:
            abstention = abstention_training.fit(evidence)
    rates = abstention_training.thresholds(evidence, abstention, MAX_FALSE_ABSTENTION)
    report = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "kept_weights": keep_weights,
        "refitted_languages": list(refit_languages),
        "span_cv": cv,
        "span_examples": len(examples),
        "abstention_examples": len(evidence),
        "thresholds": rates,
    }
    if write:
        _write_calibration(
            rates, dev, squad, questions_file, abstention, kept=keep_weights,
            refitted=list(refit_languages),
        )  # fmt: skip
    return report


def _committed_abstention() -> dict[str, float]:
    """The abstention weights of the calibration file being updated ({} when none)."""
    path = calibrate.CALIBRATION_FILE
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")).get("abstention") or {})


def _unaccented(squad: SquadData) -> dict[str, str]:
    """The SQuAD questions typed without diacritics (those that have any)."""
    bare = {q.id: strip_diacritics(q.question) for q in squad.questions}
    return {q.id: bare[q.id] for q in squad.questions if bare[q.id] != q.question}


def _squad_evidence(
    pipe: Pipeline,
    weights: dict[str, float],
    docs: Sequence[Document],
    squad: SquadData,
    variants: Sequence[dict[str, str]],
    answerable: dict[str, bool],
    source: str,
) -> list[abstention_training.EvidenceExample]:
    """The abstention evidence of the SQuAD questions in ``answerable`` (as written and as
    each of ``variants`` words them: another language, no diacritics) over an index of
    exactly ``docs``."""
    _build_index(pipe, docs)
    _use_span_weights(pipe, weights)
    asked = [q for q in squad.questions if q.id in answerable]
    items = [(q.id, q.question, answerable[q.id]) for q in asked]
    for texts in variants:
        items += [(q.id, texts[q.id], answerable[q.id]) for q in asked if q.id in texts]
    return abstention_training.collect(pipe, items, source)


def _pipeline(base: Pipeline, index_dir: Path) -> Pipeline:
    settings = base.settings.model_copy(update={"index_dir": index_dir})
    return Pipeline(settings, embedder=base.embedder)


def _answerer(pipeline: Pipeline) -> ExtractiveAnswerer:
    from rag.answering.extractive import ExtractiveAnswerer

    answerer = pipeline.answerer("extractive")
    assert isinstance(answerer, ExtractiveAnswerer)
    return answerer


def _use_span_weights(pipeline: Pipeline, weights: dict[str, float]) -> None:
    from rag.answering.spans import SpanScorer

    _answerer(pipeline).spans = SpanScorer(weights)


def _sources(gold: Sequence[GoldItem], squad: SquadData, questions: Path | None) -> dict[str, Any]:
    return {
        "gold": {"split": "dev", "questions": len(gold)},
        "squad": {
            "file": squad.path.name,
            "articles": len(squad.articles),
            "questions": len(squad.questions),
            "questions_file": questions.name if questions else None,
        },
    }


def _span_sources(
    gold: Sequence[GoldItem], squad: SquadData, questions: Path | None, cv: dict[str, Any]
) -> dict[str, Any]:
    return {**_sources(gold, squad, questions), "cross_validation_by_article": cv}


def _write_calibration(
    rates: dict[str, dict[str, float | int | None]],
    gold: Sequence[GoldItem],
    squad: SquadData,
    questions: Path | None,
    weights: dict[str, float],
    *,
    kept: bool = False,
    refitted: Sequence[str] = (),
) -> None:
    """The abstention model, its thresholds and the rates behind them. ``kept``: the weights
    are the committed ones (but ``refitted`` languages' own terms), and ``thresholds_chosen``
    records how they and the thresholds were chosen; otherwise a whole new fit."""
    path = calibrate.CALIBRATION_FILE
    data: dict[str, Any] = {}
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
    # earlier threshold choices (by hand, or for other weights) are replaced by this one
    for stale in ("thresholds_chosen", "threshold_updates"):
        data.pop(stale, None)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    sources = _evidence_sources(gold, squad, questions)
    if not kept:
        data.update(
            {
                "created": now,
                "method": "logistic regression over the answerer's evidence "
                "(eval/abstention_training.py); thresholds by eval.calibrate.choose_threshold",
                "sources": sources,
            }
        )
    else:
        refit = "".join(f" --refit-language {lang}" for lang in refitted)
        data["thresholds_chosen"] = {
            "created": now,
            "method": "the abstention weights above kept"
            + (f" but the own terms of {', '.join(refitted)}, fitted again with the shared "
               "weights held (eval.abstention_training.fit_language)" if refitted else "")
            + "; thresholds by eval.abstention_training.thresholds "
            f"(rag eval --calibrate --keep-weights{refit})",
            "refitted_languages": list(refitted),
            "sources": sources,
        }  # fmt: skip
    data.update(
        {
            "abstention": dict(sorted(weights.items())),
            "max_false_abstention": MAX_FALSE_ABSTENTION,
            "thresholds": {lang: r["threshold"] for lang, r in rates.items()},
            "rates_on_calibration_data": rates,
        }
    )
    write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def _evidence_sources(
    gold: Sequence[GoldItem], squad: SquadData, questions: Path | None
) -> dict[str, Any]:
    return {
        **_sources(gold, squad, questions),
        "squad_questions_also_without_diacritics": True,
        "squad_folds_left_out": FOLDS,
        "squad_folds_without_answer_sentences": FOLDS,
    }
