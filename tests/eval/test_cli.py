"""``rag eval`` through the real ``rag`` app (entry point), on a hashing-embedder index."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from typer.testing import CliRunner

import eval.calibrate
import eval.span_training
from eval.cli import check_floors
from eval.gold import DEFAULT_GOLD
from rag import Pipeline, Settings
from rag.cli.main import app

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
IMPOSSIBLE = {
    "id": "z1", "question": "Hội nghị đối ngoại toàn quốc diễn ra ở đâu?",
    "answer": "Sao Hỏa xyzzy", "aliases": [],
    "evidence": ["một chuỗi không hề có trong tài liệu xyzzy"], "doc_ids": ["000_4c33edc76b0aa510"],
    "lang": "vi", "answerable": True, "type": "place", "split": "dev",
}  # fmt: skip
OFF_TOPIC = {
    "id": "z2", "question": "Thủ đô của Úc là gì?", "answer": "", "aliases": [], "evidence": [],
    "doc_ids": [], "lang": "vi", "answerable": False, "type": "place", "split": "dev",
}  # fmt: skip

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    """RAG_* pointing at a temp index ingested with the hashing embedder."""
    index = tmp_path / "index"
    settings = Settings(index_dir=index, embed_backend="hash", model_cache=tmp_path / "models")
    Pipeline(settings).ingest([SEEDS])
    monkeypatch.setenv("RAG_EMBED_BACKEND", "hash")
    monkeypatch.setenv("RAG_INDEX_DIR", str(index))
    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path / "models"))
    monkeypatch.setenv("RAG_RETRIEVAL_MODE", "hybrid")
    return tmp_path


@pytest.fixture
def gold(tmp_path):
    """Two dev questions: the answerable one can never be retrieved or answered."""
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (IMPOSSIBLE, OFF_TOPIC)),
                    "utf-8")  # fmt: skip
    return path


def invoke(*args: str):
    return runner.invoke(app, ["eval", *args])


def test_eval_is_registered_through_the_entry_point():
    names = {e.name: e.value for e in entry_points(group="hoinghi_qa.commands")}
    assert names.get("eval") == "eval.cli:register"
    assert "eval" in {c.name for c in app.registered_commands}


def test_floor_failure_exits_1_naming_the_metric(env, gold):
    out = env / "report"
    result = invoke("--gold", str(gold), "--mode", "bm25", "--out", str(out), "--min-hit5", "0.5")
    assert result.exit_code == 1, result.output
    assert "hit@5 = 0.000 is below the floor 0.500 (--min-hit5)" in result.output
    assert (out / "report.json").is_file()  # the report is written before the check


def test_accuracy_floor_and_false_abstention_ceiling(env, gold):
    result = invoke("--gold", str(gold), "--mode", "bm25", "--out", str(env / "r"),
                    "--min-accuracy", "0.1")  # fmt: skip
    assert result.exit_code == 1
    assert "accuracy = 0.000 is below the floor" in result.output


def test_met_floors_exit_0(env, gold):
    out = env / "report"
    result = invoke(
        "--gold", str(gold), "--mode", "all", "--split", "all", "--out", str(out),
        "--min-hit5", "0", "--min-accuracy", "0", "--max-false-abstain", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "hybrid" in result.output and "dense" in result.output and "bm25" in result.output
    data = json.loads((out / "report.json").read_text("utf-8"))
    assert data["config"]["modes"] == ["hybrid", "dense", "bm25"]
    assert data["metrics"]["hybrid"]["overall"]["all"]["hit@5"] == 0.0


def test_missing_gold_file_is_one_line(env):
    result = invoke("--gold", str(env / "nope.jsonl"))
    assert result.exit_code == 2
    assert "gold file not found" in result.output
    assert "Traceback" not in result.output


def test_missing_index_is_one_line(tmp_path, monkeypatch, gold):
    monkeypatch.setenv("RAG_EMBED_BACKEND", "hash")
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "no-index"))
    result = invoke("--gold", str(gold), "--mode", "bm25", "--out", str(tmp_path / "r"))
    assert result.exit_code == 3
    assert "rag ingest" in result.output
    assert "Traceback" not in result.output


def test_bad_split_is_rejected(env, gold):
    result = invoke("--gold", str(gold), "--split", "train")
    assert result.exit_code == 2
    assert "unknown split" in result.output


def test_calibrate_fits_and_writes_both_models(
    env, gold, squad_file, english_file, tmp_path, monkeypatch
):
    spans_path, calibration_path = tmp_path / "span_weights.json", tmp_path / "calibration.json"
    calibration_path.write_text(json.dumps({"weights": {"dense": 1.0}}), "utf-8")
    monkeypatch.setattr(eval.span_training, "WEIGHTS_PATH", spans_path)
    monkeypatch.setattr(eval.calibrate, "CALIBRATION_FILE", calibration_path)
    result = invoke(
        "--gold", str(gold), "--mode", "bm25", "--out", str(env / "r"), "--calibrate",
        "--squad", str(squad_file), "--questions", str(english_file),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    spans = json.loads(spans_path.read_text("utf-8"))
    assert spans["weights"] and spans["sources"]["squad"]["file"] == squad_file.name
    data = json.loads(calibration_path.read_text("utf-8"))
    assert data["weights"] == {"dense": 1.0}  # other keys are kept
    assert data["thresholds"] and data["abstention"]
    assert "cross-validated by article" in result.output


def test_calibrate_keep_weights_chooses_only_the_thresholds(
    env, gold, squad_file, english_file, tmp_path, monkeypatch
):
    spans_path, calibration_path = tmp_path / "span_weights.json", tmp_path / "calibration.json"
    spans_path.write_text('{"weights": {"x": 1.0}}', "utf-8")
    committed = {
        "abstention": {"bias": -1.0, "dense": 2.0},
        "thresholds": {"vi": 99.0},
        "threshold_updates": [{"language": "vi", "to": 99.0}],
    }
    calibration_path.write_text(json.dumps(committed), "utf-8")
    monkeypatch.setattr(eval.span_training, "WEIGHTS_PATH", spans_path)
    monkeypatch.setattr(eval.calibrate, "CALIBRATION_FILE", calibration_path)
    result = invoke(
        "--gold", str(gold), "--mode", "bm25", "--out", str(env / "r"), "--calibrate",
        "--keep-weights", "--squad", str(squad_file), "--questions", str(english_file),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert spans_path.read_text("utf-8") == '{"weights": {"x": 1.0}}'  # span scorer kept
    data = json.loads(calibration_path.read_text("utf-8"))
    assert data["abstention"] == committed["abstention"]  # weights kept
    assert data["thresholds"] and data["thresholds"] != committed["thresholds"]
    assert set(data["thresholds"]) == set(data["rates_on_calibration_data"])
    chosen = data["thresholds_chosen"]
    assert "--keep-weights" in chosen["method"]
    assert chosen["sources"]["squad_questions_also_without_diacritics"] is True
    assert "threshold_updates" not in data
    assert "cross-validated" not in result.output  # nothing was fitted


def test_calibrate_refit_language_fits_only_that_languages_terms(
    env, gold, squad_file, english_file, tmp_path, monkeypatch
):
    calibration_path = tmp_path / "calibration.json"
    committed = {
        "abstention": {"bias": -1.0, "dense": 2.0, "vi*dense": 0.5, "lang=vi-noaccent": 0.0,
                       "vi-noaccent*dense": 0.0},
        "thresholds": {"vi": 0.0},
    }  # fmt: skip
    calibration_path.write_text(json.dumps(committed), "utf-8")
    monkeypatch.setattr(eval.span_training, "WEIGHTS_PATH", tmp_path / "span_weights.json")
    monkeypatch.setattr(eval.calibrate, "CALIBRATION_FILE", calibration_path)
    result = invoke(
        "--gold", str(gold), "--mode", "bm25", "--out", str(env / "r"), "--calibrate",
        "--keep-weights", "--refit-language", "vi-noaccent",
        "--squad", str(squad_file), "--questions", str(english_file),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(calibration_path.read_text("utf-8"))
    weights = data["abstention"]
    for shared in ("bias", "dense", "vi*dense"):
        assert weights[shared] == committed["abstention"][shared]
    refitted = {k: v for k, v in weights.items() if k.startswith(("vi-noaccent*", "lang=vi-no"))}
    assert refitted and refitted != {"lang=vi-noaccent": 0.0, "vi-noaccent*dense": 0.0}
    assert data["thresholds_chosen"]["refitted_languages"] == ["vi-noaccent"]
    assert "--refit-language vi-noaccent" in data["thresholds_chosen"]["method"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--refit-language", "vi"), "--refit-language applies only with --calibrate --keep"),
        (("--calibrate", "--keep-weights", "--refit-language", "fr"), "unknown language 'fr'"),
    ],
)
def test_refit_language_is_checked(env, gold, args, message):
    result = invoke("--gold", str(gold), *args)
    assert result.exit_code == 2
    assert message in result.output


def test_keep_weights_needs_calibrate(env, gold):
    result = invoke("--gold", str(gold), "--keep-weights")
    assert result.exit_code == 2
    assert "--keep-weights applies only with --calibrate" in result.output


def test_calibrate_needs_a_squad_file(env, gold, tmp_path):
    result = invoke("--gold", str(gold), "--calibrate", "--squad", str(tmp_path / "none.json"))
    assert result.exit_code != 0
    assert "no such SQuAD file" in result.output


def test_compare_prints_deltas(env, gold, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    invoke("--gold", str(gold), "--mode", "bm25", "--out", str(tmp_path / "ra"))
    report = json.loads((tmp_path / "ra" / "report.json").read_text("utf-8"))
    a.write_text(json.dumps(report), "utf-8")
    report["metrics"]["bm25"]["overall"]["all"]["hit@5"] = 0.75
    b.write_text(json.dumps(report), "utf-8")
    result = invoke("--compare", str(a), str(b))
    assert result.exit_code == 0, result.output
    assert "bm25/overall/all/hit@5" in result.output
    assert "+0.750" in result.output


def test_default_gold_exists():
    assert DEFAULT_GOLD.is_file()


@pytest.mark.parametrize(
    ("floors", "message"),
    [
        ({"--min-hit5": 0.9}, "hit@5 = 0.800 is below the floor 0.900 (--min-hit5)"),
        ({"--min-accuracy": 0.7}, "accuracy = 0.600 is below the floor 0.700"),
        ({"--min-abstain": 0.6}, "abstain_rate = 0.500 is below the floor 0.600"),
        ({"--max-false-abstain": 0.1}, "false_abstention = 0.200 is above the ceiling 0.100"),
        ({"--min-hit5": 0.8, "--max-false-abstain": 0.2}, None),
    ],
)
def test_check_floors(floors, message):
    metrics = {"hit@5": 0.8, "accuracy": 0.6, "abstain_rate": 0.5, "false_abstention": 0.2}
    problem = check_floors(metrics, floors)
    if message is None:
        assert problem is None
    else:
        assert problem is not None and message in problem


def test_undefined_metric_fails_its_floor():
    assert "undefined" in check_floors({"abstain_rate": None}, {"--min-abstain": 0.5})


def test_reader_fold_needs_train_reader(env, gold):
    result = invoke("--gold", str(gold), "--reader-fold", "1")
    assert result.exit_code == 2
    assert "--reader-fold applies only with --train-reader" in result.output


def test_train_reader_rejects_a_missing_squad_file(env, tmp_path):
    result = invoke("--train-reader", "--squad", str(tmp_path / "none.json"))
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_limit_applies_to_the_gold_split(env, gold):
    out = env / "limited"
    result = invoke("--gold", str(gold), "--split", "dev", "--limit", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["config"]["questions"] == 1 and report["config"]["limit"] == 1
    assert [r["id"] for r in report["results"]] == ["z1"]
