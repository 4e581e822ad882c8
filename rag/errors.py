"""User-facing errors: each carries a one-line message a person can act on.

The CLI prints ``error: <message>`` and exits non-zero; the HTTP API maps them to 4xx/503.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DocumentError(RagError):
    """A document cannot be read: missing, empty, binary, not UTF-8, malformed."""

    exit_code = 2


class IndexMissingError(RagError):
    """No index has been built yet at the configured location."""

    exit_code = 3


class IndexMismatchError(RagError):
    """The index on disk was built with another model, dimension or normaliser."""

    exit_code = 4


class InputError(RagError):
    """A question or request argument is invalid."""

    exit_code = 2


class ModelError(RagError):
    """The embedding model or LLM cannot be provisioned or loaded."""

    exit_code = 5


class NotFoundError(RagError):
    """A named object (document id, backend) does not exist."""

    exit_code = 2


class VectorStoreError(RagError):
    """The vector store (a Milvus server, a Milvus Lite file) cannot be reached or opened."""

    exit_code = 6


class ClusterError(RagError):
    """A Ray ingest cannot run: Ray is not installed, or its cluster cannot be reached."""

    exit_code = 7
