"""A news page's head (byline, dateline, view counter, caption) sits between the title and
the first prose line: it places a document but is never an answer sentence."""

from __future__ import annotations

from rag.documents import Document, body_start

PAGE = (
    "Hội nghị đối ngoại toàn quốc lần đầu tiên được tổ chức.\n\n"
    "Đăng ngày 14 - 12 - 2021\n"
    "Hà Anh|14/12/2021 01:30\n\n"
    "Sáng 14/12, tại Hà Nội, Bộ Chính trị tổ chức Hội nghị đối ngoại toàn quốc.\n\n"
    "Hội nghị kết thúc vào buổi chiều cùng ngày sau khi nghe các tham luận.\n"
)


def _doc(text: str) -> Document:
    return Document(doc_id="d", title=text.split("\n", 1)[0], text=text, source="d.txt")


def test_body_starts_at_the_first_prose_line_after_the_title():
    assert PAGE[body_start(PAGE) :].startswith("Sáng 14/12, tại Hà Nội")


def test_byline_and_dateline_are_in_the_head_title_and_body_are_not():
    doc = _doc(PAGE)
    for line in ("Đăng ngày 14 - 12 - 2021", "Hà Anh|14/12/2021 01:30"):
        start = PAGE.index(line)
        assert doc.in_head(start, start + len(line))
    title = PAGE.split("\n", 1)[0]
    assert not doc.in_head(0, len(title))  # the title ends like a sentence: still the title
    body = PAGE.index("Sáng 14/12")
    assert not doc.in_head(body, body + 20)


def test_prose_from_the_first_line_has_no_head():
    text = "Một đoạn văn dài đủ tám chữ và kết thúc bằng dấu chấm.\nCâu thứ hai cũng vậy, đủ dài."
    assert not _doc(text).in_head(text.index("Câu"), len(text))
    single = "Chỉ một đoạn văn duy nhất không có tiêu đề riêng."
    assert body_start(single) == 0 and not _doc(single).in_head(0, len(single))


def test_a_byline_is_never_the_answer_sentence(never_abstaining):
    p = never_abstaining("page.txt", PAGE)
    answer = p.ask("Hội nghị đối ngoại toàn quốc ngày 14/12/2021 đăng ngày nào?")
    assert not answer.abstained
    assert "Đăng ngày" not in answer.answer and "Hà Anh|" not in answer.answer
