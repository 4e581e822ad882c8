"""``rag eval``: run the gold set through the pipeline, write a report, enforce floors.

``rag eval --squad FILE`` instead evaluates short answer spans on a SQuAD v1.1 file
(``eval/squad.py``), in a temporary index of its paragraphs.

Registered on the ``rag`` CLI through the ``hoinghi_qa.commands`` entry-point group.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from eval.gold import DEFAULT_GOLD, load_gold
from rag.cli.common import console, fail, friendly_errors, is_interactive
from rag.errors import InputError
from rag.language import LANGUAGES

SPLIT_CHOICES = ("dev", "test", "holdout", "all")
MODE_CHOICES = ("hybrid", "dense", "bm25", "all")
# option name → (metric key, True if the value must be at least the floor)
FLOORS = {
    "--min-hit5": ("hit@5", True),
    "--min-accuracy": ("accuracy", True),
    "--min-abstain": ("abstain_rate", True),
    "--max-false-abstain": ("false_abstention", False),
    "--min-hit1": ("hit@1", True),
}
# the floors of ``rag eval --squad`` (keys of ``eval.squad.aggregate``)
SQUAD_FLOORS = {
    "--min-f1": ("f1", True),
    "--min-em": ("exact_match", True),
    "--min-contains": ("answer_contains", True),
    "--min-hit1": ("hit@1", True),
    "--min-hit5": ("hit@5", True),
    "--min-abstain": ("abstain_rate", True),
    "--max-false-abstain": ("false_abstention", False),
}
SQUAD_COLUMNS = (
    ("exact_match", "EM"),
    ("f1", "F1"),
    ("exact_match_answered", "EM ans."),
    ("f1_answered", "F1 ans."),
    ("answer_contains", "contains"),
)
SQUAD_QUALITY_COLUMNS = (
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("false_abstention", "false abst"),
    ("abstain_rate", "abstain (held-out)"),
)
SUMMARY_COLUMNS = (
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("mrr@10", "MRR"),
    ("ndcg@10", "nDCG"),
    ("accuracy", "acc"),
    ("f1", "F1"),
    ("exact_match", "EM"),
)
QUALITY_COLUMNS = (
    ("citation_precision", "cit. P"),
    ("citation_recall", "cit. R"),
    ("abstain_rate", "abstain"),
    ("false_abstention", "false abst"),
    ("overall_correct", "all ok"),
)
LANG_COLUMNS = (
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("mrr@10", "MRR"),
    ("accuracy", "acc"),
    ("abstain_rate", "abstain"),
    ("false_abstention", "false abst"),
)

Floor = Annotated[float | None, typer.Option(min=0.0, max=1.0)]


def check_floors(
    metrics: Mapping[str, Any],
    floors: Mapping[str, float | None],
    table: Mapping[str, tuple[str, bool]] = FLOORS,
) -> str | None:
    """The first floor ``metrics`` misses, as a one-line message (None when all are met).
    ``table`` maps each option to its metric key and direction."""
    for option, floor in floors.items():
        if floor is None:
            continue
        metric, at_least = table[option]
        value = metrics.get(metric)
        if value is None:
            return f"{metric} is undefined for this run, cannot check {option} {floor}"
        if at_least and value < floor:
            return f"{metric} = {value:.3f} is below the floor {floor:.3f} ({option})"
        if not at_least and value > floor:
            return f"{metric} = {value:.3f} is above the ceiling {floor:.3f} ({option})"
    return None


def _cell(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}"


LLM_COLUMNS = (
    ("llm_accuracy", "own answer right"), ("llm_accepted", "accepted"),
    ("llm_false_rejection", "right, rejected"), ("llm_wrong_accepted", "wrong, accepted"),
    ("reply_in_question_language", "asker's language"),
)  # fmt: skip


LLM_LATENCY_TITLES = ("first token p50 ms", "total p50 ms", "total p95 ms")


def llm_latency(stages: Mapping[str, Mapping[str, float]]) -> tuple[str, str, str]:
    """p50 time to the first streamed token, p50 and p95 total, of the LLM's answers."""
    first = stages.get("first_token", {})
    total = stages.get("total", {})
    return tuple(  # type: ignore[return-value]
        "–" if v is None else f"{v:.0f}"
        for v in (first.get("p50"), total.get("p50"), total.get("p95"))
    )


def _summary(run: Any) -> None:
    table = Table("mode", "n", *(t for _, t in SUMMARY_COLUMNS), title="retrieval and answers")
    for mode in run.modes:
        m = run.metrics[mode]["overall"]["all"]
        table.add_row(mode, str(m["n"]), *(_cell(m[k]) for k, _ in SUMMARY_COLUMNS))
    console.print(table)
    checked = [mode for mode in run.modes if "n_llm" in run.metrics[mode]["overall"]["all"]]
    if checked:  # an LLM backend answered: what its own text and the grounding check did
        table = Table(
            "mode", "lang", "n", *(t for _, t in LLM_COLUMNS), *LLM_LATENCY_TITLES,
            title="the LLM's answers (answerable questions; latency over every LLM call)",
        )  # fmt: skip
        for mode in checked:
            latency = llm_latency(run.latency[mode].get("llm", {}))
            groups = {"all": run.metrics[mode]["overall"]["all"], **run.metrics[mode]["lang"]}
            for lang, m in groups.items():
                if "n_llm" in m:
                    cells = (_cell(m[k]) for k, _ in LLM_COLUMNS)
                    table.add_row(
                        mode, lang, str(m["n_llm"]), *cells,
                        *(latency if lang == "all" else ("",) * len(latency)),
                    )  # fmt: skip
        console.print(table)
    table = Table(
        "mode", *(t for _, t in QUALITY_COLUMNS), "p50 ms", "p95 ms",
        title="citations, abstention, latency",
    )  # fmt: skip
    for mode in run.modes:
        m = run.metrics[mode]["overall"]["all"]
        total = run.latency[mode]["ask"].get("total", {})
        table.add_row(
            mode, *(_cell(m[k]) for k, _ in QUALITY_COLUMNS),
            f"{total.get('p50', 0):.0f}", f"{total.get('p95', 0):.0f}",
        )  # fmt: skip
    console.print(table)
    table = Table("mode", "lang", "n", *(t for _, t in LANG_COLUMNS), title="per language")
    for mode in run.modes:
        for lang, m in run.metrics[mode]["lang"].items():
            table.add_row(mode, lang, str(m["n"]), *(_cell(m[k]) for k, _ in LANG_COLUMNS))
    console.print(table)


@friendly_errors
def eval_command(
    gold: Annotated[Path, typer.Option(help="Gold Q&A file (JSONL).")] = DEFAULT_GOLD,
    split: Annotated[str, typer.Option(help="dev | test | holdout | all")] = "dev",
    mode: Annotated[
        str | None, typer.Option(help="hybrid | dense | bm25 | all (default: RAG_RETRIEVAL_MODE)")
    ] = None,
    llm: Annotated[str | None, typer.Option("--llm", help="Answer backend.")] = None,
    top_k: Annotated[int, typer.Option("-k", "--top-k", min=1, max=20)] = 5,
    out: Annotated[
        Path | None, typer.Option(help="Report folder (default: reports/eval-<time>).")
    ] = None,
    calibrate: Annotated[
        bool,
        typer.Option(
            help="Fit the span scorer and the abstention model on the gold dev split and a "
            "SQuAD-format dev set (--squad, default ../shared/data/xquad-vi-dev.json; "
            "--questions for a second language), save them, then evaluate."
        ),
    ] = False,
    keep_weights: Annotated[
        bool,
        typer.Option(
            help="With --calibrate: keep the committed span scorer and abstention model and "
            "only choose the per-language thresholds again (same data, same rule).",
        ),
    ] = False,
    refit_language: Annotated[
        list[str] | None,
        typer.Option(
            help="With --keep-weights: fit this language's own terms of the abstention model "
            "again (vi, vi-noaccent or en; repeatable), the shared weights held.",
        ),
    ] = None,
    train_reader: Annotated[
        bool,
        typer.Option(
            help="Fine-tune the extractive reader on a SQuAD-format dev set (--squad, default "
            "../shared/data/xquad-vi-dev.json; --questions for a second language) and cloze "
            "questions, save it to rag/answering/reader_weights.*, then exit (25-35 min).",
        ),
    ] = False,
    reader_fold: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=2,
            help="With --train-reader: leave the articles with index K mod 3 out of training "
            "and score the reader on their questions.",
        ),
    ] = None,
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option(help="Compare two report.json files (A → B) and exit.", show_default=False),
    ] = None,
    min_hit5: Floor = None,
    min_accuracy: Floor = None,
    min_abstain: Floor = None,
    max_false_abstain: Floor = None,
    min_hit1: Floor = None,
    squad: Annotated[
        Path | None,
        typer.Option(
            help="Evaluate short answers on a SQuAD v1.1 JSON file instead.",
            rich_help_panel="SQuAD",
        ),
    ] = None,
    questions: Annotated[
        Path | None,
        typer.Option(
            help="JSON {question id: text} replacing the SQuAD question texts.",
            rich_help_panel="SQuAD",
        ),
    ] = None,
    strip_accents: Annotated[
        bool,
        typer.Option(
            "--strip-accents",
            help="Ask the questions without diacritics (as many users type them).",
            rich_help_panel="SQuAD",
        ),
    ] = False,
    holdout_articles: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Leave N articles out of the index (their questions become unanswerable).",
            rich_help_panel="SQuAD",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            help="Seed of the held-out article choice [default: 0].", rich_help_panel="SQuAD"
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=1, help="Only the first N questions (of the split, or of the SQuAD file)."
        ),
    ] = None,
    min_f1: Annotated[float | None, typer.Option(min=0.0, max=1.0, rich_help_panel="SQuAD")] = None,
    min_em: Annotated[float | None, typer.Option(min=0.0, max=1.0, rich_help_panel="SQuAD")] = None,
    min_contains: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, rich_help_panel="SQuAD")
    ] = None,
) -> None:
    """Measure the pipeline against the gold Q&A set (retrieval, answers, abstention), or the
    short answers against a SQuAD file (--squad)."""
    floors = {
        "--min-hit5": min_hit5,
        "--min-accuracy": min_accuracy,
        "--min-abstain": min_abstain,
        "--max-false-abstain": max_false_abstain,
        "--min-hit1": min_hit1,
        "--min-f1": min_f1,
        "--min-em": min_em,
        "--min-contains": min_contains,
    }
    if train_reader:
        _train_reader(squad, questions, reader_fold)
        return
    if reader_fold is not None:
        raise InputError("--reader-fold applies only with --train-reader")
    if keep_weights and not calibrate:
        raise InputError("--keep-weights applies only with --calibrate")
    refit = list(refit_language or [])
    if refit and not keep_weights:
        raise InputError("--refit-language applies only with --calibrate --keep-weights")
    unknown = sorted(set(refit) - set(LANGUAGES))
    if unknown:
        raise InputError(f"--refit-language: unknown language {unknown[0]!r} "
                         f"(use {', '.join(LANGUAGES)})")  # fmt: skip
    if calibrate:
        _calibrate(gold, squad, questions, keep_weights, refit)
        squad = None
        questions = None
    squad_only = {
        "--questions": questions, "--holdout-articles": holdout_articles, "--seed": seed,
        "--strip-accents": strip_accents or None,
    }  # fmt: skip
    if squad is not None:
        gold_only = {
            "--gold": None if gold == DEFAULT_GOLD else gold,
            "--split": None if split == "dev" else split,
            "--calibrate": calibrate or None,
            "--compare": compare,
            **{k: v for k, v in floors.items() if k not in SQUAD_FLOORS},
        }
        _reject(gold_only, "applies to the gold set, not with --squad")
        _squad(
            squad, questions=questions, holdout_articles=holdout_articles or 0, seed=seed or 0,
            limit=limit, top_k=top_k, mode=mode, llm=llm, out=out, strip_accents=strip_accents,
            floors={k: v for k, v in floors.items() if k in SQUAD_FLOORS},
        )  # fmt: skip
        return
    _reject(
        {**squad_only, **{k: v for k, v in floors.items() if k not in FLOORS}},
        "applies only with --squad FILE",
    )
    if compare:
        from eval.compare import print_comparison

        print_comparison(compare[0], compare[1], console)
        return
    if split not in SPLIT_CHOICES:
        raise InputError(f"unknown split {split!r} (use {', '.join(SPLIT_CHOICES)})")
    if mode is not None and mode not in MODE_CHOICES:
        raise InputError(f"unknown mode {mode!r} (use {', '.join(MODE_CHOICES)})")
    items = load_gold(gold)

    from eval.harness import QuestionResult, run_eval
    from eval.report import write_report
    from rag import Pipeline
    from rag.retrieval.factory import MODES

    pipeline = Pipeline.from_settings()
    pipeline.index()  # fail early (one line) without an index or with a mismatched one
    modes = list(MODES) if mode == "all" else [mode or pipeline.settings.retrieval_mode]
    n_items = len(items) if split == "all" else sum(i.split == split for i in items)
    n_items = min(n_items, limit or n_items)
    progress = Progress(
        TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=console, disable=not is_interactive(),
        transient=True,
    )  # fmt: skip
    with progress:
        task = progress.add_task("", total=n_items * len(modes))

        def advance(result: QuestionResult) -> None:
            progress.update(task, advance=1, description=f"{result.mode} {result.id}")

        run = run_eval(
            pipeline, items, modes, split, top_k, llm=llm, on_result=advance, limit=limit
        )

    out = out or Path("reports") / f"eval-{dt.datetime.now():%Y%m%d-%H%M%S}"
    paths = write_report(run, out, None)
    _summary(run)
    console.print(f"report: {paths['md']} (and {paths['json'].name}, plots)", highlight=False)
    floors = {k: v for k, v in floors.items() if k in FLOORS}
    problem = check_floors(run.metrics[run.primary_mode]["overall"]["all"], floors)
    if problem:
        fail(f"{problem}; mode {run.primary_mode}, split {split}", 1)


DEFAULT_SQUAD = Path(__file__).resolve().parent.parent.parent / "shared/data/xquad-vi-dev.json"
DEFAULT_SQUAD_QUESTIONS = DEFAULT_SQUAD.with_name("xquad-en-dev-questions.json")


def _calibrate(
    gold: Path,
    squad: Path | None,
    questions: Path | None,
    keep_weights: bool = False,
    refit_languages: list[str] | None = None,
) -> None:
    """Fit and save the span scorer and the abstention model, or (``keep_weights``) only
    choose their thresholds again (eval/calibration_run.py)."""
    from eval.calibration_run import run_calibration
    from eval.gold import select_split
    from eval.squad import load_squad
    from rag import Pipeline

    if squad is None:
        squad = DEFAULT_SQUAD
        if questions is None and DEFAULT_SQUAD_QUESTIONS.exists():
            questions = DEFAULT_SQUAD_QUESTIONS
    if not squad.exists():
        raise InputError(f"{squad}: no such SQuAD file (give one with --squad FILE)")
    pipeline = Pipeline.from_settings()
    dev = select_split(load_gold(gold), "dev")
    what = "thresholds" if keep_weights else "span scorer and abstention model"
    with console.status(f"calibrating: {what}…"):
        report = run_calibration(
            pipeline, dev, pipeline.settings.docs_path, load_squad(squad), questions,
            step=lambda message: console.log(message), keep_weights=keep_weights,
            refit_languages=refit_languages or [],
        )  # fmt: skip
    cv = report["span_cv"]
    if cv:
        console.print(
            "span scorer, cross-validated by article: "
            + ", ".join(f"{k} F1 {v['f1']:.3f} EM {v['em']:.3f}" for k, v in cv.items()),
            highlight=False,
        )
    for lang, rates in report["thresholds"].items():
        console.print(
            f"abstention {lang}: threshold {rates['threshold']:g}, abstain "
            f"{rates['abstain_rate']:.3f}, false abstention {rates['false_abstention']:.3f} "
            f"({rates['n_answerable']} answerable, {rates['n_unanswerable']} unanswerable)",
            highlight=False,
        )


def _train_reader(squad: Path | None, questions: Path | None, fold: int | None) -> None:
    """Fine-tune the reader (eval/reader_training.py) and save its weights in the package."""
    from embeddings.provision import ensure_e5_model
    from eval.reader_training import train_reader
    from eval.squad import load_squad
    from rag.answering import reader
    from rag.settings import get_settings

    if squad is None:
        squad = DEFAULT_SQUAD
        if questions is None and DEFAULT_SQUAD_QUESTIONS.exists():
            questions = DEFAULT_SQUAD_QUESTIONS
    load_squad(squad)  # one-line error on a bad file
    data = json.loads(squad.read_text(encoding="utf-8"))
    second = json.loads(questions.read_text(encoding="utf-8")) if questions else None
    settings = get_settings()
    seeds = [p.read_text(encoding="utf-8") for p in sorted(settings.docs_path.glob("*.txt"))]
    out = Path(reader.__file__).with_name(reader.WEIGHTS_FILE)
    meta = train_reader(
        ensure_e5_model(settings.model_cache).path, data, second, seeds, out, fold=fold,
        log=lambda message: console.log(message),
    )  # fmt: skip
    for lang, score in meta["held_out_scores_gold_window"].items():
        console.print(
            f"held-out {lang}: F1 {score['f1']:.3f} EM {score['em']:.3f} (n={score['n']})"
        )
    console.print(f"saved {out} (and {out.with_suffix('.json').name})", highlight=False)


def _reject(options: Mapping[str, object], why: str) -> None:
    given = [name for name, value in options.items() if value is not None]
    if given:
        raise InputError(f"{', '.join(given)} {why}")


def _squad_summary(run: Any) -> None:
    m = run.metrics["overall"]["all"]
    c = run.config
    table = Table(
        "n", "answerable", "held-out", *(t for _, t in SQUAD_COLUMNS),
        title=f"SQuAD short answers ({c['mode']}, top_k {c['top_k']})",
    )  # fmt: skip
    table.add_row(
        str(m["n"]), str(m["n_answerable"]), str(m["n_unanswerable"]),
        *(_cell(m[k]) for k, _ in SQUAD_COLUMNS),
    )  # fmt: skip
    console.print(table)
    table = Table(
        *(t for _, t in SQUAD_QUALITY_COLUMNS), "mean ms", title="gold paragraph, abstention"
    )
    table.add_row(
        *(_cell(m[k]) for k, _ in SQUAD_QUALITY_COLUMNS), f"{m['latency_ms_mean'] or 0:.0f}"
    )
    console.print(table)
    if "n_llm" in m:  # an LLM backend answered
        table = Table(
            "lang", "n", *(t for _, t in LLM_COLUMNS), *LLM_LATENCY_TITLES,
            title="the LLM's answers (answerable questions; latency over every LLM call)",
        )  # fmt: skip
        latency = llm_latency(run.latency.get("llm", {}))
        for lang, g in {"all": m, **run.metrics["lang"]}.items():
            if "n_llm" in g:
                table.add_row(
                    lang, str(g["n_llm"]), *(_cell(g[k]) for k, _ in LLM_COLUMNS),
                    *(latency if lang == "all" else ("",) * len(latency)),
                )  # fmt: skip
        console.print(table)
    heldout = set(c["heldout_titles"])
    table = Table(
        "article", "n", "EM", "F1", "hit@1", "false abst", "abstain",
        title="per article", caption="* held out of the index" if heldout else None,
    )  # fmt: skip
    for article, a in run.metrics["article"].items():
        name = article.replace("_", " ") + (" *" if article in heldout else "")
        keys = ("exact_match", "f1", "hit@1", "false_abstention", "abstain_rate")
        table.add_row(name, str(a["n"]), *(_cell(a[k]) for k in keys))
    console.print(table)
    found = c["gold_in_cleaned_text"]
    console.print(
        f"gold spans in the cleaned paragraphs: {found['normalised']}/{found['answers']} "
        f"({found['verbatim']} verbatim); answered {m['n_answered']}/{m['n_answerable']} "
        f"answerable, {m['n_short_answer']} with a short answer; held out: "
        + (", ".join(c["heldout_titles"]) or "none"),
        highlight=False,
    )


def _squad(
    path: Path,
    *,
    questions: Path | None,
    holdout_articles: int,
    seed: int,
    limit: int | None,
    top_k: int,
    mode: str | None,
    llm: str | None,
    out: Path | None,
    floors: Mapping[str, float | None],
    strip_accents: bool = False,
) -> None:
    """``rag eval --squad``: build a temporary index of the file's paragraphs, score, report."""
    if mode is not None and mode not in MODE_CHOICES[:-1]:
        choices = ", ".join(MODE_CHOICES[:-1])
        raise InputError(f"--mode {mode} is not supported with --squad (use one of {choices})")
    from eval.squad import SquadRecord, load_squad, run_squad
    from eval.squad_report import write_squad_report
    from rag import Settings

    data = load_squad(path)  # fail on bad input before the model loads
    n_questions = min(limit or len(data.questions), len(data.questions))
    progress = Progress(
        TextColumn("squad"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=console, disable=not is_interactive(),
        transient=True,
    )  # fmt: skip
    with progress:
        task = progress.add_task("indexing", total=n_questions)

        def advance(record: SquadRecord) -> None:
            progress.update(task, advance=1, description=record.id)

        run = run_squad(
            Settings(), data, questions=questions, holdout_articles=holdout_articles, seed=seed,
            limit=limit, top_k=top_k, mode=mode, llm=llm, on_record=advance,
            strip_accents=strip_accents,
        )  # fmt: skip
    out = out or Path("reports") / f"squad-{dt.datetime.now():%Y%m%d-%H%M%S}"
    paths = write_squad_report(run, out)
    _squad_summary(run)
    console.print(f"report: {paths['md']} (and {paths['json'].name}, plots)", highlight=False)
    problem = check_floors(run.metrics["overall"]["all"], floors, SQUAD_FLOORS)
    if problem:
        fail(f"{problem}; squad {path.name}, mode {run.config['mode']}", 1)


def register(app: typer.Typer) -> None:
    """Add ``rag eval`` to the ``rag`` CLI."""
    app.command("eval")(eval_command)
