"""One JSON shape for every error, and the handlers that produce it.

Every non-2xx response body is::

    {"error": {"code": "invalid_input", "message": "question is empty",
               "request_id": "6f1c…", "details": null}}

``code`` is a stable machine-readable string, ``message`` a one-line sentence a person can
act on, ``request_id`` echoes the ``X-Request-ID`` header and ``details`` lists the
offending fields of a request that failed validation (``null`` otherwise). Tracebacks are
logged on the server, never returned.

The OpenAI-compatible routes (paths under ``/v1``) answer errors in OpenAI's shape instead,
so that OpenAI clients raise their usual exceptions::

    {"error": {"message": "...", "type": "invalid_request_error", "param": "messages",
               "code": "model_not_found"}}

The request context middleware picks the shape per request (``error_style_var``); every
builder below renders the current one, so middleware errors (413, last-resort 500) and
framework errors (404, 405, validation) come out in the route's shape too.
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

OPENAI_PREFIX = "/v1"
"""Routes under this path prefix are OpenAI-compatible and answer OpenAI-shaped errors."""

error_style_var: ContextVar[str] = ContextVar("error_style", default="default")
"""``default`` (the project's shape) or ``openai``; set per request by path."""


def error_style_for(path: str) -> str:
    """The error shape of the route at ``path``."""
    if path == OPENAI_PREFIX or path.startswith(OPENAI_PREFIX + "/"):
        return "openai"
    return "default"


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


class OpenAIErrorInfo(BaseModel):
    message: str = Field(description="One-line human-readable explanation.")
    type: str = Field(
        description="`invalid_request_error`, `authentication_error`, `permission_error`, "
        "`rate_limit_error` or `server_error`."
    )
    param: str | None = Field(None, description="The offending request field, if one is.")
    code: str | None = Field(
        None, description="Stable machine-readable code, e.g. `model_not_found`."
    )


class OpenAIErrorResponse(BaseModel):
    """The body of every error response of the OpenAI-compatible ``/v1`` routes."""

    error: OpenAIErrorInfo


_OPENAI_DESCRIPTIONS = {
    **_DESCRIPTIONS,
    401: "Missing or wrong `Authorization: Bearer <RAG_API_KEY>` (only when the server sets "
    "RAG_V1_REQUIRE_KEY).",
    404: "Unknown model (`model_not_found`) or route.",
}


def openai_error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting OpenAI's error shape for ``statuses``."""
    return {
        s: {"model": OpenAIErrorResponse, "description": _OPENAI_DESCRIPTIONS[s]} for s in statuses
    }


def openai_error_type(status: int) -> str:
    if status == 401:
        return "authentication_error"
    if status == 403:
        return "permission_error"
    if status == 429:
        return "rate_limit_error"
    return "server_error" if status >= 500 else "invalid_request_error"


# ------------------------------------------------------------------------ exceptions
class ApiError(Exception):
    """An HTTP error raised by the API layer itself (auth, readiness, content type...)."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
        *,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.param = param  # the offending request field (shown in OpenAI-shaped errors)


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
    code: str,
    message: str,
    details: Sequence[FieldError] | None = None,
    *,
    status: int = 400,
    param: str | None = None,
) -> dict[str, Any]:
    """The error body in the current request's shape (see ``error_style_var``)."""
    if error_style_var.get() == "openai":
        if param is None and details:
            param = _param(details[0].loc)
        openai = OpenAIErrorInfo(
            message=message, type=openai_error_type(status), param=param, code=code
        )
        return {"error": openai.model_dump(mode="json")}
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
    param: str | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, details, status=status_code, param=param),
        status_code=status_code,
        headers=dict(headers or {}),
    )


_UNION_TAGS = frozenset({"str", "int", "float", "bool", "none"})


def _param(loc: Sequence[str | int]) -> str | None:
    """A field location as OpenAI names a param: ``messages.0.content`` (no ``body``, and
    none of the union-member tags pydantic appends, such as ``str`` or ``list[...]``)."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    for i, part in enumerate(parts):
        if part in _UNION_TAGS or "[" in part:
            parts = parts[:i]
            break
    return ".".join(parts) or None


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
    return error_response(
        exc.status_code, exc.code, exc.message, headers=exc.headers, param=exc.param
    )


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
