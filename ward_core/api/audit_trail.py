"""API calls in the hash-chained audit log (:mod:`ward_core.audit`).

Three kinds of record, each naming the actor, the route (method and template), the target (the
path parameters) and the client address:

- ``api.call``: a mutating call and its outcome (HTTP status; the refusal's message when refused);
- ``api.unauthorized``: a request refused 401 (no token, or a bad, revoked or expired one);
- ``api.forbidden``: a request refused 403 (the token lacks the permission).

The domain services audit what they do themselves (a remediation decision is also recorded as
``decision.recorded`` or ``decision.refused``); ``api.call`` adds who called through the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ward_core.api.errors import REFUSAL_KEY
from ward_core.api.state import ApiState
from ward_core.audit.log import append
from ward_core.db.session import session_scope

CALL = "api.call"
UNAUTHORIZED = "api.unauthorized"
FORBIDDEN = "api.forbidden"

ANONYMOUS = "anonymous"


def route_of(connection: HTTPConnection) -> str:
    """``METHOD /route/{template}`` of the request (the raw path when no route matched)."""
    route = connection.scope.get("route")
    template = getattr(route, "path", None) or connection.url.path
    method = connection.scope.get("method", "WEBSOCKET")
    return f"{method} {template}"


def address_of(connection: HTTPConnection) -> str:
    """The client's address (``unknown`` when the server does not say)."""
    return connection.client.host if connection.client else "unknown"


def record(
    state: ApiState,
    connection: HTTPConnection,
    *,
    actor: str,
    kind: str,
    outcome: str | int,
    detail: Mapping[str, Any] | None = None,
    request_id: int | None = None,
) -> None:
    """Append one record about ``connection`` to the audit log, in its own transaction."""
    payload: dict[str, Any] = {
        "route": route_of(connection),
        "target": {k: str(v) for k, v in connection.path_params.items()},
        "address": address_of(connection),
        "outcome": outcome,
        **(detail or {}),
    }
    with session_scope(state.engine) as session:
        append(session, actor=actor, kind=kind, payload=payload, request_id=request_id)


MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CallAuditMiddleware:
    """Writes ``api.call`` for every mutating request an authenticated principal made, with its
    status (and the refusal's message), before the answer leaves: a client that reads the audit
    log right after the answer finds the record.

    Requests refused 401/403 are recorded by :mod:`ward_core.api.auth` instead (no principal).
    """

    def __init__(self, app: ASGIApp, *, state: ApiState, principal_key: str) -> None:
        self.app = app
        self.state = state
        self.principal_key = principal_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in MUTATING:
            await self.app(scope, receive, send)
            return

        async def auditing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                principal = scope.get(self.principal_key)
                if principal is not None:
                    await run_in_threadpool(self._record, scope, principal.user, int(message["status"]))
            await send(message)

        await self.app(scope, receive, auditing_send)

    def _record(self, scope: Scope, actor: str, status: int) -> None:
        connection = HTTPConnection(scope)
        refusal = scope.get(REFUSAL_KEY)
        token = getattr(scope.get(self.principal_key), "token_id", None)
        detail: dict[str, Any] = {"token": token}
        if refusal is not None:
            detail["refusal"] = refusal
        record(self.state, connection, actor=actor, kind=CALL, outcome=status, detail=detail)


__all__ = [
    "ANONYMOUS",
    "CALL",
    "FORBIDDEN",
    "UNAUTHORIZED",
    "CallAuditMiddleware",
    "address_of",
    "record",
    "route_of",
]
