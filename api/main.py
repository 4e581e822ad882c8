"""The FastAPI application factory.

Run it with uvicorn's factory mode (``rag serve`` does this)::

    uvicorn api.main:create_app --factory

No module-level ``app`` is built at import time: each worker process builds its own app,
and its lifespan warms up (loads the embedding model and the index) once per worker.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from api.deps import ServiceState
from api.errors import install_error_handlers
from api.middleware import REQUEST_ID_HEADER, BodySizeLimitMiddleware, RequestContextMiddleware
from api.responses import OrjsonResponse
from api.routes import ask, chat, documents, health, openai, search
from rag.pipeline import Pipeline
from rag.settings import Settings, get_settings

logger = logging.getLogger("api")

DESCRIPTION = """
Vietnamese-first question answering over the indexed documents, with numbered citations.

**Errors.** Every non-2xx response has the same JSON body:

```json
{"error": {"code": "invalid_input", "message": "question is empty",
           "request_id": "3f2a...", "details": null}}
```

| status | `error.code` | when |
|---|---|---|
| 400 | `malformed_json`, `bad_request` | the body is not valid JSON / cannot be parsed |
| 401 | `unauthorized` | write endpoint without the right `Authorization: Bearer <key>` |
| 403 | `writes_disabled` | write endpoint while the server has no `RAG_API_KEY` |
| 404 | `not_found` | unknown `doc_id` (or route) |
| 405 | `method_not_allowed` | wrong HTTP method |
| 413 | `payload_too_large` | body over `RAG_MAX_BODY_BYTES` |
| 415 | `unsupported_media_type` | POST /documents with another Content-Type |
| 422 | `validation_error` | wrong types / values (`details` lists the fields) |
| 422 | `invalid_input` | blank or too long question, unknown `llm` |
| 422 | `invalid_document` | a document or upload that cannot be read or is empty |
| 500 | `internal_error` | a bug; logged server-side with the request id |
| 503 | `not_ready`, `index_missing`, `index_mismatch`, `model_unavailable` | not servable yet |

**Auth.** Reading is open. `POST /documents` and `DELETE /documents/{doc_id}` need
`Authorization: Bearer <RAG_API_KEY>`; when the server has no key configured they are
disabled and answer **403** (`writes_disabled`).

**OpenAI-compatible routes.** `GET /v1/models` and `POST /v1/chat/completions` follow
OpenAI's objects, and their errors follow OpenAI's shape instead of the one above:
`{"error": {"message", "type", "param", "code"}}` (e.g. 404 `model_not_found`). They are
open (any bearer token is accepted) unless `RAG_V1_REQUIRE_KEY=true`, which makes them
require `Authorization: Bearer <RAG_API_KEY>`.

**Headers.** Every response carries `X-Request-ID` (the client's, if sane, else a new
one), `X-Process-Time-ms` and `Server-Timing` (pipeline stages for /ask and /search).
"""


def create_app(pipeline: Pipeline | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app. Without arguments: settings from ``RAG_*`` and a pipeline from them.

    HTTP settings: ``RAG_API_KEY`` (enables document writes; with ``RAG_V1_REQUIRE_KEY``
    also needed by the OpenAI-compatible /v1 routes), ``RAG_MAX_BODY_BYTES``,
    ``RAG_CORS_ORIGINS`` (a JSON list, e.g. ``'["https://app.example"]'``; CORS is off
    when empty) and ``RAG_API_CONCURRENCY`` (parallel pipeline calls per worker).
    """
    if settings is None:
        settings = pipeline.settings if pipeline is not None else get_settings()
    if pipeline is None:
        pipeline = Pipeline.from_settings(settings)
    service = ServiceState(pipeline)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service.start()  # model + index load in the background; /ready tells when done
        yield

    app = FastAPI(
        title="hoinghi-qa",
        version="0.1.0",
        summary="Cited answers over Vietnamese documents",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=OrjsonResponse,
    )
    app.state.settings = settings
    app.state.pipeline = pipeline
    app.state.service = service
    install_error_handlers(app)
    for module in (health, ask, search, documents, openai, chat):
        app.include_router(module.router)
    app.mount(chat.STATIC_PATH, chat.static_files(), name="static")

    # Added innermost first: CORS (outermost, so even errors carry CORS headers) ->
    # request context (id, timing, access log, last-resort 500) -> body limit -> app.
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER, "Server-Timing", "X-Process-Time-ms"],
            max_age=600,
        )
    return app
