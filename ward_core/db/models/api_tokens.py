"""API tokens: who a bearer of the HTTP API is, and what the token may do.

Only the SHA-256 of a token is stored (``token_hash``); the token itself is shown once, when it is
created. SHA-256 suffices because tokens are 256 random bits (nothing to brute-force, unlike a
password). ``scopes`` is what the token may do at most: at each request the effective permissions
are ``scopes`` ∩ what the owner's roles grant *now* (:mod:`ward_core.permissions`), so removing a
role takes effect at once. A token is refused once revoked or past ``expires_at``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ward_core.db.base import Base
from ward_core.db.models.inventory import NAME_LENGTH
from ward_core.db.types import JSONType, UTCDateTime, utcnow

TOKEN_HASH_LENGTH = 64
"""Hex SHA-256."""


class ApiToken(Base):
    """One API token: its hash, owner, scopes, expiry, last use and revocation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    user: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSONType)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(NAME_LENGTH))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
