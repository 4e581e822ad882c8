"""Chunks and documents read from the generation's memory-mapped JSONL files on demand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from rag.chunking import Chunk
from rag.documents import Document
from rag.errors import IndexMismatchError
from rag.index.manifest import IndexConfig, Manifest
from rag.index.rows import JsonlRows, LazyMapping, LazyRows
from rag.index.store import IndexSnapshot, IndexStore

CONFIG = IndexConfig("m", 4, "norm-v1", {"chunk_tokens": 10}, "faiss")
DOC_IDS = ["a", 'quote"d', "Hội nghị/ngoại giao", "back\\slash"]


def _snapshot() -> IndexSnapshot:
    docs = {
        d: Document(d, f"Tiêu đề {i}", f"Văn bản {i} " * 5, "x.txt", date="2024-01-0" + str(i + 1),
                    pages=(0, 10), headings=((0, 5, 1),))
        for i, d in enumerate(DOC_IDS)
    }  # fmt: skip
    chunks = [Chunk(d, j, docs[d].text[j : j + 7], j, j + 7) for d in DOC_IDS for j in range(3)]
    vectors = np.arange(len(chunks) * 4, dtype=np.float32).reshape(-1, 4)
    return IndexSnapshot(Manifest(CONFIG), docs, chunks, vectors)


def test_a_loaded_snapshot_reads_back_what_was_committed(tmp_path: Path):
    original = _snapshot()
    store = IndexStore(tmp_path)
    store.commit(original, {})
    loaded = store.load()
    assert isinstance(loaded.chunks, LazyRows) and isinstance(loaded.documents, LazyMapping)
    assert list(loaded.chunks) == list(original.chunks)
    assert dict(loaded.documents) == dict(original.documents)
    assert list(loaded.documents) == DOC_IDS  # file order
    assert loaded.chunks[-1] == original.chunks[-1] and loaded.chunks[2:4] == original.chunks[2:4]
    with pytest.raises(IndexError):
        loaded.chunks[len(original.chunks)]
    assert "nope" not in loaded.documents and loaded.documents.get("nope") is None
    assert loaded.chunks_of('quote"d') == [3, 4, 5]
    maps = Path("/proc/self/maps")
    if maps.exists():  # the text stays in the files (page cache), not in every worker
        text = maps.read_text()
        assert str(tmp_path / str(loaded.generation) / "chunks.jsonl") in text
        assert str(tmp_path / str(loaded.generation) / "documents.jsonl") in text


def test_rows_skip_blank_lines_and_read_a_last_line_without_newline(tmp_path: Path):
    path = tmp_path / "r.jsonl"
    rows = [{"doc_id": "x", "n": 1}, {"n": 2, "doc_id": "y"}, {"doc_id": "z\u00e9", "n": 3}]
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n" + lines[0] + "\n\n" + lines[1] + "\n" + lines[2], encoding="utf-8")
    jsonl = JsonlRows(path)
    assert len(jsonl) == 3 and [jsonl.row(i) for i in range(3)] == rows
    assert [jsonl.doc_id(i) for i in range(3)] == ["x", "y", "z\u00e9"]  # any key order
    empty = tmp_path / "e.jsonl"
    empty.write_bytes(b"")
    assert len(LazyRows(JsonlRows(empty), dict)) == 0
    assert len(LazyMapping(JsonlRows(empty), dict)) == 0


def test_an_unreadable_chunk_file_is_refused_at_load(tmp_path: Path):
    store = IndexStore(tmp_path)
    gen = store.commit(_snapshot(), {})
    (tmp_path / gen / "chunks.jsonl").write_text('{"doc_id": "a", "index": 0}\n' * 12)
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        store.load()


def _resident_kb(path: Path) -> int:
    """Resident kB of this process's mappings of ``path`` (/proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):  # a mapping's header line
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_the_scan_at_load_leaves_the_file_out_of_the_process_resident_memory(tmp_path: Path):
    path = tmp_path / "big.jsonl"
    row = json.dumps({"doc_id": "d", "text": "hội nghị " * 200}, ensure_ascii=False)
    path.write_text("\n".join([row] * 2000) + "\n", encoding="utf-8")  # ~4 MB
    rows = LazyMapping(JsonlRows(path), dict)  # scans every line (offsets, then doc ids)
    assert _resident_kb(path) < 256  # dropped from this process, still in the page cache
    assert rows["d"]["doc_id"] == "d" and len(rows) == 1


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_a_scan_of_the_rows_after_load_can_be_dropped_from_resident_memory(tmp_path: Path):
    path = tmp_path / "docs.jsonl"
    rows_text = [
        json.dumps({"doc_id": f"d{i}", "text": "hội nghị " * 200}, ensure_ascii=False)
        for i in range(2000)
    ]
    path.write_text("\n".join(rows_text) + "\n", encoding="utf-8")  # ~4 MB
    rows = LazyMapping(JsonlRows(path), dict)
    assert sum(len(str(rows[k]["text"])) for k in list(rows)[::3]) > 0  # every 3rd row read
    assert _resident_kb(path) > 1024  # the kernel mapped most of the file
    rows.release()
    assert _resident_kb(path) < 256
    assert rows["d7"]["doc_id"] == "d7"  # still readable
