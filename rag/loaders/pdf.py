"""PDF text layer (``pypdf``) → cleaned text with page boundaries.

Per page, the text is read in content order with each line's baseline, so that:

* lines of one paragraph are joined (a word hyphenated at a line end is rejoined), and a
  paragraph ends where the vertical gap to the next line is clearly larger than the page's
  usual line spacing (or the font size changes);
* running headers and footers (a line repeated at the top or bottom of most pages, page
  numbers inside it ignored) and bare page numbers ("3", "- 3 -", "Trang 3/5", "Page 3 of
  5") are dropped;
* each page is cleaned like any other text (NFC, tone marks, boilerplate lines), and pages
  are joined with a blank line, or with a space when a sentence runs on to the next page.

``Loaded.pages`` holds the offset in the text where each page starts. A PDF without any text
(a scan) is refused: there is nothing to cite.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from rag.cleaning import clean_text
from rag.errors import DocumentError
from rag.loaders import Loaded, first_error_line
from rag.textnorm import fold, normalize_text

EDGE_LINES = 2
"""Lines at the top and at the bottom of a page where running headers/footers are sought."""
PARAGRAPH_GAP = 1.4
"""A line gap this many times the document's usual line spacing starts a new paragraph."""
_PAGE_NUMBER_RE = re.compile(
    r"^[-–—\s]*(?:(?:trang|page|tr\.|p\.)\s*)?\d{1,4}(?:\s*(?:/|of|trên)\s*\d{1,4})?[-–—\s]*$",
    re.I,
)
_HYPHENATED_RE = re.compile(r"[^\W\d_]-$")
_SENTENCE_END_RE = re.compile(r"[.!?:;…\"”»)\]]$")
_META_TITLE_JUNK = frozenset({"untitled", "anonymous", "document", "microsoft word"})
_FILE_NAME_RE = re.compile(r"\.(?:docx?|odt|rtf|txt|pdf|indd|tex|html?)$", re.I)


@dataclass(frozen=True)
class _Line:
    text: str
    y: float | None
    size: float


def load_pdf(path: Path, data: bytes) -> Loaded:
    from pypdf import PdfReader  # slow import: only when a PDF is actually loaded

    if b"%PDF-" not in data[:1024]:
        raise DocumentError(f"{path}: not a PDF file (no %PDF header)")
    quiet = logging.getLogger("pypdf")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # pypdf logs repairs of damaged files as warnings
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{path}: the PDF is encrypted (password protected)")
        pages = [_page_lines(page) for page in reader.pages]
        meta_title = reader.metadata.title if reader.metadata else None
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise DocumentError(f"{path}: not a readable PDF ({first_error_line(exc)})") from exc
    finally:
        quiet.setLevel(level)
    if not any(line.text.strip() for lines in pages for line in lines):
        raise DocumentError(
            f"{path}: the PDF has no text layer (a scanned document?); run OCR on it first"
        )
    pages = _without_running_lines(pages)
    spacing = line_spacing(pages)
    texts = [_page_text(lines, spacing) for lines in pages]
    text, starts = join_pages([clean_text(t) for t in texts])
    if not text:
        raise DocumentError(f"{path}: no text left after removing page boilerplate")
    return Loaded(text=text, title=_meta_title(meta_title), pages=starts)


def _page_lines(page: Any) -> list[_Line]:
    """The page's text lines in content order, each with its baseline height and font size."""
    lines: list[_Line] = []
    parts: list[str] = []
    y: float | None = None
    size = 0.0

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, font_size: float) -> None:
        nonlocal y, size
        pieces = text.split("\n")
        for i, piece in enumerate(pieces):
            if piece.strip() and not "".join(parts).strip():
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                size = float(font_size) * abs(tm[3] * cm[3] or 1.0)
            parts.append(piece)
            if i < len(pieces) - 1:
                _flush()

    def _flush() -> None:
        nonlocal y
        line = " ".join(normalize_text("".join(parts)).split())
        if line:
            lines.append(_Line(line, y, size))
        parts.clear()
        y = None

    page.extract_text(visitor_text=visit)
    _flush()
    if not lines:  # no positions reported: fall back to the plain text, one line each
        text = page.extract_text() or ""
        lines = [
            _Line(" ".join(normalize_text(t).split()), None, 0.0)
            for t in text.splitlines()
            if t.strip()
        ]
    return lines


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", fold(text))


def _without_running_lines(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Drop page numbers, and lines repeated at the top or bottom of most pages."""

    def edges(lines: list[_Line]) -> set[int]:
        """The top and bottom lines: by height when known, else by content order."""
        order = list(range(len(lines)))
        if all(line.y is not None for line in lines):
            order.sort(key=lambda i: -(lines[i].y or 0.0))
        return set(order[:EDGE_LINES]) | set(order[-EDGE_LINES:])

    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_running_key(lines[i].text) for i in edges(lines)})
    needed = max(2, (len(pages) + 1) // 2)
    running = {key for key, count in counts.items() if count >= needed}
    kept: list[list[_Line]] = []
    for lines in pages:
        drop = {
            i
            for i in edges(lines)
            if _running_key(lines[i].text) in running or _PAGE_NUMBER_RE.match(lines[i].text)
        }
        kept.append([line for i, line in enumerate(lines) if i not in drop])
    return kept


def line_spacing(pages: list[list[_Line]]) -> float:
    """The document's usual distance between two lines of a paragraph: the most common gap
    between consecutive lines of the same size (0.0 when no line positions are known)."""
    gaps: Counter[float] = Counter()
    for lines in pages:
        for a, b in pairwise(lines):
            if a.y is not None and b.y is not None and abs(a.size - b.size) <= 0.5:
                gap = round(a.y - b.y, 1)
                if gap > 0:
                    gaps[gap] += 1
    if not gaps:
        return 0.0
    top = max(gaps.values())
    return min(gap for gap, count in gaps.items() if count == top)


def _page_text(lines: list[_Line], spacing: float) -> str:
    """Lines joined into paragraphs (blank line between paragraphs)."""
    paragraphs: list[str] = []
    for prev, line in zip([None, *lines], lines, strict=False):
        if prev is None or _starts_paragraph(prev, line, spacing):
            paragraphs.append(line.text)
        else:
            paragraphs[-1] = join_lines(paragraphs[-1], line.text)
    return "\n\n".join(paragraphs)


def _starts_paragraph(prev: _Line, line: _Line, spacing: float) -> bool:
    if prev.y is None or line.y is None or spacing <= 0:
        return True  # no geometry: keep the PDF's own lines
    gap = prev.y - line.y
    if gap <= 0:  # moved up: a new column or a block placed out of order
        return True
    if abs(prev.size - line.size) > 0.5:
        return True
    return gap > PARAGRAPH_GAP * spacing


def join_lines(left: str, right: str) -> str:
    """Join two lines of one paragraph; a word hyphenated at the line end is rejoined."""
    if _HYPHENATED_RE.search(left) and right[:1].islower():
        return left[:-1] + right
    return f"{left} {right}"


def join_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    """The pages' texts joined, and the offset where each page starts.

    A page that ends mid-sentence and a next page starting in lower case are one paragraph.
    A page without text starts where the next text starts (it holds no character).
    """
    text = ""
    starts: list[int] = []
    empty = 0  # pages without text waiting for the next page's start
    for page in pages:
        if not page:
            empty += 1
            continue
        if not text:
            text = page
        elif _continues(text, page):
            text = join_lines(text, page)
        else:
            text = f"{text}\n\n{page}"
        starts.extend([len(text) - len(page)] * (empty + 1))
        empty = 0
    starts.extend([len(text)] * empty)
    return text, tuple(starts)


def _continues(text: str, page: str) -> bool:
    return not _SENTENCE_END_RE.search(text) and page[:1].islower()


def _meta_title(title: object) -> str | None:
    """The PDF's /Title, unless it is a placeholder or a file name."""
    if not isinstance(title, str):
        return None
    title = " ".join(normalize_text(title).split())
    key = fold(title)
    if not title or any(key.startswith(j) for j in _META_TITLE_JUNK) or _FILE_NAME_RE.search(title):
        return None
    return title
