"""Alert transitions as the live stream carries them: stream ids, and the JSON of one event.

Every event is one entry of the Redis Stream :data:`STREAM_KEY`; its id is the entry id Redis
assigned (``<milliseconds>-<sequence>``), increasing, so a client that saw id ``X`` resumes with
everything after ``X``. The entry has one field, ``event``: the JSON of :class:`AlertEvent`
without the id (the id is the entry's). On the WebSocket each event is sent as::

    {"type": "alert", "id": "1767225600000-0", "event": "fired", "time": "2026-01-01T00:00:00+00:00",
     "alert": {"fingerprint": ..., "rule": ..., "device": ..., "site": ..., "severity": ...,
               "summary": ..., "value": ..., "labels": {...}, "started_at": ..., "resolved_at": ...,
               "symptom_of": ...}}

This module needs neither Redis nor FastAPI: the writer runs inside worker processes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import total_ordering
from typing import Any

from ward_core.types import Alert

STREAM_KEY = "ward:alerts:stream"
"""The Redis Stream holding the alert events (under ward's ``ward:`` key namespace)."""

STREAM_MAXLEN = 10_000
"""Entries kept (``XADD MAXLEN ~``): a client away longer than that many events gets a gap notice."""

EVENT_FIELD = "event"
UNREADABLE = "unreadable"

_STREAM_ID = re.compile(r"^(\d{1,20})-(\d{1,20})$")


class BadStreamId(ValueError):
    """A text that is not a stream id (``<milliseconds>-<sequence>``)."""


@total_ordering
@dataclass(frozen=True, slots=True)
class StreamId:
    """A Redis Stream entry id, ordered as Redis orders them.

    >>> StreamId.parse("1700000000000-2") < StreamId.parse("1700000000001-0")
    True
    >>> str(StreamId.parse("5-10"))
    '5-10'
    >>> StreamId.parse("5")
    Traceback (most recent call last):
    ...
    ward_core.api.live.events.BadStreamId: '5' is not a stream event id (like 1767225600000-0)
    """

    ms: int
    seq: int

    @classmethod
    def parse(cls, text: str | bytes) -> StreamId:
        """The id ``text`` spells; :class:`BadStreamId` naming it otherwise."""
        value = text.decode("ascii", "replace") if isinstance(text, bytes) else text
        found = _STREAM_ID.match(value)
        if found is None:
            raise BadStreamId(f"{value[:40]!r} is not a stream event id (like 1767225600000-0)")
        ms, seq = int(found.group(1)), int(found.group(2))
        if ms >= 1 << 64 or seq >= 1 << 64:
            raise BadStreamId(f"{value[:40]!r} is out of range for a stream event id")
        return cls(ms, seq)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, StreamId):
            return NotImplemented
        return (self.ms, self.seq) < (other.ms, other.seq)

    def __str__(self) -> str:
        return f"{self.ms}-{self.seq}"


ZERO = StreamId(0, 0)


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The ``alert`` object of an event (what the hooks' :class:`~ward_core.types.Alert` says)."""
    return {
        "fingerprint": alert.fingerprint,
        "rule": alert.rule,
        "device": alert.device,
        "site": alert.site,
        "severity": alert.severity,
        "summary": alert.summary,
        "value": alert.value,
        "labels": dict(alert.labels),
        "started_at": alert.started_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "symptom_of": alert.symptom_of,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertEvent:
    """One alert transition: ``fired``, ``resolved`` or ``acked``/``unacked``; ``id`` once stored."""

    event: str
    time: datetime
    alert: Mapping[str, Any] = field(hash=False)
    id: StreamId | None = None

    def fields(self) -> dict[str, str]:
        """The stream entry's fields (the id is the entry's own)."""
        body = {"event": self.event, "time": self.time.isoformat(), "alert": dict(self.alert)}
        return {EVENT_FIELD: json.dumps(body, sort_keys=True, default=str)}

    @classmethod
    def from_entry(cls, entry_id: str | bytes, fields: Mapping[Any, Any]) -> AlertEvent:
        """The event stored as entry ``entry_id`` with ``fields`` (bytes or text keys).

        An entry this version cannot read becomes an :data:`UNREADABLE` event carrying the reason,
        so that readers still move past it; it is never sent to clients.
        """
        stream_id = StreamId.parse(entry_id)
        raw = fields.get(EVENT_FIELD, fields.get(EVENT_FIELD.encode()))
        try:
            if raw is None:
                raise ValueError(f"no {EVENT_FIELD!r} field")
            body = json.loads(raw)
            return cls(
                id=stream_id,
                event=str(body["event"]),
                time=datetime.fromisoformat(body["time"]),
                alert=dict(body["alert"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            reason = f"stream entry {stream_id} is not an alert event: {exc}"
            return cls(
                id=stream_id, event=UNREADABLE, time=datetime.fromtimestamp(0, UTC), alert={"error": reason}
            )

    def message(self) -> dict[str, Any]:
        """What the WebSocket sends (see the module docstring)."""
        return {
            "type": "alert",
            "id": str(self.id) if self.id is not None else None,
            "event": self.event,
            "time": self.time.isoformat(),
            "alert": dict(self.alert),
        }
