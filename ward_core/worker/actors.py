"""Ward's Dramatiq actors, declared on an explicit broker; thin: ids in, one service call.

``probe_batch(cycle_id, batch_id, kinds, device_names)`` hands the batch to a handler (in a worker
process, :class:`~ward_core.worker.runner.BatchRunner`, which calls
:func:`~ward_core.probes.service.run_probe_batch`). The service writes the batch's samples and run
records in one transaction and is idempotent per batch id.

Delivery: Dramatiq acknowledges a message after the actor returns, i.e. after the batch is
committed. A worker that dies before that leaves the message unacknowledged and the broker hands it
to another worker; a worker that dies between the commit and the acknowledgement makes the batch
run again, and the service then finds the batch id committed and writes nothing.

Failure policy, set explicitly (Dramatiq's defaults would retry any error 20 times over a week):

- transient infrastructure errors (database or broker connection lost) are retried up to
  :data:`MAX_RETRIES` times with exponential backoff and jitter (:mod:`ward_core.worker.retry`);
- errors in the message itself (:data:`NOT_RETRIED`: unknown kind, bad input) fail it at once;
- :data:`TIME_LIMIT_MS` bounds one batch; devices have their own, much shorter, timeouts;
- device failures are data inside the batch's result and never fail the message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import dramatiq
from dramatiq import Actor, Broker

from ward_core.errors import ConfigError, InventoryError, PluginError
from ward_core.probes.outcome import BatchOutcome
from ward_core.worker.messages import PROBE_BATCH_ACTOR, QUEUE, BatchMessage
from ward_core.worker.retry import RetryPolicy

log = logging.getLogger(__name__)

MAX_RETRIES = 6
MIN_BACKOFF_MS = 1_000
MAX_BACKOFF_MS = 60_000
TIME_LIMIT_MS = 10 * 60 * 1000
NOT_RETRIED: tuple[type[Exception], ...] = (ConfigError, InventoryError, PluginError)

BatchHandler = Callable[[BatchMessage], BatchOutcome]
"""Runs one batch and says what it did; raising fails (or retries) the message."""


class SendOnly(RuntimeError):
    """A process declared the actors to send batches, and was asked to run one."""


@dataclass(frozen=True, slots=True)
class WardActors:
    """The actors declared on one broker, and how to send them work."""

    broker: Broker
    probe_batch: Actor[[str, str, list[str], list[str]], None]

    def send_batch(self, message: BatchMessage, *, max_age_ms: int | None = None) -> None:
        """Enqueue one probe batch; after ``max_age_ms`` unprocessed it is dropped, not run."""
        if max_age_ms is None:
            self.probe_batch.send_with_options(args=message.args())
        else:
            self.probe_batch.send_with_options(args=message.args(), max_age=max_age_ms)


def declare_actors(broker: Broker, handler: BatchHandler | None) -> WardActors:
    """Declare ward's actors on ``broker``.

    ``handler`` runs the batches (worker processes); ``None`` declares them for sending only (the
    scheduler on a real broker), and such a process refuses to run one.
    """

    def probe_batch(cycle_id: str, batch_id: str, kinds: list[str], device_names: list[str]) -> None:
        if handler is None:
            raise SendOnly(f"batch {batch_id}: this process only sends probe batches")
        message = BatchMessage(
            cycle_id=cycle_id, batch_id=batch_id, kinds=tuple(kinds), device_names=tuple(device_names)
        )
        outcome = handler(message)
        log.info(
            "batch %s: %d devices, %d failed, %d samples, %.2f s%s",
            batch_id,
            outcome.devices,
            len(outcome.failed_devices),
            outcome.samples_written,
            outcome.duration_s,
            " (already committed)" if outcome.duplicate else "",
        )

    declare = dramatiq.actor(
        actor_name=PROBE_BATCH_ACTOR,
        queue_name=QUEUE,
        broker=broker,
        max_retries=MAX_RETRIES,
        min_backoff=MIN_BACKOFF_MS,
        max_backoff=MAX_BACKOFF_MS,
        retry_when=RetryPolicy(MAX_RETRIES),
        time_limit=TIME_LIMIT_MS,
        throws=NOT_RETRIED,
    )
    return WardActors(broker=broker, probe_batch=declare(probe_batch))
