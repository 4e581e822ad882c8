"""What changed between two ``report.json`` files: metric deltas and questions that flipped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from rag.errors import RagError

# Metrics where a lower value is better (shown green when they go down).
LOWER_IS_BETTER = ("false_abstention", "p50", "p95")


class ReportError(RagError):
    exit_code = 2


@dataclass(frozen=True)
class Delta:
    key: str  # "mode/group/key/metric", e.g. "hybrid/lang/en/accuracy"
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def improved(self) -> bool | None:
        change = self.change
        if change is None or change == 0:
            return None
        lower = self.key.rsplit("/", 1)[-1] in LOWER_IS_BETTER
        return change < 0 if lower else change > 0


@dataclass(frozen=True)
class Flip:
    id: str
    mode: str
    fixed: bool  # False: broken


def load_report(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: report not found") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: not a readable report.json ({exc})") from None
    if not isinstance(data, dict) or "metrics" not in data:
        raise ReportError(f"{path}: not an eval report (no 'metrics')")
    return data


def flatten(report: dict[str, Any]) -> dict[str, float | None]:
    """Every metric as "mode/group/key/metric" (latency as "mode/latency/call.stage/pXX")."""
    flat: dict[str, float | None] = {}
    for mode, groups in report.get("metrics", {}).items():
        for group, keys in groups.items():
            for key, metrics in keys.items():
                for name, value in metrics.items():
                    if value is None or isinstance(value, int | float):
                        flat[f"{mode}/{group}/{key}/{name}"] = value
    for mode, calls in report.get("latency", {}).items():
        for call, stages in calls.items():
            for stage, stats in stages.items():
                for name in ("p50", "p95"):
                    if name in stats:
                        flat[f"{mode}/latency/{call}.{stage}/{name}"] = stats[name]
    return flat


def metric_deltas(a: dict[str, Any], b: dict[str, Any]) -> list[Delta]:
    """Metrics whose value differs between report ``a`` (before) and ``b`` (after)."""
    fa, fb = flatten(a), flatten(b)
    keys = list(dict.fromkeys([*fa, *fb]))
    return [Delta(k, fa.get(k), fb.get(k)) for k in keys if fa.get(k) != fb.get(k)]


def _ok(row: dict[str, Any]) -> bool:
    if row.get("answerable"):
        return bool(row.get("correct"))
    return bool(row.get("abstained"))


def flips(a: dict[str, Any], b: dict[str, Any]) -> list[Flip]:
    """Questions (per mode) that went from failing to passing or back."""
    before = {(r["id"], r["mode"]): _ok(r) for r in a.get("results", [])}
    out = []
    for r in b.get("results", []):
        key = (r["id"], r["mode"])
        if key in before and before[key] != _ok(r):
            out.append(Flip(r["id"], r["mode"], fixed=_ok(r)))
    return out


def print_comparison(
    a_path: str | Path, b_path: str | Path, console: Console, *, latency: bool = False
) -> list[Delta]:
    """Print the changed metrics (``latency`` adds timing rows) and flipped questions."""
    a, b = load_report(a_path), load_report(b_path)
    deltas = [d for d in metric_deltas(a, b) if latency or "/latency/" not in d.key]
    for name in ("model_id", "index_generation", "answerer", "thresholds", "split", "questions"):
        va, vb = a.get("config", {}).get(name), b.get("config", {}).get(name)
        if va != vb:
            console.print(f"config {name}: {va} → {vb}", highlight=False)
    if not deltas:
        console.print("no metric changed")
    else:
        table = Table("metric", "before", "after", "change", title=f"{a_path} → {b_path}")
        for d in deltas:
            change = "" if d.change is None else f"{d.change:+.3f}"
            style = {True: "green", False: "red", None: ""}[d.improved]
            table.add_row(d.key, _num(d.before), _num(d.after), f"[{style}]{change}[/]"
                          if style else change)  # fmt: skip
        console.print(table)
    changed = flips(a, b)
    for label, fixed in (("fixed", True), ("broken", False)):
        ids = [f"{f.id} ({f.mode})" for f in changed if f.fixed is fixed]
        if ids:
            console.print(f"{label}: {', '.join(ids)}", highlight=False)
    return deltas


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
