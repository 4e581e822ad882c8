"""load_documents: every supported format, folders, and each error case."""

from __future__ import annotations

import hashlib
import json
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from rag.cleaning import clean_text
from rag.documents import Document, load_documents
from rag.errors import DocumentError

SEEDS = Path(__file__).parents[2] / "seeds"
PROSE = "Hội nghị đã thảo luận nhiều nội dung quan trọng về công tác đối ngoại của đất nước."

HTML_PAGE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>Hội nghị đối ngoại | Báo Ví Dụ</title>
<meta property="og:title" content="Hội nghị đối ngoại toàn quốc">
<meta property="article:published_time" content="2021-12-14T08:00:00+07:00">
<link rel="canonical" href="https://example.vn/hoi-nghi.html">
</head><body>
<nav><ul><li><a href="/">Trang chủ</a></li><li><a href="/tin">Tin tức</a></li>
<li><a href="/login">Đăng nhập</a></li></ul></nav>
<article><h1>Hội nghị đối ngoại toàn quốc</h1>
<p>Sáng ngày 14/12, tại phòng họp Diên Hồng, nhà Quốc hội đã diễn ra Hội nghị đối ngoại
toàn quốc triển khai thực hiện Nghị quyết Đại hội XIII của Đảng.</p>
<p>Đây là hội nghị toàn quốc đầu tiên do Bộ Chính trị, Ban Bí thư trực tiếp chỉ đạo tổ chức
để bàn về công tác đối ngoại, giữ vững môi trường hoà bình.</p>
</article>
<footer>Bản quyền thuộc về Báo Ví Dụ. Liên hệ quảng cáo: 0123 456 789.</footer>
</body></html>
"""


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def error_of(*paths: str | Path) -> str:
    with pytest.raises(DocumentError) as info:
        load_documents(list(paths))
    message = str(info.value)
    assert "\n" not in message
    return message


# --- the real seeds ----------------------------------------------------------------------


def test_load_seed_folder() -> None:
    docs = load_documents([SEEDS])
    assert [d.doc_id for d in docs] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    by_id = {d.doc_id[:3]: d for d in docs}
    assert by_id["000"].date == "2021-12-14"
    assert by_id["003"].date == "2023-12-19"
    assert by_id["004"].date is None
    assert by_id["004"].title == "HỘI NGHỊ TOÀN QUỐC CÔNG TÁC ĐỐI NGOẠI NHÂN DÂN NĂM 2023"
    assert by_id["000"].title.startswith("Hội nghị đối ngoại toàn quốc triển khai")
    for doc in docs:
        raw = (SEEDS / doc.source).read_text(encoding="utf-8")
        assert doc.text == clean_text(raw)
        assert doc.source.endswith(".txt")
        assert doc.text.startswith(doc.title)
        assert doc.url is None
    assert len({d.content_hash for d in docs}) == len(docs)


# --- Document ----------------------------------------------------------------------------


def test_document_hash_and_frozen() -> None:
    doc = Document(doc_id="a", title="T", text="x", source="a.txt")
    assert doc.content_hash == hashlib.sha256(b"T\x00x").hexdigest()
    assert doc.content_hash != Document("a", "T2", "x", "a.txt").content_hash
    assert doc.content_hash != Document("a", "T", "y", "a.txt").content_hash
    assert doc.content_hash == Document("b", "T", "x", "b.txt", date="2021-01-01").content_hash
    with pytest.raises(FrozenInstanceError):
        doc.text = "changed"  # type: ignore[misc]


# --- formats -----------------------------------------------------------------------------


def test_txt(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bai-viet.txt",
        f"Skip to main content\n\nUỷ ban hoà bình\n\n14/12/2021\n100%\n\n{PROSE}\nanh.jpg\n",
    )
    (doc,) = load_documents([path])
    assert doc == Document(
        doc_id="bai-viet",
        title="Ủy ban hòa bình",
        text=f"Ủy ban hòa bình\n\n14/12/2021\n\n{PROSE}",
        source="bai-viet.txt",
        date="2021-12-14",
        date_source="text",
    )


def test_txt_with_bom_and_crlf(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.txt", ("Tiêu đề\r\n\r\n" + PROSE + "\r\n").encode("utf-8-sig"))
    (doc,) = load_documents([path])
    assert doc.title == "Tiêu đề"
    assert doc.text == f"Tiêu đề\n\n{PROSE}"


def test_single_path_argument(tmp_path: Path) -> None:
    path = write(tmp_path / "one.txt", f"Một\n\n{PROSE}")
    assert [d.doc_id for d in load_documents(path)] == ["one"]
    assert [d.doc_id for d in load_documents(str(path))] == ["one"]


def test_md(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ghi-chu.md", f"# Hội nghị ngoại giao\n\nĐăng ngày 19/12/2023\n\n{PROSE}\n"
    )
    (doc,) = load_documents([path])
    assert doc.doc_id == "ghi-chu"
    assert doc.title == "Hội nghị ngoại giao"
    assert doc.text == f"Hội nghị ngoại giao\n\nĐăng ngày 19/12/2023\n\n{PROSE}"
    assert doc.date == "2023-12-19"
    assert doc.source == "ghi-chu.md"


def test_html(tmp_path: Path) -> None:
    path = write(tmp_path / "trang.html", HTML_PAGE)
    (doc,) = load_documents([path])
    assert doc.doc_id == "trang"
    assert doc.title == "Hội nghị đối ngoại toàn quốc"
    assert doc.text.startswith("Hội nghị đối ngoại toàn quốc\n\nSáng ngày 14/12")
    assert "môi trường hòa bình" in doc.text  # normalised
    assert (doc.date, doc.date_source) == ("2021-12-14", "meta")
    assert doc.url == "https://example.vn/hoi-nghi.html"
    assert doc.source == "trang.html"
    for junk in ("Trang chủ", "Tin tức", "Đăng nhập", "Bản quyền", "quảng cáo", "<"):
        assert junk not in doc.text


def test_htm_without_metadata(tmp_path: Path) -> None:
    html = (
        "<html><body><h1>Tiêu đề trang</h1><p>Ngày 14 tháng 12 năm 2021.</p>"
        f"<p>{PROSE}</p></body></html>"
    )
    (doc,) = load_documents([write(tmp_path / "trang.HTM", html)])
    assert doc.title == "Tiêu đề trang"
    assert doc.text.startswith("Tiêu đề trang")
    assert PROSE in doc.text
    assert (doc.date, doc.date_source) == ("2021-12-14", "text")
    assert doc.url is None


def test_jsonl(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "title": "Uỷ ban", "text": f"Skip to main content\n{PROSE}\n1,234 lượt xem"},
        {
            "id": "b",
            "title": "B",
            "text": f"Hà Anh|14/12/2021 01:30\n{PROSE}",
            "url": "https://x.vn/b",
        },
        {
            "id": "c",
            "title": "C",
            "text": PROSE,
            "date": "19/12/2023",
            "source": "bao-x",
            "url": None,
        },
    ]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n"
    docs = load_documents([write(tmp_path / "ds.jsonl", body)])
    assert docs == [
        Document("a", "Ủy ban", PROSE, "ds.jsonl"),
        Document(
            "b",
            "B",
            f"Hà Anh|14/12/2021 01:30\n{PROSE}",
            "ds.jsonl",
            "2021-12-14",
            "https://x.vn/b",
            date_source="text",
        ),
        Document("c", "C", PROSE, "bao-x", "2023-12-19", date_source="meta"),
    ]


def test_folder_recursive_sorted_filtered(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", f"B\n\n{PROSE}")
    write(tmp_path / "sub" / "a.md", f"# A\n\n{PROSE}")
    write(tmp_path / "sub" / "c.html", HTML_PAGE)
    write(tmp_path / "notes.odt", b"PK\x03\x04\x00\x01")
    write(tmp_path / "image.jpg", b"\xff\xd8\xff")
    write(tmp_path / ".hidden.txt", f"H\n\n{PROSE}")
    write(tmp_path / ".git" / "x.txt", f"X\n\n{PROSE}")
    docs = load_documents([tmp_path])
    assert [d.doc_id for d in docs] == ["b", "a", "c"]  # sorted by path: b.txt < sub/...


def test_same_file_twice_loaded_once(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", f"A\n\n{PROSE}")
    assert len(load_documents([tmp_path, path])) == 1


# --- errors ------------------------------------------------------------------------------


def test_missing_path(tmp_path: Path) -> None:
    message = error_of(tmp_path / "nope.txt")
    assert "nope.txt" in message and "no such file" in message


def test_unsupported_suffix(tmp_path: Path) -> None:
    message = error_of(write(tmp_path / "bao-cao.xlsx", b"PK\x03\x04"))
    assert "bao-cao.xlsx" in message and "unsupported" in message and ".txt" in message
    assert ".pdf" in message and ".docx" in message  # the supported kinds are listed


def test_folder_without_supported_files(tmp_path: Path) -> None:
    write(tmp_path / "docs" / "a.odt", b"PK\x03\x04")
    write(tmp_path / "docs" / ".b.txt", PROSE)
    message = error_of(tmp_path / "docs")
    assert "docs" in message and "no supported files" in message


@pytest.mark.parametrize("content", [b"", b"   \n\n\t\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    message = error_of(write(tmp_path / "rong.txt", content))
    assert "rong.txt" in message and "empty" in message


def test_empty_after_cleaning(tmp_path: Path) -> None:
    path = write(
        tmp_path / "menu.txt", "Skip to main content\nSign In\n100%\n1,234 lượt xem\nXem\n"
    )
    message = error_of(path)
    assert "menu.txt" in message and "no text left" in message


def test_binary_file(tmp_path: Path) -> None:
    message = error_of(write(tmp_path / "anh.txt", b"GIF89a\x00\x01\x02"))
    assert "anh.txt" in message and "binary" in message and "offset 6" in message


def test_not_utf8(tmp_path: Path) -> None:
    data = "Hội nghị".encode() + "đối ngoại".encode("cp1258", errors="replace") + b"\xe9"
    path = write(tmp_path / "cu.txt", b"Tieu de\n" + b"Ngo\xe0i giao" + data)
    message = error_of(path)
    assert "cu.txt" in message and "UTF-8" in message and "byte offset 11" in message


def test_not_utf8_offset_counts_bom(tmp_path: Path) -> None:
    message = error_of(write(tmp_path / "bom.txt", b"\xef\xbb\xbfabc\xff"))
    assert "byte offset 6" in message


def test_html_without_text(tmp_path: Path) -> None:
    path = write(tmp_path / "trong.html", "<html><body><nav>Menu</nav></body></html>")
    message = error_of(path)
    assert "trong.html" in message and "no text left" in message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"id": "a", "title": "A", "text": ', "malformed JSON"),
        ('["a", "b"]', "expected a JSON object"),
        ('{"title": "A", "text": "x"}', "missing required key(s) id"),
        ('{"id": "a"}', "missing required key(s) title, text"),
        ('{"id": 1, "title": "A", "text": "x"}', "'id' must be a non-empty string"),
        ('{"id": "a", "title": "A", "text": ""}', "'text' must be a non-empty string"),
        ('{"id": "a", "title": null, "text": "x"}', "'title' must be a non-empty string"),
        ('{"id": "a", "title": "A", "text": "x", "date": 2021}', "'date' must be a string"),
        ('{"id": "a", "title": "A", "text": "x", "url": []}', "'url' must be a string"),
        ('{"id": "a", "title": "A", "text": "x", "date": "mai"}', "not a valid date"),
        ('{"id": "a", "title": "A", "text": "Sign In\\n100%"}', "no text left"),
    ],
)
def test_jsonl_errors(tmp_path: Path, line: str, expected: str) -> None:
    good = json.dumps({"id": "ok", "title": "OK", "text": PROSE})
    path = write(tmp_path / "ds.jsonl", f"{good}\n\n{line}\n")
    message = error_of(path)
    assert "ds.jsonl:3" in message
    assert expected in message


def test_duplicate_ids_across_inputs(tmp_path: Path) -> None:
    write(tmp_path / "one" / "a.txt", f"A\n\n{PROSE}")
    write(tmp_path / "two" / "a.md", f"# A\n\n{PROSE}")
    message = error_of(tmp_path / "one", tmp_path / "two")
    assert "duplicate document id 'a'" in message and "a.md" in message and "a.txt" in message


def test_duplicate_ids_in_jsonl(tmp_path: Path) -> None:
    row = json.dumps({"id": "x", "title": "X", "text": PROSE})
    message = error_of(write(tmp_path / "ds.jsonl", f"{row}\n{row}\n"))
    assert "duplicate document id 'x'" in message
