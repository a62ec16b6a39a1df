"""Abuse limits: request rate per token and per address, and the size of request bodies.

Rate limits are fixed windows of ``Settings.api_rate_window_s``: each request counts once against
its client address and once against the token it presents (valid or not: guessing tokens is what
the limit is for). Beyond ``api_rate_limit_per_address`` or ``api_rate_limit_per_token`` in a
window the answer is 429 with ``Retry-After`` (seconds until the window ends). With Redis the
counters are shared by every API process (``INCR`` + ``EXPIRE``, one round trip); without Redis, or
while Redis fails, they are kept in this process's memory. The Redis client is synchronous, so the
middleware counts in a worker thread: a Redis that hangs until its socket timeout delays only the
requests waiting for it, never the event loop (WebSocket streams, other requests). A fixed window
may let up to twice the limit through around a window boundary: accepted, since it costs one key
per client and window.

Bodies larger than ``api_max_body_bytes`` are refused with 413: at once when ``Content-Length``
says so, and while reading when a chunked body grows past the limit.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl

import redis
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ward_core.api.auth import COOKIE
from ward_core.api.errors import ApiError, error_response

log = logging.getLogger(__name__)

KEY_PREFIX = "ward:api:rate"
EXEMPT_PATHS = frozenset({"/healthz", "/metrics"})
"""Paths monitoring systems poll: never rate limited."""


@dataclass(frozen=True, slots=True)
class Quota:
    """One counter: what it counts (``address:...``, ``token:...``) and how many per window."""

    key: str
    limit: int


class RateLimiter(Protocol):
    """Counts a request against quotas; the seconds to wait when one is exceeded, else None."""

    def hit(self, quotas: Sequence[Quota], now: float) -> float | None: ...


class MemoryRateLimiter:
    """Fixed-window counters in this process's memory."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._lock = threading.Lock()
        self._window = -1
        self._counts: dict[str, int] = {}

    def hit(self, quotas: Sequence[Quota], now: float) -> float | None:
        window = int(now // self.window_s)
        exceeded = False
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            for quota in quotas:
                count = self._counts.get(quota.key, 0) + 1
                self._counts[quota.key] = count
                exceeded = exceeded or count > quota.limit
        return (window + 1) * self.window_s - now if exceeded else None


class RedisRateLimiter:
    """Fixed-window counters in Redis, shared by every API process; memory while Redis fails."""

    def __init__(self, client: redis.Redis, window_s: float) -> None:
        self.client = client
        self.window_s = window_s
        self.fallback = MemoryRateLimiter(window_s)

    def hit(self, quotas: Sequence[Quota], now: float) -> float | None:
        window = int(now // self.window_s)
        ttl = max(1, math.ceil(self.window_s) + 1)
        try:
            pipe = self.client.pipeline(transaction=False)
            for quota in quotas:
                key = f"{KEY_PREFIX}:{quota.key}:{window}"
                pipe.incr(key)
                pipe.expire(key, ttl)
            replies = pipe.execute()
        except redis.RedisError as exc:
            log.warning("rate limiting in memory: Redis failed: %s", exc)
            return self.fallback.hit(quotas, now)
        counts = replies[0::2]
        if any(int(count) > quota.limit for count, quota in zip(counts, quotas, strict=True)):
            return (window + 1) * self.window_s - now
        return None


def _token_key(scope: Scope) -> str | None:
    token: str | None = None
    cookie_header = ""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, rest = value.decode("latin-1").partition(" ")
            token = rest.strip() if scheme.lower() == "bearer" else None
        elif name == b"cookie":
            cookie_header = value.decode("latin-1")
    if token is None and cookie_header:
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and value:
                token = value
    if not token:
        return None
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


class RateLimitMiddleware:
    """429 with ``Retry-After`` beyond the per-address or per-token quota (module docstring)."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, per_address: int, per_token: int) -> None:
        self.app = app
        self.limiter = limiter
        self.per_address = per_address
        self.per_token = per_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path") in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        quotas = [Quota(f"address:{client[0] if client else 'unknown'}", self.per_address)]
        token = _token_key(scope)
        if token is not None:
            quotas.append(Quota(f"token:{token}", self.per_token))
        wait = await run_in_threadpool(self.limiter.hit, quotas, time.time())
        if wait is None:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013, "reason": "rate limited"})
            return
        response = error_response(
            429, f"too many requests: retry in {seconds} s", headers={"Retry-After": str(seconds)}
        )
        await response(scope, receive, send)


class BodyTooLarge(ApiError):
    """A chunked body grew past the limit while it was read (FastAPI passes HTTP errors raised
    while reading a body through to the error handlers)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def too_large_message(limit: int) -> str:
    """The message of a 413."""
    return f"request body larger than {limit} bytes (api_max_body_bytes)"


class BodyLimitMiddleware:
    """413 for request bodies larger than ``limit`` bytes (module docstring)."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await error_response(400, "Content-Length is not a number")(scope, receive, send)
                    return
                if declared > self.limit:
                    await self._too_large(scope, receive, send)
                    return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, too_large_message(self.limit))
        await response(scope, receive, send)


class NulGuardMiddleware:
    """422 for a NUL character in the path or a query parameter (PostgreSQL text cannot hold one):
    the message names the parameter, instead of the database failing deep inside a handler."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            field = nul_field(scope)
            if field is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1007, "reason": f"{field}: NUL character"})
                    return
                response = error_response(422, f"{field}: NUL characters are not allowed")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def nul_field(scope: Scope) -> str | None:
    """The first field of the request's path or query holding a NUL character, or None.

    >>> nul_field({"path": "/x", "query_string": b"a=1&site=b%00"})
    'query.site'
    >>> nul_field({"path": "/x", "query_string": b"a=1"}) is None
    True
    """
    if "\x00" in str(scope.get("path", "")):
        return "path"
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return f"query.{name.replace(chr(0), '')}"
    return None


__all__ = [
    "BodyLimitMiddleware",
    "MemoryRateLimiter",
    "NulGuardMiddleware",
    "Quota",
    "RateLimitMiddleware",
    "RateLimiter",
    "RedisRateLimiter",
]
