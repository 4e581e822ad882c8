"""hoinghi-qa: Vietnamese-first semantic Q&A with cited answers.

``from rag import Pipeline`` is the one entry point the CLI, the HTTP API and the eval
harness share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rag.settings import Settings, get_settings

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

__all__ = ["Pipeline", "Settings", "get_settings"]


def __getattr__(name: str) -> Any:
    # Pipeline pulls in numpy/faiss; import it lazily so `rag --help` stays fast.
    if name == "Pipeline":
        from rag.pipeline import Pipeline

        return Pipeline
    raise AttributeError(name)
