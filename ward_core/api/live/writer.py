"""Appending alert events to the Redis Stream: what worker processes do, synchronously.

Kept apart from the reader (:mod:`.stream`) so that a worker imports neither :mod:`redis.asyncio`
nor anything of the web application.
"""

from __future__ import annotations

from typing import Any

import redis

from ward_core.api.live.events import STREAM_KEY, STREAM_MAXLEN, AlertEvent, StreamId

CONNECT_TIMEOUT_S = 2.0
WRITE_TIMEOUT_S = 2.0


class StreamWriter:
    """Appends events to the stream (one short-timeout connection pool per process)."""

    def __init__(self, url: str, *, key: str = STREAM_KEY, maxlen: int = STREAM_MAXLEN) -> None:
        self.url = url
        self.key = key
        self.maxlen = maxlen
        self._client = redis.Redis.from_url(
            url, socket_timeout=WRITE_TIMEOUT_S, socket_connect_timeout=CONNECT_TIMEOUT_S
        )

    def append(self, event: AlertEvent) -> StreamId:
        """Store ``event`` (``XADD ... MAXLEN ~``); its id. Redis errors propagate."""
        fields: dict[Any, Any] = event.fields()
        entry_id: Any = self._client.xadd(self.key, fields, maxlen=self.maxlen, approximate=True)
        return StreamId.parse(entry_id)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
