"""One summary out of a job's batches: the same outcome types the in-process path returns.

- backups: every device's :class:`~ward_core.backup.outcome.DeviceBackup` from its batch, in the
  order the devices were selected; a device of a batch that is missing at the deadline is failed
  (reason ``error``, saying so). ``run_id`` is the batch's run when the job had one batch, else
  None (the runs are listed with the job); ``collect_s`` is the longest batch's time with the
  devices (batches run side by side) and ``duration_s`` the whole job, waiting included;
- discoveries: device counts and failures add up; the link counts are those of the newest
  snapshot, which every batch rebuilds from the newest observation of every inventory device, so
  the last batch stored holds them all; links added and removed compare it with the snapshot that
  was newest before the job (``baseline_snapshot_id``; without one, every link is added, as in
  the in-process outcome).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from ward_core.backup.outcome import BackupOutcome, DeviceBackup
from ward_core.db.session import session_scope
from ward_core.topology.diff import diff_snapshots
from ward_core.topology.model import link_key
from ward_core.topology.outcome import CollectionFailure, DiscoveryOutcome
from ward_core.topology.store import load_snapshot
from ward_core.worker.job_dispatch import JobResult


def _device_backup(data: dict[str, object]) -> DeviceBackup:
    status = str(data.get("status"))
    if status not in ("changed", "unchanged", "failed"):
        status = "failed"

    def text(key: str) -> str | None:
        value = data.get(key)
        return None if value is None else str(value)

    version = data.get("version_id")
    duration = data.get("duration_s")
    attempts = data.get("attempts")
    return DeviceBackup(
        device=str(data.get("device")),
        status=status,  # type: ignore[arg-type]
        duration_s=float(duration) if isinstance(duration, int | float) else 0.0,
        attempts=int(attempts) if isinstance(attempts, int) else 0,
        version_id=int(version) if isinstance(version, int) else None,
        digest=text("digest"),
        previous_digest=text("previous_digest"),
        changed_by=text("changed_by"),
        remediation=text("remediation"),
        reason=text("reason"),
        error=text("error"),
    )


def merge_backup(result: JobResult, names: Sequence[str]) -> BackupOutcome:
    """The job's :class:`BackupOutcome` (module docstring)."""
    by_device: dict[str, DeviceBackup] = {}
    collect_s = 0.0
    for record in result.records.values():
        for item in record.outcome.get("results", []):
            if isinstance(item, dict):
                device = _device_backup(item)
                by_device.setdefault(device.device, device)
        value = record.outcome.get("collect_s")
        if isinstance(value, int | float):
            collect_s = max(collect_s, float(value))
    for batch in result.missing:
        for name in batch.device_names:
            by_device.setdefault(
                name,
                DeviceBackup(
                    device=name,
                    status="failed",
                    duration_s=0.0,
                    attempts=0,
                    reason="error",
                    error=f"batch {batch.batch_id} {result.missing_reason()}",
                ),
            )
    run_ids = result.run_ids
    return BackupOutcome(
        run_id=run_ids[0] if len(result.batches) == 1 and run_ids else None,
        devices=tuple(by_device[name] for name in names if name in by_device),
        collect_s=collect_s,
        duration_s=result.duration_s,
    )


def merge_discovery(
    result: JobResult, engine: Engine, transport: str, baseline_snapshot_id: int | None
) -> DiscoveryOutcome:
    """The job's :class:`DiscoveryOutcome` (module docstring)."""
    outcomes = [DiscoveryOutcome.from_dict(r.outcome) for r in result.records.values()]
    failures = [f for o in outcomes for f in o.failures]
    for batch in result.missing:
        failures += [
            CollectionFailure(device=name, reason=f"batch {batch.batch_id} {result.missing_reason()}")
            for name in batch.device_names
        ]
    stored = [o for o in outcomes if o.snapshot_id]
    newest = max(stored, key=lambda o: o.snapshot_id) if stored else None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    if newest is not None:
        with session_scope(engine) as session:
            before = load_snapshot(session, baseline_snapshot_id) if baseline_snapshot_id else None
            after = load_snapshot(session, newest.snapshot_id)
        if after is not None:
            diff = diff_snapshots(before, after)
            added = tuple(link_key(link) for link in diff.added)
            removed = tuple(link_key(link) for link in diff.removed)
    return DiscoveryOutcome(
        transport=transport,
        run_id=newest.run_id if newest is not None else 0,
        snapshot_id=newest.snapshot_id if newest is not None else 0,
        previous_snapshot_id=baseline_snapshot_id,
        devices=sum(len(b.device_names) for b in result.batches),
        collected=sum(o.collected for o in outcomes),
        records=sum(o.records for o in outcomes),
        links=newest.links if newest is not None else 0,
        two_sided=newest.two_sided if newest is not None else 0,
        one_sided=newest.one_sided if newest is not None else 0,
        unmatched=newest.unmatched if newest is not None else 0,
        failures=tuple(failures),
        added=added,
        removed=removed,
        event_failures=tuple(dict.fromkeys(e for o in outcomes for e in o.event_failures)),
        duration_s=result.duration_s,
    )
