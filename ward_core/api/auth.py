"""Who is calling and what they may do: bearer tokens, the ``ward_token`` cookie, permissions.

A request presents a token as ``Authorization: Bearer <token>`` or in the ``ward_token`` cookie
(the header wins when both are there). The token is either

- an API token (``ward tokens create``, :mod:`ward_core.api.tokens`): its effective permissions
  are its scopes ∩ what its owner's roles grant *now*, so removing a role takes effect at once; or
- a personal token of the roles file (``token_sha256``, the CLI's ``WARD_TOKEN``): every permission
  its owner's roles grant; ``token_id`` is then None.

:func:`require` is the dependency every endpoint uses. It answers 401 (no token, or an unknown,
revoked or expired one) and 403 (a token without the permission), and both refusals are written
to the hash-chained audit log (:mod:`ward_core.api.audit_trail`). The principal of an accepted
request is kept in the ASGI scope (:data:`PRINCIPAL_KEY`) so the audit of mutating calls can name it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from ward_core.api.audit_trail import ANONYMOUS, FORBIDDEN, UNAUTHORIZED, record
from ward_core.api.errors import ApiError
from ward_core.api.state import ApiState, api_state
from ward_core.api.tokens import find_token
from ward_core.db.types import utcnow
from ward_core.permissions import ALL, with_implied
from ward_core.remediation.identity import token_digest

COOKIE = "ward_token"
PRINCIPAL_KEY = "ward.principal"
"""Where :func:`require` leaves the accepted :class:`Principal` in the ASGI scope."""

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="ward"'}


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: user, roles held now, effective permissions, and the API token's id (None for a
    roles-file token)."""

    user: str
    roles: frozenset[str]
    permissions: frozenset[str]
    token_id: int | None

    def can(self, permission: str) -> bool:
        """True when the caller holds ``permission``."""
        return permission in self.permissions


def presented_token(connection: HTTPConnection) -> str | None:
    """The token the request carries (bearer header first, then the cookie), or None."""
    header = connection.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return None
    cookie = connection.cookies.get(COOKIE)
    return cookie.strip() if cookie and cookie.strip() else None


def _refuse_401(state: ApiState, connection: HTTPConnection, reason: str) -> ApiError:
    record(state, connection, actor=ANONYMOUS, kind=UNAUTHORIZED, outcome=401, detail={"reason": reason})
    return ApiError(401, f"not authenticated: {reason}", headers=CHALLENGE)


def _roles_file_principal(state: ApiState, token: str) -> Principal | None:
    directory = state.directory()
    digest = token_digest(token)
    owner = next(
        (user for known, user in directory.tokens.items() if hmac.compare_digest(known, digest)), None
    )
    if owner is None:
        return None
    return Principal(owner, directory.roles_of(owner), directory.permissions_of(owner), None)


def authenticate(connection: HTTPConnection) -> Principal:
    """The caller of ``connection`` (a request or a WebSocket); ApiError 401, audited, when unknown.

    Synchronous (it reads the database): from async code, run it in a thread
    (``await starlette.concurrency.run_in_threadpool(authenticate, websocket)``).
    """
    state = api_state(connection)
    token = presented_token(connection)
    if token is None:
        raise _refuse_401(state, connection, "no token (send Authorization: Bearer <token>)")
    with state.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        found = find_token(conn, token, utcnow())
    if found.refusal is None and found.user is not None:
        directory = state.directory()
        granted = found.scopes & directory.permissions_of(found.user)
        return Principal(found.user, directory.roles_of(found.user), with_implied(granted), found.id)
    if found.id is None:
        principal = _roles_file_principal(state, token)
        if principal is not None:
            return principal
    raise _refuse_401(state, connection, found.refusal or "unknown token")


class Requirement:
    """The dependency :func:`require` returns: authenticates, then checks the permissions.

    ``permissions`` holds the alternatives: any one of them suffices. Route tables and tests read
    it to know what each endpoint needs.
    """

    def __init__(self, *permissions: str) -> None:
        unknown = [p for p in permissions if p not in ALL]
        if unknown or not permissions:
            raise ValueError(f"unknown permission(s) {unknown}: use the names of ward_core.permissions")
        self.permissions = frozenset(permissions)

    def __call__(self, connection: HTTPConnection) -> Principal:
        principal = authenticate(connection)
        if not principal.permissions & self.permissions:
            wanted = " or ".join(sorted(self.permissions))
            record(
                api_state(connection),
                connection,
                actor=principal.user,
                kind=FORBIDDEN,
                outcome=403,
                detail={"needs": sorted(self.permissions), "token": principal.token_id},
            )
            raise ApiError(403, f"{principal.user} lacks the permission {wanted}")
        connection.scope[PRINCIPAL_KEY] = principal
        return principal

    def __repr__(self) -> str:
        return f"require({', '.join(sorted(self.permissions))})"


def require(permission: str, *alternatives: str) -> Requirement:
    """A FastAPI dependency returning the :class:`Principal` that holds ``permission`` (or one of
    ``alternatives``); 401 or 403, audited, otherwise."""
    return Requirement(permission, *alternatives)


__all__ = [
    "COOKIE",
    "PRINCIPAL_KEY",
    "Principal",
    "Requirement",
    "authenticate",
    "presented_token",
    "require",
]
