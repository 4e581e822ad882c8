"""GET/POST/DELETE /documents: reading, API-key protected writes, and visibility of writes
to later requests (and to other workers) without a restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from embeddings.hashing import HashingEmbedder
from rag import Pipeline
from tests.api.conftest import API_KEY, assert_error, auth, seeded_pipeline

NEW_DOC = {
    "doc_id": "le-hoi-hoa-ban",
    "title": "Lễ hội Hoa Ban Điện Biên 2024",
    "text": "Lễ hội Hoa Ban Điện Biên năm 2024 khai mạc tại thành phố Điện Biên Phủ.\n\n"
    "Lễ hội diễn ra trong ba ngày với nhiều hoạt động văn hóa của đồng bào Thái.\n\n"
    "Xem thêm\n\nTin liên quan\n\nMột bài báo khác không thuộc tài liệu này.",
    "date": "15/03/2024",
    "url": "https://example.vn/le-hoi",
}
QUERY = "Lễ hội Hoa Ban Điện Biên khai mạc ở đâu"


@pytest.fixture
def writer(pipeline, make_client) -> TestClient:
    """A client over a fresh seeded index, with writes enabled."""
    return make_client(pipeline, api_key=API_KEY)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory) -> Iterator[TestClient]:
    """Writes enabled, for requests that must be refused (they must not change the index)."""
    p = seeded_pipeline(tmp_path_factory.mktemp("guarded"))
    settings = p.settings.model_copy(update={"api_key": API_KEY})
    with TestClient(create_app(pipeline=p, settings=settings)) as c:
        yield c


# ------------------------------------------------------------------------- reading
def test_list_documents(client, api_pipeline):
    body = client.get("/documents").json()
    assert body["count"] == 5 == len(body["documents"])
    entries = dict(api_pipeline.documents())
    for doc in body["documents"]:
        entry = entries[doc["doc_id"]]
        assert doc["title"] == entry.title and doc["chunks"] == entry.chunks
        assert "path" not in doc  # server paths are not exposed


def test_get_document_text_and_chunk_offsets(client, api_pipeline):
    doc_id = api_pipeline.documents()[0][0]
    body = client.get(f"/documents/{doc_id}").json()
    snapshot = api_pipeline.index().snapshot
    assert body["text"] == snapshot.documents[doc_id].text
    chunks = [snapshot.chunks[i] for i in snapshot.chunks_of(doc_id)]
    assert [(c["start"], c["end"]) for c in body["chunks"]] == [(c.start, c.end) for c in chunks]
    for span, chunk in zip(body["chunks"], chunks, strict=True):
        assert body["text"][span["start"] : span["end"]] == chunk.text


@pytest.mark.parametrize("doc_id", ["nope", "000_4c33edc76b0aa510x", "%00", "ü", "a.b"])
def test_unknown_doc_id_is_404(client, doc_id):
    error = assert_error(client.get(f"/documents/{doc_id}"), 404, "not_found")
    assert "no document" in error["message"]


# -------------------------------------------------------------------------- auth
def test_writes_are_disabled_without_a_server_key(client):
    r = client.post("/documents", json=NEW_DOC, headers=auth())
    error = assert_error(r, 403, "writes_disabled")
    assert "RAG_API_KEY" in error["message"]
    assert_error(client.delete("/documents/000_4c33edc76b0aa510"), 403, "writes_disabled")
    assert client.get("/documents").json()["count"] == 5


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {API_KEY}"},
     {"Authorization": "Bearer"}, {"Authorization": f"Bearer {API_KEY}x"},
     {"Authorization": API_KEY}],
)  # fmt: skip
def test_missing_or_wrong_key_is_401(guarded, headers):
    r = guarded.post("/documents", json=NEW_DOC, headers=headers)
    assert_error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    r = guarded.delete("/documents/000_4c33edc76b0aa510", headers=headers)
    assert_error(r, 401, "unauthorized")
    assert guarded.get("/documents").json()["count"] == 5


def test_auth_is_checked_before_the_body(guarded):
    r = guarded.post("/documents", content=b"{bad", headers={"Content-Type": "application/json"})
    assert_error(r, 401, "unauthorized")


# ----------------------------------------------------------------- add/find/delete
def test_posted_document_is_searchable_listed_and_deletable(writer):
    r = writer.post("/documents", json=NEW_DOC, headers=auth())
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["added"] == ["le-hoi-hoa-ban"] and report["embedded_chunks"] >= 1

    listed = {d["doc_id"]: d for d in writer.get("/documents").json()["documents"]}
    assert listed["le-hoi-hoa-ban"]["title"] == NEW_DOC["title"]
    assert listed["le-hoi-hoa-ban"]["date"] == "2024-03-15"

    doc = writer.get("/documents/le-hoi-hoa-ban").json()
    assert doc["source"] == "api" and doc["url"] == NEW_DOC["url"]
    assert "Tin liên quan" not in doc["text"]  # cleaned like ingested files
    assert doc["text"].startswith("Lễ hội Hoa Ban Điện Biên năm 2024")

    hits = writer.post("/search", json={"question": QUERY, "top_k": 3}).json()["results"]
    assert hits[0]["doc_id"] == "le-hoi-hoa-ban"
    answer = writer.post("/ask", json={"question": QUERY}).json()
    assert "le-hoi-hoa-ban" in {c["doc_id"] for c in answer["citations"]}

    again = writer.post("/documents", json=NEW_DOC, headers=auth())
    assert again.status_code == 200 and again.json()["unchanged"] == ["le-hoi-hoa-ban"]
    changed = writer.post("/documents", json={**NEW_DOC, "title": "Lễ hội Hoa Ban"}, headers=auth())
    assert changed.status_code == 200 and changed.json()["updated"] == ["le-hoi-hoa-ban"]

    r = writer.delete("/documents/le-hoi-hoa-ban", headers=auth())
    assert r.status_code == 200 and r.json()["removed"] == ["le-hoi-hoa-ban"]
    assert_error(writer.get("/documents/le-hoi-hoa-ban"), 404, "not_found")
    assert writer.get("/documents").json()["count"] == 5
    hits = writer.post("/search", json={"question": QUERY, "top_k": 20}).json()["results"]
    assert "le-hoi-hoa-ban" not in {h["doc_id"] for h in hits}
    assert_error(writer.delete("/documents/le-hoi-hoa-ban", headers=auth()), 404, "not_found")


def test_another_worker_sees_the_write_without_restart(writer, pipeline):
    # a second app over the same index directory stands in for another uvicorn worker
    other = Pipeline(pipeline.settings, embedder=HashingEmbedder())
    with TestClient(create_app(pipeline=other)) as second:
        assert second.get("/documents").json()["count"] == 5
        before = second.get("/ready").json()["generation"]
        assert writer.post("/documents", json=NEW_DOC, headers=auth()).status_code == 201
        assert second.get("/ready").json()["generation"] != before
        assert second.get("/documents/le-hoi-hoa-ban").status_code == 200
        hits = second.post("/search", json={"question": QUERY, "top_k": 1}).json()["results"]
        assert hits[0]["doc_id"] == "le-hoi-hoa-ban"
        assert writer.delete("/documents/le-hoi-hoa-ban", headers=auth()).status_code == 200
        assert_error(second.get("/documents/le-hoi-hoa-ban"), 404, "not_found")


# -------------------------------------------------------------------------- uploads
def upload(client: TestClient, name: str, data: bytes, field: str = "file"):
    return client.post("/documents", files={field: (name, data)}, headers=auth())


def test_upload_text_file(writer):
    text = "Hội thảo khoa học về nông nghiệp\n\nHội thảo diễn ra ngày 02/04/2024 tại Cần Thơ."
    r = upload(writer, "hoi-thao.txt", text.encode())
    assert r.status_code == 201, r.text
    assert r.json()["added"] == ["hoi-thao"]
    doc = writer.get("/documents/hoi-thao").json()
    assert doc["title"] == "Hội thảo khoa học về nông nghiệp"
    assert doc["source"] == "hoi-thao.txt" and doc["date"] == "2024-04-02"


def test_upload_jsonl_adds_every_record(writer):
    lines = [
        {"id": "j1", "title": "Một", "text": "Văn bản thứ nhất về giáo dục."},
        {"id": "j2", "title": "Hai", "text": "Văn bản thứ hai về y tế.", "date": "2024-01-02"},
    ]
    data = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode()
    r = upload(writer, "batch.jsonl", data)
    assert r.status_code == 201, r.text
    assert sorted(r.json()["added"]) == ["j1", "j2"]


def test_upload_keeps_only_the_file_name(writer):
    r = upload(writer, "../../etc/evil.md", "# Tiêu đề\n\nNội dung an toàn.".encode())
    assert r.status_code == 201, r.text
    assert r.json()["added"] == ["evil"]


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("photo.png", b"\x89PNG\r\n", "unsupported file type"),
        ("binary.txt", b"abc\x00def", "binary"),
        ("latin1.txt", "Hà Nội".encode("cp1258", errors="replace") + b"\xff", "UTF-8"),
        ("empty.txt", b"   \n", "empty"),
        ("bad.jsonl", b"{not json}\n", "malformed JSON"),
        ("noid.jsonl", b'{"title": "t", "text": "x"}\n', "missing"),
        ("", b"text", "`file`"),  # no file name: not a file upload at all
        (".hidden.txt", b"text", "file name"),
    ],
)
def test_bad_upload_is_422_without_temp_paths(guarded, name, data, needle):
    error = assert_error(upload(guarded, name, data), 422)
    assert needle in error["message"]
    assert "/tmp" not in error["message"] and "rag-upload" not in error["message"]


def test_upload_needs_the_file_field(guarded):
    r = guarded.post("/documents", files={"other": ("a.txt", b"text")}, headers=auth())
    error = assert_error(r, 422, "validation_error")
    assert "file" in error["message"]


def test_unsupported_content_type_is_415(guarded):
    r = guarded.post("/documents", content=b"doc", headers={**auth(), "Content-Type": "text/plain"})
    assert_error(r, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"doc_id": "a/b"}, 422),
        ({"doc_id": ""}, 422),
        ({"doc_id": 5}, 422),
        ({"title": "  "}, 422),
        ({"text": ""}, 422),
        ({"text": "Xem thêm\n\nChia sẻ"}, 422),  # nothing left after cleaning
        ({"date": "not a date"}, 422),
        ({"url": 1}, 422),
        ({"extra": True}, 422),
    ],
)
def test_invalid_json_document_is_422(guarded, change, status):
    r = guarded.post("/documents", json={**NEW_DOC, **change}, headers=auth())
    assert_error(r, status)
    assert guarded.get("/documents").json()["count"] == 5


def test_malformed_json_document_is_400(guarded):
    r = guarded.post(
        "/documents", content=b'{"doc_id": ', headers={**auth(), "Content-Type": "application/json"}
    )
    assert_error(r, 400, "malformed_json")


def test_first_document_creates_the_index(empty_pipeline, make_client):
    client = make_client(empty_pipeline, api_key=API_KEY)
    assert_error(client.get("/documents"), 503, "index_missing")
    assert client.post("/documents", json=NEW_DOC, headers=auth()).status_code == 201
    assert client.get("/documents").json()["count"] == 1
    assert client.post("/search", json={"question": QUERY}).json()["results"]


# ------------------------------------------------------------------ PDF, DOCX, pages
FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_uploaded_pdf_has_pages_and_cited_pages(writer):
    data = (FIXTURES / "articles" / "ngoai-giao-32.pdf").read_bytes()
    r = upload(writer, "ngoai-giao-32.pdf", data)
    assert r.status_code == 201, r.text
    doc = writer.get("/documents/ngoai-giao-32").json()
    assert doc["title"] == "Hội nghị ngoại giao lần thứ 32"
    assert (doc["date"], doc["date_source"]) == ("2023-12-19", "text")
    pages = doc["pages"]
    assert len(pages) == 3 and pages[0] == 0
    assert doc["text"][pages[1] :].startswith("và trong nước có nhiều diễn biến phức tạp")
    for chunk in doc["chunks"]:
        expected = sum(1 for start in pages if start <= chunk["start"])
        assert chunk["page"] == expected
    assert {c["page"] for c in doc["chunks"]} == {1, 2, 3}
    body = {"question": "Hội nghị ngoại giao lần thứ 32 rút ra bài học kinh nghiệm gì?",
            "mode": "bm25"}  # fmt: skip
    answer = writer.post("/ask", json=body).json()
    cited = [c for c in answer["citations"] if c["doc_id"] == "ngoai-giao-32"]
    assert cited
    for c in cited:
        assert c["page"] == sum(1 for start in pages if start <= c["start"])
        assert doc["text"][c["start"] : c["end"]] == c["text"]


def test_text_documents_have_no_pages(client, api_pipeline):
    doc_id = next(d for d, _ in api_pipeline.documents())
    doc = client.get(f"/documents/{doc_id}").json()
    assert doc["pages"] == [] and all(c["page"] is None for c in doc["chunks"])


def test_uploaded_docx(writer):
    data = (FIXTURES / "articles" / "doi-ngoai-2021.docx").read_bytes()
    assert upload(writer, "doi-ngoai-2021.docx", data).status_code == 201
    doc = writer.get("/documents/doi-ngoai-2021").json()
    assert doc["title"] == "Hội nghị đối ngoại toàn quốc năm 2021"
    assert "Tổng Bí thư | Nguyễn Phú Trọng" in doc["text"]


def test_scanned_pdf_upload_is_422_and_changes_nothing(guarded):
    before = guarded.get("/documents").json()
    data = (FIXTURES / "scan.pdf").read_bytes()
    error = assert_error(upload(guarded, "scan.pdf", data), 422, "invalid_document")
    assert error["message"].startswith("scan.pdf: the PDF has no text layer")
    assert "/tmp" not in error["message"]
    assert guarded.get("/documents").json() == before
