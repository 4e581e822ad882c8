"""SQuAD-format evaluation of the extractive answerer's short answer span (``rag eval --squad``).

Every paragraph of a SQuAD v1.1 file becomes one ``Document`` (``<article-slug>-<i>``, title
= article title, cleaned by ``rag.cleaning.clean_text`` like any ingested text) in a
temporary index built through ``Pipeline.add_documents``. ``holdout_articles`` articles,
chosen by a seeded shuffle, are left out of the index: their questions have no answer there
and measure abstention; the other questions are answerable.

Each question is asked once (``pipeline.ask``) and searched once (``pipeline.search``, top
10): EM/F1 compare ``Answer.short_answer.text`` with the gold spans (``eval.metrics.squad``;
an abstention or a missing short answer scores 0), ``answer_contains`` looks for a gold
span in the full answer, and the gold paragraph's rank in the search gives hit@1/hit@5.

From Python (the lead reuses the records, which keep ``confidence``, ``abstained`` and
``answerable``, for threshold calibration)::

    run = run_squad(Settings(), "xquad-vi-dev.json", holdout_articles=3, limit=40)
    run.metrics["overall"]["all"]["f1"], run.records[0].confidence
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from eval.harness import EXACT_TYPES, _calibration
from eval.metrics import mean_or_none
from eval.metrics.abstention import abstention_rates, threshold_curve
from eval.metrics.answers import same_figures, strip_citations
from eval.metrics.latency import latency_summary
from eval.metrics.llm import llm_metrics_of
from eval.metrics.squad import contains_answer, squad_scores
from rag.answering.question import analyse
from rag.cleaning import clean_text
from rag.documents import Document
from rag.errors import InputError
from rag.language import detect_language
from rag.pipeline import Pipeline
from rag.retrieval.factory import MODES
from rag.settings import Settings
from rag.textnorm import fold, normalize_text, strip_diacritics

SEARCH_K = 10
GROUPS = ("article", "type", "lang")
_SLUG_RE = re.compile(r"[^a-z0-9]+")


# --------------------------------------------------------------------------- the data
@dataclass(frozen=True)
class SquadParagraph:
    article: str  # the article title as written in the file ("Super_Bowl_50")
    index: int  # position of the paragraph in its article
    doc_id: str
    context: str


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    article: str
    doc_id: str  # the gold paragraph
    question: str
    answers: tuple[str, ...]  # gold spans (empty: a SQuAD v2 unanswerable question)


@dataclass(frozen=True)
class SquadData:
    path: Path
    articles: tuple[str, ...]  # titles in file order
    paragraphs: tuple[SquadParagraph, ...]
    questions: tuple[SquadQuestion, ...]


def _bad(path: Path, what: str) -> InputError:
    return InputError(f"{path}: not SQuAD JSON ({what})")


def _read_json(path: Path, kind: str) -> Any:
    if not path.is_file():
        raise InputError(f"{kind} file not found: {path}")
    try:
        return json.loads(path.read_text("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 (byte offset {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: malformed JSON ({exc.msg}, line {exc.lineno})") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def slugify(title: str) -> str:
    """``Sky_(United_Kingdom)`` → ``sky-united-kingdom`` (accent-folded ASCII)."""
    return _SLUG_RE.sub("-", fold(title.replace("_", " "))).strip("-") or "article"


def load_squad(path: str | Path) -> SquadData:
    """Read and check a SQuAD v1.1 file (v2 questions marked ``is_impossible`` are kept as
    unanswerable); raise a one-line ``InputError`` on anything else."""
    path = Path(path)
    raw = _read_json(path, "SQuAD")
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise _bad(path, 'expected an object with a "data" list')
    if not raw["data"]:
        raise _bad(path, '"data" is empty')
    articles: list[str] = []
    paragraphs: list[SquadParagraph] = []
    questions: list[SquadQuestion] = []
    slugs: set[str] = set()
    seen: set[str] = set()
    for a, article in enumerate(raw["data"]):
        where = f"data[{a}]"
        if not isinstance(article, dict) or not _text(article.get("title")):
            raise _bad(path, f"{where} needs a non-empty string title")
        if not isinstance(article.get("paragraphs"), list) or not article["paragraphs"]:
            raise _bad(path, f"{where} needs a non-empty paragraphs list")
        title = article["title"]
        if title in articles:
            raise _bad(path, f"{where}: duplicate article title {title!r}")
        articles.append(title)
        slug = base = slugify(title)
        n = 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        for p, para in enumerate(article["paragraphs"]):
            where = f"data[{a}].paragraphs[{p}]"
            if not isinstance(para, dict) or not _text(para.get("context")):
                raise _bad(path, f"{where} needs a non-empty string context")
            if not isinstance(para.get("qas"), list):
                raise _bad(path, f"{where} needs a qas list")
            doc_id = f"{slug}-{p}"
            paragraphs.append(SquadParagraph(title, p, doc_id, para["context"]))
            for q, qa in enumerate(para["qas"]):
                questions.append(_question(path, f"{where}.qas[{q}]", qa, title, doc_id, seen))
    if not questions:
        raise _bad(path, "no questions")
    return SquadData(path, tuple(articles), tuple(paragraphs), tuple(questions))


def _question(
    path: Path, where: str, qa: object, title: str, doc_id: str, seen: set[str]
) -> SquadQuestion:
    if not isinstance(qa, dict):
        raise _bad(path, f"{where} is not an object")
    qid, question = qa.get("id"), qa.get("question")
    if not _text(qid) or not _text(question):
        raise _bad(path, f"{where} needs string id and question")
    if qid in seen:
        raise _bad(path, f"{where}: duplicate question id {qid!r}")
    seen.add(qid)
    answers = qa.get("answers")
    if not isinstance(answers, list) or not all(
        isinstance(x, dict) and _text(x.get("text")) for x in answers
    ):
        raise _bad(path, f"{where} needs an answers list of objects with a text")
    if not answers and not qa.get("is_impossible"):
        raise _bad(path, f"{where} has no answers")
    golds = tuple(dict.fromkeys(x["text"] for x in answers))
    return SquadQuestion(qid, title, doc_id, question, golds)


def load_question_texts(path: str | Path) -> dict[str, str]:
    """A ``{question id: question text}`` JSON file (e.g. the English XQuAD questions)."""
    path = Path(path)
    raw = _read_json(path, "questions")
    if not isinstance(raw, dict) or not all(_text(v) for v in raw.values()):
        raise InputError(f"{path}: expected a JSON object of question id → question text")
    return dict(raw)


def replace_questions(data: SquadData, texts: Mapping[str, str]) -> tuple[SquadData, int]:
    """``data`` with the question texts of ``texts`` (all ids must exist); how many were
    replaced."""
    known = {q.id for q in data.questions}
    unknown = [qid for qid in texts if qid not in known]
    if unknown:
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        raise InputError(
            f"questions file has {len(unknown)} id(s) not in {data.path.name}: "
            + ", ".join(unknown[:3])
            + more
        )
    questions = tuple(
        SquadQuestion(q.id, q.article, q.doc_id, texts.get(q.id, q.question), q.answers)
        for q in data.questions
    )
    return SquadData(data.path, data.articles, data.paragraphs, questions), len(texts)


def choose_holdout(articles: Sequence[str], n: int, seed: int = 0) -> list[str]:
    """``n`` article titles to leave out of the index: the first ``n`` of a
    ``random.Random(seed)`` shuffle, returned in file order."""
    if n < 0:
        raise InputError("--holdout-articles must be at least 0")
    if n and n >= len(articles):
        raise InputError(
            f"cannot hold out {n} of {len(articles)} articles (at least one must be indexed)"
        )
    order = list(range(len(articles)))
    random.Random(seed).shuffle(order)
    chosen = set(order[:n])
    return [title for i, title in enumerate(articles) if i in chosen]


def paragraph_documents(data: SquadData) -> list[Document]:
    """One cleaned ``Document`` per paragraph, in file order."""
    docs = []
    for p in data.paragraphs:
        text = clean_text(p.context)
        if not text:
            raise InputError(
                f"{data.path}: paragraph {p.index} of {p.article!r} has no text after cleaning"
            )
        docs.append(
            Document(
                doc_id=p.doc_id,
                title=normalize_text(p.article.replace("_", " ")).strip(),
                text=text,
                source=data.path.name,
                date=None,
            )
        )
    return docs


def gold_findability(
    questions: Iterable[SquadQuestion], texts: Mapping[str, str]
) -> dict[str, int | float | None]:
    """How many gold spans still occur in the cleaned text of their paragraph: verbatim, and
    after the same ``normalize_text`` (NFC, tone placement) the documents went through."""
    golds = [(q.doc_id, g) for q in questions for g in q.answers]
    verbatim = sum(g in texts[doc_id] for doc_id, g in golds)
    normalised = sum(normalize_text(g) in texts[doc_id] for doc_id, g in golds)
    return {
        "answers": len(golds),
        "verbatim": verbatim,
        "normalised": normalised,
        "rate": round(normalised / len(golds), 4) if golds else None,
    }


# ------------------------------------------------------------------------ the records
@dataclass
class SquadRecord:
    """Everything measured for one question."""

    id: str
    article: str
    doc_id: str  # the gold paragraph's document
    question: str
    lang: str  # rag.language.detect_language of the question
    type: str  # the answerer's question type (date, number, person, place, other...)
    answer_lang: str  # the language the answerer detects (keys its thresholds)
    gold_answers: list[str]
    answerable: bool  # the gold paragraph is indexed (and the question has an answer)
    heldout: bool  # the question's article was left out of the index
    gold_in_text: bool  # a gold span occurs in the cleaned paragraph text
    short_answer: str | None
    short_answer_doc_id: str | None
    short_answer_in_gold: bool | None  # the span comes from the gold paragraph
    answer: str
    abstained: bool
    confidence: float
    hit_rank: int | None  # 1-based rank of the first passage of the gold paragraph (top 10)
    exact_match: float | None  # answerable questions only
    f1: float | None
    contains: bool | None  # a gold span is in the full answer (answerable only)
    timings_ms: dict[str, float]
    search_ms: float
    backend: str = ""
    grounded: bool | None = None  # LLM backends: the LLM answer passed the grounding check
    llm_correct: bool | None = None  # LLM backends, answerable: a gold span in the LLM's text
    reply_lang: str = ""  # language detected in the answer's text
    llm_called: bool = False  # an LLM was asked (not when the extractive gate refused)
    llm_answer: str | None = None  # the LLM's own text (accepted or not)

    @property
    def prediction(self) -> str | None:
        """The span scored by EM/F1: None when abstained or without a short answer."""
        return None if self.abstained else self.short_answer


def aggregate(records: Sequence[SquadRecord]) -> dict[str, Any]:
    """Every metric over a group of records (a rate is None when its group is empty)."""
    answerable = [r for r in records if r.answerable]
    answered = [r for r in answerable if not r.abstained]
    with_span = [r for r in answered if r.short_answer is not None]
    rates = abstention_rates([r.answerable for r in records], [r.abstained for r in records])
    ranks = [r.hit_rank for r in answerable]
    out: dict[str, Any] = {
        "n": len(records),
        "n_answerable": len(answerable),
        "n_unanswerable": len(records) - len(answerable),
        "n_heldout": sum(r.heldout for r in records),
        "n_answered": len(answered),
        "n_short_answer": len(with_span),
        "exact_match": mean_or_none(r.exact_match for r in answerable),
        "f1": mean_or_none(r.f1 for r in answerable),
        "exact_match_answered": mean_or_none(r.exact_match for r in answered),
        "f1_answered": mean_or_none(r.f1 for r in answered),
        "answer_contains": mean_or_none(r.contains for r in answerable),
        "short_answer_in_gold": mean_or_none(r.short_answer_in_gold for r in with_span),
        "false_abstention": _round(rates["false_abstention"]),
        "abstain_rate": _round(rates["abstain_rate"]),
        "hit@1": mean_or_none(rank == 1 for rank in ranks) if ranks else None,
        "hit@5": mean_or_none(rank is not None and rank <= 5 for rank in ranks) if ranks else None,
        "gold_in_text": mean_or_none(r.gold_in_text for r in answerable),
        "latency_ms_mean": mean_or_none(r.timings_ms.get("total") for r in records),
    }
    out.update(llm_metrics_of(answerable))
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def breakdown(records: Sequence[SquadRecord]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{"overall": {"all": m}, "article": {...}, "type": {...}, "lang": {...}}``; articles
    in first-seen order, the other groups sorted."""
    out: dict[str, dict[str, dict[str, Any]]] = {"overall": {"all": aggregate(records)}}
    for group in GROUPS:
        keys = list(dict.fromkeys(getattr(r, group) for r in records))
        if group != "article":
            keys.sort()
        out[group] = {k: aggregate([r for r in records if getattr(r, group) == k]) for k in keys}
    return out


def curve(records: Sequence[SquadRecord]) -> list[dict[str, float | None]]:
    """Abstain rate (unanswerable) and false abstention (answerable) if the system abstained
    iff confidence < t, for every distinct t."""
    points = threshold_curve(
        [r.confidence for r in records if r.answerable],
        [r.confidence for r in records if not r.answerable],
    )
    return [p.as_dict() for p in points]


@dataclass
class SquadRun:
    config: dict[str, Any]
    records: list[SquadRecord]
    metrics: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    latency: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    curve: list[dict[str, float | None]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": self.config,
            "metrics": self.metrics,
            "latency": self.latency,
            "abstention_curve": self.curve,
            "records": [asdict(r) for r in self.records],
        }


# ------------------------------------------------------------------------- running
def holds_gold(text: str, golds: Sequence[str], qtype: str) -> bool:
    """A gold answer occurs in ``text`` (``contains_answer``); for number and date questions
    also when ``text`` states the gold's figures in another form or language ("six" for
    "sáu", "17 seconds" for "17 giây"), as the gold set's judge reads them
    (``same_figures``)."""
    if contains_answer(text, golds):
        return True
    return qtype in EXACT_TYPES and any(same_figures(text, g) for g in golds)


def evaluate_question(
    pipeline: Pipeline,
    q: SquadQuestion,
    *,
    indexed: bool,
    text: str,
    top_k: int,
    mode: str,
    llm: str | None = None,
) -> SquadRecord:
    """Ask and search one question and score it (``indexed``: its paragraph is in the index;
    ``text``: that paragraph's cleaned text)."""
    answer = pipeline.ask(q.question, top_k, mode, llm)
    search = pipeline.search(q.question, top_k=SEARCH_K, mode=mode)
    answerable = indexed and bool(q.answers)
    hit_rank = next((r.rank for r in search.results if r.doc_id == q.doc_id), None)
    short = None if answer.abstained else answer.short_answer
    scores = squad_scores(short.text if short else None, q.answers) if answerable else None
    info = analyse(pipeline.check_question(q.question))
    grounded = answer.grounded
    llm_correct: bool | None = None
    if answerable and grounded is not None:  # the LLM's own text: the answer or the rejected one
        own = answer.answer if grounded else (answer.llm_answer or "")
        llm_correct = bool(own) and holds_gold(strip_citations(own), q.answers, info.qtype)
    return SquadRecord(
        id=q.id, article=q.article, doc_id=q.doc_id, question=q.question,
        lang=detect_language(q.question), type=info.qtype, answer_lang=info.lang,
        gold_answers=list(q.answers), answerable=answerable, heldout=not indexed,
        gold_in_text=any(normalize_text(g) in text for g in q.answers),
        short_answer=short.text if short else None,
        short_answer_doc_id=short.doc_id if short else None,
        short_answer_in_gold=(short.doc_id == q.doc_id) if short else None,
        answer=answer.answer, abstained=answer.abstained, confidence=answer.confidence,
        hit_rank=hit_rank if indexed else None,
        exact_match=None if scores is None else scores["exact_match"],
        f1=None if scores is None else round(scores["f1"], 4),
        contains=None if not answerable else (
            not answer.abstained
            and holds_gold(strip_citations(answer.answer), q.answers, info.qtype)
        ),
        timings_ms=dict(answer.timings_ms), search_ms=search.timings_ms.get("total", 0.0),
        backend=answer.backend, grounded=grounded, llm_correct=llm_correct,
        reply_lang=detect_language(strip_citations(answer.answer)),
        llm_called=answer.model is not None, llm_answer=answer.llm_answer,
    )  # fmt: skip


@contextmanager
def _index_dir(index_dir: str | Path | None) -> Iterator[Path]:
    if index_dir is not None:
        yield Path(index_dir)
        return
    with tempfile.TemporaryDirectory(prefix="rag-squad-") as tmp:
        yield Path(tmp) / "index"


def _work_pipeline(pipeline_or_settings: Pipeline | Settings | None, index_dir: Path) -> Pipeline:
    """A pipeline over ``index_dir`` with the caller's settings (and loaded embedder)."""
    if isinstance(pipeline_or_settings, Pipeline):
        settings = pipeline_or_settings.settings
        embedder = pipeline_or_settings.embedder
    else:
        settings = pipeline_or_settings or Settings()
        embedder = None
    return Pipeline(settings.model_copy(update={"index_dir": index_dir}), embedder=embedder)


def _build_index(pipeline: Pipeline, docs: Sequence[Document]) -> None:
    """Make the index hold exactly ``docs`` (unchanged documents are not re-embedded)."""
    pipeline.add_documents(docs)
    wanted = {d.doc_id for d in docs}
    for doc_id, _ in pipeline.documents():
        if doc_id not in wanted:
            pipeline.delete_document(doc_id)


def run_squad(
    pipeline_or_settings: Pipeline | Settings | None,
    squad_path: str | Path | SquadData,
    questions: str | Path | Mapping[str, str] | None = None,
    holdout_articles: int = 0,
    seed: int = 0,
    limit: int | None = None,
    top_k: int = 5,
    mode: str | None = None,
    *,
    llm: str | None = None,
    index_dir: str | Path | None = None,
    on_record: Callable[[SquadRecord], None] | None = None,
    strip_accents: bool = False,
) -> SquadRun:
    """Index the paragraphs of ``squad_path`` (minus ``holdout_articles`` articles), ask its
    questions (the first ``limit``; texts replaced by ``questions``, a file or a mapping of
    id → text; ``strip_accents``: then typed without diacritics) and score the short answers.

    ``pipeline_or_settings`` gives the settings (and, for a ``Pipeline``, the loaded
    embedder); its own index is never touched. The index is built in a temporary folder
    removed at the end, or in ``index_dir`` when given (kept, so a second run re-embeds
    nothing).
    """
    data = squad_path if isinstance(squad_path, SquadData) else load_squad(squad_path)
    replaced = 0
    questions_file = None
    if questions is not None:
        if not isinstance(questions, Mapping):
            questions_file = str(questions)
            questions = load_question_texts(questions)
        data, replaced = replace_questions(data, questions)
    if strip_accents:  # questions as typed without diacritics (after any replacement)
        bare = {q.id: strip_diacritics(q.question) for q in data.questions}
        data, _ = replace_questions(data, bare)
    if limit is not None and limit < 1:
        raise InputError("--limit must be at least 1")
    if not 1 <= top_k <= 20:
        raise InputError("top_k must be between 1 and 20")
    heldout = choose_holdout(data.articles, holdout_articles, seed)
    docs = paragraph_documents(data)
    texts = {d.doc_id: d.text for d in docs}
    kept = [d for d, p in zip(docs, data.paragraphs, strict=True) if p.article not in heldout]
    selected = list(data.questions[:limit] if limit else data.questions)

    with _index_dir(index_dir) as folder:
        pipeline = _work_pipeline(pipeline_or_settings, folder)
        mode = mode or pipeline.settings.retrieval_mode
        if mode not in MODES:
            raise InputError(f"unknown retrieval mode {mode!r} (use one of: {', '.join(MODES)})")
        started = time.perf_counter()
        _build_index(pipeline, kept)
        ingest_s = time.perf_counter() - started
        snapshot = pipeline.index().snapshot
        if llm:  # latencies of a service that warmed its LLM up at start, as the API does
            pipeline.warm_llm(llm)
        records = []
        for q in selected:
            record = evaluate_question(
                pipeline, q, indexed=q.article not in heldout, text=texts[q.doc_id],
                top_k=top_k, mode=mode, llm=llm,
            )  # fmt: skip
            records.append(record)
            if on_record is not None:
                on_record(record)
        answerer = pipeline.answerer(llm or pipeline.settings.llm or None)
        config: dict[str, Any] = {
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "squad_file": str(data.path),
            "questions_file": questions_file,
            "questions_replaced": replaced,
            "questions_without_diacritics": strip_accents,
            "articles": len(data.articles),
            "holdout_articles": holdout_articles,
            "seed": seed,
            "heldout_titles": heldout,
            "indexed_articles": [a for a in data.articles if a not in heldout],
            "paragraphs_indexed": len(kept),
            "chunks": len(snapshot.chunks),
            "limit": limit,
            "questions": len(selected),
            "mode": mode,
            "top_k": top_k,
            "search_k": SEARCH_K,
            "answerer": answerer.name,
            "thresholds": dict(_calibration(answerer).get("thresholds", {})),
            "model_id": pipeline.embedder.model_id,
            "index_dir": str(index_dir) if index_dir is not None else None,
            "ingest_s": round(ingest_s, 2),
            "gold_in_cleaned_text": gold_findability(selected, texts),
        }
    run = SquadRun(config, records)
    run.metrics = breakdown(records)
    run.latency = {
        "ask": latency_summary([r.timings_ms for r in records]),
        "search": latency_summary([{"total": r.search_ms} for r in records]),
    }
    called = [r.timings_ms for r in records if r.llm_called]
    if called:  # the answers an LLM wrote: time to the first streamed token, total
        run.latency["llm"] = latency_summary(called)
    run.curve = curve(records)
    return run
