"""Request dependencies (``Annotated`` aliases) and the per-worker warm-up state."""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from rag.errors import RagError
from rag.pipeline import Pipeline
from rag.settings import Settings

logger = logging.getLogger("api")

WARM_UP_WAIT_SECONDS = 120.0
"""How long a request that arrives during warm-up waits for it before answering 503."""


class ServiceState:
    """Whether this worker's pipeline has loaded its model and index.

    ``start()`` runs ``Pipeline.warm_up()`` in a background thread, so ``/health`` answers
    at once and ``/ready`` reports progress; requests that need the pipeline wait for it
    (see :func:`get_pipeline`) instead of racing it to load the model.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.started = False
        self.done = threading.Event()
        self.error: RagError | None = None
        self.seconds: float | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.started:
            return
        self.started = True
        self._thread = threading.Thread(target=self.run, name="rag-warm-up", daemon=True)
        self._thread.start()

    def run(self) -> None:
        t0 = time.perf_counter()
        try:
            self.pipeline.warm_up()
            self.error = None
        except RagError as exc:
            self.error = exc
        except Exception as exc:  # keep serving: requests will report the problem themselves
            logger.exception("warm-up failed")
            self.error = RagError(f"warm-up failed: {type(exc).__name__}: {exc}")
        finally:
            self.seconds = round(time.perf_counter() - t0, 3)
            self.done.set()
            outcome = {"event": "warm_up", "seconds": self.seconds, "ok": self.error is None}
            if self.error is not None:
                outcome["error"] = self.error.message
            logger.info(json.dumps(outcome, ensure_ascii=False))

    @property
    def loading(self) -> bool:
        return self.started and not self.done.is_set()

    async def wait(self, timeout: float) -> bool:
        """Wait (without blocking the event loop) until warm-up ends; False on timeout."""
        if not self.loading:
            return True
        return await anyio.to_thread.run_sync(self.done.wait, timeout)


def not_ready_error() -> ApiError:
    return ApiError(
        503,
        "not_ready",
        "the service is still loading the embedding model and index; retry shortly",
        headers={"Retry-After": "5"},
    )


# ----------------------------------------------------------------------- dependencies
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_service(request: Request) -> ServiceState:
    service: ServiceState = request.app.state.service
    return service


async def get_pipeline(request: Request) -> Pipeline:
    """The worker's pipeline, once warm-up (if running) has finished."""
    service: ServiceState = request.app.state.service
    if not await service.wait(WARM_UP_WAIT_SECONDS):
        raise not_ready_error()
    return service.pipeline


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[ServiceState, Depends(get_service)]
PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]

_bearer = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <RAG_API_KEY>`; required by POST and DELETE "
    "/documents. Without RAG_API_KEY on the server these endpoints answer 403.",
)


async def require_api_key(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Writes need ``Authorization: Bearer <RAG_API_KEY>``; 403 when no key is configured."""
    if not settings.api_key:
        raise ApiError(
            403,
            "writes_disabled",
            "document uploads and deletes are disabled: the server has no RAG_API_KEY set",
        )
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise ApiError(
            401, "unauthorized", "missing `Authorization: Bearer <API key>` header", challenge
        )
    given = credentials.credentials.encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(given, settings.api_key.encode("utf-8")):
        raise ApiError(401, "unauthorized", "wrong API key", challenge)


ApiKeyDep = Annotated[None, Depends(require_api_key)]
