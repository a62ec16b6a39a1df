"""Reading the Redis Stream of alert events (the API, asyncio); :mod:`.writer` appends to it.

Why a stream and not only pub/sub: a pub/sub message reaches whoever listens at that instant and
is gone; a stream entry stays (the last :data:`~ward_core.api.live.events.STREAM_MAXLEN` of
them), has an id, and can be read again from any id: that is what lets a client reconnect with the
last id it saw and miss nothing. Readers block on ``XREAD`` (no polling, no separate wake-up
channel): an appended entry reaches a blocked reader within a Redis round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio

from ward_core.api.live.events import STREAM_KEY, ZERO, AlertEvent, StreamId

CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 15.0
CLIENT_NAME = "ward-alert-hub"


@dataclass(frozen=True, slots=True)
class StreamBounds:
    """What the stream holds now: its first and last ids, and whether it ever dropped entries."""

    first: StreamId | None
    last_generated: StreamId
    trimmed: bool


def _entries(rows: Any) -> list[AlertEvent]:
    """Events from a reply of ``(id, fields)`` pairs (redis-py types these loosely)."""
    return [AlertEvent.from_entry(entry_id, fields) for entry_id, fields in rows or []]


class StreamReader:
    """Reads the stream with :mod:`redis.asyncio` (blocking reads need their own connection)."""

    def __init__(self, client: redis.asyncio.Redis, *, key: str = STREAM_KEY) -> None:
        self.client = client
        self.key = key

    @classmethod
    def from_url(cls, url: str, *, key: str = STREAM_KEY, client_name: str = CLIENT_NAME) -> StreamReader:
        """A reader with its own client, named ``client_name`` in ``CLIENT LIST``.

        The socket timeout (:data:`READ_TIMEOUT_S`) is longer than any ``XREAD BLOCK`` the hub
        asks for, so a blocked read times out only when Redis itself stopped answering.
        """
        client = redis.asyncio.Redis.from_url(
            url,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            socket_timeout=READ_TIMEOUT_S,
            socket_keepalive=True,
            client_name=client_name,
        )
        return cls(client, key=key)

    async def tail(self) -> StreamId:
        """The id of the newest entry (``0-0`` for an empty or missing stream)."""
        newest = _entries(await self.client.xrevrange(self.key, "+", "-", count=1))
        return newest[0].id if newest and newest[0].id is not None else ZERO

    async def after(self, cursor: StreamId, *, count: int) -> list[AlertEvent]:
        """Up to ``count`` entries with ids greater than ``cursor``, oldest first."""
        return _entries(await self.client.xrange(self.key, min=f"({cursor}", max="+", count=count))

    async def wait_after(self, cursor: StreamId, *, block_ms: int, count: int) -> list[AlertEvent]:
        """Entries after ``cursor``, waiting up to ``block_ms`` for the first one (``XREAD BLOCK``)."""
        reply: Any = await self.client.xread({self.key: str(cursor)}, count=count, block=block_ms)
        return [event for _, rows in reply or [] for event in _entries(rows)]

    async def bounds(self) -> StreamBounds:
        """First and last ids, and whether entries were trimmed (``XINFO STREAM``)."""
        try:
            info: Mapping[Any, Any] = await self.client.xinfo_stream(self.key)
        except redis.ResponseError:
            return StreamBounds(first=None, last_generated=ZERO, trimmed=False)
        first_entry = info.get("first-entry")
        return StreamBounds(
            first=StreamId.parse(first_entry[0]) if first_entry else None,
            last_generated=StreamId.parse(info["last-generated-id"]),
            trimmed=int(info["entries-added"]) > int(info["length"]),
        )

    async def close(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()
