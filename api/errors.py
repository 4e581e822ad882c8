"""One JSON shape for every error, and the handlers that produce it.

Every non-2xx response body is::

    {"error": {"code": "invalid_input", "message": "question is empty",
               "request_id": "6f1c…", "details": null}}

``code`` is a stable machine-readable string, ``message`` a one-line sentence a person can
act on, ``request_id`` echoes the ``X-Request-ID`` header and ``details`` lists the
offending fields of a request that failed validation (``null`` otherwise). Tracebacks are
logged on the server, never returned.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from rag.errors import (
    DocumentError,
    IndexMismatchError,
    IndexMissingError,
    InputError,
    ModelError,
    NotFoundError,
    RagError,
)

logger = logging.getLogger("api.errors")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The current request's id (set by the request-context middleware)."""


# ----------------------------------------------------------------------------- schema
class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where the problem is, e.g. ['body', 'top_k'].")
    msg: str
    type: str


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `invalid_input`.")
    message: str = Field(description="One-line human-readable explanation.")
    request_id: str | None = Field(None, description="Same as the X-Request-ID header.")
    details: list[FieldError] | None = Field(
        None, description="Per-field problems of a request that failed validation."
    )


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorInfo


_DESCRIPTIONS = {
    400: "Malformed request (e.g. the body is not valid JSON).",
    401: "Missing or wrong `Authorization: Bearer <RAG_API_KEY>`.",
    403: "Writes are disabled: the server has no RAG_API_KEY configured.",
    404: "No such document (or route).",
    413: "Request body larger than RAG_MAX_BODY_BYTES.",
    415: "Unsupported Content-Type.",
    422: "The request is well-formed but invalid (wrong types, empty question, ...).",
    500: "Unexpected server error (logged with the request id; no details returned).",
    503: "Not ready: model or index not loaded, index missing or built differently.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the error shape for ``statuses``."""
    return {s: {"model": ErrorResponse, "description": _DESCRIPTIONS[s]} for s in statuses}


# ------------------------------------------------------------------------ exceptions
class ApiError(Exception):
    """An HTTP error raised by the API layer itself (auth, readiness, content type...)."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


# RagError subclass -> (status, code). Looked up along the exception's MRO.
RAG_ERROR_STATUS: dict[type[RagError], tuple[int, str]] = {
    InputError: (422, "invalid_input"),
    DocumentError: (422, "invalid_document"),
    NotFoundError: (404, "not_found"),
    IndexMissingError: (503, "index_missing"),
    IndexMismatchError: (503, "index_mismatch"),
    ModelError: (503, "model_unavailable"),
}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "not_ready",
}


def rag_error_status(exc: RagError) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in RAG_ERROR_STATUS:
            return RAG_ERROR_STATUS[cls]
    return 500, "internal_error"


# -------------------------------------------------------------------------- builders
def error_body(
    code: str, message: str, details: Sequence[FieldError] | None = None
) -> dict[str, Any]:
    info = ErrorInfo(
        code=code,
        message=message,
        request_id=request_id_var.get(),
        details=list(details) if details is not None else None,
    )
    return {"error": info.model_dump(mode="json")}


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    details: Sequence[FieldError] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, details), status_code=status_code, headers=dict(headers or {})
    )


def internal_error_response() -> JSONResponse:
    rid = request_id_var.get()
    suffix = f" (request id {rid})" if rid else ""
    return error_response(500, "internal_error", f"internal server error{suffix}")


# --------------------------------------------------------------- validation messages
def _where(loc: Sequence[Any]) -> str:
    parts = list(loc)
    if not parts:
        return "request"
    kind, rest = parts[0], parts[1:]
    if kind == "body":
        # the body's own errors ("body") vs a field of it ("body.top_k")
        return ".".join(str(p) for p in rest) if rest else "request body"
    if kind in ("query", "path", "header", "cookie"):
        return f"{kind} parameter {'.'.join(str(p) for p in rest)}"
    return ".".join(str(p) for p in parts)


def _field_errors(errors: Sequence[Any]) -> list[FieldError]:
    out = []
    for err in errors:
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        out.append(FieldError(loc=loc, msg=str(err.get("msg", "")), type=str(err.get("type", ""))))
    return out


def validation_message(errors: Sequence[Any]) -> str:
    parts = []
    for err in errors[:5]:
        parts.append(f"{_where(err.get('loc', ()))}: {err.get('msg', 'invalid')}")
    more = len(errors) - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _json_error(errors: Sequence[Any]) -> dict[str, Any] | None:
    return next((e for e in errors if e.get("type") == "json_invalid"), None)


def validation_error_response(errors: Sequence[Any]) -> JSONResponse:
    bad_json = _json_error(errors)
    if bad_json is not None:
        ctx = bad_json.get("ctx") or {}
        reason = str(ctx.get("error") or bad_json.get("msg") or "invalid JSON")
        loc = list(bad_json.get("loc", ()))
        where = f" at position {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        return error_response(
            400, "malformed_json", f"the request body is not valid JSON ({reason}{where})"
        )
    return error_response(
        422, "validation_error", validation_message(errors), details=_field_errors(errors)
    )


# -------------------------------------------------------------------------- handlers
async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_error_response(exc.errors())


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if isinstance(exc.detail, str) and exc.detail:
        message = exc.detail
    else:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            message = "error"
    if status == 404 and message == "Not Found":
        message = f"no route {request.method} {request.url.path}"
    elif status == 405 and message == "Method Not Allowed":
        message = f"method {request.method} is not allowed on {request.url.path}"
    code = _HTTP_CODES.get(status, "internal_error" if status >= 500 else "http_error")
    return error_response(status, code, message, headers=exc.headers)


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.code, exc.message, headers=exc.headers)


async def _on_rag_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RagError)
    status, code = rag_error_status(exc)
    if status >= 500:
        logger.warning(
            json.dumps(
                {
                    "event": "service_unavailable" if status == 503 else "error",
                    "request_id": request_id_var.get(),
                    "code": code,
                    "message": exc.message,
                },
                ensure_ascii=False,
            )
        )
    headers = {"Retry-After": "5"} if status == 503 else None
    return error_response(status, code, exc.message, headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Normally caught (and logged) earlier by RequestContextMiddleware; last resort.
    log_exception(exc, request.method, request.url.path)
    return internal_error_response()


def log_exception(exc: BaseException, method: str, path: str) -> None:
    import traceback

    logger.error(
        json.dumps(
            {
                "event": "unhandled_exception",
                "request_id": request_id_var.get(),
                "method": method,
                "path": path,
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": "".join(traceback.format_exception(exc)),
            },
            ensure_ascii=False,
        )
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RagError, _on_rag_error)
    app.add_exception_handler(Exception, _on_unexpected)
