"""The OpenAPI document: security schemes, and the error answers of every operation.

Each operation gets, from what its route declares rather than by hand: the permission it needs
(``x-permissions`` and the description), the bearer/cookie security, and the error statuses it can
answer with — 401 and 403 for protected routes, 413 for routes with a body, 422 for routes with
parameters or a body, 429 for every rate-limited route — all with the error schema of
:mod:`ward_core.api.errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from ward_core.api.auth import COOKIE, Requirement
from ward_core.api.errors import ERROR_SCHEMA
from ward_core.api.limits import EXEMPT_PATHS

ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_TEXT = {
    401: "No token, or an unknown, revoked or expired one (audited).",
    403: "The token lacks the permission this operation needs (audited).",
    404: "No such object.",
    409: "Refused by the object's state or by policy (the message says why).",
    413: "The request body is larger than api_max_body_bytes.",
    422: "Invalid input: malformed JSON, a wrong type, an unknown or missing field (named).",
    429: "Too many requests for this token or address; see Retry-After.",
    503: "The database or broker cannot be reached.",
}

SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "`ward tokens create` or a roles-file token.",
    },
    "cookie": {"type": "apiKey", "in": "cookie", "name": COOKIE},
}


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[tuple[str, APIRoute]]:
    """``(path template, route)`` of every FastAPI route among ``routes``, included routers
    unfolded: FastAPI 0.12x lists them flat, newer versions keep included routers as such."""
    unfold = getattr(fastapi.routing, "iter_route_contexts", None)
    if unfold is None:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route.path_format, route
        return
    for context in unfold(routes):
        original = context.original_route
        if isinstance(original, APIRoute):
            yield context.path_format or original.path_format, original


def requirements_of(route: APIRoute) -> Iterator[Requirement]:
    """The :class:`Requirement` dependencies of ``route`` (at any depth)."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, Requirement):
            yield dependant.call
        pending.extend(dependant.dependencies)


def _error(status: int) -> dict[str, Any]:
    return {"description": ERROR_TEXT[status], "content": {"application/json": {"schema": ERROR_REF}}}


def _decorate(operation: dict[str, Any], route: APIRoute, path: str) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    needs = sorted({p for r in requirements_of(route) for p in r.permissions})
    statuses: set[int] = set()
    if needs:
        operation["security"] = [{"bearer": []}, {"cookie": []}]
        operation["x-permissions"] = needs
        note = f"Needs the permission `{' or '.join(needs)}`."
        operation["description"] = f"{operation.get('description', '').strip()}\n\n{note}".strip()
        statuses |= {401, 403}
    if route.body_field is not None:
        statuses |= {413, 422}
    if operation.get("parameters"):
        statuses.add(422)
    if path not in EXEMPT_PATHS:
        statuses.add(429)
    for status in sorted(statuses):
        responses.setdefault(str(status), _error(status))
    if "422" in responses and "Error" not in str(responses["422"]):
        responses["422"] = _error(422)
    for code, answer in responses.items():
        if code[:1] in ("4", "5") and not (path == "/healthz" and code == "503"):
            answer.setdefault("content", {}).setdefault("application/json", {})["schema"] = ERROR_REF


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` produce the decorated document (built once, then cached)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = document.setdefault("components", {})
        components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
        components["schemas"].pop("HTTPValidationError", None)
        components["schemas"].pop("ValidationError", None)
        for path, route in api_routes(app.routes):
            if not route.include_in_schema:
                continue
            for method in route.methods or ():
                operation = document.get("paths", {}).get(path, {}).get(method.lower())
                if operation is not None:
                    _decorate(operation, route, path)
        app.openapi_schema = document
        return document

    app.openapi = build  # type: ignore[method-assign]


__all__ = ["api_routes", "install_openapi", "requirements_of"]
