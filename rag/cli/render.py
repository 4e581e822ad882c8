"""Rich rendering of answers for the terminal (CLI and REPL)."""

from __future__ import annotations

import re

from rich.console import Console
from rich.text import Text

from rag.answering.models import Answer


def render_answer(console: Console, answer: Answer, *, full: bool = False) -> None:
    style = "yellow" if answer.abstained else "bold"
    console.print(Text(answer.answer, style=style))
    if not answer.citations:
        return
    console.print(Text("Nguồn (sources):" if not answer.abstained else "Gần nhất (closest):",
                       style="dim"))  # fmt: skip
    for c in answer.citations:
        head = Text(f"[{c.n}] ", style="cyan")
        head.append(c.title[:90], style="bold")
        head.append(f"  {c.date or 's.d.'}  {c.source}  {c.start}-{c.end}", style="dim")
        console.print(head)
        body = Text(c.text if full else _excerpt(c.text))
        for sentence in answer_sentences(answer):
            body.highlight_words([sentence], style="black on yellow")
        console.print(body, style="default")


def _excerpt(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def answer_sentences(answer: Answer) -> list[str]:
    """The sentences an answer quotes (its text split at the [n] markers)."""
    if answer.abstained:
        return []
    return [s.strip() for s in re.split(r"\s*\[\d+\]\s*", answer.answer) if len(s.strip()) > 3]
