"""``POST /search``: ranked passages for a question, without an answer."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import PipelineDep, ServiceDep
from api.errors import error_responses
from api.responses import OrjsonResponse
from api.routes.ask import server_timing
from api.schemas import SearchRequest
from rag.answering.models import SearchResponse

router = APIRouter(tags=["ask"])


@router.post(
    "/search",
    summary="Ranked passages for a question",
    responses=error_responses(400, 413, 422, 500, 503),
    response_model=SearchResponse,
)
async def search(body: SearchRequest, pipeline: PipelineDep, service: ServiceDep) -> OrjsonResponse:
    """The same JSON as `rag search --json`: passages with document offsets and scores."""
    result = await service.call(pipeline.search, body.question, body.top_k, body.mode)
    return OrjsonResponse(result, headers={"Server-Timing": server_timing(result.timings_ms)})
