"""What every request handler needs, built once by :func:`~ward_core.api.app.create_app`.

Handlers reach it with :func:`api_state` (``request.app.state.ward``), never through globals, so
that several apps (tests, benchmarks) can live in one process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from ward_core.config import Settings
from ward_core.db.session import session_factory
from ward_core.plugin_manager import WardPlugins
from ward_core.remediation.context import RemediationContext
from ward_core.remediation.identity import Directory, current_directory

if TYPE_CHECKING:
    from ward_core.api.limits import RateLimiter
    from ward_core.api.metrics import ApiMetrics


@dataclass(eq=False)
class ApiState:
    """Settings, database, plugins, Redis (None: no cache, rate limits kept in memory) and the
    rate limiter and metrics of one app."""

    settings: Settings
    engine: Engine
    plugins: WardPlugins
    redis: redis.Redis | None
    limiter: RateLimiter
    metrics: ApiMetrics
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = session_factory(self.engine)

    def directory(self) -> Directory:
        """The roles file in force now (parsed again only when it changed)."""
        return current_directory(self.settings)

    @cached_property
    def remediation(self) -> RemediationContext:
        """The remediation services' context (built on first use: it reads the credentials file)."""
        return RemediationContext.build(self.engine, self.plugins, self.settings)


def api_state(connection: HTTPConnection) -> ApiState:
    """The state of the app serving ``connection`` (a request or a WebSocket)."""
    state = connection.app.state.ward
    if not isinstance(state, ApiState):
        raise RuntimeError("app.state.ward is not set: build the app with ward_core.api.app.create_app")
    return state


__all__ = ["ApiState", "api_state"]
