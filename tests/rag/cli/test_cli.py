"""The `rag` commands through typer's runner: output, and one-line errors on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from rag.cli.main import app
from tests.rag.cli.fakes import SpanAnswerer, highlighted

QUESTION = "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?"


@pytest.fixture
def env(hash_env):
    return hash_env


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def one_line_error(result) -> str:
    assert result.exit_code != 0
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_ingest_search_ask_docs(env, seeds_dir):
    result = run("ingest", str(seeds_dir))
    assert result.exit_code == 0, result.output
    assert "5 added" in result.output
    again = run("ingest", str(seeds_dir))
    assert "5 unchanged" in again.output and "0 embedded" in again.output
    found = json.loads(run("search", "Hoi nghi ngoai giao lan thu 32", "--json", "-k", "3").output)
    assert len(found["results"]) == 3
    assert found["results"][0]["doc_id"] == "003_792b6e1b99918ddc"
    answer = json.loads(run("ask", "Ai chủ trì hội nghị?", "--json").output)
    assert set(answer) >= {"question", "answer", "abstained", "citations", "backend", "timings_ms"}
    docs = json.loads(run("docs", "--json").output)
    assert len(docs) == 5


def test_missing_index(env):
    assert "rag ingest" in one_line_error(run("search", "hội nghị"))


def test_missing_path(env):
    assert "does-not-exist" in one_line_error(run("ingest", str(env / "does-not-exist")))


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("empty.txt", b"", "empty"),
        ("binary.txt", b"\x00\x01\x02binary", "binary"),
        ("latin1.txt", "Hội nghị ngoại giao".encode()[:-1] + b"\xe9t\xe9", "UTF-8"),
        ("utf16.txt", "Hội nghị".encode("utf-16"), "binary"),
        ("bad.jsonl", b'{"id": "a", "title": "t"\n', "jsonl:1: malformed json"),
    ],
)
def test_bad_files_leave_the_index_as_it_was(env, seeds_dir, name, content, needle):
    assert run("ingest", str(seeds_dir)).exit_code == 0
    current = (env / "index" / "CURRENT").read_text()
    bad = env / name
    bad.write_bytes(content)
    message = one_line_error(run("ingest", str(bad)))
    assert needle.lower() in message.lower()
    assert (env / "index" / "CURRENT").read_text() == current


def test_index_from_another_model_is_refused(env, seeds_dir, monkeypatch):
    assert run("ingest", str(seeds_dir)).exit_code == 0
    monkeypatch.setenv("RAG_CHUNK_TOKENS", "100")
    assert "--rebuild" in one_line_error(run("ingest", str(seeds_dir)))
    assert run("ingest", str(seeds_dir), "--rebuild").exit_code == 0


def test_empty_question(env, seeds_dir):
    run("ingest", str(seeds_dir))
    assert "empty" in one_line_error(run("ask", "   "))


# ------------------------------------------------------------------- short answer
@pytest.fixture
def span_cli(pipeline, monkeypatch):
    """`rag ask` over the seeded ``pipeline``, answered by ``SpanAnswerer``."""
    import rag.cli.main

    fake = SpanAnswerer()
    monkeypatch.setattr(pipeline, "answerer", lambda name=None: fake)
    monkeypatch.setattr(rag.cli.main, "_pipeline", lambda: pipeline)
    return fake


def test_ask_shows_the_short_answer_first(span_cli, pipeline):
    expected = pipeline.ask(QUESTION)
    short = expected.short_answer
    assert short is not None
    result = run("ask", QUESTION)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[0] == f"→ {short.text} [{short.n}]"
    assert lines[1].startswith(f"{short.text} — ")  # then the answer
    assert "Nguồn (sources):" in result.output
    as_json = json.loads(run("ask", QUESTION, "--json").output)
    assert as_json["short_answer"] == short.model_dump(mode="json")


def test_ask_highlights_the_short_answer_in_colour(span_cli, pipeline, monkeypatch):
    import rag.cli.main

    monkeypatch.setattr(
        rag.cli.main, "console", Console(force_terminal=True, color_system="standard", width=2000)
    )
    short = pipeline.ask(QUESTION).short_answer
    assert short is not None
    result = run("ask", QUESTION)
    assert result.exit_code == 0, result.output
    # on its own line, and where it stands in the cited passage
    assert highlighted(result.output) == [short.text, short.text]


def test_abstained_answer_shows_no_short_answer(span_cli):
    span_cli.abstain = True
    result = run("ask", QUESTION)
    assert result.exit_code == 0, result.output
    assert "→" not in result.output and "Gần nhất (closest):" in result.output


FIXTURES = Path(__file__).parents[2] / "fixtures"


def test_pdf_docx_html_ingest_and_pages_in_answers(env):
    result = run("ingest", str(FIXTURES / "articles"))
    assert result.exit_code == 0, result.output
    assert "7 added" in result.output
    question = "Hội nghị ngoại giao lần thứ 32 rút ra bài học kinh nghiệm gì?"
    answer = json.loads(run("ask", question, "--json", "--mode", "bm25").output)
    pages = {(c["doc_id"], c["page"]) for c in answer["citations"]}
    assert any(doc == "ngoai-giao-32" and page in (1, 2, 3) for doc, page in pages)
    assert all(c["page"] is None for c in answer["citations"] if c["doc_id"] != "ngoai-giao-32"
               and c["doc_id"] != "nhan-dan-2023")  # fmt: skip
    shown = " ".join(run("ask", question, "--mode", "bm25").output.split())  # (wrapped)
    for c in answer["citations"]:
        if c["page"] is not None:
            assert f"{c['source']} p. {c['page']} {c['start']}-{c['end']}" in shown
    docs = {d["doc_id"]: d for d in json.loads(run("docs", "--json").output)}
    assert docs["nhan-dan-2023-web"]["date"] is None  # states no date ("NĂM 2023")
    assert docs["lan-dau-2021"]["date"] == "2021-12-14"


def test_scanned_pdf_is_one_error_line_and_leaves_the_index(env, seeds_dir):
    assert run("ingest", str(seeds_dir)).exit_code == 0
    current = (env / "index" / "CURRENT").read_text()
    message = one_line_error(run("ingest", str(FIXTURES / "scan.pdf")))
    assert "scan.pdf" in message and "no text layer" in message
    assert (env / "index" / "CURRENT").read_text() == current
