"""Backup and discovery batches on the workers: what a message carries and the two thin actors.

``ward configs backup`` and ``ward topology discover``, with a broker configured, split the selected
devices into batches and send one message per batch (:mod:`ward_core.worker.job_dispatch`):

- ``backup_batch(job_id, batch_id, device_names, options)`` on :data:`BACKUP_QUEUE`, run by
  :func:`~ward_core.backup.service.backup_devices`;
- ``discovery_batch(job_id, batch_id, device_names, options)`` on :data:`DISCOVERY_QUEUE`, run by
  :func:`~ward_core.topology.service.discover_batch`.

``options`` is plain JSON (the backup's timeout, sessions and retries, the discovery's transport,
who asked), never an ORM object; the worker looks the devices up again when it runs the batch.

Failure policy, as for probe batches (:mod:`ward_core.worker.actors`): transient infrastructure
errors are retried (up to :data:`MAX_RETRIES`, exponential backoff with jitter), errors in the
message itself (:data:`~ward_core.worker.actors.NOT_RETRIED`) fail it at once, device failures are
data in the batch's outcome, and :data:`TIME_LIMIT_MS` bounds one batch (devices have their own,
much shorter, timeouts). A batch that fails for good is recorded by
:class:`~ward_core.worker.abandoned.AbandonedBatches`, so the command waiting for it can end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import dramatiq
from dramatiq import Actor, Broker

from ward_core.worker.actors import MAX_BACKOFF_MS, MIN_BACKOFF_MS, NOT_RETRIED, SendOnly
from ward_core.worker.retry import RetryPolicy

log = logging.getLogger(__name__)

BACKUP_QUEUE = "ward.backups"
DISCOVERY_QUEUE = "ward.discovery"
BACKUP_BATCH_ACTOR = "ward.backup_batch"
DISCOVERY_BATCH_ACTOR = "ward.discovery_batch"

MAX_RETRIES = 4
TIME_LIMIT_MS = 30 * 60 * 1000


class JobKind(StrEnum):
    """What a job does to its devices."""

    BACKUP = "backup"
    DISCOVERY = "discovery"


ACTOR_NAMES = {JobKind.BACKUP: BACKUP_BATCH_ACTOR, JobKind.DISCOVERY: DISCOVERY_BATCH_ACTOR}
QUEUES = {JobKind.BACKUP: BACKUP_QUEUE, JobKind.DISCOVERY: DISCOVERY_QUEUE}


@dataclass(frozen=True, slots=True, kw_only=True)
class JobBatch:
    """One batch of a backup or discovery job, as a worker receives it."""

    job_id: str
    batch_id: str
    device_names: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def args(self) -> tuple[str, str, list[str], dict[str, Any]]:
        """The actor's positional arguments, JSON-ready."""
        return (self.job_id, self.batch_id, list(self.device_names), dict(self.options))


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchDone:
    """What handling one batch message came to; ``duplicate`` when it had been recorded before."""

    batch_id: str
    run_id: int | None
    devices: int
    failed: int
    duration_s: float = 0.0
    duplicate: bool = False


JobHandler = Callable[[JobBatch], BatchDone]
"""Runs one batch and records it; raising fails (or retries) the message."""


@dataclass(frozen=True, slots=True)
class JobHandlers:
    """The handler behind each job actor (in worker processes, a
    :class:`~ward_core.worker.job_runner.JobRunner`)."""

    backup: JobHandler
    discovery: JobHandler


BatchActor = Actor[[str, str, list[str], dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class JobActors:
    """The job actors declared on one broker, and how to send them batches."""

    broker: Broker
    backup_batch: BatchActor
    discovery_batch: BatchActor

    def send(self, kind: JobKind, batch: JobBatch, *, max_age_ms: int) -> None:
        """Enqueue one batch; after ``max_age_ms`` unprocessed it is dropped (and recorded), not run."""
        actor = self.backup_batch if kind is JobKind.BACKUP else self.discovery_batch
        actor.send_with_options(args=batch.args(), max_age=max_age_ms)


def _body(kind: JobKind, handler: JobHandler | None) -> Callable[[str, str, list[str], dict[str, Any]], None]:
    def run_batch(job_id: str, batch_id: str, device_names: list[str], options: dict[str, Any]) -> None:
        if handler is None:
            raise SendOnly(f"batch {batch_id}: this process only sends {kind.value} batches")
        batch = JobBatch(
            job_id=job_id, batch_id=batch_id, device_names=tuple(device_names), options=dict(options)
        )
        done = handler(batch)
        log.info(
            "%s batch %s: %d devices, %d failed, %.2f s%s",
            kind.value,
            batch_id,
            done.devices,
            done.failed,
            done.duration_s,
            " (already recorded)" if done.duplicate else "",
        )

    run_batch.__name__ = f"{kind.value}_batch"
    return run_batch


def declare_job_actors(broker: Broker, handlers: JobHandlers | None) -> JobActors:
    """Declare the backup and discovery batch actors on ``broker``; ``None`` declares them for
    sending only (the CLI), and such a process refuses to run a batch."""
    declared: dict[JobKind, BatchActor] = {}
    for kind in JobKind:
        handler = None if handlers is None else getattr(handlers, kind.value)
        declare = dramatiq.actor(
            actor_name=ACTOR_NAMES[kind],
            queue_name=QUEUES[kind],
            broker=broker,
            max_retries=MAX_RETRIES,
            min_backoff=MIN_BACKOFF_MS,
            max_backoff=MAX_BACKOFF_MS,
            retry_when=RetryPolicy(MAX_RETRIES),
            time_limit=TIME_LIMIT_MS,
            throws=NOT_RETRIED,
        )
        declared[kind] = declare(_body(kind, handler))
    return JobActors(
        broker=broker, backup_batch=declared[JobKind.BACKUP], discovery_batch=declared[JobKind.DISCOVERY]
    )
