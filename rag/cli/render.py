"""Rich rendering of answers for the terminal (CLI and REPL).

An answer is shown as its short answer first ("→ 19/12/2023 [1]", highlighted; none when
it abstained), then the answer text, then its sources. In a source's passage the sentences
the answer quotes are highlighted, and the short answer's span inside them too, in the
short answer's own colour.
"""

from __future__ import annotations

import re

from rich.console import Console
from rich.text import Text

from rag.answering.models import Answer, Citation, ShortAnswer

SHORT_STYLE = "bold black on bright_green"
"""The short answer: on its own line and where it stands in a cited passage."""
SENTENCE_STYLE = "black on yellow"
"""The sentences the answer quotes, in the cited passages."""
EXCERPT_CHARS = 400


def render_answer(console: Console, answer: Answer, *, full: bool = False) -> None:
    line = short_answer_line(answer)
    if line is not None:
        console.print(line)
    style = "yellow" if answer.abstained else "bold"
    console.print(Text(answer.answer, style=style))
    if not answer.citations:
        return
    console.print(Text("Nguồn (sources):" if not answer.abstained else "Gần nhất (closest):",
                       style="dim"))  # fmt: skip
    for c in answer.citations:
        console.print(citation_head(c))
        console.print(passage_text(answer, c, limit=None if full else EXCERPT_CHARS),
                      style="default")  # fmt: skip


def shown_short_answer(answer: Answer) -> ShortAnswer | None:
    """The short answer to show: none for an abstention."""
    return None if answer.abstained else answer.short_answer


def short_answer_line(answer: Answer) -> Text | None:
    """``→ 19/12/2023 [1]``: the short answer, highlighted, and the citation holding it."""
    short = shown_short_answer(answer)
    if short is None:
        return None
    line = Text("→ ", style="bold green")
    line.append(short.text, style=SHORT_STYLE)
    line.append(f" [{short.n}]", style="cyan")
    return line


def citation_head(c: Citation) -> Text:
    head = Text(f"[{c.n}] ", style="cyan")
    head.append(c.title[:90], style="bold")
    page = f"  p. {c.page}" if c.page is not None else ""
    head.append(f"  {c.date or 's.d.'}  {c.source}{page}  {c.start}-{c.end}", style="dim")
    return head


def short_span(answer: Answer, c: Citation) -> tuple[int, int] | None:
    """Where the short answer stands in ``c``'s passage (offsets into ``c.text``), when it
    lies inside it."""
    short = shown_short_answer(answer)
    if short is None or short.doc_id != c.doc_id:
        return None
    if not c.start <= short.start < short.end <= c.end:
        return None
    return short.start - c.start, short.end - c.start


def passage_text(answer: Answer, c: Citation, *, limit: int | None = None) -> Text:
    """``c``'s passage (cut to about ``limit`` characters, keeping the short answer in view)
    with the quoted sentences and the short answer highlighted."""
    span = short_span(answer, c)
    lo, hi = _window(c.text, limit, span)
    head = "… " if lo > 0 else ""
    body = Text(head + c.text[lo:hi] + (" …" if hi < len(c.text) else ""))
    for sentence in answer_sentences(answer):
        body.highlight_words([sentence], style=SENTENCE_STYLE)
    if span is not None:
        shift = len(head) - lo
        body.stylize(SHORT_STYLE, max(span[0], lo) + shift, min(span[1], hi) + shift)
    return body


def _window(text: str, limit: int | None, span: tuple[int, int] | None) -> tuple[int, int]:
    """The part of ``text`` to show: all of it, or about ``limit`` characters cut at spaces,
    from the start unless that would leave out ``span``."""
    if limit is None or len(text) <= limit:
        return 0, len(text)
    lo = 0
    if span is not None and span[1] > limit - 20:
        lo = max(0, min(span[0] - limit // 3, len(text) - limit))
        space = text.find(" ", lo, span[0])
        lo = space + 1 if lo > 0 and space != -1 else lo
    hi = min(len(text), lo + limit)
    if hi < len(text):
        space = text.rfind(" ", max(lo, span[1] if span is not None else lo), hi)
        hi = space if space > lo else hi
    return lo, hi


def answer_sentences(answer: Answer) -> list[str]:
    """The sentences an answer quotes: its text split at the [n] markers, without the
    short answer it may lead with ("19/12/2023 — Sáng 19/12, … [1]")."""
    if answer.abstained:
        return []
    text = answer.answer
    short = answer.short_answer
    if short is not None:
        text = re.sub(rf"^\s*{re.escape(short.text)}\s*[—–]\s*", "", text)
    return [s.strip() for s in re.split(r"\s*\[\d+\]\s*", text) if len(s.strip()) > 3]
