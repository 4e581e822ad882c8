"""The seeds as PDF, DOCX and HTML files through the whole pipeline: the right title and
date for every article, offsets that hold, and citations carrying the right page."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from embeddings.hashing import HashingEmbedder
from rag import Pipeline, Settings
from rag.errors import DocumentError
from rag.textnorm import fold

FIXTURES = Path(__file__).parents[1] / "fixtures"
ARTICLES = FIXTURES / "articles"

# doc_id: (title, date, date_source, pages)
EXPECTED = {
    "ngoai-giao-32": ("Hội nghị ngoại giao lần thứ 32", "2023-12-19", "text", 3),
    "nhan-dan-2023": ("HỘI NGHỊ TOÀN QUỐC CÔNG TÁC ĐỐI NGOẠI NHÂN DÂN NĂM 2023", None, None, 4),
    "doi-ngoai-2021": ("Hội nghị đối ngoại toàn quốc năm 2021", "2021-12-14", "text", 0),
    "nhan-dan-2023-word": (
        "HỘI NGHỊ TOÀN QUỐC CÔNG TÁC ĐỐI NGOẠI NHÂN DÂN NĂM 2023",
        None,
        None,
        0,
    ),
    "lan-dau-2021": (
        "Hôm nay (14/12), lần đầu diễn ra Hội nghị Đối ngoại toàn quốc",
        "2021-12-14",
        "meta",
        0,
    ),
    "ngoai-giao-32-web": (
        "Xây dựng nền ngoại giao toàn diện, hiện đại, vững mạnh, thực hiện thắng lợi "
        "Nghị quyết Đại hội XIII của Đảng",
        "2023-12-19",
        "meta",
        0,
    ),
    "nhan-dan-2023-web": (
        "HỘI NGHỊ TOÀN QUỐC CÔNG TÁC ĐỐI NGOẠI NHÂN DÂN NĂM 2023",
        None,
        None,
        0,
    ),
}
QUESTIONS = [
    "Hội nghị ngoại giao lần thứ 32 rút ra bài học kinh nghiệm gì?",
    "Tình hình thế giới và trong nước có diễn biến gì?",
    "Ai phát biểu khai mạc hội nghị đối ngoại nhân dân?",
    "Thứ trưởng Bộ Ngoại giao Lê Thị Thu Hằng báo cáo gì?",
]


@pytest.fixture
def formats(tmp_path: Path) -> Pipeline:
    settings = Settings(
        index_dir=tmp_path / "index", docs_path=ARTICLES, embed_backend="hash",
        model_cache=tmp_path / "models",
    )  # fmt: skip
    p = Pipeline(settings, embedder=HashingEmbedder())
    p.ingest([ARTICLES])
    return p


def pdf_page(doc_id: str, page: int) -> str:
    """Page ``page`` of the fixture PDF as pypdf reads it: folded, lines joined."""
    raw = PdfReader(ARTICLES / f"{doc_id}.pdf").pages[page - 1].extract_text()
    return fold(re.sub(r"(?<=\w)-\n(?=\w)", "", raw).replace("\n", " "))


def test_every_article_has_its_title_and_date(formats: Pipeline) -> None:
    snapshot = formats.index().snapshot
    assert set(snapshot.documents) == set(EXPECTED)
    for doc_id, (title, date, source, pages) in EXPECTED.items():
        doc = snapshot.documents[doc_id]
        assert (doc.title, doc.date, doc.date_source, len(doc.pages)) == (
            title, date, source, pages,
        ), doc_id  # fmt: skip
        entry = snapshot.manifest.documents[doc_id]
        assert (entry.title, entry.date) == (title, date)


def test_pages_and_dates_survive_the_index_on_disk(formats: Pipeline) -> None:
    loaded = formats.store.load()
    doc = loaded.documents["ngoai-giao-32"]
    assert len(doc.pages) == 3 and doc.date_source == "text"
    assert loaded.documents["lan-dau-2021"].date_source == "meta"
    assert loaded.documents["nhan-dan-2023"].date_source is None


def test_chunk_offsets_hold_and_every_pdf_chunk_has_a_page(formats: Pipeline) -> None:
    snapshot = formats.index().snapshot
    for chunk in snapshot.chunks:
        doc = snapshot.documents[chunk.doc_id]
        assert doc.text[chunk.start : chunk.end] == chunk.text
        page = doc.page_at(chunk.start)
        assert (page is not None) == bool(doc.pages)
        if page is not None:
            assert fold(" ".join(chunk.text.split()[:5])) in pdf_page(chunk.doc_id, page)
    pdf = snapshot.documents["ngoai-giao-32"]
    pages = {pdf.page_at(c.start) for c in snapshot.chunks if c.doc_id == pdf.doc_id}
    assert pages == {1, 2, 3}


@pytest.mark.parametrize("mode", ["bm25", "hybrid"])
def test_citations_carry_the_page_of_their_passage(formats: Pipeline, mode: str) -> None:
    snapshot = formats.index().snapshot
    seen_pages: set[tuple[str, int]] = set()
    for question in QUESTIONS:
        answer = formats.ask(question, top_k=5, mode=mode)
        assert answer.citations
        for c in answer.citations:
            doc = snapshot.documents[c.doc_id]
            assert doc.text[c.start : c.end] == c.text
            assert (c.date, c.date_source) == (doc.date, doc.date_source)
            if c.doc_id in ("ngoai-giao-32", "nhan-dan-2023"):
                assert c.page is not None
                # independently of the loader: the passage's first words are on that page
                assert fold(" ".join(c.text.split()[:5])) in pdf_page(c.doc_id, c.page)
                seen_pages.add((c.doc_id, c.page))
            else:
                assert c.page is None
        dumped = json.loads(answer.model_dump_json())
        assert all({"page", "date_source"} <= set(c) for c in dumped["citations"])
    assert len(seen_pages) >= 3  # citations from several pages were checked


def test_search_results_carry_pages(formats: Pipeline) -> None:
    response = formats.search(QUESTIONS[0], top_k=10, mode="bm25")
    snapshot = formats.index().snapshot
    for r in response.results:
        assert r.page == snapshot.documents[r.doc_id].page_at(r.start)
    assert any(r.page is not None for r in response.results)


def test_scanned_pdf_leaves_the_index_unchanged(formats: Pipeline, tmp_path: Path) -> None:
    folder = tmp_path / "more"
    folder.mkdir()
    shutil.copy(FIXTURES / "scan.pdf", folder / "scan.pdf")
    (folder / "bai-moi.txt").write_text(
        "Bài mới\n\nHội nghị đối ngoại bàn về hợp tác hữu nghị giữa các địa phương.",
        encoding="utf-8",
    )
    before = formats.store.current()
    with pytest.raises(DocumentError, match="no text layer"):
        formats.ingest([folder])
    assert formats.store.current() == before
    assert "bai-moi" not in formats.index().snapshot.documents  # nothing half-ingested


def test_metadata_only_change_updates_without_re_embedding(tmp_path: Path) -> None:
    """An index made before dates were fixed: the stale date is replaced, no re-embedding."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ARTICLES / "nhan-dan-2023-web.html", docs)
    settings = Settings(
        index_dir=tmp_path / "index", docs_path=docs, embed_backend="hash",
        model_cache=tmp_path / "models",
    )  # fmt: skip
    p = Pipeline(settings, embedder=HashingEmbedder())
    p.ingest([docs])
    snapshot = p.index().snapshot
    doc = snapshot.documents["nhan-dan-2023-web"]
    stale = type(doc)(**{**doc.__dict__, "date": "2024-01-01", "date_source": "meta"})
    assert stale.content_hash == doc.content_hash
    p.add_documents([stale])
    assert p.index().snapshot.documents["nhan-dan-2023-web"].date == "2024-01-01"
    report = p.ingest([docs])
    assert report.updated == ["nhan-dan-2023-web"] and report.embedded_chunks == 0
    fresh = p.index().snapshot
    assert fresh.documents["nhan-dan-2023-web"].date is None
    assert fresh.manifest.documents["nhan-dan-2023-web"].date is None
    assert [c.text for c in fresh.chunks] == [c.text for c in snapshot.chunks]
    assert p.ingest([docs]).unchanged == ["nhan-dan-2023-web"]
