"""``GET /health`` (liveness) and ``GET /ready`` (model and index loaded)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServiceDep, not_ready_error
from api.errors import ApiError, error_responses
from api.schemas import HealthResponse, ReadyResponse
from rag.errors import RagError

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness: the process is up")
async def health() -> HealthResponse:
    """Always 200 while the process serves requests (does not touch the model or index)."""
    return HealthResponse()


@router.get(
    "/ready",
    summary="Readiness: model and index loaded",
    responses=error_responses(503),
)
def ready(service: ServiceDep) -> ReadyResponse:
    """200 once this worker has loaded the embedding model and the live index.

    503 with `error.code` = `not_ready` while warm-up has not run or is running,
    `index_missing` when there is no index yet (run `rag ingest` or POST /documents),
    `index_mismatch` when the index was built with another model, `model_unavailable`
    when the model cannot be loaded. Reflects later changes: an index created after
    start-up makes the worker ready without a restart.
    """
    if not service.started:
        raise ApiError(
            503, "not_ready", "the model and index are not loaded yet (warm-up has not run)"
        )
    if service.loading:
        raise not_ready_error()
    pipeline = service.pipeline
    try:
        snapshot = pipeline.index().snapshot  # cheap unless a new generation was committed
        model = pipeline.embedder.model_id
    except RagError:
        raise
    except Exception as exc:
        raise ApiError(503, "not_ready", f"cannot load the index: {type(exc).__name__}") from exc
    return ReadyResponse(
        generation=snapshot.generation,
        documents=len(snapshot.documents),
        chunks=len(snapshot.chunks),
        model=model,
        warm_up_seconds=service.seconds,
    )
