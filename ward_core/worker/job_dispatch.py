"""Sending a backup or discovery job to the workers and waiting until every batch is in.

:func:`run_job` is what ``ward configs backup`` and ``ward topology discover`` do when a broker is
configured:

1. split the selected devices into batches of ``batch_size`` (by default as many devices as one
   worker opens sessions at once: ``backup_workers`` / ``topology_workers``);
2. in one transaction, record the job (:mod:`ward_core.worker.job_records`) and send one message
   per batch; if sending fails the job is not recorded (batches already sent still run and are
   recorded under the job id, harmlessly);
3. follow the batches in the database, as poll cycles are followed, until every one is accounted
   for or the deadline passes. Messages carry the deadline as their age limit, so a batch no
   worker took in time is dropped and recorded abandoned instead of running behind the command's
   back; a batch still missing at the deadline is reported missing;
4. settle the job record and hand the batches' outcomes back, to be merged into the summary the
   in-process path prints (:mod:`ward_core.worker.job_merge`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from ward_core.config import Settings
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.errors import BrokerError, ConfigError
from ward_core.probes.selection import split_batches
from ward_core.worker.broker import configure_broker, display_broker_url
from ward_core.worker.job_records import BatchRecord, batch_records, record_job, settle_job
from ward_core.worker.jobs import JobBatch, JobKind, declare_job_actors
from ward_core.worker.messages import batch_ids, new_cycle_id
from ward_core.worker.scheduler import BROKER_ERRORS

DEFAULT_DEADLINE_S = 3600.0
"""How long a command waits for its job's batches unless told otherwise."""
POLL_S = 0.5


NO_WORKER_HINT_S = 15.0
"""How long a command waits for a first sign of a worker before it says so."""


class WaitHint:
    """Says ``message`` once, when :meth:`waiting` is still called ``after_s`` after creation: a
    command following queued work tells the person when no worker seems to take it.

    >>> said = []
    >>> hint = WaitHint("no worker yet", said.append, after_s=0.0)
    >>> hint.waiting(); hint.waiting(); said
    ['no worker yet']
    """

    def __init__(
        self,
        message: str,
        say: Callable[[str], None],
        *,
        after_s: float = NO_WORKER_HINT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._message = message
        self._say = say
        self._after = clock() + after_s
        self._clock = clock
        self._said = False

    def waiting(self) -> None:
        """Nothing has been taken yet: say so once the time has come."""
        if not self._said and self._clock() >= self._after:
            self._said = True
            self._say(self._message)


def no_worker_message(settings: Settings, queue: str) -> str:
    """What a person is told when no worker took queued work for a while."""
    return (
        f"nothing taken from {queue} on {display_broker_url(settings.broker_url)} yet: "
        f"is a `ward worker` running (consuming {queue})?"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class JobResult:
    """A job as it ended: its batches, the records of those accounted for, the missing ones."""

    kind: JobKind
    job_id: str
    batches: tuple[JobBatch, ...]
    records: Mapping[str, BatchRecord] = field(hash=False)
    duration_s: float
    deadline_s: float

    @property
    def missing(self) -> tuple[JobBatch, ...]:
        """Batches neither run nor recorded abandoned by the deadline."""
        return tuple(b for b in self.batches if b.batch_id not in self.records)

    @property
    def run_ids(self) -> list[int]:
        """The runs holding the batches, in batch order."""
        return [self.records[b.batch_id].run_id for b in self.batches if b.batch_id in self.records]

    def missing_reason(self) -> str:
        """Why devices of a missing batch have no result."""
        return (
            f"not done within the job's deadline of {self.deadline_s:g} s "
            "(is a `ward worker` running on this broker?)"
        )


def plan_batches(
    kind: JobKind, names: Sequence[str], batch_size: int, options: Mapping[str, Any], *, job_id: str
) -> list[JobBatch]:
    """The job's batches, in order.

    >>> [b.batch_id for b in plan_batches(JobKind.BACKUP, ["a", "b", "c"], 2, {}, job_id="j")]
    ['j.0000', 'j.0001']
    """
    if batch_size < 1:
        raise ConfigError(f"batch size must be at least 1, got {batch_size}")
    groups = split_batches(names, batch_size)
    return [
        JobBatch(job_id=job_id, batch_id=batch_id, device_names=tuple(group), options=dict(options))
        for batch_id, group in zip(batch_ids(job_id, len(groups)), groups, strict=True)
    ]


def wait_for_batches(
    engine: Engine,
    kind: JobKind,
    ids: Sequence[str],
    *,
    deadline: float,
    poll_s: float = POLL_S,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, BatchRecord]:
    """Follow ``ids`` in the database until all are accounted for or ``deadline`` (monotonic) passes."""
    while True:
        with session_scope(engine) as session:
            found = batch_records(session, kind, ids)
        if on_progress is not None:
            on_progress(len(found), len(ids))
        if len(found) >= len(ids) or time.monotonic() >= deadline:
            return found
        time.sleep(poll_s)


def failed_devices(kind: JobKind, records: Mapping[str, BatchRecord]) -> int:
    """Devices that failed in the recorded batches."""
    if kind is JobKind.BACKUP:
        return sum(
            1 for r in records.values() for d in r.outcome.get("results", []) if d.get("status") == "failed"
        )
    return sum(len(r.outcome.get("failures", [])) for r in records.values())


def run_job(
    *,
    settings: Settings,
    engine: Engine,
    kind: JobKind,
    device_names: Sequence[str],
    batch_size: int,
    options: Mapping[str, Any],
    requested_by: str | None,
    deadline_s: float = DEFAULT_DEADLINE_S,
    extra: Mapping[str, Any] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> JobResult:
    """Send the job's batches to the workers and wait for them (see the module docstring)."""
    if not settings.broker_url:
        raise ConfigError("jobs go to the workers only when a broker is configured (broker_url)")
    if deadline_s <= 0:
        raise ConfigError(f"the job deadline must be positive, got {deadline_s:g} s")
    started = time.monotonic()
    now = utcnow()
    job_id = new_cycle_id(kind.value, now)
    sent_options = {**dict(options), "requested_by": requested_by}
    batches = plan_batches(kind, device_names, batch_size, sent_options, job_id=job_id)
    broker = configure_broker(settings)
    try:
        actors = declare_job_actors(broker, None)
        with session_scope(engine) as session:
            record_job(
                session,
                kind=kind,
                job_id=job_id,
                batches={b.batch_id: b.device_names for b in batches},
                options=sent_options,
                deadline_at=now + timedelta(seconds=deadline_s),
                requested_by=requested_by,
                now=now,
                extra=extra,
            )
            for batch in batches:
                try:
                    actors.send(kind, batch, max_age_ms=int(deadline_s * 1000))
                except BROKER_ERRORS as exc:
                    raise BrokerError(
                        f"cannot enqueue batch {batch.batch_id} on "
                        f"{display_broker_url(settings.broker_url)}: {exc}"
                    ) from exc
    finally:
        broker.close()
    records = wait_for_batches(
        engine,
        kind,
        [b.batch_id for b in batches],
        deadline=started + deadline_s,
        on_progress=on_progress,
    )
    with session_scope(engine) as session:
        settle_job(
            session, kind, job_id, records=records, failed_devices=failed_devices(kind, records), now=utcnow()
        )
    return JobResult(
        kind=kind,
        job_id=job_id,
        batches=tuple(batches),
        records=records,
        duration_s=time.monotonic() - started,
        deadline_s=deadline_s,
    )
