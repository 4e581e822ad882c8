"""Write a SQuAD run to a folder: ``report.json``, ``report.md`` and two PNG plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.report import CURVE_PNG, REPORT_JSON, REPORT_MD, SENTINEL_BELOW, _figure, _table, fmt
from eval.squad import SquadRecord, SquadRun

F1_PNG = "f1_by_article_type.png"

# (key in the metrics dict, column title)
MAIN_COLUMNS = (
    ("exact_match", "EM"),
    ("f1", "F1"),
    ("exact_match_answered", "EM answered"),
    ("f1_answered", "F1 answered"),
    ("answer_contains", "answer contains"),
    ("short_answer_in_gold", "span in gold ¶"),
    ("hit@1", "hit@1 ¶"),
    ("hit@5", "hit@5 ¶"),
    ("false_abstention", "false abstain"),
    ("abstain_rate", "abstain (held-out)"),
    ("latency_ms_mean", "mean ms"),
)
GROUP_COLUMNS = (
    ("exact_match", "EM"),
    ("f1", "F1"),
    ("answer_contains", "contains"),
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("false_abstention", "false abst."),
    ("abstain_rate", "abstain (held-out)"),
)
PLOT_METRICS = (("exact_match", "EM"), ("f1", "F1"), ("hit@1", "hit@1"))
N_FAILURES = 10


def _counts(m: dict[str, Any]) -> list[str]:
    return [str(m["n"]), str(m["n_answerable"]), str(m["n_unanswerable"])]


def _group_table(run: SquadRun, group: str, title: str) -> list[str]:
    heldout = set(run.config["heldout_titles"])
    rows = []
    for key, m in run.metrics[group].items():
        label = f"{key} (held out)" if group == "article" and key in heldout else key
        rows.append([label, *_counts(m), *(fmt(m[k]) for k, _ in GROUP_COLUMNS)])
    header = [title, "n", "answerable", "unanswerable", *(t for _, t in GROUP_COLUMNS)]
    return _table(header, rows)


def _one_line(text: str | None, limit: int = 240) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def failures(run: SquadRun, n: int = N_FAILURES) -> list[SquadRecord]:
    """Answerable questions answered with F1 0 (most confident first), then false abstentions
    whose gold paragraph was retrieved at rank 1, then answered held-out questions (most
    confident first)."""
    wrong = [r for r in run.records if r.answerable and not r.abstained and not r.f1]
    missed = [r for r in run.records if r.answerable and r.abstained and r.hit_rank == 1]
    leaked = [r for r in run.records if not r.answerable and not r.abstained]
    wrong.sort(key=lambda r: -r.confidence)
    leaked.sort(key=lambda r: -r.confidence)
    return [*wrong[: n // 2], *missed[: n // 4], *leaked[: n // 4]][:n]


def _failure(rank: int, r: SquadRecord) -> list[str]:
    if not r.answerable:
        kind = "answered a held-out question"
    elif r.abstained:
        kind = "false abstention"
    else:
        kind = "F1 0"
    where = str(r.hit_rank) if r.hit_rank else ("–" if r.heldout else "not in top 10")
    return [
        f"{rank}. **{r.id}** ({r.article}, {r.lang}, {r.type}): {kind}",
        f"   - question: {_one_line(r.question)}",
        f"   - gold: {' / '.join(f'“{g}”' for g in r.gold_answers) or '–'}; "
        f"gold paragraph `{r.doc_id}` at rank {where}",
        f"   - short answer: {('“' + r.short_answer + '”') if r.short_answer else '–'} "
        f"(from `{r.short_answer_doc_id or '–'}`); confidence {r.confidence:.3f}",
        f"   - answer: {_one_line(r.answer)}",
    ]


def render_markdown(run: SquadRun) -> str:
    c = run.config
    m = run.metrics["overall"]["all"]
    found = c["gold_in_cleaned_text"]
    q_file = f"; questions from `{c['questions_file']}` ({c['questions_replaced']} replaced)"
    lines = [
        "# SQuAD eval report",
        "",
        f"- created: {c['created']}; file: `{c['squad_file']}`"
        + (q_file if c["questions_file"] else "")
        + f"; questions: {c['questions']}"
        + (f" (first {c['limit']})" if c["limit"] else ""),
        f"- index: {c['paragraphs_indexed']} paragraphs of {len(c['indexed_articles'])} "
        f"articles ({c['chunks']} chunks, built in {c['ingest_s']} s); held out "
        f"({c['holdout_articles']}, seed {c['seed']}): "
        + (", ".join(c["heldout_titles"]) or "none"),
        f"- mode: {c['mode']}; top_k: {c['top_k']} (paragraph hit@k over the top "
        f"{c['search_k']} passages); model: `{c['model_id']}`; answerer: {c['answerer']}; "
        f"thresholds: {json.dumps(c['thresholds'])}",
        f"- gold spans found in the cleaned paragraph text: {found['normalised']} of "
        f"{found['answers']} ({found['verbatim']} verbatim, the rest after NFC/tone placement)",
        "- EM/F1 compare `short_answer` with the gold spans (max over golds; NFC, tone "
        "placement, lowercase, no punctuation, whitespace tokens); an abstention or a missing "
        "short answer scores 0. EM/F1, contains, hit@k and false abstention are over "
        "answerable questions; *answered* over those not abstained; abstain over held-out "
        "(unanswerable) questions.",
        "",
        "## Overall",
        "",
    ]
    header = ["n", "answerable", "unanswerable", *(t for _, t in MAIN_COLUMNS)]
    lines += _table(header, [[*_counts(m), *(fmt(m[k]) for k, _ in MAIN_COLUMNS)]])
    lines += [
        f"{m['n_answered']} answerable questions answered, {m['n_short_answer']} of them with "
        "a short answer.",
        "",
        f"![F1 by article and question type]({F1_PNG})",
        "",
    ]
    for group, title in (("article", "article"), ("type", "type"), ("lang", "lang")):
        lines += [f"## Per {title}", "", *_group_table(run, group, title)]
    lines += [
        "## Abstention",
        "",
        "Abstain iff confidence < t, recomputed from the raw confidences: abstain rate on "
        "held-out questions vs false abstention on answerable ones.",
        "",
        f"![abstention curve]({CURVE_PNG})",
        "",
        "## Latency (ms)",
        "",
    ]
    rows = [
        [call, stage, fmt(s["p50"]), fmt(s["p95"])]
        for call, stages in run.latency.items()
        for stage, s in stages.items()
    ]
    lines += _table(["call", "stage", "p50", "p95"], rows)
    worst = failures(run)
    lines += [f"## {len(worst)} failures", ""]
    for rank, r in enumerate(worst, 1):
        lines += _failure(rank, r)
    return "\n".join(lines).rstrip() + "\n"


def plot_f1(run: SquadRun, path: Path) -> Path:
    """Bars of EM, F1 and hit@1 per indexed article and per question type."""
    heldout = set(run.config["heldout_titles"])
    panels = [
        ("article", {k: v for k, v in run.metrics["article"].items() if k not in heldout}),
        ("question type", run.metrics["type"]),
    ]
    fig = _figure(13, 4.6)
    axes = fig.subplots(
        1, 2, sharey=True, gridspec_kw={"width_ratios": [max(len(p[1]), 1) + 1 for p in panels]}
    )
    width = 0.8 / len(PLOT_METRICS)
    for ax, (title, groups) in zip(axes, panels, strict=True):
        names = list(groups)
        for i, (key, label) in enumerate(PLOT_METRICS):
            xs = [j + (i - (len(PLOT_METRICS) - 1) / 2) * width for j in range(len(names))]
            ax.bar(xs, [groups[g].get(key) or 0.0 for g in names], width, label=label)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(
            [f"{g.replace('_', ' ')[:22]}\n(n={groups[g]['n_answerable']})" for g in names],
            fontsize=7, rotation=30 if title == "article" else 0, ha="right" if title == "article"
            else "center",
        )  # fmt: skip
        ax.set_title(f"by {title} (answerable questions)")
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("score")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"SQuAD short answers ({run.config['mode']})")
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_abstention(run: SquadRun, path: Path) -> Path:
    """Abstain rate on held-out and false abstention on answerable questions vs threshold."""
    fig = _figure(6.5, 4.0)
    ax = fig.subplots()
    shown = [p for p in run.curve if p["threshold"] is not None and p["threshold"] > SENTINEL_BELOW]
    xs = [p["threshold"] for p in shown]
    for key, label in (("abstain_rate", "abstain (held-out)"),
                       ("false_abstention", "false abstain (answerable)")):  # fmt: skip
        ys = [p[key] for p in shown]
        if any(y is not None for y in ys):
            ax.step(xs, [y if y is not None else float("nan") for y in ys], where="post",
                    label=label)  # fmt: skip
    for i, (lang, t) in enumerate(sorted(run.config["thresholds"].items())):
        ax.axvline(t, color=f"C{i + 2}", linestyle="--", label=f"threshold {lang}")
    ax.set_xlabel("threshold on confidence")
    ax.set_ylabel("rate")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(f"Abstention curve ({run.config['mode']})")
    fig.tight_layout()
    fig.savefig(path)
    return path


def write_squad_report(run: SquadRun, out_dir: str | Path) -> dict[str, Path]:
    """Write the report files into ``out_dir`` (created); returns their paths by kind."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out / REPORT_JSON,
        "md": out / REPORT_MD,
        "f1_png": out / F1_PNG,
        "curve_png": out / CURVE_PNG,
    }
    data = json.dumps(run.to_dict(), ensure_ascii=False, indent=1)
    paths["json"].write_text(data + "\n", "utf-8")
    paths["md"].write_text(render_markdown(run), "utf-8")
    plot_f1(run, paths["f1_png"])
    plot_abstention(run, paths["curve_png"])
    return paths
