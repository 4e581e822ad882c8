"""The harness on the fast hashing pipeline: per-question results, breakdowns, the report."""

from __future__ import annotations

import json

import pytest

from eval.gold import load_gold
from eval.harness import aggregate, breakdown, run_eval
from eval.report import CURVE_PNG, METRICS_PNG, render_markdown, worst_failures, write_report
from rag.errors import InputError
from rag.textnorm import fold

# vi, en and unaccented questions, answerable and not, a list, a date, both splits
IDS = ("q002", "q003", "q026", "q091", "q043", "q057", "q015")


@pytest.fixture(scope="module")
def handful():
    items = [item for item in load_gold() if item.id in IDS]
    assert len(items) == len(IDS)
    return items


@pytest.fixture
def run(pipeline, handful):
    return run_eval(pipeline, handful, ["hybrid", "bm25"], "all", top_k=5)


def test_one_result_per_question_and_mode(run, handful):
    assert len(run.results) == 2 * len(handful)
    assert {(r.id, r.mode) for r in run.results} == {
        (i.id, m) for i in handful for m in ("hybrid", "bm25")
    }
    assert run.modes == ["hybrid", "bm25"]
    assert run.primary_mode == "hybrid"
    assert run.config["questions"] == len(handful)
    assert run.config["model_id"].startswith("hashing")


def test_per_question_results_are_consistent(run, handful):
    gold = {i.id: i for i in handful}
    for r in run.results:
        item = gold[r.id]
        assert (r.question, r.lang, r.type, r.split) == (
            item.question, item.lang, item.type, item.split,
        )  # fmt: skip
        assert r.expected == item.answer
        assert 1 <= len(r.retrieved) <= 10
        assert [p.rank for p in r.retrieved] == list(range(1, len(r.retrieved) + 1))
        assert all(p.chunk_id and p.doc_id for p in r.retrieved)
        assert isinstance(r.confidence, float)
        assert r.answer_lang in ("vi", "vi-noaccent", "en")
        assert "total" in r.timings_ms
        for cited in r.citations:
            assert cited.cited == (f"[{cited.n}]" in r.answer)
        if not item.answerable:
            assert r.hit_rank is None and r.retrieval is None and r.correct is None
            assert not any(p.relevant for p in r.retrieved)
            continue
        flags = [p.relevant for p in r.retrieved]
        expected_rank = flags.index(True) + 1 if any(flags) else None
        assert r.hit_rank == expected_rank
        assert r.retrieval["hit@5"] == float(expected_rank is not None and expected_rank <= 5)
        assert r.correct is not None and r.f1 is not None
        if r.abstained:
            assert not r.correct
        if item.type in ("number", "date"):
            assert r.exact is not None


def test_relevance_flags_match_the_evidence(run, pipeline, handful):
    gold = {i.id: i for i in handful}
    chunks = {c.chunk_id: c.text for c in pipeline.index().snapshot.chunks}
    for r in run.results:
        needles = [fold(e) for e in gold[r.id].evidence]
        for p in r.retrieved:
            assert p.relevant == any(n in fold(chunks[p.chunk_id]) for n in needles)


def test_metrics_are_broken_down(run):
    for mode in run.modes:
        m = run.metrics[mode]
        assert set(m) == {"overall", "lang", "type", "split"}
        assert set(m["lang"]) == {"vi", "en", "vi-noaccent"}
        assert set(m["split"]) == {"dev", "test"}
        overall = m["overall"]["all"]
        assert overall["n"] == 7
        assert overall["n_unanswerable"] == 3
        for key in ("hit@1", "hit@5", "mrr@10", "ndcg@10", "accuracy", "f1",
                    "abstain_rate", "false_abstention", "overall_correct"):  # fmt: skip
            assert 0.0 <= overall[key] <= 1.0, key
        assert overall["hit@1"] <= overall["hit@5"]
        assert sum(g["n"] for g in m["lang"].values()) == 7
        assert set(run.latency[mode]) == {"ask", "search"}
        assert run.latency[mode]["ask"]["total"]["n"] == 7
        assert set(run.curves[mode]) == {"all", "vi", "en", "vi-noaccent"}


def test_report_files(run, tmp_path):
    paths = write_report(run, tmp_path / "out")
    for name in ("report.json", "report.md", METRICS_PNG, CURVE_PNG):
        assert (tmp_path / "out" / name).is_file(), name
    for png in (METRICS_PNG, CURVE_PNG):
        assert (tmp_path / "out" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(paths["json"].read_text("utf-8"))
    assert data["metrics"] == json.loads(json.dumps(run.metrics))
    assert len(data["results"]) == len(run.results)
    assert {"question", "lang", "type", "expected", "answer", "abstained", "confidence",
            "citations", "retrieved", "hit_rank"} <= set(data["results"][0])  # fmt: skip
    md = paths["md"].read_text("utf-8")
    for heading in ("## Modes × metrics", "## Per language", "## Per type", "## Per split",
                    "## Abstention", "worst failures"):  # fmt: skip
        assert heading in md


def test_worst_failures_are_failures_of_the_primary_mode(run):
    failures = worst_failures(run)
    assert len(failures) <= 10
    assert all(not r.ok and r.mode == "hybrid" for r in failures)
    md = render_markdown(run)
    for r in failures:
        assert f"{r.id} ({r.lang}" in md


def test_bad_modes_and_empty_splits(pipeline, handful):
    with pytest.raises(InputError):
        run_eval(pipeline, handful, ["semantic"], "all")
    with pytest.raises(InputError):
        run_eval(pipeline, [i for i in handful if i.split == "dev"], ["bm25"], "test")


# ----------------------------------------------------------------- aggregation, by hand
def test_aggregate_by_hand(make_result):
    results = [
        make_result(id="a", correct=True, f1=1.0, exact=True, citation_precision=1.0,
                    citation_recall=1.0, hit_rank=1,
                    retrieval={"hit@1": 1.0, "hit@5": 1.0, "mrr@10": 1.0, "ndcg@10": 1.0}),
        make_result(id="b", correct=False, f1=0.5, citation_precision=0.0, citation_recall=0.0,
                    hit_rank=2,
                    retrieval={"hit@1": 0.0, "hit@5": 1.0, "mrr@10": 0.5, "ndcg@10": 0.6}),
        make_result(id="c", correct=False, f1=0.0, exact=False, abstained=True,
                    retrieval={"hit@1": 0.0, "hit@5": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}),
        make_result(id="d", answerable=False, abstained=True, lang="en"),
        make_result(id="e", answerable=False, abstained=False, lang="en"),
    ]  # fmt: skip
    m = aggregate(results)
    assert (m["n"], m["n_answerable"], m["n_unanswerable"]) == (5, 3, 2)
    assert m["hit@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["hit@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["mrr@10"] == 0.5
    assert m["accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["f1"] == 0.5
    assert m["exact_match"] == 0.5
    assert m["citation_precision"] == 0.5  # over answered questions only (a, b)
    assert m["abstain_rate"] == 0.5
    assert m["false_abstention"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["overall_correct"] == 0.4  # a and d
    by_lang = breakdown(results)["lang"]
    assert by_lang["en"]["accuracy"] is None
    assert by_lang["en"]["abstain_rate"] == 0.5
    assert by_lang["vi"]["abstain_rate"] is None


@pytest.mark.integration
def test_real_model_on_a_handful(e5_pipeline, handful, tmp_path):
    run = run_eval(e5_pipeline, handful, ["hybrid"], "all")
    overall = run.metrics["hybrid"]["overall"]["all"]
    assert overall["hit@5"] >= 0.5
    write_report(run, tmp_path)
    assert (tmp_path / "report.md").is_file()
