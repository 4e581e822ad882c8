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
from rag.loaders import Loaded, cleaned, first_error_line
from rag.textnorm import normalize_text

CELL_SEPARATOR = " | "


def load_docx(path: Path, data: bytes) -> Loaded:
    import docx  # slow import: only when a DOCX is actually loaded
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
        blocks, heading = _blocks(document)
        core_title = document.core_properties.title
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{path}: not a readable .docx file ({first_error_line(exc)})") from exc
    if not any(b.strip() for b in blocks):
        raise DocumentError(f"{path}: the document has no text")
    text = cleaned("\n\n".join(b for b in blocks if b.strip()), str(path))
    title = " ".join(normalize_text(core_title or "").split()) or heading
    return Loaded(text=text, title=title or None)


def _blocks(document: Any) -> tuple[list[str], str | None]:
    """Paragraph and table texts in body order, and the first heading's text."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[str] = []
    heading: str | None = None
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(element, document)
            text = " ".join(paragraph.text.split())
            if heading is None and text and _is_heading(paragraph):
                heading = normalize_text(text)
            blocks.append(text)
        elif tag == "tbl":
            blocks.append(table_text(Table(element, document)))
    return blocks, heading


def _is_heading(paragraph: Any) -> bool:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    return name.startswith("Heading") or name == "Title"


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
