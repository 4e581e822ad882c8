"""Model provisioning and text encoders. Knows nothing of documents or answers."""

from embeddings.base import Embedder, TokenEncoder, TokenVectors, l2_normalise
from embeddings.factory import BACKENDS, UnknownBackendError, build_embedder

__all__ = [
    "BACKENDS",
    "Embedder",
    "TokenEncoder",
    "TokenVectors",
    "UnknownBackendError",
    "build_embedder",
    "l2_normalise",
]
