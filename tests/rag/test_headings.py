"""Headings: located in the cleaned text, carried into what gets indexed for the chunks
under them, and never an answer on their own."""

from __future__ import annotations

from pathlib import Path

from rag.chunking import Chunk
from rag.documents import Document, load_documents
from rag.index.searchable import chunk_text_for_index, indexed_text
from rag.loaders import locate_headings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "articles"

MANUAL = """# Sổ tay Rustdoc

## Rustdoc là gì?

Rustdoc là công cụ tạo tài liệu đi kèm với Rust. Nó đọc chú thích trong mã nguồn.

## Cách cài đặt

### Trên Linux

Chạy lệnh rustup để cài đặt Rustdoc cùng trình biên dịch.

## Giấy phép

Rustdoc được phát hành theo giấy phép MIT hoặc Apache 2.0.
"""


def _manual(tmp_path: Path) -> Document:
    path = tmp_path / "manual.md"
    path.write_text(MANUAL, encoding="utf-8")
    return load_documents([path])[0]


def test_locate_headings_whole_lines_in_order():
    text = "Mở đầu\n\nMục một\n\nNội dung có Mục một bên trong.\n\nMục hai\n\nHết."
    found = locate_headings(text, [("Mục một", 2), ("Mục hai", 2), ("Không có", 2)])
    assert [(text[a:b], lv) for a, b, lv in found] == [("Mục một", 2), ("Mục hai", 2)]
    # "Mục một" inside a sentence is not a heading line
    assert all(text[a - 1] == "\n" for a, _, _ in found)


def test_markdown_headings_and_paths(tmp_path):
    doc = _manual(tmp_path)
    assert [(doc.text[a:b], lv) for a, b, lv in doc.headings] == [
        ("Sổ tay Rustdoc", 1), ("Rustdoc là gì?", 2), ("Cách cài đặt", 2),
        ("Trên Linux", 3), ("Giấy phép", 2),
    ]  # fmt: skip
    linux = doc.text.index("Chạy lệnh")
    # the title (the first heading) is not repeated; a level-3 heading sits under its level 2
    assert doc.heading_path(linux, linux + 10) == ["Cách cài đặt", "Trên Linux"]
    licence = doc.text.index("Rustdoc được")
    assert doc.heading_path(licence, licence + 5) == ["Giấy phép"]
    a, b, _ = doc.headings[1]
    assert doc.is_heading(a, b) and not doc.is_heading(a, b + 5)


def test_the_indexed_text_carries_the_section_headings(tmp_path):
    doc = _manual(tmp_path)
    start = doc.text.index("Chạy lệnh")
    end = doc.text.index("Giấy phép") - 2
    chunk = Chunk(doc.doc_id, 3, doc.text[start:end], start, end)
    indexed = chunk_text_for_index(doc, chunk)
    assert indexed == "Sổ tay Rustdoc\nCách cài đặt\nTrên Linux\n" + chunk.text
    assert doc.text[chunk.start : chunk.end] == chunk.text  # offsets still point at the text
    assert indexed_text("Tiêu đề", "Tiêu đề và nội dung") == "Tiêu đề và nội dung"


def test_docx_and_html_headings(tmp_path):
    docx = next(d for d in load_documents([FIXTURES]) if d.source == "doi-ngoai-2021.docx")
    assert [lv for _, _, lv in docx.headings] == [1, 2]
    assert docx.text[docx.headings[1][0] : docx.headings[1][1]] == "Thành phần tham dự"
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Hướng dẫn | Trang</title></head><body>"
        '<nav><h2>Danh mục</h2></nav><div role="dialog" hidden><h2>Phím tắt</h2></div>'
        "<main><article><h1>Hướng dẫn sử dụng</h1><p>Đây là phần mở đầu của trang hướng dẫn.</p>"
        "<h2>Cài đặt phần mềm</h2><p>Tải gói cài đặt từ trang chủ rồi chạy trình cài đặt.</p>"
        "<h3>Trên Windows</h3><p>Nhấp đúp vào tệp cài đặt và làm theo hướng dẫn.</p>"
        "</article></main></body></html>",
        encoding="utf-8",
    )
    doc = load_documents([page])[0]
    found = [(doc.text[a:b], lv) for a, b, lv in doc.headings]
    assert found == [("Hướng dẫn sử dụng", 1), ("Cài đặt phần mềm", 2), ("Trên Windows", 3)]
    at = doc.text.index("Nhấp đúp")
    assert doc.heading_path(at, at + 5)[-2:] == ["Cài đặt phần mềm", "Trên Windows"]


def test_a_heading_is_never_the_answer_sentence(never_abstaining):
    p = never_abstaining("manual.md", MANUAL)
    doc = p.document("manual")  # as stored in the index and loaded back
    assert len(doc.headings) == 5
    headings = {doc.text[a:b] for a, b, _ in doc.headings}
    answer = p.ask("Rustdoc là gì?")
    assert not answer.abstained
    body = answer.answer.split(" — ", 1)[-1]
    assert not any(h + " [" in body for h in headings)  # no heading cited as a sentence
    assert "công cụ tạo tài liệu" in answer.answer
