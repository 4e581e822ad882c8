"""`rag repl`: the real command in a pseudo-terminal (pexpect), piped input, and the
session logic (fallback to the user's own words, Ctrl-C, commands) with a stub pipeline."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pexpect
import pytest
from rich.console import Console

from rag import Pipeline
from rag.answering.models import Answer, Citation, ShortAnswer
from rag.cli.repl import PROMPT, Repl
from rag.documents import Document
from rag.errors import InputError
from tests.rag.cli.fakes import highlighted

RAG = Path(sys.executable).parent / "rag"
Q1 = "Hội nghị ngoại giao lần thứ 32 diễn ra ngày nào?"
Q2 = "Ai dự tại điểm cầu Thái Bình?"
THAI_BINH_DOC = "003_792b6e1b99918ddc"
FOOTER = re.compile(r"extractive · (hybrid|dense|bm25) · k=\d+ · \d+ ms")
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\r")


def child_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        TERM="dumb",  # prompt-toolkit's plain prompt, rich without colours: parseable output
        XDG_DATA_HOME=str(tmp_path / "data"),  # the REPL history goes there
        PYTHONIOENCODING="utf-8",
        LANG="C.UTF-8",
        COLUMNS="200",  # rich assumes 80x25 on a dumb terminal unless told
        LINES="50",
    )
    env.update(overrides)
    return env


class Session:
    """A `rag repl` in a pseudo-terminal; ``ask``/``command`` return what it printed."""

    def __init__(self, env: dict[str, str], timeout: float) -> None:
        self.log = io.StringIO()
        self.child = pexpect.spawn(
            str(RAG), ["repl"], env=env, encoding="utf-8", codec_errors="replace",
            dimensions=(50, 200), timeout=timeout,
        )  # fmt: skip
        self.child.logfile_read = self.log
        self.child.expect_exact(PROMPT)

    def _output(self) -> str:
        return ANSI.sub("", self.child.before or "")

    def ask(self, question: str) -> str:
        self.child.sendline(question)
        self.child.expect(FOOTER)
        text = self._output()
        self.child.expect_exact(PROMPT)
        return text

    def command(self, line: str) -> str:
        self.child.sendline(line)
        self.child.expect_exact(PROMPT)
        return self._output()

    def quit(self) -> int:
        self.child.sendline(":quit")
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus

    def transcript(self) -> str:
        return ANSI.sub("", self.log.getvalue())


def cited_docs(output: str) -> list[str]:
    return re.findall(r"^\[\d+\] .*?(\d{3}_[0-9a-f]{16})\.txt", output, flags=re.M)


def drive(session: Session) -> tuple[str, str]:
    """The scripted session both pty tests run; returns the two answers' output."""
    first = session.ask(Q1)
    assert "Nguồn (sources):" in first or "Gần nhất (closest):" in first, session.transcript()
    assert re.search(r"^\[1\] ", first, flags=re.M), session.transcript()
    second = session.ask(Q2)
    assert re.search(r"^\[1\] ", second, flags=re.M), session.transcript()

    sources = session.command(":sources")
    assert re.search(r"^\[1\] ", sources, flags=re.M), session.transcript()
    assert "k = 3" in session.command(":k 3")
    assert "unknown command :foo" in session.command(":foo")
    assert "must be a whole number" in session.command(":k 99")
    session.command("")  # an empty line is ignored
    session.child.send("half a question")
    session.child.sendintr()  # Ctrl-C at the prompt clears the line, keeps the session
    session.child.expect_exact(PROMPT)
    assert session.quit() == 0, session.transcript()
    return first, second


def answer_text(output: str) -> str:
    """The answer paragraph: what comes before the sources heading."""
    return re.split(r"Nguồn \(sources\):|Gần nhất \(closest\):", output)[0]


# ------------------------------------------------------------------ real process
def test_repl_in_a_pty_with_the_hashing_embedder(pipeline: Pipeline, tmp_path: Path) -> None:
    env = child_env(
        tmp_path,
        RAG_INDEX_DIR=str(pipeline.settings.index_dir),
        RAG_EMBED_BACKEND="hash",
        RAG_MODEL_CACHE=str(tmp_path / "models"),
    )
    session = Session(env, timeout=120)
    first, second = drive(session)
    # the hashing embedder is weak: check the structure (an answer line, numbered sources)
    assert answer_text(first).strip().splitlines()[-1].strip()
    assert cited_docs(first) and cited_docs(second)
    history = tmp_path / "data" / "hoinghi-qa" / "repl_history"
    assert Q1 in history.read_text(encoding="utf-8")
    assert "half a question" not in history.read_text(encoding="utf-8")


@pytest.mark.integration
def test_repl_in_a_pty_with_the_real_model(e5_pipeline: Pipeline, tmp_path: Path) -> None:
    env = child_env(
        tmp_path,
        RAG_INDEX_DIR=str(e5_pipeline.settings.index_dir),
        RAG_MODEL_CACHE=str(e5_pipeline.settings.model_cache),
    )
    session = Session(env, timeout=600)  # model load on a busy machine
    first, second = drive(session)
    assert "19/12" in answer_text(first), first
    assert "Thái Bình" in answer_text(second), second
    assert cited_docs(second)[0] == THAI_BINH_DOC, second


def test_piped_input(pipeline: Pipeline, tmp_path: Path) -> None:
    env = child_env(
        tmp_path, RAG_INDEX_DIR=str(pipeline.settings.index_dir), RAG_EMBED_BACKEND="hash"
    )
    done = subprocess.run(
        [str(RAG), "repl"], input=f"{Q1}\n:k 2\nHội nghị đó do ai chủ trì?\n".encode(),
        env=env, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert f"{PROMPT}{Q1}" in out and "[1] " in out and "k = 2" in out
    assert "↪ Hội nghị ngoại giao lần thứ 32 do ai chủ trì?" in out


def test_no_index_exits_3(tmp_path: Path) -> None:
    env = child_env(tmp_path, RAG_INDEX_DIR=str(tmp_path / "none"), RAG_EMBED_BACKEND="hash")
    done = subprocess.run(
        [str(RAG), "repl"], input=b"", env=env, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 3
    assert "no index yet: run `rag ingest` first" in done.stderr.decode()


# ------------------------------------------------------------ session logic (stub)
DOC_TEXT = "Mở đầu. " + "x " * 400 + "Hội nghị diễn ra sáng 19/12. " + "y " * 400
SPAN = (DOC_TEXT.index("Hội nghị"), DOC_TEXT.index("Hội nghị") + 28)


def _answer(question: str, *, abstained: bool = False, text: str | None = None) -> Answer:
    citation = Citation(
        n=1, doc_id="d1", title="Tiêu đề", source="d1.txt", date="2023-12-19",
        text=DOC_TEXT[SPAN[0] : SPAN[1]], start=SPAN[0], end=SPAN[1], score=1.0,
    )  # fmt: skip
    return Answer(
        question=question,
        answer=text or ("Không tìm thấy." if abstained else "Hội nghị diễn ra sáng 19/12. [1]"),
        abstained=abstained, citations=[citation], backend="extractive",
        timings_ms={"total": 1.0},
    )  # fmt: skip


class StubPipeline:
    def __init__(self, abstain_on: tuple[str, ...] = (), interrupt: bool = False) -> None:
        self.settings = SimpleNamespace(
            top_k=5, retrieval_mode="hybrid", answerer="extractive", llm=None
        )
        self.asked: list[tuple[Any, ...]] = []
        self.abstain_on = abstain_on
        self.interrupt = interrupt

    def ask(self, question: str, top_k: int, mode: str, llm: str | None) -> Answer:
        self.asked.append((question, top_k, mode, llm))
        if self.interrupt:
            raise KeyboardInterrupt
        if question == "too long":
            raise InputError("question is too long")
        return _answer(question, abstained=question in self.abstain_on)

    def ask_stream(self, question: str, top_k: int, mode: str, llm: str | None) -> Iterator[Any]:
        answer = self.ask(question, top_k, mode, llm)
        yield answer.citations
        yield answer.answer
        yield answer

    def answerer(self, name: str | None = None) -> Any:
        if name not in (None, "extractive"):
            raise InputError(f"unknown answer backend or LLM {name!r}")
        return SimpleNamespace(name="extractive")

    def document(self, doc_id: str) -> Document:
        return Document(doc_id=doc_id, title="Tiêu đề", text=DOC_TEXT, source="d1.txt")


def make_repl(stub: StubPipeline) -> tuple[Repl, Console]:
    out = Console(record=True, width=120, color_system=None)
    return Repl(stub, out=out), out  # type: ignore[arg-type]


def test_rewritten_question_is_asked_and_shown() -> None:
    stub = StubPipeline()
    repl, out = make_repl(stub)
    repl.handle(Q1)
    repl.handle("Hội nghị đó do ai chủ trì?")
    assert stub.asked[-1][0] == "Hội nghị ngoại giao lần thứ 32 do ai chủ trì?"
    assert "↪ Hội nghị ngoại giao lần thứ 32 do ai chủ trì?" in out.export_text()


def test_falls_back_to_the_users_own_words_when_the_rewrite_abstains() -> None:
    rewritten = "Ai chủ trì Hội nghị ngoại giao lần thứ 32?"
    stub = StubPipeline(abstain_on=(rewritten,))
    repl, out = make_repl(stub)
    repl.handle(Q1)
    repl.handle("Ai chủ trì?")
    assert [q for q, *_ in stub.asked[-2:]] == [rewritten, "Ai chủ trì?"]
    assert repl.last is not None and not repl.last.abstained
    assert repl.conversation.turns[-1].standalone == "Ai chủ trì?"
    assert "answered from your own words" in out.export_text()


def test_ctrl_c_during_an_answer_cancels_it_not_the_session() -> None:
    repl, out = make_repl(StubPipeline(interrupt=True))
    assert repl.handle(Q1) is True
    assert "cancelled" in out.export_text()
    assert repl.conversation.turns == []


def test_commands() -> None:
    stub = StubPipeline()
    repl, out = make_repl(stub)
    assert repl.handle(":sources") and "no answer yet" in out.export_text()
    assert repl.handle("   ")  # empty line
    repl.handle(":k 3")
    repl.handle(":mode bm25")
    repl.handle(":mode fuzzy")
    repl.handle(":llm nope")
    repl.handle(":llm off")
    repl.handle("too long")
    repl.handle(Q1)
    assert stub.asked[-1][1:] == (3, "bm25", "extractive")
    repl.handle(":open 1")
    repl.handle(":open 7")
    repl.handle(":reset")
    text = out.export_text()
    assert "unknown mode 'fuzzy'" in text
    assert "unknown answer backend or LLM 'nope'" in text
    assert "error: question is too long" in text
    assert "«Hội nghị diễn ra sáng 19/12.»" in text  # the cited span, marked without colours
    opened = text.split("«")[0].rsplit("characters", 1)[1]
    assert "x x x" in opened and len(opened) < 450  # ~300 characters of context each side
    assert "usage: :open N with N one of 1" in text
    assert "conversation forgotten" in text and repl.conversation.turns == []
    assert repl.handle(":quit") is False


# ------------------------------------------------------------------- short answer
SHORT_AT = DOC_TEXT.index("19/12")


def _short_answer(question: str) -> Answer:
    plain = _answer(question, text="19/12 — Hội nghị diễn ra sáng 19/12. [1]")
    short = ShortAnswer(text="19/12", n=1, doc_id="d1", start=SHORT_AT, end=SHORT_AT + 5)
    assert DOC_TEXT[short.start : short.end] == short.text
    return plain.model_copy(update={"short_answer": short})


class ShortStub(StubPipeline):
    def ask(self, question: str, top_k: int, mode: str, llm: str | None) -> Answer:
        answer = super().ask(question, top_k, mode, llm)
        return answer if answer.abstained else _short_answer(question)


def test_the_short_answer_is_shown_first() -> None:
    repl, out = make_repl(ShortStub())
    repl.handle(Q1)
    lines = [line for line in out.export_text().splitlines() if line.strip()]
    assert lines[0] == "→ 19/12 [1]"
    assert lines[1] == "19/12 — Hội nghị diễn ra sáng 19/12. [1]"
    assert lines[2] == "Nguồn (sources):"


def test_no_short_answer_when_abstained() -> None:
    repl, out = make_repl(ShortStub(abstain_on=(Q1,)))
    repl.handle(Q1)
    assert "→" not in out.export_text()


def test_sources_and_open_highlight_the_short_answer() -> None:
    out = Console(record=True, width=2000, force_terminal=True, color_system="standard")
    repl = Repl(ShortStub(), out=out)  # type: ignore[arg-type]
    repl.handle(Q1)
    out.export_text()  # (clears the record)
    repl.handle(":sources")
    sources = out.export_text(styles=True)
    assert highlighted(sources) == ["19/12"]
    # the quoted sentence is highlighted too (without the short answer it leads with)
    assert "Hội nghị diễn ra sáng " in "".join(highlighted(sources, code="43"))
    repl.handle(":open 1")
    assert highlighted(out.export_text(styles=True)) == ["19/12"]


def test_short_answer_outside_the_passage_is_not_highlighted() -> None:
    stub = ShortStub()
    repl, _ = make_repl(stub)
    repl.handle(Q1)
    assert repl.last is not None and repl.last.short_answer is not None
    elsewhere = repl.last.short_answer.model_copy(update={"start": 0, "end": 3, "text": "Mở "})
    repl.last = repl.last.model_copy(update={"short_answer": elsewhere})
    out = Console(record=True, width=2000, force_terminal=True, color_system="standard")
    repl.out = out
    repl.handle(":open 1")  # the window shows the document's start, outside citation 1
    assert highlighted(out.export_text(styles=True)) == []


class PagedStub(StubPipeline):
    """Answers citing page 3 of a PDF."""

    def ask(self, question: str, top_k: int, mode: str, llm: str | None) -> Answer:
        answer = super().ask(question, top_k, mode, llm)
        cited = [c.model_copy(update={"page": 3, "source": "d1.pdf"}) for c in answer.citations]
        return answer.model_copy(update={"citations": cited})


def test_citations_show_their_page() -> None:
    repl, out = make_repl(PagedStub())
    repl.handle(Q1)
    assert "[1] Tiêu đề  2023-12-19  d1.pdf  p. 3  " in out.export_text()
    repl.handle(":sources")
    assert "d1.pdf  p. 3" in out.export_text()


def test_no_page_for_documents_without_pages() -> None:
    repl, out = make_repl(StubPipeline())
    repl.handle(Q1)
    text = out.export_text()
    assert "[1] Tiêu đề  2023-12-19  d1.txt  " in text and "p. " not in text
