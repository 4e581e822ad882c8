"""``rag eval``: run the gold set through the pipeline, write a report, enforce floors.

Registered on the ``rag`` CLI through the ``hoinghi_qa.commands`` entry-point group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from eval.gold import DEFAULT_GOLD, load_gold
from rag.cli.common import console, fail, friendly_errors, is_interactive
from rag.errors import InputError

SPLIT_CHOICES = ("dev", "test", "holdout", "all")
MODE_CHOICES = ("hybrid", "dense", "bm25", "all")
# option name → (metric key, True if the value must be at least the floor)
FLOORS = {
    "--min-hit5": ("hit@5", True),
    "--min-accuracy": ("accuracy", True),
    "--min-abstain": ("abstain_rate", True),
    "--max-false-abstain": ("false_abstention", False),
}
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


def check_floors(metrics: Mapping[str, Any], floors: Mapping[str, float | None]) -> str | None:
    """The first floor ``metrics`` misses, as a one-line message (None when all are met)."""
    for option, floor in floors.items():
        if floor is None:
            continue
        metric, at_least = FLOORS[option]
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


def _summary(run: Any) -> None:
    table = Table("mode", "n", *(t for _, t in SUMMARY_COLUMNS), title="retrieval and answers")
    for mode in run.modes:
        m = run.metrics[mode]["overall"]["all"]
        table.add_row(mode, str(m["n"]), *(_cell(m[k]) for k, _ in SUMMARY_COLUMNS))
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
        bool, typer.Option(help="Choose per-language abstention thresholds on dev; save them.")
    ] = False,
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option(help="Compare two report.json files (A → B) and exit.", show_default=False),
    ] = None,
    min_hit5: Floor = None,
    min_accuracy: Floor = None,
    min_abstain: Floor = None,
    max_false_abstain: Floor = None,
) -> None:
    """Measure the pipeline against the gold Q&A set (retrieval, answers, abstention)."""
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
    progress = Progress(
        TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=console, disable=not is_interactive(),
        transient=True,
    )  # fmt: skip
    with progress:
        task = progress.add_task("", total=n_items * len(modes))

        def advance(result: QuestionResult) -> None:
            progress.update(task, advance=1, description=f"{result.mode} {result.id}")

        run = run_eval(pipeline, items, modes, split, top_k, llm=llm, on_result=advance)

    calibration = None
    if calibrate:
        from eval.calibrate import calibrate as choose
        from eval.calibrate import write_thresholds

        calibration = choose(run.results, run.primary_mode)
        path = write_thresholds(calibration["thresholds"])
        calibration["written_to"] = str(path)
    out = out or Path("reports") / f"eval-{dt.datetime.now():%Y%m%d-%H%M%S}"
    paths = write_report(run, out, calibration)
    _summary(run)
    if calibration is not None:
        console.print(
            f"calibrated thresholds ({calibration['mode']}, dev): "
            + ", ".join(f"{k}={v:g}" for k, v in calibration["thresholds"].items())
            + f" → {calibration['written_to']}",
            highlight=False,
        )
    console.print(f"report: {paths['md']} (and {paths['json'].name}, plots)", highlight=False)
    floors = {
        "--min-hit5": min_hit5,
        "--min-accuracy": min_accuracy,
        "--min-abstain": min_abstain,
        "--max-false-abstain": max_false_abstain,
    }
    problem = check_floors(run.metrics[run.primary_mode]["overall"]["all"], floors)
    if problem:
        fail(f"{problem}; mode {run.primary_mode}, split {split}", 1)


def register(app: typer.Typer) -> None:
    """Add ``rag eval`` to the ``rag`` CLI."""
    app.command("eval")(eval_command)
