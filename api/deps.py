"""Request dependencies (``Annotated`` aliases) and the per-worker warm-up state."""

from __future__ import annotations

import functools
import hmac
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError, log_exception
from rag.errors import RagError
from rag.pipeline import Pipeline
from rag.settings import Settings

logger = logging.getLogger("api")

WARM_UP_WAIT_SECONDS = 120.0
"""How long a request that arrives during warm-up waits for it before answering 503."""

CONCURRENCY_ENV = "RAG_API_CONCURRENCY"

P = ParamSpec("P")
R = TypeVar("R")


def pipeline_concurrency() -> int:
    """Pipeline calls (embedding, search, answering, ingesting) run at most this many at
    once per worker (``RAG_API_CONCURRENCY``; default: 4 per CPU). Requests beyond it
    wait without holding a thread, and cheap endpoints (``/health``, ``/ready``) never
    queue behind them. A call mixes GIL-bound Python with native model code, so a few
    per core keep the CPU busy (one per core measured slower on the 2-core box)."""
    raw = os.environ.get(CONCURRENCY_ENV, "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value >= 1:
            return value
        logger.warning(f"ignoring {CONCURRENCY_ENV}={raw!r}: expected a positive integer")
    return 4 * max(1, os.cpu_count() or 1)


class ServiceState:
    """Whether this worker's pipeline has loaded its model and index.

    ``start()`` runs ``Pipeline.warm_up()`` in a background thread, so ``/health`` answers
    at once and ``/ready`` reports progress; requests that need the pipeline wait for it
    (see :func:`get_pipeline`) instead of racing it to load the model.
    """

    def __init__(self, pipeline: Pipeline, concurrency: int | None = None) -> None:
        self.pipeline = pipeline
        self.limiter = anyio.CapacityLimiter(concurrency or pipeline_concurrency())
        self.started = False
        self.done = threading.Event()
        self.error: RagError | None = None
        self.seconds: float | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.started:
            return
        self.started = True
        self._thread = threading.Thread(target=self.warm_up, name="rag-warm-up", daemon=True)
        self._thread.start()

    def warm_up(self) -> None:
        """Load the model and index now (blocking; ``start()`` runs it in a thread)."""
        t0 = time.perf_counter()
        try:
            self.pipeline.warm_up()
            self.error = None
        except RagError as exc:
            self.error = exc
        except Exception as exc:  # keep serving: requests will report the problem themselves
            log_exception(exc, "WARM-UP", "")
            self.error = RagError(f"warm-up failed: {type(exc).__name__}: {exc}")
        finally:
            self.seconds = round(time.perf_counter() - t0, 3)
            self.done.set()
            outcome = {"event": "warm_up", "seconds": self.seconds, "ok": self.error is None}
            if self.error is not None:
                outcome["error"] = self.error.message
            logger.info(json.dumps(outcome, ensure_ascii=False))

    async def call(self, func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a blocking pipeline call in a worker thread, within the concurrency limit."""
        call = functools.partial(func, *args, **kwargs)
        return await anyio.to_thread.run_sync(call, limiter=self.limiter)

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
    key = _configured_key(
        settings, "writes_disabled",
        "document uploads and deletes are disabled: the server has no RAG_API_KEY set",
    )  # fmt: skip
    check_bearer(key, credentials)


def _configured_key(settings: Settings, code: str, message: str) -> str:
    """The server's ``RAG_API_KEY``; 403 ``code`` when it has none to check a token against."""
    if not settings.api_key:
        raise ApiError(403, code, message)
    return settings.api_key


def check_bearer(key: str, credentials: HTTPAuthorizationCredentials | None) -> None:
    """401 unless the request carries ``Authorization: Bearer <key>``."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise ApiError(
            401, "unauthorized", "missing `Authorization: Bearer <API key>` header", challenge
        )
    given = credentials.credentials.encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(given, key.encode("utf-8")):
        raise ApiError(401, "unauthorized", "wrong API key", challenge)


_v1_bearer = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <RAG_API_KEY>`: checked on the /v1 routes only when "
    "the server sets RAG_V1_REQUIRE_KEY=true; otherwise any (or no) token is accepted.",
)


async def require_v1_key(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_v1_bearer)],
) -> None:
    """The OpenAI-compatible routes are open (clients send some key; it is ignored) unless
    ``RAG_V1_REQUIRE_KEY`` is true: then they need the same key as the write endpoints."""
    if settings.v1_require_key:
        key = _configured_key(
            settings, "forbidden",
            "RAG_V1_REQUIRE_KEY is set but the server has no RAG_API_KEY to check against",
        )  # fmt: skip
        check_bearer(key, credentials)


ApiKeyDep = Annotated[None, Depends(require_api_key)]
V1KeyDep = Annotated[None, Depends(require_v1_key)]
