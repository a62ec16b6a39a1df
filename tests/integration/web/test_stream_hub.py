"""The alert hub on real Redis: every event once and in order, from now or after an id, through a
full client queue, and gaps announced when the stream lost or never had what the client asks for."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import redis

from ward_core.api.live.events import UNREADABLE, AlertEvent, StreamId
from ward_core.api.live.hub import AlertHub, Gap
from ward_core.api.live.stream import StreamReader
from ward_core.api.live.writer import StreamWriter

T0 = datetime(2026, 1, 1, tzinfo=UTC)
Item = AlertEvent | Gap | StreamId


def _event(n: int) -> AlertEvent:
    return AlertEvent(event="fired", time=T0, alert={"rule": "r", "device": f"d{n}", "n": n})


@pytest.fixture
def key(redis_db_url: str) -> Any:
    name = f"ward:test-stream:{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis.from_url(redis_db_url)
    client.delete(name)
    client.close()


def _run(
    redis_url: str, key: str, body: Callable[[AlertHub, StreamWriter], Awaitable[None]], **hub: Any
) -> None:
    async def main() -> None:
        reader = StreamReader.from_url(redis_url, key=key, client_name=key.replace(":", "-"))
        made = AlertHub(reader, block_ms=500, **hub)
        writer = StreamWriter(redis_url, key=key)
        try:
            await asyncio.wait_for(body(made, writer), timeout=20)
        finally:
            writer.close()
            await asyncio.wait_for(made.close(), timeout=5)

    asyncio.run(main())


async def _next(items: AsyncIterator[Item], timeout: float = 5) -> Item:
    return await asyncio.wait_for(anext(items), timeout)


async def _alerts(items: AsyncIterator[Item], count: int) -> list[int]:
    found = []
    for _ in range(count):
        item = await _next(items)
        assert isinstance(item, AlertEvent), item
        found.append(int(item.alert["n"]))
    return found


async def _nothing_more(items: AsyncIterator[Item]) -> None:
    with pytest.raises(TimeoutError):
        await _next(items, timeout=0.8)


def test_a_client_without_an_id_gets_only_what_comes_after_it_subscribed(redis_db_url: str, key: str) -> None:
    async def body(hub: AlertHub, writer: StreamWriter) -> None:
        old = writer.append(_event(0))
        items = hub.follow(None)
        assert await _next(items) == old
        assert hub.subscribers == 1
        for n in (1, 2, 3):
            writer.append(_event(n))
        assert await _alerts(items, 3) == [1, 2, 3]
        await _nothing_more(items)
        await items.aclose()
        assert hub.subscribers == 0

    _run(redis_db_url, key, body)


def test_a_client_with_an_id_gets_the_backlog_then_live_events_without_duplicates(
    redis_db_url: str, key: str
) -> None:
    async def body(hub: AlertHub, writer: StreamWriter) -> None:
        ids = [writer.append(_event(n)) for n in range(5)]
        items = hub.follow(ids[1])
        assert await _next(items) == ids[1]
        assert await _alerts(items, 3) == [2, 3, 4]
        writer.append(_event(5))
        assert await _alerts(items, 1) == [5]
        await _nothing_more(items)
        await items.aclose()

    _run(redis_db_url, key, body)


def test_a_client_whose_queue_overflowed_catches_up_from_redis_in_order(redis_db_url: str, key: str) -> None:
    async def body(hub: AlertHub, writer: StreamWriter) -> None:
        items = hub.follow(None)
        assert isinstance(await _next(items), StreamId)
        for n in range(12):
            writer.append(_event(n))
        await asyncio.sleep(1.0)
        assert await _alerts(items, 12) == list(range(12))
        await _nothing_more(items)
        await items.aclose()

    _run(redis_db_url, key, body, queue_size=2)


def test_events_trimmed_from_the_stream_are_announced_as_a_gap(redis_db_url: str, key: str) -> None:
    async def body(hub: AlertHub, writer: StreamWriter) -> None:
        client = redis.Redis.from_url(redis_db_url)
        try:
            first = StreamId.parse(client.xadd(key, _event(0).fields()))
            for n in range(1, 8):
                client.xadd(key, _event(n).fields(), maxlen=3, approximate=False)
        finally:
            client.close()
        items = hub.follow(first)
        gap = await _next(items)
        assert isinstance(gap, Gap) and gap.after == first and "may have been dropped" in gap.reason
        assert await _next(items) == first
        assert await _alerts(items, 3) == [5, 6, 7]
        await items.aclose()

    _run(redis_db_url, key, body)


def test_an_id_ahead_of_the_stream_resumes_from_its_last_event(redis_db_url: str, key: str) -> None:
    async def body(hub: AlertHub, writer: StreamWriter) -> None:
        last = writer.append(_event(0))
        items = hub.follow(StreamId(last.ms + 10_000_000, 0))
        gap = await _next(items)
        assert isinstance(gap, Gap) and gap.resume_from == last and "stream was reset" in gap.reason
        assert await _next(items) == last
        writer.append(_event(1))
        assert await _alerts(items, 1) == [1]
        await items.aclose()

    _run(redis_db_url, key, body)


def test_the_hub_keeps_reading_after_redis_dropped_its_connection(redis_db_url: str, key: str) -> None:
    async def body(hub: AlertHub, writer: StreamWriter) -> None:
        items = hub.follow(None)
        assert isinstance(await _next(items), StreamId)
        admin = redis.Redis.from_url(redis_db_url)
        try:
            ours = [c["id"] for c in admin.client_list() if c.get("name") == key.replace(":", "-")]
            assert ours
            for client_id in ours:
                admin.client_kill_filter(_id=client_id)
        finally:
            admin.close()
        writer.append(_event(1))
        assert await _alerts(items, 1) == [1]
        await items.aclose()

    _run(redis_db_url, key, body)


def test_an_entry_that_is_not_an_event_is_marked_and_passed_over(redis_db_url: str, key: str) -> None:
    async def body(hub: AlertHub, writer: StreamWriter) -> None:
        items = hub.follow(None)
        assert isinstance(await _next(items), StreamId)
        client = redis.Redis.from_url(redis_db_url)
        try:
            client.xadd(key, {"something": "else"})
        finally:
            client.close()
        writer.append(_event(1))
        odd = await _next(items)
        assert isinstance(odd, AlertEvent) and odd.event == UNREADABLE
        assert await _alerts(items, 1) == [1]
        await items.aclose()

    _run(redis_db_url, key, body)
