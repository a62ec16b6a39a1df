"""API tokens: create (shown once), list, revoke, and find the token a request presents.

A token is ``ward_`` followed by 43 URL-safe characters (256 random bits); only its SHA-256 is
stored (:class:`~ward_core.db.models.ApiToken`), with its first characters (``prefix``) so that
people can tell their tokens apart in ``ward tokens list``. Creating a token checks that its owner
is a user of the roles file and that every scope is a permission the owner holds now; at each
request the effective permissions are the scopes ∩ what the owner's roles grant at that moment.

``last_used_at`` is written at most once per :data:`LAST_USED_RESOLUTION_S`, so that a busy token
does not cost a write per request.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from ward_core.db.models import ApiToken
from ward_core.db.types import utcnow
from ward_core.errors import ConfigError, IdentityError
from ward_core.permissions import ALL
from ward_core.remediation.identity import Directory

TOKEN_PREFIX = "ward_"
PREFIX_SHOWN = 12
LAST_USED_RESOLUTION_S = 60.0
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def token_hash(token: str) -> str:
    """The SHA-256 (hex) stored for ``token``.

    >>> token_hash("ward_x")[:12]
    '4916dfbdfe4a'
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_expiry(text: str, now: datetime) -> datetime | None:
    """``30d``, ``12h``, ``90m``, ``2w`` or ``never`` as an expiry time after ``now``.

    >>> from datetime import UTC
    >>> parse_expiry("30d", datetime(2026, 1, 1, tzinfo=UTC)).isoformat()
    '2026-01-31T00:00:00+00:00'
    >>> parse_expiry("never", datetime(2026, 1, 1, tzinfo=UTC)) is None
    True
    >>> parse_expiry("soon", datetime(2026, 1, 1, tzinfo=UTC))
    Traceback (most recent call last):
    ...
    ward_core.errors.ConfigError: --expires 'soon': write a duration such as 30d, 12h, 90m, 2w, or never
    """
    if text.strip().lower() == "never":
        return None
    match = _DURATION.match(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise ConfigError(f"--expires {text!r}: write a duration such as 30d, 12h, 90m, 2w, or never")
    return now + timedelta(seconds=int(match.group(1)) * _UNIT_S[match.group(2)])


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenInfo:
    """A stored token as ``ward tokens list`` shows it (never the token itself)."""

    id: int
    prefix: str
    user: str
    scopes: tuple[str, ...]
    description: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def to_dict(self, now: datetime | None = None) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "id": self.id,
            "prefix": self.prefix,
            "user": self.user,
            "scopes": list(self.scopes),
            "description": self.description,
            "state": self.state(now or utcnow()),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        prefix=row.prefix,
        user=row.user,
        scopes=tuple(row.scopes),
        description=row.description,
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: the secret (shown once) and what was stored."""

    token: str
    info: TokenInfo


def create_token(
    session: Session,
    directory: Directory,
    *,
    user: str,
    scopes: Iterable[str] | None,
    expires_at: datetime | None,
    created_by: str,
    description: str = "",
    now: datetime | None = None,
) -> IssuedToken:
    """Store a new token for ``user`` (scopes default to every permission the user holds now).

    IdentityError when ``user`` is not in the roles file or a scope is not the user's permission.
    """
    now = now or utcnow()
    if user not in directory.users:
        raise IdentityError(f"{user!r} is not a user of {directory.source}")
    held = directory.permissions_of(user)
    wanted = sorted(set(scopes)) if scopes else sorted(held)
    unknown = [s for s in wanted if s not in ALL]
    if unknown:
        raise IdentityError(f"unknown permission(s) {', '.join(unknown)} (known: {', '.join(sorted(ALL))})")
    beyond = [s for s in wanted if s not in held]
    if beyond:
        raise IdentityError(
            f"{user} does not hold {', '.join(beyond)}: a token's scopes are a subset of its owner's "
            "permissions"
        )
    if not wanted:
        raise IdentityError(f"{user} holds no permission: a token for them could do nothing")
    if expires_at is not None and expires_at <= now:
        raise ConfigError(f"the expiry {expires_at.isoformat()} is already past")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=token_hash(token),
        prefix=token[:PREFIX_SHOWN],
        user=user,
        scopes=wanted,
        description=description,
        created_at=now,
        created_by=created_by,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return IssuedToken(token, _info(row))


def list_tokens(session: Session, *, user: str | None = None) -> list[TokenInfo]:
    """Every token (or ``user``'s), newest first."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if user is not None:
        query = query.where(ApiToken.user == user)
    return [_info(row) for row in session.scalars(query)]


def revoke_token(session: Session, token_id: int, now: datetime | None = None) -> TokenInfo:
    """Revoke token ``token_id`` (again is harmless); IdentityError when there is no such token."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise IdentityError(f"no API token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.flush()
    return _info(row)


@dataclass(frozen=True, slots=True)
class PresentedToken:
    """What a presented token is: its id, owner and scopes, or why it is refused."""

    id: int | None
    user: str | None
    scopes: frozenset[str]
    refusal: str | None


def find_token(session: Session | Connection, token: str, now: datetime | None = None) -> PresentedToken:
    """Look ``token`` up by its hash; refused when unknown, revoked or expired.

    Records the use (``last_used_at``) when the last record is older than
    :data:`LAST_USED_RESOLUTION_S`. Takes a session or a connection: the API passes an
    autocommit connection, one round trip per request.
    """
    now = now or utcnow()
    row = session.execute(
        select(ApiToken.id, ApiToken.user, ApiToken.scopes, ApiToken.expires_at)
        .add_columns(ApiToken.revoked_at, ApiToken.last_used_at)
        .where(ApiToken.token_hash == token_hash(token))
    ).first()
    if row is None:
        return PresentedToken(None, None, frozenset(), "unknown token")
    if row.revoked_at is not None:
        return PresentedToken(row.id, row.user, frozenset(), f"token {row.id} was revoked")
    if row.expires_at is not None and row.expires_at <= now:
        return PresentedToken(
            row.id, row.user, frozenset(), f"token {row.id} expired at {row.expires_at.isoformat()}"
        )
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() >= LAST_USED_RESOLUTION_S:
        session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    return PresentedToken(row.id, row.user, frozenset(row.scopes), None)


__all__ = [
    "IssuedToken",
    "PresentedToken",
    "TokenInfo",
    "create_token",
    "find_token",
    "list_tokens",
    "parse_expiry",
    "revoke_token",
    "token_hash",
]
