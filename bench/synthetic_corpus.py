"""A synthetic index generation of N chunks for bench/scale.py, written by the project's
own index writer so that ``rag serve`` loads it like any other.

Vectors: the seed documents' sentences are embedded once with the configured (provisioned)
encoder; each synthetic chunk's vector is one of those real embeddings, pulled part of the
way towards another one (a point between two real sentences) plus Gaussian noise,
L2-normalised. Texts: sentences of syllables drawn from the seeds' vocabulary, half from
the chunk's own seed sentence and half by corpus frequency, so BM25 sees Vietnamese
syllables with a realistic skew; five chunks per document.

What is bypassed, and only that: chunking (chunk texts are generated at chunk size and
their offsets in the document recorded directly) and embedding of the N chunks (1M
passages through e5-small on 2 cores would take hours). From the snapshot on, everything
is the ingest's own path: ``VectorPolicy.choose`` picks the structure, ``SearchableIndex.
build`` builds FAISS and BM25, ``IndexStore.commit`` writes the generation (manifest,
documents, chunks, vectors, artifacts) and switches ``CURRENT``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from rag import Pipeline
from rag.chunking import Chunk
from rag.documents import Document, load_documents
from rag.index.manifest import DocEntry, Manifest
from rag.index.searchable import SearchableIndex
from rag.index.store import IndexSnapshot
from rag.sentences import split_sentences
from rag.textnorm import syllables

CHUNKS_PER_DOC = 5
SENTENCES_PER_CHUNK = 6
NOISE = 0.35
"""Norm of the noise added to a unit vector (cosine to its seed point ~0.94)."""


@dataclass
class Seeds:
    sentences: list[str]
    vectors: np.ndarray  # the sentences' passage embeddings, unit rows
    vocab: list[str]
    freq: np.ndarray  # sampling probability of each vocab entry
    sentence_tokens: list[np.ndarray]  # vocab ids of each sentence


ONSETS = sorted(
    "ngh ng nh ch tr th kh ph gh gi qu b c d đ g h k l m n p r s t v x".split(),
    key=len, reverse=True,
)  # fmt: skip
EXTRA_SYLLABLES = 6000
EXTRA_SHARE = 0.3
"""The seeds hold ~600 distinct syllables; written Vietnamese uses ~6-7k. The seed
syllables' onsets and rhymes are recombined into ``EXTRA_SYLLABLES`` more, drawn with a
Zipf tail holding ``EXTRA_SHARE`` of the words, so that BM25's posting lists have a
realistic spread rather than every syllable occurring in most chunks."""


def _split_onset(syllable: str) -> tuple[str, str]:
    for onset in ONSETS:
        if syllable.startswith(onset) and len(syllable) > len(onset):
            return onset, syllable[len(onset) :]
    return "", syllable


def _vocabulary(counts: Counter[str], rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    seed_vocab = sorted(counts)
    parts = [_split_onset(t) for t in seed_vocab if t.isalpha()]
    onsets = sorted({o for o, _ in parts})
    rhymes = sorted({r for _, r in parts})
    known = set(seed_vocab)
    combos = [o + r for o in onsets for r in rhymes if o + r not in known]
    picked = rng.permutation(len(combos))[:EXTRA_SYLLABLES]
    extra = [combos[i] for i in picked]
    seed_freq = np.array([counts[t] for t in seed_vocab], np.float64)
    tail = 1.0 / np.arange(1, len(extra) + 1)
    freq = np.concatenate([
        (1 - EXTRA_SHARE) * seed_freq / seed_freq.sum(), EXTRA_SHARE * tail / tail.sum()
    ])  # fmt: skip
    return seed_vocab + extra, freq / freq.sum()


def load_seeds(pipeline: Pipeline, seeds_dir: str) -> Seeds:
    docs = load_documents([seeds_dir])
    sentences = list(dict.fromkeys(s.text for d in docs for s in split_sentences(d.text)))
    vectors = np.asarray(pipeline.backend.embed_passages(sentences), np.float32)
    counts = Counter(t for s in sentences for t in syllables(s))
    vocab, freq = _vocabulary(counts, np.random.default_rng(0))
    index = {t: i for i, t in enumerate(vocab)}
    tokens = [np.array([index[t] for t in syllables(s)], np.int64) for s in sentences]
    return Seeds(sentences, vectors, vocab, freq, tokens)


def draw_vectors(seeds: Seeds, picks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors around the seed sentences ``picks``: towards a random other sentence
    by a uniform 0-0.5 share, plus noise of norm ~``NOISE``."""
    base = seeds.vectors[picks]
    other = seeds.vectors[rng.integers(0, len(seeds.vectors), len(picks))]
    share = rng.uniform(0.0, 0.5, (len(picks), 1)).astype(np.float32)
    dim = base.shape[1]
    noise = rng.standard_normal(base.shape, dtype=np.float32) * np.float32(NOISE / np.sqrt(dim))
    x = base + share * (other - base) + noise
    return x / np.linalg.norm(x, axis=1, keepdims=True)


class _Words:
    """Sentences of syllables: half from a seed sentence, half by corpus frequency (drawn
    in bulk: one weighted draw per word would dominate the generation time)."""

    def __init__(self, seeds: Seeds, rng: np.random.Generator) -> None:
        self.seeds, self.rng = seeds, rng
        self._pool = np.zeros(0, np.int64)
        self._at = 0

    def _common(self, n: int) -> np.ndarray:
        if self._at + n > len(self._pool):
            size = 1 << 22
            self._pool = self.rng.choice(len(self.seeds.vocab), size, p=self.seeds.freq)
            self._at = 0
        self._at += n
        return self._pool[self._at - n : self._at]

    def sentence(self, seed: int) -> str:
        rng = self.rng
        n = int(rng.integers(12, 26))
        own = self.seeds.sentence_tokens[seed]
        from_seed = own[rng.integers(0, len(own), n // 2)] if len(own) else own
        ids = np.concatenate([from_seed, self._common(n - len(from_seed))])
        rng.shuffle(ids)
        vocab = self.seeds.vocab
        return " ".join([vocab[i] for i in ids]).capitalize() + "."


def generate(
    seeds: Seeds, n_chunks: int, seed: int = 0
) -> tuple[dict[str, Document], list[Chunk], np.ndarray]:
    """Documents, chunks (in document order) and their vectors."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(seeds.sentences), n_chunks)
    vectors = np.empty((n_chunks, seeds.vectors.shape[1]), np.float32)
    for start in range(0, n_chunks, 100_000):
        part = picks[start : start + 100_000]
        vectors[start : start + len(part)] = draw_vectors(seeds, part, rng)
    words = _Words(seeds, rng)
    docs: dict[str, Document] = {}
    chunks: list[Chunk] = []
    for first in range(0, n_chunks, CHUNKS_PER_DOC):
        doc_id = f"syn-{first // CHUNKS_PER_DOC:07d}"
        texts = [
            " ".join(words.sentence(int(picks[row])) for _ in range(SENTENCES_PER_CHUNK))
            for row in range(first, min(first + CHUNKS_PER_DOC, n_chunks))
        ]
        offset = 0
        for i, text in enumerate(texts):
            chunks.append(Chunk(doc_id, i, text, offset, offset + len(text)))
            offset += len(text) + 2
        title = words.sentence(int(picks[first]))[:60].rstrip(". ")
        docs[doc_id] = Document(doc_id, title, "\n\n".join(texts), source="synthetic")
    return docs, chunks, vectors


def write_index(
    pipeline: Pipeline,
    seeds: Seeds,
    n_chunks: int,
    log: Callable[[str], None] = print,
) -> dict[str, float]:
    """Generate ``n_chunks`` and commit them as a new generation of ``pipeline``'s index.
    Returns the seconds each stage took."""
    took: dict[str, float] = {}
    t0 = time.perf_counter()
    docs, chunks, vectors = generate(seeds, n_chunks)
    took["generate"] = time.perf_counter() - t0
    log(f"generated {len(docs)} documents, {len(chunks)} chunks in {took['generate']:.0f} s")
    policy = pipeline.vector_policy()
    counts = Counter(c.doc_id for c in chunks)
    entries = {
        d.doc_id: DocEntry(d.content_hash, d.source, d.title, d.date, None, counts[d.doc_id])
        for d in docs.values()
    }
    manifest = Manifest(
        pipeline.index_config(),
        entries,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        vector=policy.choose(len(chunks)),
    )
    snapshot = IndexSnapshot(manifest, docs, chunks, vectors)
    t0 = time.perf_counter()
    searchable = _timed_build(snapshot, policy, took)
    took["index"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with pipeline.store.write_lock():
        generation = pipeline.store.commit(snapshot, searchable.artifacts())
    took["commit"] = time.perf_counter() - t0
    log(f"committed {generation}: vector index {manifest.vector.kind} {manifest.vector.params}")
    return took


def _timed_build(
    snapshot: IndexSnapshot, policy: object, took: dict[str, float]
) -> SearchableIndex:
    """``SearchableIndex.build``'s two parts, timed apart (same calls, same order)."""
    from rag.index.searchable import chunk_text_for_index
    from rag.index.vector_index import VectorPolicy, build_vector_index
    from rag.retrieval.bm25 import Bm25Index

    assert isinstance(policy, VectorPolicy)
    t0 = time.perf_counter()
    vectors = build_vector_index(snapshot.manifest.vector, snapshot.vectors, policy)
    took["vector_index"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    docs = snapshot.documents
    texts: Iterator[str] = (chunk_text_for_index(docs[c.doc_id], c) for c in snapshot.chunks)
    bm25 = Bm25Index.build(texts)
    took["bm25"] = time.perf_counter() - t0
    return SearchableIndex(snapshot, vectors, bm25)
