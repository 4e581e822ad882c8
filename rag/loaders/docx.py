"""Word documents (``python-docx``) → cleaned text.

The body is read in document order: each paragraph (headings included) becomes a
paragraph of the text, and each table one line per row with its cells joined by " | "
(a merged cell counted once). The title is the core properties' title, else the first
heading. The core properties' dates say when the file was made, not what the document
states, so no date is read from them (``rag.documents`` looks for one in the text).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from rag.errors import DocumentError
from rag.loaders import Loaded, cleaned, first_error_line, locate_headings
from rag.textnorm import normalize_text

CELL_SEPARATOR = " | "


def load_docx(path: Path, data: bytes) -> Loaded:
    import docx  # slow import: only when a DOCX is actually loaded
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        blocks, headings = _blocks(document)
        core_title = document.core_properties.title
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{path}: not a readable .docx file ({first_error_line(exc)})") from exc
    if not any(b.strip() for b in blocks):
        raise DocumentError(f"{path}: the document has no text")
    text = cleaned("\n\n".join(b for b in blocks if b.strip()), str(path))
    heading = normalize_text(headings[0][0]) if headings else None
    title = " ".join(normalize_text(core_title or "").split()) or heading
    return Loaded(text=text, title=title or None, headings=locate_headings(text, headings))


def _blocks(document: Any) -> tuple[list[str], list[tuple[str, int]]]:
    """Paragraph and table texts in body order, and the headings' texts and levels."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[str] = []
    headings: list[tuple[str, int]] = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(element, document)
            text = " ".join(paragraph.text.split())
            level = _heading_level(paragraph)
            if text and level:
                headings.append((text, level))
            blocks.append(text)
        elif tag == "tbl":
            blocks.append(table_text(Table(element, document)))
    return blocks, headings


def _heading_level(paragraph: Any) -> int:
    """1-9 for a "Title" / "Heading N" paragraph, 0 for any other."""
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name == "Title":
        return 1
    level = name.removeprefix("Heading").strip()
    return int(level) if name.startswith("Heading") and level.isdigit() else 0


def table_text(table: Any) -> str:
    """One line per row, cells joined by " | "; a cell merged across columns once."""
    lines = []
    for row in table.rows:
        cells: list[str] = []
        seen: list[Any] = []
        for cell in row.cells:
            element = cell._tc
            if any(element is other for other in seen):  # merged: once per grid column
                continue
            seen.append(element)
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            lines.append(CELL_SEPARATOR.join(cells))
    return "\n".join(lines)
