"""What travels on the queue: names and ids only, never ORM objects.

One message is one probe batch of one poll cycle: ``(cycle_id, batch_id, kinds, device_names)``.
The worker looks the devices up again when it runs the batch, so a message is valid however long it
waits, and a device removed meanwhile simply fails "not in the inventory".

Ids are readable and sortable: a cycle id is ``<schedule>-<slot time>-<random>``, a batch id is the
cycle id and the batch's position, so ``ward status`` and the run records can be read by eye.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ward_core.errors import ConfigError

QUEUE = "ward.probes"
"""The Dramatiq queue probe batches travel on."""

PROBE_BATCH_ACTOR = "ward.probe_batch"
"""The actor name probe batch messages are addressed to."""

DEFAULT_SCHEDULE = "probes"
SCHEDULE_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchMessage:
    """One probe batch as a worker receives it."""

    cycle_id: str
    batch_id: str
    kinds: tuple[str, ...]
    device_names: tuple[str, ...]

    def args(self) -> tuple[str, str, list[str], list[str]]:
        """The actor's positional arguments, JSON-ready."""
        return (self.cycle_id, self.batch_id, list(self.kinds), list(self.device_names))


def check_schedule(name: str) -> str:
    """``name`` if it can name a schedule (1-64 letters, digits, ``_ . -``), else ConfigError.

    >>> check_schedule("probes")
    'probes'
    """
    if not SCHEDULE_PATTERN.fullmatch(name):
        raise ConfigError(f"schedule name {name!r}: use 1-64 letters, digits, '_', '.' or '-'")
    return name


def new_cycle_id(schedule: str, slot_at: datetime, token: str | None = None) -> str:
    """A fresh cycle id for ``schedule``'s slot at ``slot_at``.

    >>> new_cycle_id("probes", datetime(2026, 12, 1, 8, 30, tzinfo=UTC), token="a1b2c3")
    'probes-20261201T083000Z-a1b2c3'
    """
    stamp = slot_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{check_schedule(schedule)}-{stamp}-{token or secrets.token_hex(3)}"


def batch_ids(cycle_id: str, count: int) -> list[str]:
    """The ids of a cycle's ``count`` batches, in order.

    >>> batch_ids("probes-20261201T083000Z-a1b2c3", 2)
    ['probes-20261201T083000Z-a1b2c3.0000', 'probes-20261201T083000Z-a1b2c3.0001']
    """
    return [f"{cycle_id}.{position:04d}" for position in range(count)]


def batch_messages(
    cycle_id: str, kinds: Sequence[str], batches: Sequence[Sequence[str]]
) -> list[BatchMessage]:
    """One message per batch of device names."""
    ids = batch_ids(cycle_id, len(batches))
    return [
        BatchMessage(cycle_id=cycle_id, batch_id=batch_id, kinds=tuple(kinds), device_names=tuple(names))
        for batch_id, names in zip(ids, batches, strict=True)
    ]
