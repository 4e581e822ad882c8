"""``rag repl``: ask questions one after another, with follow-ups and commands.

Model and index load once (behind a spinner). Each question is rewritten into a standalone
one from the conversation (``rag.conversation``) and shown as "↪ <rewritten>" when it
changed. The rewritten question is asked first; when it abstains, the user's own words are
asked too and used if *they* find an answer. (We pick one of the two answers rather than
fusing the two result lists: fusion would need the retrieval internals of ``Pipeline``, and
an answer from one question keeps its citations and confidence coherent. The original is
only searched when needed, so the common case costs one search.)

Answers are shown as ``rag ask`` shows them (``rag.cli.render``): the short answer first,
highlighted, then the answer and its sources; ``:sources`` and ``:open N`` highlight the
short answer again where it lies inside the passage shown.

On a terminal input goes through prompt-toolkit (history in the user data dir, line
editing, IME-composed Vietnamese); piped input (``echo "câu hỏi" | rag repl``) is read
line by line. Every line is NFC-normalised before use.
"""

from __future__ import annotations

import itertools
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rag.answering.models import Answer
from rag.cli.common import console, err_console, fail
from rag.cli.render import (
    SENTENCE_STYLE,
    SHORT_STYLE,
    answer_sentences,
    citation_head,
    passage_text,
    render_answer,
    short_span,
)
from rag.conversation import Conversation, rewriter_for
from rag.errors import RagError
from rag.retrieval.factory import MODES
from rag.textnorm import normalize_text

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

PROMPT = "hỏi› "
CONTEXT_CHARS = 300  # shown on each side of the cited span by :open
HIGHLIGHT = SENTENCE_STYLE  # the sentences the answer quotes
SPAN_STYLE = "underline"

HELP = (
    (":help", "this help"),
    (":k N", "passages to use, 1..20"),
    (":mode hybrid|dense|bm25", "retrieval mode"),
    (":llm NAME|off", "answer backend (off: the default extractive one)"),
    (":sources", "the full passages of the last answer"),
    (":open N", "the document of citation N around the cited span"),
    (":reset", "forget the conversation (follow-ups start afresh)"),
    (":quit", "leave (also Ctrl-D)"),
)


def history_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("hoinghi-qa")) / "repl_history"


class Repl:
    """The state of one session and what each input line does."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        top_k: int | None = None,
        mode: str | None = None,
        llm: str | None = None,
        out: Console = console,
    ) -> None:
        self.pipeline = pipeline
        self.top_k = top_k or pipeline.settings.top_k
        self.mode = mode or pipeline.settings.retrieval_mode
        self.llm = llm
        self.out = out
        answerer = pipeline.answerer(llm) if llm else None
        self.conversation = Conversation(rewriter=rewriter_for(llm, answerer))
        self.last: Answer | None = None

    # ------------------------------------------------------------------ lines
    def handle(self, line: str) -> bool:
        """Act on one input line; False when the session should end."""
        line = unicodedata.normalize("NFC", line).strip()
        if not line:
            return True
        if line.startswith(":"):
            return self.command(line)
        try:
            self.ask(line)
        except KeyboardInterrupt:
            self.out.print("[yellow]cancelled[/]")
        except RagError as exc:
            self.error(exc.message)
        return True

    def ask(self, question: str) -> None:
        standalone = self.conversation.rewrite(question)
        rewritten = standalone != " ".join(normalize_text(question).split())
        if rewritten:
            self.out.print(Text(f"↪ {standalone}", style="dim cyan"))
        answer = self._ask(standalone)
        if rewritten and answer.abstained:
            own = self._ask(question)
            if not own.abstained:
                self.out.print(Text("↪ (answered from your own words)", style="dim cyan"))
                answer, standalone = own, question
        self.last = answer
        self.conversation.add(question, standalone, answer)
        render_answer(self.out, answer)
        total = answer.timings_ms.get("total", 0.0)
        self.out.print(
            Text(f"{answer.backend} · {answer.mode} · k={self.top_k} · {total:.0f} ms", "dim")
        )

    def _ask(self, question: str) -> Answer:
        """The answer; with an LLM selected, its tokens are printed as they arrive (dimmed:
        the verified answer, which may differ, is printed after them)."""
        events = self.pipeline.ask_stream(question, self.top_k, self.mode, self.llm)
        with self.out.status("searching…"):
            next(events)  # the retrieved passages
            first = next(events)
        streaming = self.llm is not None and self.llm != "extractive"
        answer: Answer | None = None
        for event in itertools.chain([first], events):
            if isinstance(event, Answer):
                answer = event
            elif isinstance(event, str) and streaming:
                self.out.print(event, end="", style="dim", highlight=False, markup=False)
        if streaming:
            self.out.print()
        assert answer is not None
        return answer

    # --------------------------------------------------------------- commands
    def command(self, line: str) -> bool:
        name, _, arg = line[1:].strip().partition(" ")
        name, arg = name.lower(), arg.strip()
        if name in {"quit", "q", "exit"}:
            return False
        handlers = {
            "help": self.cmd_help,
            "h": self.cmd_help,
            "?": self.cmd_help,
            "k": self.cmd_k,
            "mode": self.cmd_mode,
            "llm": self.cmd_llm,
            "sources": self.cmd_sources,
            "open": self.cmd_open,
            "reset": self.cmd_reset,
        }
        handler = handlers.get(name)
        if handler is None:
            self.error(f"unknown command :{name} (type :help)")
            return True
        try:
            handler(arg)
        except KeyboardInterrupt:
            self.out.print("[yellow]cancelled[/]")
        except RagError as exc:
            self.error(exc.message)
        return True

    def cmd_help(self, _arg: str) -> None:
        table = Table(show_header=False, box=None, padding=(0, 2))
        for cmd, text in HELP:
            table.add_row(Text(cmd, style="cyan"), text)
        self.out.print(table)
        self.out.print(
            "Anything else is a question. Follow-ups (“còn năm 2023 thì sao?”, “hội nghị đó”,"
            " “what about …”) are rewritten from the conversation. Ctrl-C cancels an answer.",
            highlight=False,
        )

    def cmd_k(self, arg: str) -> None:
        if not arg:
            self.out.print(f"k = {self.top_k}")
            return
        try:
            k = int(arg)
        except ValueError:
            k = 0
        if not 1 <= k <= 20:
            self.error(f"k must be a whole number from 1 to 20, not {arg!r}")
            return
        self.top_k = k
        self.out.print(f"k = {k}")

    def cmd_mode(self, arg: str) -> None:
        if not arg:
            self.out.print(f"mode = {self.mode}")
            return
        if arg.lower() not in MODES:
            self.error(f"unknown mode {arg!r} (use one of: {', '.join(MODES)})")
            return
        self.mode = arg.lower()
        self.out.print(f"mode = {self.mode}")

    def cmd_llm(self, arg: str) -> None:
        if not arg:
            self.out.print(f"backend {self._backend_name()}")
            return
        off = arg.lower() == "off"
        # "off" names the default answerer explicitly: ask(llm=None) would fall back to
        # RAG_LLM when that is set.
        name = self.pipeline.settings.answerer if off else arg
        with self.out.status(f"loading {name}…"):
            answerer = self.pipeline.answerer(name)  # raises on an unknown or broken backend
        self.llm = name
        self.conversation.rewriter = rewriter_for(None if off else name, answerer)
        self.out.print(f"llm = {'off' if off else name} (backend {answerer.name})")

    def _backend_name(self) -> str:
        settings = self.pipeline.settings
        return self.llm or settings.llm or settings.answerer

    def cmd_sources(self, _arg: str) -> None:
        answer = self.last
        if answer is None:
            self.error("no answer yet: ask a question first")
            return
        if not answer.citations:
            self.out.print("the last answer has no sources")
            return
        for c in answer.citations:
            self.out.print(citation_head(c))
            self.out.print(passage_text(answer, c), style="default")
            self.out.print()

    def cmd_open(self, arg: str) -> None:
        answer = self.last
        if answer is None or not answer.citations:
            self.error("no citations yet: ask a question first")
            return
        try:
            n = int(arg)
        except ValueError:
            n = 0
        matching = [c for c in answer.citations if c.n == n]
        if not matching:
            numbers = ", ".join(str(c.n) for c in answer.citations)
            self.error(f"usage: :open N with N one of {numbers}")
            return
        c = matching[0]
        doc = self.pipeline.document(c.doc_id)
        text = doc.text
        lo = _snap_left(text, max(0, c.start - CONTEXT_CHARS))
        hi = _snap_right(text, min(len(text), c.end + CONTEXT_CHARS))
        self.out.print(citation_head(c))
        self.out.print(
            Text(f"{doc.doc_id} · characters {lo}-{hi} of {len(text)}", style="dim"),
            highlight=False,
        )
        plain = self.out.color_system is None
        body = Text("…" if lo > 0 else "")
        body.append(text[lo : c.start])
        span = Text(text[c.start : c.end], style=SPAN_STYLE)
        for sentence in answer_sentences(answer):
            span.highlight_words([sentence], style=HIGHLIGHT)
        short = short_span(answer, c)
        if short is not None:  # the short answer, when it lies in this passage
            span.stylize(SHORT_STYLE, *short)
        body.append("«" if plain else "")
        body.append_text(span)
        body.append("»" if plain else "")
        body.append(text[c.end : hi])
        body.append("…" if hi < len(text) else "")
        self.out.print(body, style="default")

    def cmd_reset(self, _arg: str) -> None:
        self.conversation.reset()
        self.last = None
        self.out.print("conversation forgotten")

    def error(self, message: str) -> None:
        self.out.print(f"[bold red]error:[/] {escape(message)}", highlight=False)


def _snap_left(text: str, pos: int) -> int:
    """Move ``pos`` forward to the start of a word (so the excerpt does not cut one)."""
    if pos == 0:
        return 0
    space = text.find(" ", pos, pos + 40)
    return space + 1 if space != -1 else pos


def _snap_right(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    space = text.rfind(" ", max(0, pos - 40), pos)
    return space if space != -1 else pos


# ------------------------------------------------------------------------ input
def _prompt_lines() -> Iterator[str]:
    """Lines typed at the terminal; Ctrl-C clears the line, Ctrl-D ends."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, History, InMemoryHistory

    history: History
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        history = FileHistory(str(path))
    except OSError as exc:
        err_console.print(f"[yellow]warning:[/] no persistent history ({escape(str(exc))})")
        history = InMemoryHistory()
    session: PromptSession[str] = PromptSession(history=history)
    while True:
        try:
            yield session.prompt(PROMPT)
        except KeyboardInterrupt:
            continue
        except EOFError:
            return


def _piped_lines() -> Iterator[str]:
    """Lines from piped stdin (UTF-8; undecodable bytes replaced)."""
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line.strip():
            console.print(Text(f"{PROMPT}{line}", style="bold"), highlight=False)
        yield line


# -------------------------------------------------------------------------- run
def run(top_k: int | None = None, mode: str | None = None, llm: str | None = None) -> None:
    """Entry point of ``rag repl``."""
    from rag import Pipeline

    pipeline = Pipeline.from_settings()
    if not pipeline.store.exists():
        fail(
            "no index yet: run `rag ingest` first "
            f"(looked in {escape(str(pipeline.settings.index_dir))}; set RAG_INDEX_DIR to "
            "use another)",
            3,
        )
    if mode is not None and mode not in MODES:
        fail(f"unknown retrieval mode {mode!r} (use one of: {', '.join(MODES)})", 2)
    with console.status("loading the model and the index…"):
        pipeline.warm_up()
        pipeline.answerer(llm)
    repl = Repl(pipeline, top_k=top_k, mode=mode, llm=llm)
    interactive = sys.stdin.isatty()
    if interactive:
        docs = len(pipeline.index().snapshot.documents)
        console.print(
            f"hoinghi-qa · {docs} documents · mode {repl.mode} · k={repl.top_k} · "
            f"backend {repl._backend_name()}\n"
            "Ask in Vietnamese or English; :help for commands, :quit or Ctrl-D to leave.",
            highlight=False,
        )
    for line in _prompt_lines() if interactive else _piped_lines():
        if not repl.handle(line):
            break
