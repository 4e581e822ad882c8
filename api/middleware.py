"""Pure-ASGI middleware: request id, timing headers, JSON access log, body size limit.

Pure ASGI (not ``BaseHTTPMiddleware``) so streaming responses pass through untouched and
context variables (the request id) reach the endpoint, its thread and the error handlers.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import (
    error_response,
    error_style_for,
    error_style_var,
    internal_error_response,
    log_exception,
    request_id_var,
)

access_logger = logging.getLogger("api.access")

REQUEST_ID_HEADER = "X-Request-ID"
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")


def _request_id(scope: Scope) -> str:
    """The client's X-Request-ID when it is sane (short, printable), else a new one."""
    given = Headers(scope=scope).get(REQUEST_ID_HEADER)
    if given and _CLIENT_ID_RE.match(given):
        return given
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Request id (echoed or generated), ``Server-Timing``/``X-Process-Time-ms`` headers,
    one JSON line per request on the ``api.access`` logger, and a last-resort 500 JSON
    response (the traceback goes to the log, never to the client)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = _request_id(scope)
        token = request_id_var.set(rid)
        style = error_style_var.set(error_style_for(scope.get("path", "")))
        scope.setdefault("state", {})["request_id"] = rid
        status = 500
        response_started = False
        bytes_out = 0

        async def send_with_context(message: Message) -> None:
            nonlocal status, response_started, bytes_out
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                elapsed = (time.perf_counter() - started) * 1000
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = rid
                headers.append("Server-Timing", f"app;dur={elapsed:.1f}")
                headers["X-Process-Time-ms"] = f"{elapsed:.1f}"
            elif message["type"] == "http.response.body":
                bytes_out += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        except Exception as exc:
            log_exception(exc, scope.get("method", ""), scope.get("path", ""))
            if not response_started:
                await internal_error_response()(scope, receive, send_with_context)
        finally:
            self._log(scope, rid, status, started, bytes_out)
            request_id_var.reset(token)
            error_style_var.reset(style)

    @staticmethod
    def _log(scope: Scope, rid: str, status: int, started: float, bytes_out: int) -> None:
        client = scope.get("client")
        record: dict[str, Any] = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": "request",
            "request_id": rid,
            "method": scope.get("method"),
            "path": scope.get("path"),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "bytes_out": bytes_out,
            "client": client[0] if client else None,
        }
        level = logging.ERROR if status >= 500 else logging.INFO
        access_logger.log(level, json.dumps(record, ensure_ascii=False))


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than the limit of {limit} bytes")


class BodySizeLimitMiddleware:
    """Reject request bodies over ``max_body_bytes`` with 413 JSON.

    Checked up front from ``Content-Length`` (nothing is read) and again while the body
    streams in (chunked uploads, lying clients): the app's own reply to the interrupted
    read is discarded and replaced by the 413.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def _too_large(self) -> BodyTooLarge:
        return BodyTooLarge(self.max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                length = int(declared)
                if length < 0:
                    raise ValueError(declared)
            except ValueError:
                await error_response(400, "bad_request", "invalid Content-Length header")(
                    scope, receive, send
                )
                return
            if length > limit:
                await self._reject(scope, receive, send)
                return

        received = 0
        exceeded = False
        app_started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise self._too_large()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal app_started
            if exceeded and not app_started:
                return  # the app's answer to the aborted read; the 413 replaces it
            if message["type"] == "http.response.start":
                app_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded or app_started:
                raise
        if exceeded and not app_started:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        exc = self._too_large()
        response = error_response(413, "payload_too_large", str(exc.detail))
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
