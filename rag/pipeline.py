"""``Pipeline``: the one object the CLI, the HTTP API and the eval harness call."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from embeddings import Embedder
from embeddings.cache import CachedEncoder, LruCache, cached_encoder
from rag.answering.base import Answerer, Draft, Passage, citation
from rag.answering.factory import build_answerer
from rag.answering.models import Answer, Citation, SearchResponse, SearchResult
from rag.chunking import Chunker, ChunkerSettings
from rag.documents import Document, load_documents
from rag.encoder import embedder_from_settings, encoder_id
from rag.errors import InputError, NotFoundError, RagError
from rag.index.manifest import DocEntry, IndexConfig
from rag.index.searchable import SearchableIndex
from rag.index.store import IndexStore
from rag.index.vector_index import VectorPolicy
from rag.ingest import (
    ChunkEmbedStage,
    IngestReport,
    LocalChunkEmbed,
    ProgressFactory,
    apply_changes,
    resolved_path,
)
from rag.language import EN, VI_NOACCENT, detect_language
from rag.lexicon import render_english
from rag.retrieval.base import Hit, Query
from rag.retrieval.dense import query_vector
from rag.retrieval.factory import MODES, build_retriever
from rag.sentences import split_sentences
from rag.settings import Settings
from rag.textnorm import NORMALISER_VERSION, normalize_text
from rag.threads import limit_math_threads

_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")

logger = logging.getLogger(__name__)


class Pipeline:
    """Load → clean → chunk → embed → index, and search → answer, with one configuration."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.store = IndexStore(settings.index_dir)
        if isinstance(embedder, CachedEncoder):  # e.g. another pipeline's ``embedder``
            embedder = embedder.inner
        self._embedder = embedder
        self._serving: CachedEncoder | None = None
        self._index: SearchableIndex | None = None
        self._all_sentences_cached: SearchableIndex | None = None
        self._lock = threading.RLock()
        self._answerers: dict[tuple[str, str | None], Answerer] = {}
        self._answers: LruCache[CachedAnswer] = LruCache(settings.answer_cache_size)
        limit_math_threads(settings.math_threads)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: object) -> Pipeline:
        base = settings or Settings()
        return cls(base.model_copy(update=overrides) if overrides else base)

    # ---------------------------------------------------------------- components
    @property
    def embedder(self) -> CachedEncoder:
        """The encoder the query path uses: the backend behind per-text caches."""
        with self._lock:
            if self._serving is None:
                self._serving = cached_encoder(
                    self._load_embedder(),
                    sentences=self.settings.sentence_cache_size,
                    queries=self.settings.answer_cache_size,  # repeated questions
                )
            return self._serving

    @property
    def backend(self) -> Embedder:
        """The embedding backend itself (ingestion: long batches, never cached)."""
        with self._lock:
            return self._load_embedder()

    def _load_embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = embedder_from_settings(self.settings)
        return self._embedder

    def chunker_settings(self) -> ChunkerSettings:
        return ChunkerSettings(self.settings.chunk_tokens, self.settings.chunk_overlap)

    def index_config(self) -> IndexConfig:
        return IndexConfig(
            model_id=self.backend.model_id,
            dim=self.backend.dim,
            normaliser=NORMALISER_VERSION,
            chunker=self.chunker_settings().as_dict(),
            vector_index=self.settings.vector_store,
            encoder=encoder_id(self.backend),
        )

    def index(self) -> SearchableIndex:
        """The live index, reloaded when another process (or request) committed a new one."""
        live = self.store.current()
        with self._lock:
            if self._index is None or self._index.snapshot.generation != live:
                snapshot = self.store.load()
                snapshot.manifest.config.check_matches(self.index_config())
                self._index = SearchableIndex.load(
                    snapshot,
                    {"ef_search": self.settings.hnsw_ef_search, "nprobe": self.settings.ivf_nprobe},
                    self.vector_policy(),
                )
                self._prepare(self._index)
            return self._index

    @property
    def sentences_cached(self) -> bool:
        """Every sentence of the live index was encoded into the caches when it loaded."""
        index = self.index()  # (loading it fills the caches)
        return self._all_sentences_cached is index

    def _prepare(self, index: SearchableIndex) -> None:
        """Per-index work done once when the index loads instead of per question: the
        sentences of every chunk (as the answerer splits them) are encoded (embedding and
        token vectors) and word-tagged into the caches, up to ``sentence_cache_size``."""
        limit = self.settings.sentence_cache_size
        if limit <= 0:
            return
        texts: list[str] = []
        complete = True
        for chunk in index.snapshot.chunks:
            texts.extend(s.text for s in split_sentences(chunk.text, chunk.start))
            if len(texts) >= limit:
                complete = False
                break
        texts = list(dict.fromkeys(texts))[:limit]
        self.embedder.precompute(texts)
        if complete:
            self._all_sentences_cached = index
        if self.settings.answerer == "extractive":
            from rag.answering.words import default_tagger

            tagger = default_tagger()
            for text in texts:
                tagger.words(text)

    def warm_up(self) -> None:
        """Load model and index now (the API does this at start-up), and learn the
        diacritic restorer for questions typed without accents: at 1M chunks that takes
        close to a minute, which the first such question used to wait for (a client
        timeout through HTTP; docs/scaling.md). Also build the extractive answerer (its corpus
        statistics and the reader's model), which every answer backend uses: on the seeds
        the first question after warm-up waited ~0.24 s for it."""
        self.embedder.embed_queries(["khởi động"])
        self.index().restorer(self.settings.restorer_max_chars)
        self.answerer("extractive")
        if self.settings.llm:
            self.warm_llm(self.settings.llm)
        limit_math_threads(self.settings.math_threads)  # libraries loaded since

    def warm_llm(self, name: str) -> None:
        """Load the LLM backend ``name`` and let it evaluate its constant prompts (a local
        model): ``warm_up`` does it for the configured one, ``rag eval --llm`` before its
        timings. A backend that cannot load is logged and reported by the requests that
        use it."""
        try:
            warm = getattr(self.answerer(name), "warm_up", None)
            if warm is not None:
                warm()
        except RagError as exc:
            logger.warning("LLM %r not warmed up: %s", name, exc.message)

    # ----------------------------------------------------------------- ingestion
    def ingest(
        self,
        paths: Sequence[str | Path] | None = None,
        *,
        prune: bool = False,
        rebuild: bool = False,
        progress: ProgressFactory | None = None,
        ray: bool = False,
    ) -> IngestReport:
        """Load, clean, chunk and embed what changed in ``paths`` and commit it. ``ray``:
        loading, cleaning, chunking and embedding run on a Ray cluster (``ray_address``;
        none: a local one started for this ingest), the commit is the same."""
        sources = list(paths) if paths else [self.settings.docs_path]
        if not ray:
            docs = load_documents(sources)
            return self._apply(upsert=docs, paths=_located(docs, sources), prune=prune,
                               rebuild=rebuild, progress=progress)  # fmt: skip
        from rag.ingest_ray import RaySession

        with RaySession.start(self.settings) as session:
            docs = session.load_documents(sources)
            stage = session.chunk_embed_stage(self.index_config(), self.chunker_settings())
            return self._apply(stage, upsert=docs, paths=_located(docs, sources), prune=prune,
                               rebuild=rebuild, progress=progress)  # fmt: skip

    def add_documents(self, docs: Sequence[Document]) -> IngestReport:
        return self._apply(upsert=docs)

    def delete_document(self, doc_id: str) -> IngestReport:
        if doc_id not in self.index().snapshot.documents:
            raise NotFoundError(f"no document with id {doc_id!r}")
        return self._apply(delete=[doc_id])

    def vector_policy(self) -> VectorPolicy:
        """Where the vectors are stored and how their structure is chosen from the size."""
        s = self.settings
        milvus = None
        if s.vector_store == "milvus":
            from rag.index.milvus_index import MilvusConnection

            uri = s.milvus_uri or str(s.index_dir / "milvus.db")
            token = s.milvus_token.get_secret_value() if s.milvus_token else None
            milvus = MilvusConnection.for_index(uri, s.index_dir, token, s.milvus_db)
        lexical = s.lexical_store
        if lexical == "auto":
            lexical = "milvus" if s.vector_store == "milvus" else "bm25s"
        elif lexical == "milvus" and s.vector_store != "milvus":
            raise InputError("RAG_LEXICAL_STORE=milvus needs RAG_VECTOR_STORE=milvus")
        return VectorPolicy(
            s.faiss_flat_max, s.hnsw_m, s.hnsw_ef_construction, s.hnsw_ef_search,
            store=s.vector_store, milvus=milvus, lexical=lexical, large=s.faiss_large,
            ivf_nlist=s.ivf_nlist, ivf_nprobe=s.ivf_nprobe, ivf_train_size=s.ivf_train_size,
        )  # fmt: skip

    def local_stage(self) -> LocalChunkEmbed:
        """Chunking and embedding in this process (the serial ingest)."""
        return LocalChunkEmbed(
            self.backend, Chunker(self.chunker_settings(), self.backend.count_tokens)
        )

    def _apply(self, stage: ChunkEmbedStage | None = None, **kwargs: object) -> IngestReport:
        """``apply_changes`` with this pipeline's index, chunking and embedding in this
        process unless ``stage`` says otherwise."""
        return apply_changes(
            self.store, self.index_config(), stage or self.local_stage(),
            policy=self.vector_policy(), **kwargs,  # type: ignore[arg-type]
        )  # fmt: skip

    # ------------------------------------------------------------------- reading
    def documents(self) -> list[tuple[str, DocEntry]]:
        return list(self.index().snapshot.manifest.documents.items())

    def document(self, doc_id: str) -> Document:
        try:
            return self.index().snapshot.documents[doc_id]
        except KeyError:
            raise NotFoundError(f"no document with id {doc_id!r}") from None

    # ------------------------------------------------------------------- asking
    def check_question(self, question: object) -> str:
        if not isinstance(question, str):
            raise InputError("question must be a string")
        try:
            question.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate ("\ud800") is not text
            raise InputError("question is not valid Unicode text (lone surrogate)") from None
        if "\x00" in question:
            raise InputError("question contains a NUL character (\\u0000), which is not text")
        text = normalize_text(_INVISIBLE.sub("", question)).strip()
        if not text:
            raise InputError("question is empty")
        if len(text) > self.settings.max_question_chars:
            raise InputError(
                f"question is too long ({len(text)} characters; "
                f"the limit is {self.settings.max_question_chars})"
            )
        return text

    def _retrieve(
        self, question: str, top_k: int, mode: str | None
    ) -> tuple[Query, list[Hit], SearchableIndex]:
        mode = mode or self.settings.retrieval_mode
        if mode not in MODES:
            raise InputError(f"unknown retrieval mode {mode!r} (use one of: {', '.join(MODES)})")
        if not 1 <= top_k <= 20:
            raise InputError("top_k must be between 1 and 20")
        index = self.index()
        text = self.check_question(question)
        query = Query(text, lang=detect_language(text))
        if query.lang == VI_NOACCENT:
            query.dense_text = index.restorer(self.settings.restorer_max_chars).restore(text)
        elif query.lang == EN:
            # BM25 reads what can be rendered in Vietnamese terms (names, numbers, and the
            # lexicon's phrases when it is on), weighted by how much of the question that is
            groups, query.lexical_share = render_english(
                text, use_lexicon=self.settings.translate_english
            )
            query.lexical_text = " ".join(alt for group in groups for alt in group)
        s = self.settings
        retriever = build_retriever(
            mode,
            index,
            self.embedder,
            candidates=s.candidates,
            rrf_k=s.rrf_k,
            # re-ranking reads the token vectors of ~50 sentences per question: free from the
            # cache, ~0.5 s to compute (an index larger than the cache: 1M chunks, /search
            # p50 19 -> 545 ms for a new English question, docs/scaling.md)
            late_interaction=s.late_interaction and self._all_sentences_cached is index,
        )
        started = time.perf_counter()
        # one encoder pass for the question: its embedding (dense retrieval, cosines) and,
        # with the fast encoder, the token vectors the answerer aligns words with
        query.vector = self.embedder.embed_query_with_tokens(query.dense_text or query.text)[0]
        query.timings_ms["embed"] = (time.perf_counter() - started) * 1000
        hits = retriever.retrieve(query, top_k)
        vector = query_vector(query, self.embedder)  # answerers and abstention use cosine
        snapshot = index.snapshot
        hits = [
            h
            if h.dense is not None
            else Hit(h.row, h.score, float(snapshot.vector(h.row) @ vector))
            for h in hits
        ]
        query.timings_ms["search"] = (time.perf_counter() - started) * 1000 - query.timings_ms.get(
            "embed", 0.0
        )
        return query, hits, index

    def search(
        self, question: str, top_k: int | None = None, mode: str | None = None
    ) -> SearchResponse:
        started = time.perf_counter()
        query, hits, index = self._retrieve(question, top_k or self.settings.top_k, mode)
        snapshot = index.snapshot
        results = []
        for rank, hit in enumerate(hits, 1):
            chunk = snapshot.chunks[hit.row]
            doc = snapshot.documents[chunk.doc_id]
            results.append(
                SearchResult(
                    rank=rank, chunk_id=chunk.chunk_id, doc_id=doc.doc_id, title=doc.title,
                    source=doc.source, date=doc.date, text=chunk.text, start=chunk.start,
                    end=chunk.end, score=round(hit.score, 6),
                    dense_score=None if hit.dense is None else round(hit.dense, 6),
                    date_source=doc.date_source, page=doc.page_at(chunk.start),
                )
            )  # fmt: skip
        timings = _timings(query, started)
        return SearchResponse(
            question=question, mode=mode or self.settings.retrieval_mode,
            results=results, timings_ms=timings,
        )  # fmt: skip

    def answerer(self, name: str | None = None) -> Answerer:
        """The named answer backend, rebuilt when the index changes (it holds corpus stats)."""
        name = name or self.settings.answerer
        key = (name, self.store.current())
        with self._lock:
            if key not in self._answerers:
                self._answerers = {k: v for k, v in self._answerers.items() if k[0] != name}
                self._answerers[key] = build_answerer(name, self)
            return self._answerers[key]

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        mode: str | None = None,
        llm: str | None = None,
    ) -> Answer:
        """Retrieve and answer; ``llm`` names an answer backend (default: settings).

        Answers of the extractive backend (not an LLM's) are cached (``answer_cache_size``),
        keyed by the normalised question, the options and the index generation: a new index
        never serves an old answer (``ask_stream`` shares the cache)."""
        answer: Answer | None = None
        for event in self.ask_stream(question, top_k, mode, llm):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def _cache_key(
        self, question: str, top_k: int | None, mode: str | None, answerer: Answerer
    ) -> Hashable | None:
        """The answer cache's key for a request, or None when its answer is not cached:
        only answers that are a function of the question and the index (not an LLM's)."""
        if self._answers.size <= 0 or hasattr(answerer, "stream"):
            return None
        return (
            " ".join(self.check_question(question).split()),
            top_k or self.settings.top_k,
            mode or self.settings.retrieval_mode,
            self.store.current(),
            answerer.name,
            id(answerer),
        )

    def retrieve_passages(
        self, question: str, top_k: int | None = None, mode: str | None = None
    ) -> tuple[Query, list[Passage]]:
        """The analysed query and its retrieved passages, best first (what answerers read)."""
        query, hits, index = self._retrieve(question, top_k or self.settings.top_k, mode)
        snapshot = index.snapshot
        passages = [
            Passage(
                snapshot.chunks[h.row],
                snapshot.documents[snapshot.chunks[h.row].doc_id],
                h.score,
                h.dense,
            )
            for h in hits
        ]
        return query, passages

    def ask_stream(
        self,
        question: str,
        top_k: int | None = None,
        mode: str | None = None,
        llm: str | None = None,
    ) -> Iterator[list[Citation] | str | Answer]:
        """The answer as it is made: first the retrieved passages as numbered citations,
        then text pieces (LLM tokens as they are generated; the extractive answer in one
        piece), then the final, verified ``Answer`` (whose citations are authoritative).

        A cached answer (see ``ask``) is replayed: the same events, nothing recomputed,
        the final ``Answer``'s timings marked ``cached``."""
        started = time.perf_counter()
        answerer = self.answerer(llm or self.settings.llm or None)
        key = self._cache_key(question, top_k, mode, answerer)
        hit = None if key is None else self._answers.get(key)
        if hit is not None:
            yield from _replay(hit, question, started)
            return
        query, passages = self.retrieve_passages(question, top_k, mode)
        retrieved = [citation(n, p, p.chunk.start, p.chunk.end) for n, p in enumerate(passages, 1)]
        yield retrieved
        t0 = time.perf_counter()
        draft: Draft | None = None
        first_piece: float | None = None
        stream = getattr(answerer, "stream", None)
        if stream is None:
            draft = answerer.answer(query, passages)
            first_piece = time.perf_counter()
            yield draft.answer
        else:
            for item in stream(query, passages):
                if isinstance(item, Draft):
                    draft = item
                else:
                    first_piece = first_piece or time.perf_counter()
                    yield item
        assert draft is not None
        now = time.perf_counter()
        query.timings_ms["answer"] = (now - t0) * 1000
        # time to the first text piece the caller could show (the whole answer when nothing
        # was streamed before it)
        query.timings_ms["first_token"] = ((first_piece or now) - started) * 1000
        query.timings_ms.update(getattr(draft, "timings_ms", None) or {})
        extra = {k: getattr(draft, k) for k in _LLM_FIELDS if hasattr(draft, k)}
        answer = Answer(
            question=question,
            answer=draft.answer,
            abstained=draft.abstained,
            citations=draft.citations,
            short_answer=draft.short_answer,
            backend=answerer.name,
            timings_ms=_timings(query, started),
            mode=mode or self.settings.retrieval_mode,
            confidence=round(draft.confidence, 4),
            **extra,
        )
        if key is not None:
            self._answers.put(key, CachedAnswer(answer, retrieved))
        yield answer


@dataclass(frozen=True)
class CachedAnswer:
    """What the answer cache keeps: the answer and the retrieved passages' citations (the
    first event of ``ask_stream``), so a repeated question replays its whole stream."""

    answer: Answer
    retrieved: list[Citation]


def _replay(
    hit: CachedAnswer, question: str, started: float
) -> Iterator[list[Citation] | str | Answer]:
    """The events of a cached answer, with the caller's own question text echoed."""
    yield list(hit.retrieved)
    yield hit.answer.answer
    total = round((time.perf_counter() - started) * 1000, 2)
    timings = {"embed": 0.0, "search": 0.0, "answer": 0.0, "cached": 1.0, "total": total}
    yield hit.answer.model_copy(update={"question": question, "timings_ms": timings})


_LLM_FIELDS = ("model", "grounded", "llm_answer", "tokens_per_s")


def _timings(query: Query, started: float) -> dict[str, float]:
    timings = {k: round(v, 2) for k, v in query.timings_ms.items()}
    for key in ("embed", "search", "answer"):
        timings.setdefault(key, 0.0)
    timings["total"] = round((time.perf_counter() - started) * 1000, 2)
    return timings


def _located(docs: Sequence[Document], sources: Sequence[str | Path]) -> dict[str, str | None]:
    return {d.doc_id: _locate(d, sources) for d in docs}


def _locate(doc: Document, sources: Sequence[str | Path]) -> str | None:
    """The file a document came from, for ``--prune`` (None when it cannot be told)."""
    for source in sources:
        path = Path(source)
        if path.is_file() and path.name == doc.source:
            return resolved_path(path)
        if path.is_dir():
            matches = sorted(path.rglob(doc.source))
            if matches:
                return resolved_path(matches[0])
    return None
