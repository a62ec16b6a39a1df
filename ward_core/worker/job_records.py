"""Backup and discovery jobs as run records: the job, and how each of its batches is accounted for.

A job is a ``runs`` row of kind ``backup_job`` or ``topology_job`` named after its job id; its
``params`` hold the batch ids, the devices, the options and the deadline. It is written by the
command that sends the batches, in the transaction that sends them, and settled by that command
when every batch is in (``succeeded``, or ``failed`` when a device failed or a batch is missing).

A batch is accounted for when a run of the service's own kind (``backup`` or ``topology``) carries
its ``batch_id`` in ``params`` and its outcome (the service's ``to_dict()``) in
``summary["outcome"]``:

- the worker writes these two keys on the service's run right after the service committed (the
  services know nothing of batches, so this is a second, small transaction: a worker dying
  between the two makes the broker hand the batch to another worker, which runs it again;
  backups are content-addressed and discoveries rebuild the same picture, so a second run adds
  nothing but a run record);
- a batch that failed for good (not retried, retries exhausted, or dropped past the job's
  deadline) gets a failed run of that kind written by the worker's middleware, its outcome naming
  every device failed with the reason (:func:`record_abandoned_batch`).

Before running a batch the worker looks for it (:func:`batch_recorded`), so a message delivered
again after the marker was written runs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from ward_core.backup.outcome import BackupOutcome, DeviceBackup
from ward_core.backup.service import RUN_KIND as BACKUP_RUN_KIND
from ward_core.backup.service import TASK as BACKUP_TASK
from ward_core.db.models import ResultStatus, Run, RunResult, RunStatus
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.topology.outcome import CollectionFailure, DiscoveryOutcome
from ward_core.topology.service import RUN_KIND as TOPOLOGY_RUN_KIND
from ward_core.worker.jobs import JobKind

SERVICE_KINDS = {JobKind.BACKUP: BACKUP_RUN_KIND, JobKind.DISCOVERY: TOPOLOGY_RUN_KIND}
"""``runs.kind`` of the service's own run records."""
JOB_KINDS = {JobKind.BACKUP: f"{BACKUP_RUN_KIND}_job", JobKind.DISCOVERY: f"{TOPOLOGY_RUN_KIND}_job"}
"""``runs.kind`` of job records."""

ID_CHUNK = 500


def record_job(
    session: Session,
    *,
    kind: JobKind,
    job_id: str,
    batches: Mapping[str, Sequence[str]],
    options: Mapping[str, Any],
    deadline_at: datetime,
    requested_by: str | None,
    now: datetime,
    extra: Mapping[str, Any] | None = None,
) -> Run:
    """Record a job that starts now with ``batches`` (batch id to device names)."""
    run = Run(
        kind=JOB_KINDS[kind],
        name=job_id,
        status=RunStatus.RUNNING.value,
        requested_by=requested_by,
        started_at=now,
        params={
            "job_id": job_id,
            "batch_ids": list(batches),
            "devices": [name for names in batches.values() for name in names],
            "options": dict(options),
            "deadline_at": deadline_at.isoformat(),
            **dict(extra or {}),
        },
        summary={"batches": len(batches), "devices": sum(len(n) for n in batches.values())},
    )
    session.add(run)
    session.flush()
    return run


def job_by_id(session: Session, kind: JobKind, job_id: str) -> Run | None:
    """The record of job ``job_id``."""
    return session.scalars(select(Run).where(Run.kind == JOB_KINDS[kind], Run.name == job_id)).first()


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A batch accounted for: the run holding it, its outcome (the service's ``to_dict()``), and
    whether it was abandoned rather than run."""

    batch_id: str
    run_id: int
    outcome: Mapping[str, Any] = field(hash=False)
    abandoned: bool = False
    finished_at: datetime | None = None


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + ID_CHUNK] for i in range(0, len(items), ID_CHUNK)]


def batch_records(session: Session, kind: JobKind, batch_ids: Sequence[str]) -> dict[str, BatchRecord]:
    """Which of ``batch_ids`` are accounted for (module docstring), the first record of each."""
    found: dict[str, BatchRecord] = {}
    column = Run.params["batch_id"].as_string()
    for chunk in _chunks(list(batch_ids)):
        rows = session.execute(
            select(Run.id, column, Run.summary, Run.params, Run.finished_at)
            .where(Run.kind == SERVICE_KINDS[kind], column.in_(chunk))
            .order_by(Run.id)
        )
        for run_id, batch_id, summary, params, finished_at in rows:
            outcome = summary.get("outcome") if isinstance(summary, dict) else None
            if batch_id is None or batch_id in found or not isinstance(outcome, dict):
                continue
            abandoned = bool(params.get("abandoned")) if isinstance(params, dict) else False
            found[batch_id] = BatchRecord(batch_id, run_id, outcome, abandoned, finished_at)
    return found


def batch_recorded(engine: Engine, kind: JobKind, batch_id: str) -> BatchRecord | None:
    """The record of ``batch_id`` when it is already accounted for."""
    with session_scope(engine) as session:
        return batch_records(session, kind, [batch_id]).get(batch_id)


def mark_batch(
    engine: Engine, *, run_id: int, job_id: str, batch_id: str, outcome: Mapping[str, Any]
) -> None:
    """Write the batch's ids and outcome on the service's run ``run_id`` (module docstring)."""
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        if run is None:
            raise LookupError(f"run {run_id} of batch {batch_id} is not recorded")
        run.params = {**(run.params or {}), "job_id": job_id, "batch_id": batch_id}
        run.summary = {**(run.summary or {}), "outcome": dict(outcome)}


def abandoned_outcome(
    kind: JobKind, run_id: int, device_names: Sequence[str], options: Mapping[str, Any], reason: str
) -> dict[str, Any]:
    """The outcome of a batch that never ran: every device failed, naming ``reason``."""
    why = f"batch abandoned: {reason}"
    if kind is JobKind.BACKUP:
        return BackupOutcome(
            run_id=run_id,
            devices=tuple(
                DeviceBackup(
                    device=name, status="failed", duration_s=0.0, attempts=0, reason="error", error=why
                )
                for name in device_names
            ),
            collect_s=0.0,
            duration_s=0.0,
        ).to_dict()
    return DiscoveryOutcome(
        transport=str(options.get("transport", "ssh")),
        run_id=run_id,
        snapshot_id=0,
        previous_snapshot_id=None,
        devices=len(device_names),
        collected=0,
        records=0,
        links=0,
        two_sided=0,
        one_sided=0,
        unmatched=0,
        failures=tuple(CollectionFailure(device=name, reason=why) for name in device_names),
    ).to_dict()


def record_abandoned_batch(
    engine: Engine,
    *,
    kind: JobKind,
    job_id: str,
    batch_id: str,
    device_names: Sequence[str],
    options: Mapping[str, Any],
    reason: str,
) -> int:
    """Write the failed run of a batch that will never run, with a failed result per device; its id."""
    now = utcnow()
    task = BACKUP_TASK if kind is JobKind.BACKUP else f"topology.{options.get('transport', 'ssh')}"
    with session_scope(engine) as session:
        run = Run(
            kind=SERVICE_KINDS[kind],
            name=BACKUP_TASK if kind is JobKind.BACKUP else str(options.get("transport", "ssh")),
            status=RunStatus.FAILED.value,
            requested_by=options.get("requested_by"),
            started_at=now,
            finished_at=now,
            params={
                "job_id": job_id,
                "batch_id": batch_id,
                "devices": list(device_names),
                "abandoned": True,
            },
            summary={"error": reason},
        )
        session.add(run)
        session.flush()
        run.summary = {
            "error": reason,
            "outcome": abandoned_outcome(kind, run.id, device_names, options, reason),
        }
        rows = [
            {
                "run_id": run.id,
                "device": name,
                "task": task,
                "status": ResultStatus.FAILED.value,
                "changed": False,
                "result": None,
                "error": f"batch abandoned: {reason}",
                "started_at": now,
                "finished_at": now,
            }
            for name in device_names
        ]
        if rows:
            session.execute(insert(RunResult), rows)
        return run.id


def settle_job(
    session: Session,
    kind: JobKind,
    job_id: str,
    *,
    records: Mapping[str, BatchRecord],
    failed_devices: int,
    now: datetime,
) -> None:
    """Mark job ``job_id`` finished: ``succeeded`` when every batch is in and no device failed."""
    run = job_by_id(session, kind, job_id)
    if run is None or run.status != RunStatus.RUNNING.value:
        return
    batch_ids = [str(b) for b in run.params.get("batch_ids", [])]
    missing = [b for b in batch_ids if b not in records]
    ok = not missing and failed_devices == 0
    run.status = (RunStatus.SUCCEEDED if ok else RunStatus.FAILED).value
    run.finished_at = now
    run.summary = {
        **(run.summary or {}),
        "committed": sum(1 for b in batch_ids if b in records and not records[b].abandoned),
        "abandoned": sum(1 for b in batch_ids if b in records and records[b].abandoned),
        "missing": len(missing),
        "failed_devices": failed_devices,
        "run_ids": [records[b].run_id for b in batch_ids if b in records],
        "duration_s": round((now - run.started_at).total_seconds(), 3),
    }
