import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from embeddings.hashing import HashingEmbedder
from rag.chunking import Chunker, ChunkerSettings
from rag.documents import load_documents

COUNT = HashingEmbedder().count_tokens


def _chunker(size: int = 40, overlap: int = 8) -> Chunker:
    return Chunker(ChunkerSettings(size, overlap), COUNT)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("aăâbcđ ủyhòa.,;!?\n\nXY0123 "), min_size=0, max_size=60),
        min_size=1,
        max_size=30,
    )
)
def test_offsets_point_at_the_chunk_text(parts):
    text = " ".join(parts)
    for chunk in _chunker(12, 3).split("d", text):
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip() == chunk.text and chunk.text


def test_seed_chunks_cover_the_documents_within_the_token_budget(seeds_dir):
    chunker = _chunker(60, 12)
    for doc in load_documents([seeds_dir]):
        chunks = chunker.split(doc.doc_id, doc.text)
        assert [c.index for c in chunks] == list(range(len(chunks)))
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
            assert COUNT(c.text) <= 60
        # every word of the document is in some chunk
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.end))
        words = [i for i, ch in enumerate(doc.text) if not ch.isspace()]
        assert set(words) <= covered


def test_overlap_repeats_text_between_neighbours(seeds_dir):
    doc = load_documents([seeds_dir / "002_d729f544271d1c8c.txt"])[0]
    chunks = _chunker(40, 12).split(doc.doc_id, doc.text)
    overlapping = sum(b.start < a.end for a, b in itertools.pairwise(chunks))
    assert overlapping > 0
