"""Live alert events on Redis pub/sub: every transition as one JSON message on ``ward:alerts``.

The message is ``{"event": kind, "time": ISO 8601, "alert": {...}}`` where ``kind`` is one of
pending, firing, resolved, cancelled, held, released, folded, unfolded, acked, unacked,
ack_expired, and ``alert`` is the stored alert (``ward alerts show --json``). Publishing happens
after the transaction commits; a Redis failure is logged and never fails an evaluation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from ward_core.config import Settings

log = logging.getLogger(__name__)

CHANNEL = "ward:alerts"


class Publisher(Protocol):
    """Where alert events go."""

    def publish(self, events: Sequence[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


class RedisPublisher:
    """Publishes events on a Redis channel (one pipeline per call)."""

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        import redis

        self.url = url
        self.channel = channel
        self._client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)

    def publish(self, events: Sequence[dict[str, Any]]) -> None:
        """Send ``events``; a failure is logged, never raised."""
        if not events:
            return
        try:
            pipe = self._client.pipeline(transaction=False)
            for event in events:
                pipe.publish(self.channel, json.dumps(event, default=str, sort_keys=True))
            pipe.execute()
        except Exception as exc:
            log.warning("publishing %d alert event(s) to %s failed: %s", len(events), self.url, exc)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def redis_url_of(settings: Settings) -> str | None:
    """``redis_url``, else ``broker_url`` when it is a Redis URL, else None.

    >>> redis_url_of(Settings(broker_url="redis://127.0.0.1:6379/0"))
    'redis://127.0.0.1:6379/0'
    >>> redis_url_of(Settings(broker_url="amqp://x")) is None
    True
    """
    if settings.redis_url:
        return settings.redis_url
    broker = settings.broker_url or ""
    return broker if broker.startswith(("redis://", "rediss://", "unix://")) else None


def publisher_for(settings: Settings) -> Publisher | None:
    """A Redis publisher when a Redis URL is configured, else None."""
    url = redis_url_of(settings)
    return RedisPublisher(url) if url else None
