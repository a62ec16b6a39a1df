"""Every error the HTTP API answers with, as one JSON shape, and how ward's errors map to statuses.

The body is always ``{"detail": "<message>", "code": "<machine code>"}``, plus ``"errors"`` (a list
of ``{"field", "message"}``) for invalid input, where ``field`` is the dotted location such as
``body.comment`` or ``query.limit``: the message names the field.

Ward's errors map to statuses here, once: a refused decision is 409 (the request's state or policy
forbids it), a refused proposal 422, a missing object 404, an unreachable database or broker 503.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ward_core.errors import (
    BrokerError,
    DecisionRefused,
    FilterError,
    IdentityError,
    InventoryError,
    RemediationError,
    RequestRefused,
    StorageError,
    WardError,
)

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(StarletteHTTPException):
    """An error answer: status, message, optional machine code and headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=message, headers=dict(headers) if headers else None)
        self.code = code or CODES.get(status, "error")


def error_body(status: int, message: str, code: str | None = None, **extra: Any) -> dict[str, Any]:
    """The JSON body of an error answer.

    >>> error_body(404, "no alert 7")
    {'detail': 'no alert 7', 'code': 'not_found'}
    """
    return {"detail": message, "code": code or CODES.get(status, "error"), **extra}


def error_response(
    status: int, message: str, *, code: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """An error answer outside a handler (middleware)."""
    return JSONResponse(error_body(status, message, code), status_code=status, headers=dict(headers or {}))


def field_of(location: Sequence[Any]) -> str:
    """A validation error's location as a dotted field name.

    >>> field_of(("body", "params", 0, "value"))
    'body.params[0].value'
    """
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(request)"


def validation_problems(errors: Sequence[Any]) -> list[dict[str, str]]:
    """``{"field", "message"}`` for each error FastAPI's validation reported."""
    problems = []
    for error in errors:
        location = error.get("loc", ()) if isinstance(error, Mapping) else ()
        message = str(error.get("msg", "invalid")) if isinstance(error, Mapping) else str(error)
        kind = error.get("type") if isinstance(error, Mapping) else None
        if kind == "json_invalid":
            context = error.get("ctx") or {}
            message = f"malformed JSON: {context.get('error', message)}"
        problems.append({"field": field_of(location), "message": message})
    return problems


REFUSAL_KEY = "ward.refusal"
"""Where the handlers leave the message of a refused request in the ASGI scope (for the audit)."""


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = validation_problems(exc.errors())
    message = "; ".join(f"{p['field']}: {p['message']}" for p in problems) or "invalid request"
    request.scope[REFUSAL_KEY] = message
    return JSONResponse(error_body(422, message, errors=problems), status_code=422)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = exc.code if isinstance(exc, ApiError) else None
    request.scope[REFUSAL_KEY] = str(exc.detail)
    return JSONResponse(
        error_body(exc.status_code, str(exc.detail), code),
        status_code=exc.status_code,
        headers=exc.headers,
    )


def status_of(exc: WardError) -> int:
    """The HTTP status ward error ``exc`` answers with.

    >>> status_of(DecisionRefused("approve refused: alice requested it"))
    409
    >>> status_of(RequestRefused("no policy rule covers it"))
    422
    """
    if isinstance(exc, DecisionRefused):
        return 409
    if isinstance(exc, RequestRefused):
        return 422
    if isinstance(exc, IdentityError):
        return 403
    if isinstance(exc, RemediationError):
        return 409
    if isinstance(exc, FilterError):
        return 400
    if isinstance(exc, InventoryError):
        return 404 if "no device" in str(exc) or "unknown group" in str(exc) else 400
    if isinstance(exc, StorageError | BrokerError):
        return 503
    return 500


async def _ward_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WardError)
    status = status_of(exc)
    request.scope[REFUSAL_KEY] = str(exc)
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(error_body(status, str(exc)), status_code=status)


async def _database_handler(request: Request, exc: Exception) -> JSONResponse:
    """The last line: a value the database refuses is the client's (422), a database that cannot be
    reached is 503; neither shows the statement or its parameters."""
    if isinstance(exc, DataError):
        status, message = 422, "a value in the request is one the database cannot store"
    else:
        status, message = 503, "the database cannot be reached"
    log.warning("%s %s: %s", request.method, request.url.path, type(exc).__name__)
    request.scope[REFUSAL_KEY] = message
    return JSONResponse(error_body(status, message), status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error as :func:`error_body`."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(WardError, _ward_handler)
    app.add_exception_handler(DataError, _database_handler)
    app.add_exception_handler(OperationalError, _database_handler)
    app.add_exception_handler(InterfaceError, _database_handler)


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["detail", "code"],
    "properties": {
        "detail": {"type": "string", "description": "What went wrong; names the field for bad input."},
        "code": {"type": "string", "enum": sorted(set(CODES.values()))},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
"""The OpenAPI schema of every error answer."""

__all__ = [
    "ERROR_SCHEMA",
    "REFUSAL_KEY",
    "ApiError",
    "error_body",
    "error_response",
    "field_of",
    "install_error_handlers",
    "status_of",
    "validation_problems",
]
