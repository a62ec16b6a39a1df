"""The HTTP API application: :func:`create_app` builds it from settings.

Layers, outermost first: Prometheus timing by route template, rate limits (429), body size (413),
NUL characters in the path or query (422), gzip above 1 KB, the audit of mutating calls, then
FastAPI's routing with the error handlers of :mod:`ward_core.api.errors`. Every router listed in
:data:`ward_core.api.routes.ROUTERS` is included; each endpoint states its permission with
:func:`ward_core.api.auth.require`.

The app owns what it creates: an engine or plugins passed in are the caller's (tests share them),
the ones built from the settings are disposed of when the app shuts down.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.middleware.gzip import GZipMiddleware

from ward_core.alerts.publish import redis_url_of
from ward_core.api.audit_trail import CallAuditMiddleware
from ward_core.api.auth import PRINCIPAL_KEY
from ward_core.api.errors import install_error_handlers
from ward_core.api.limits import (
    BodyLimitMiddleware,
    MemoryRateLimiter,
    NulGuardMiddleware,
    RateLimiter,
    RateLimitMiddleware,
    RedisRateLimiter,
)
from ward_core.api.metrics import ApiMetrics, MetricsMiddleware
from ward_core.api.openapi import install_openapi
from ward_core.api.routes import ROUTERS
from ward_core.api.state import ApiState
from ward_core.config import Settings
from ward_core.db.session import database_url, get_engine
from ward_core.plugin_manager import WardPlugins, load_plugins

log = logging.getLogger(__name__)

GZIP_MINIMUM_BYTES = 1024
GZIP_LEVEL = 6
"""zlib level 6: most of level 9's ratio on JSON for a fraction of its time."""

REDIS_TIMEOUT_S = 1.0
POOL_SIZE = 10
POOL_OVERFLOW = 20

API_VERSION = "1"
DESCRIPTION = """\
Ward's REST API: everything the `ward` command does, for dashboards and approvers.

**Authentication**: send `Authorization: Bearer <token>` (a token from `ward tokens create`, or a
personal token of the roles file), or the `ward_token` cookie. Each endpoint names the permission
it needs; a token's permissions are its scopes ∩ what its owner's roles grant now.

**Errors** are JSON `{"detail": ..., "code": ...}`; invalid input (422) also lists `errors` with
the field of each problem. 401 and 403 are written to the audit log, as is every mutating call.

**Lists** carry an `ETag`: send it back as `If-None-Match` to get `304 Not Modified`. Answers over
1 KB are gzip-compressed for clients that accept it. Requests are rate limited per token and per
address (`429` with `Retry-After`).
"""


def _redis_client(settings: Settings) -> redis.Redis | None:
    url = redis_url_of(settings)
    if url is None:
        return None
    return redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)


def _engine(settings: Settings) -> Engine:
    """An engine whose pool suits a server: requests run in up to 40 worker threads."""
    if database_url(settings).get_backend_name() == "sqlite":
        return get_engine(settings)
    return get_engine(settings, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)


def create_app(
    settings: Settings, *, engine: Engine | None = None, plugins: WardPlugins | None = None
) -> FastAPI:
    """The API for ``settings``: the engine and plugins given, or built from the settings."""
    owns_engine = engine is None
    owns_plugins = plugins is None
    the_engine = engine if engine is not None else _engine(settings)
    the_plugins = plugins if plugins is not None else load_plugins(settings)
    client = _redis_client(settings)
    limiter: RateLimiter = (
        RedisRateLimiter(client, settings.api_rate_window_s)
        if client is not None
        else MemoryRateLimiter(settings.api_rate_window_s)
    )
    state = ApiState(
        settings=settings,
        engine=the_engine,
        plugins=the_plugins,
        redis=client,
        limiter=limiter,
        metrics=ApiMetrics(),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if client is not None:
                client.close()
            if owns_plugins:
                the_plugins.close()
            if owns_engine:
                the_engine.dispose()

    app = FastAPI(
        title="ward",
        version=API_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.ward = state
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    install_openapi(app)
    app.add_middleware(CallAuditMiddleware, state=state, principal_key=PRINCIPAL_KEY)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(BodyLimitMiddleware, limit=settings.api_max_body_bytes)
    app.add_middleware(
        RateLimitMiddleware,
        limiter=limiter,
        per_address=settings.api_rate_limit_per_address,
        per_token=settings.api_rate_limit_per_token,
    )
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    return app


__all__ = ["create_app"]
