"""Write an eval run to a folder: ``report.json``, ``report.md`` and PNG plots."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.harness import EvalRun, QuestionResult

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
METRICS_PNG = "metrics_by_mode_language.png"
CURVE_PNG = "abstention_curve.png"

# (key in the metrics dict, column title)
MAIN_COLUMNS = (
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("accuracy", "accuracy"),
    ("f1", "F1"),
    ("exact_match", "EM num/date"),
    ("citation_precision", "cit. P"),
    ("citation_recall", "cit. R"),
    ("abstain_rate", "abstain (unans.)"),
    ("false_abstention", "false abstain"),
    ("overall_correct", "all correct"),
)
GROUP_COLUMNS = (
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("mrr@10", "MRR@10"),
    ("accuracy", "accuracy"),
    ("abstain_rate", "abstain (unans.)"),
    ("false_abstention", "false abstain"),
)
PLOT_METRICS = ("hit@1", "hit@5", "mrr@10", "accuracy", "abstain_rate", "false_abstention")
SENTINEL_BELOW = -50.0  # the answerer's "no passage at all" confidence (-99) is left off plots


def fmt(value: Any) -> str:
    """A metric for a table: 3 decimals, "–" when undefined."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def worst_failures(run: EvalRun, n: int = 10) -> list[QuestionResult]:
    """Failures of the primary mode, worst first.

    Order: failed in more modes; then a wrong answer given (to an answerable or unanswerable
    question) before a false abstention; wrong answers by confidence (most confident first),
    false abstentions by the rank of the evidence (evidence retrieved at rank 1 first).
    """
    failed_in = Counter(r.id for r in run.results if not r.ok)

    def key(r: QuestionResult) -> tuple[int, int, float]:
        if not r.abstained:
            return (-failed_in[r.id], 0, -r.confidence)
        return (-failed_in[r.id], 1, float(r.hit_rank or 99))

    return sorted((r for r in run.of_mode(run.primary_mode) if not r.ok), key=key)[:n]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _group_table(run: EvalRun, group: str) -> list[str]:
    header = ["mode", group, "n", *(title for _, title in GROUP_COLUMNS)]
    rows = []
    for mode in run.modes:
        for key, m in run.metrics[mode][group].items():
            rows.append([mode, key, str(m["n"]), *(fmt(m[k]) for k, _ in GROUP_COLUMNS)])
    return _table(header, rows)


def _failure_kind(r: QuestionResult) -> str:
    if not r.answerable:
        return "answered an unanswerable question"
    return "false abstention" if r.abstained else "wrong answer"


def _lang_label(r: QuestionResult) -> str:
    if r.answer_lang and r.answer_lang != r.lang:
        return f"{r.lang}, answerer detected {r.answer_lang}"
    return r.lang


def _failure_section(run: EvalRun, rank: int, r: QuestionResult) -> list[str]:
    others = [x.mode for x in run.results if x.id == r.id and x.mode != r.mode and not x.ok]
    expected = r.expected or "(unanswerable: should abstain)"
    if r.aliases:
        expected += " — aliases: " + "; ".join(r.aliases)
    where = "–" if not r.answerable else (str(r.hit_rank) if r.hit_rank else "not in top 10")
    lines = [
        f"### {rank}. {r.id} ({_lang_label(r)}, {r.type}, {r.split}): {_failure_kind(r)}",
        "",
        f"- **Question:** {r.question}",
        f"- **Expected:** {expected}",
        f"- **Got** (confidence {r.confidence:.3f}): {' '.join(r.answer.split())}",
        f"- **Evidence rank:** {where}; also failed in: {', '.join(others) or 'no other mode'}",
    ]
    if r.evidence:
        lines.append("- **Evidence:** " + " / ".join(f"“{e}”" for e in r.evidence))
    lines.append("- **Retrieved passages:**")
    for p in r.retrieved[:3]:
        mark = "✅" if p.relevant else "·"
        text = " ".join(p.text.split())[:220]
        lines.append(f"  {p.rank}. {mark} `{p.doc_id}` ({p.score:.4f}) {text}…")
    return [*lines, ""]


def render_markdown(run: EvalRun, calibration: dict[str, Any] | None = None) -> str:
    c = run.config
    lines = [
        "# Eval report",
        "",
        f"- created: {c['created']}; split: **{c['split']}**; questions: {c['questions']}; "
        f"modes: {', '.join(run.modes)}; top_k: {c['top_k']} (retrieval metrics over "
        f"top {c['search_k']})",
        f"- model: `{c['model_id']}`; index: {c['index_generation']} ({c['chunks']} chunks); "
        f"answerer: {c['answerer']}; thresholds in effect: {json.dumps(c['thresholds'])}",
        "- retrieval metrics and accuracy/F1/EM/citations are over answerable questions; "
        "citation P/R over answered ones; `abstain (unans.)` is over unanswerable questions.",
        "",
        "## Modes × metrics",
        "",
    ]
    header = ["mode", "n", *(title for _, title in MAIN_COLUMNS), "p50 ms", "p95 ms"]
    rows = []
    for mode in run.modes:
        m = run.metrics[mode]["overall"]["all"]
        total = run.latency[mode]["ask"].get("total", {})
        rows.append(
            [mode, str(m["n"]), *(fmt(m[k]) for k, _ in MAIN_COLUMNS),
             fmt(total.get("p50")), fmt(total.get("p95"))]
        )  # fmt: skip
    lines += _table(header, rows)
    lines += [f"![metrics by mode and language]({METRICS_PNG})", ""]
    for group, title in (("lang", "Per language"), ("type", "Per type"), ("split", "Per split")):
        lines += [f"## {title}", "", *_group_table(run, group)]
    lines += ["## Abstention", ""]
    lines += [
        f"Curve for **{run.primary_mode}**: abstain iff confidence < t, recomputed from the raw "
        "confidences (independent of the thresholds the answerer ran with). Panels are by the "
        "language the answerer detects, which is the key of its thresholds.",
        "",
        f"![abstention curve]({CURVE_PNG})",
        "",
    ]
    detected = {
        (r.id, r.lang, r.answer_lang)
        for r in run.of_mode(run.primary_mode)
        if r.answer_lang and r.answer_lang != r.lang
    }
    if detected:
        lines += [
            f"The answerer detects another language than the gold label for {len(detected)} "
            "question(s): "
            + ", ".join(f"{i} ({gold} → {got})" for i, gold, got in sorted(detected)),
            "",
        ]
    if calibration:
        lines += [
            f"Calibrated on the dev split ({calibration['mode']}, false abstention ≤ "
            f"{calibration['max_false_abstention']:.0%}):",
            "",
        ]
        rows = []
        for lang, d in calibration["details"].items():
            if "threshold" not in d:
                rows.append([lang, "skipped", d.get("skipped", ""), "", "", ""])
                continue
            dev, test = d["dev"], d["test"]
            rows.append(
                [lang, fmt(d["threshold"]), fmt(dev["abstain_rate"]),
                 fmt(dev["false_abstention"]), fmt(test["abstain_rate"]),
                 fmt(test["false_abstention"])]
            )  # fmt: skip
        header = ["lang", "threshold", "dev abstain", "dev false abst.", "test abstain",
                  "test false abst."]  # fmt: skip
        lines += _table(header, rows)
    lines += ["## Latency (ms)", ""]
    rows = []
    for mode in run.modes:
        for call, stages in run.latency[mode].items():
            for stage, s in stages.items():
                rows.append([mode, call, stage, fmt(s["p50"]), fmt(s["p95"])])
    lines += _table(["mode", "call", "stage", "p50", "p95"], rows)
    failures = worst_failures(run)
    lines += [f"## The {len(failures)} worst failures ({run.primary_mode})", ""]
    for rank, r in enumerate(failures, 1):
        lines += _failure_section(run, rank, r)
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------------- plots
def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def plot_metrics(run: EvalRun, path: Path) -> Path:
    """Grouped bars: for overall and each language, the main metrics with one bar per mode."""
    groups = ["all", *run.metrics[run.modes[0]]["lang"]]
    fig = _figure(4.2 * len(groups), 4.2)
    axes = fig.subplots(1, len(groups), sharey=True, squeeze=False)[0]
    width = 0.8 / len(run.modes)
    for ax, group in zip(axes, groups, strict=True):
        for i, mode in enumerate(run.modes):
            m = run.metrics[mode]["overall"]["all"] if group == "all" else (
                run.metrics[mode]["lang"].get(group, {})
            )  # fmt: skip
            values = [m.get(k) or 0.0 for k in PLOT_METRICS]
            xs = [j + (i - (len(run.modes) - 1) / 2) * width for j in range(len(PLOT_METRICS))]
            ax.bar(xs, values, width, label=mode)
        ax.set_title(group)
        ax.set_xticks(range(len(PLOT_METRICS)))
        ax.set_xticklabels([k.replace("_", "\n") for k in PLOT_METRICS], fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("score")
    axes[0].legend(fontsize=8)
    fig.suptitle("Metrics by mode and language")
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_abstention(run: EvalRun, path: Path, calibrated: dict[str, float] | None = None) -> Path:
    """Abstain-rate (unanswerable) and false abstention (answerable) vs threshold, per lang."""
    curves = run.curves[run.primary_mode]
    fig = _figure(4.2 * len(curves), 3.8)
    axes = fig.subplots(1, len(curves), squeeze=False)[0]
    for ax, (lang, points) in zip(axes, curves.items(), strict=True):
        shown = [
            p for p in points if p["threshold"] is not None and p["threshold"] > SENTINEL_BELOW
        ]
        xs = [p["threshold"] for p in shown]
        for key, label in (("abstain_rate", "abstain (unanswerable)"),
                           ("false_abstention", "false abstain (answerable)")):  # fmt: skip
            ys = [p[key] for p in shown]
            if any(y is not None for y in ys):
                ax.step(xs, [y if y is not None else float("nan") for y in ys], where="post",
                        label=label)  # fmt: skip
        current = run.config["thresholds"].get(lang)
        if current is not None:
            ax.axvline(current, color="grey", linestyle="--", label="current threshold")
        if calibrated and lang in calibrated:
            ax.axvline(calibrated[lang], color="red", linestyle=":", label="calibrated")
        ax.set_title(f"{lang} ({run.primary_mode})")
        ax.set_xlabel("threshold on confidence")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("rate")
    fig.tight_layout()
    fig.savefig(path)
    return path


def write_report(
    run: EvalRun, out_dir: str | Path, calibration: dict[str, Any] | None = None
) -> dict[str, Path]:
    """Write the report files into ``out_dir`` (created); returns their paths by kind."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = run.to_dict()
    if calibration is not None:
        data["calibration"] = calibration
    paths = {
        "json": out / REPORT_JSON,
        "md": out / REPORT_MD,
        "metrics_png": out / METRICS_PNG,
        "curve_png": out / CURVE_PNG,
    }
    paths["json"].write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
    paths["md"].write_text(render_markdown(run, calibration), "utf-8")
    plot_metrics(run, paths["metrics_png"])
    plot_abstention(run, paths["curve_png"], (calibration or {}).get("thresholds"))
    return paths
