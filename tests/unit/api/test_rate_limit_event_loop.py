"""A Redis that hangs does not stall the API's event loop: the rate-limit middleware counts in a
worker thread while other coroutines keep running; plus the redaction module's doctests."""

from __future__ import annotations

import asyncio
import doctest
import itertools
import socket
import time
from collections.abc import Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from starlette.types import Message, Receive, Scope, Send

import ward_core.api.redaction
from ward_core.api.limits import RateLimitMiddleware, RedisRateLimiter

REDIS_TIMEOUT_S = 1.0


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port whose server accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])


async def _ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _serve_one_while_ticking(middleware: RateLimitMiddleware) -> tuple[int, float, float]:
    """Status of one request, how long it took, and the longest the loop went without ticking."""
    ticks: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            if stop.is_set():
                return
            await asyncio.sleep(0.02)

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "path": "/api/v1/devices", "headers": [], "client": ("127.0.0.9", 1)}
    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await middleware(scope, receive, send)
    took = time.monotonic() - started
    stop.set()
    await ticking
    longest = max(b - a for a, b in itertools.pairwise(ticks))
    return int(sent[0]["status"]), took, longest


def test_a_hanging_redis_does_not_block_the_event_loop(silent_port: int) -> None:
    client = redis.Redis(
        host="127.0.0.1",
        port=silent_port,
        socket_timeout=REDIS_TIMEOUT_S,
        socket_connect_timeout=REDIS_TIMEOUT_S,
        retry=Retry(NoBackoff(), 0),
    )
    limiter = RedisRateLimiter(client, window_s=10)
    middleware = RateLimitMiddleware(_ok, limiter=limiter, per_address=100, per_token=100)
    try:
        status, took, longest = asyncio.run(_serve_one_while_ticking(middleware))
    finally:
        client.close()
    assert status == 200
    assert took >= REDIS_TIMEOUT_S * 0.9
    assert longest < REDIS_TIMEOUT_S / 2


def test_redaction_doctests() -> None:
    failures, tried = doctest.testmod(ward_core.api.redaction)
    assert tried > 0 and failures == 0
