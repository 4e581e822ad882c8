"""The embedding backend the settings name, built the same way wherever it runs: in the
pipeline's process, or in each encoder actor of a Ray ingest (``rag.ingest_ray``)."""

from __future__ import annotations

from embeddings import Embedder, UnknownBackendError, build_embedder
from rag.errors import ModelError
from rag.settings import Settings


def embedder_from_settings(settings: Settings, threads: int | None = None) -> Embedder:
    """``settings.embed_backend`` over the provisioned model files (nothing downloads);
    ``threads`` overrides ``settings.embed_threads``. ModelError when it cannot load."""
    try:
        return build_embedder(
            settings.embed_backend,
            model=settings.embed_model,
            cache_dir=settings.model_cache,
            batch_size=settings.embed_batch_size,
            threads=threads or settings.embed_threads,
        )
    except UnknownBackendError as exc:
        raise ModelError(str(exc)) from exc
    except (OSError, RuntimeError, ValueError) as exc:
        raise ModelError(f"cannot load the embedding model: {exc}") from exc


def encoder_id(embedder: Embedder) -> str:
    """Which encoder makes an embedder's vectors (recorded in the index manifest)."""
    return str(getattr(embedder, "encoder_id", embedder.model_id))
