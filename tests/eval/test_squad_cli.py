"""``rag eval --squad`` through the real ``rag`` app, on the hashing embedder."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eval.cli import SQUAD_FLOORS, check_floors
from rag.cli.main import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    """RAG_* for the hashing embedder; RAG_INDEX_DIR points at a folder that must stay absent."""
    monkeypatch.setenv("RAG_EMBED_BACKEND", "hash")
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "main-index"))
    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path / "models"))
    monkeypatch.setenv("RAG_RETRIEVAL_MODE", "hybrid")
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, ["eval", *args])


def assert_one_line_error(result, message: str) -> None:
    assert result.exit_code != 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and message in lines[0], lines[0]
    assert "Traceback" not in result.output


def test_squad_run_writes_the_report(env, squad_file, fake_answers):
    out = env / "report"
    result = invoke("--squad", str(squad_file), "--holdout-articles", "1", "--out", str(out),
                    "--mode", "bm25", "--min-f1", "0", "--max-false-abstain", "1")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "SQuAD short answers (bm25, top_k 5)" in result.output
    assert "* held out of the index" in result.output
    data = json.loads((out / "report.json").read_text("utf-8"))
    assert len(data["records"]) == 12 and data["config"]["holdout_articles"] == 1
    assert (out / "report.md").is_file()
    assert not (env / "main-index").exists()  # the configured index is never touched


def test_floors_fail_with_one_line(env, squad_file, fake_answers):
    out = env / "report"
    result = invoke("--squad", str(squad_file), "--limit", "4", "--mode", "bm25",
                    "--out", str(out), "--min-f1", "0.9")  # fmt: skip
    assert result.exit_code == 1
    assert "error: f1 = 0.472 is below the floor 0.900 (--min-f1)" in result.output
    assert (out / "report.json").is_file()  # the report is written before the check
    result = invoke("--squad", str(squad_file), "--limit", "4", "--mode", "bm25",
                    "--out", str(out), "--max-false-abstain", "0.2")  # fmt: skip
    assert result.exit_code == 1
    assert "false_abstention = 0.250 is above the ceiling 0.200" in result.output
    result = invoke("--squad", str(squad_file), "--limit", "4", "--mode", "bm25",
                    "--out", str(out), "--min-abstain", "0.5")  # fmt: skip
    assert result.exit_code == 1
    assert "abstain_rate is undefined" in result.output  # nothing was held out


@pytest.mark.parametrize(
    ("metrics", "floors", "message"),
    [
        ({"exact_match": 0.3}, {"--min-em": 0.4}, "exact_match = 0.300 is below the floor"),
        ({"answer_contains": 0.5}, {"--min-contains": 0.6}, "answer_contains = 0.500"),
        ({"hit@1": 0.7}, {"--min-hit1": 0.8}, "hit@1 = 0.700 is below the floor 0.800"),
        ({"hit@1": 0.8, "f1": 0.5}, {"--min-hit1": 0.8, "--min-f1": 0.5}, None),
    ],
)
def test_squad_floors(metrics, floors, message):
    problem = check_floors(metrics, floors, SQUAD_FLOORS)
    assert problem == message if message is None else message in (problem or "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--squad", "{dir}/nope.json"], "SQuAD file not found"),
        (["--squad", "{dir}/list.json"], 'not SQuAD JSON (expected an object with a "data" list)'),
        (["--squad", "{squad}", "--questions", "{dir}/unknown.json"],
         "questions file has 1 id(s) not in mini-squad.json: zz"),
        (["--squad", "{squad}", "--questions", "{dir}/nope.json"], "questions file not found"),
        (["--squad", "{squad}", "--holdout-articles", "3"], "cannot hold out 3 of 3 articles"),
        (["--squad", "{squad}", "--mode", "all"], "--mode all is not supported with --squad"),
        (["--squad", "{squad}", "--min-accuracy", "0.5"],
         "--min-accuracy applies to the gold set, not with --squad"),
        (["--squad", "{squad}", "--split", "test"], "--split applies to the gold set"),
        (["--holdout-articles", "1"], "--holdout-articles applies only with --squad FILE"),
        (["--min-f1", "0.5"], "--min-f1 applies only with --squad FILE"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line(env, squad_file, args, message):
    (env / "list.json").write_text("[1, 2]", "utf-8")
    (env / "unknown.json").write_text('{"zz": "What?"}', "utf-8")
    args = [a.format(dir=env, squad=squad_file) for a in args]
    result = invoke(*args, "--out", str(env / "r"))
    assert_one_line_error(result, message)
    assert not (env / "r").exists()
