"""File-format readers: each turns one file's bytes into a :class:`Loaded` record.

``rag.documents`` picks the reader by suffix and turns the record into a ``Document``
(title and date fallbacks, date source). Readers return cleaned text (``rag.cleaning``)
and raise ``DocumentError`` with a one-line message on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.cleaning import clean_text
from rag.errors import DocumentError


@dataclass(frozen=True)
class Loaded:
    """What a reader found in one file."""

    text: str
    """Cleaned text (what gets chunked and cited)."""
    title: str | None = None
    """Title stated by the file's metadata or structure; None: use the first line."""
    date: str | None = None
    """ISO date the file states; None: look for one in the text's head."""
    date_source: str = "meta"
    """Where ``date`` came from: "meta" (metadata) or "text" (written in the page)."""
    pages: tuple[int, ...] = ()
    """Offsets in ``text`` where each page starts (paged formats only)."""
    url: str | None = None
    headings: tuple[tuple[int, int, int], ...] = ()
    """(start, end, level) of each heading line in ``text`` (formats that mark headings)."""


def cleaned(text: str, where: str) -> str:
    """``clean_text(text)``, or DocumentError when nothing is left."""
    result = clean_text(text)
    if not result:
        raise DocumentError(f"{where}: no text left after removing page boilerplate")
    return result


def first_error_line(exc: BaseException) -> str:
    """A library exception as one short line for an error message."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def locate_headings(text: str, headings: list[tuple[str, int]]) -> tuple[tuple[int, int, int], ...]:
    """(start, end, level) in the cleaned ``text`` of each (heading text, level), found in
    order as a whole line; headings that did not survive cleaning are skipped."""
    out: list[tuple[int, int, int]] = []
    cursor = 0
    for heading, level in headings:
        line = " ".join(clean_text(heading).split())
        if not line:
            continue
        at = cursor
        while (at := text.find(line, at)) >= 0:
            end = at + len(line)
            if (at == 0 or text[at - 1] == "\n") and (end == len(text) or text[end] == "\n"):
                out.append((at, end, level))
                cursor = end
                break
            at += 1
    return tuple(out)
