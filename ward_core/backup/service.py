"""Backing up a batch of devices end to end: names in, versions, freshness and a run record out.

:func:`backup_devices` is the one entry point: ``ward configs backup`` calls it in-process, a queue
worker calls it once per message with the device names it carries. It

1. reads the devices from the inventory and asks the plugins for each platform's commands
   (``ward_backup_commands``); a platform nobody knows fails its devices with reason
   ``unsupported``;
2. opens a ``runs`` row (kind ``backup``) so that versions can name the run that collected them;
3. collects every device over SSH through Nornir (:mod:`ward_core.backup.collect`), holding no
   database transaction meanwhile;
4. redacts, marks and normalises each text (:mod:`ward_core.backup.snapshot`) before anything is
   stored or logged;
5. in ONE transaction: locks the devices' freshness rows, adds a version only where the digest
   differs from the device's latest one (attributing it to an announced remediation when one is
   open, see :mod:`ward_core.backup.expected`), updates freshness, and writes one
   ``run_results`` row per device;
6. after the commit, tells the plugins: ``ward_config_changed`` for each new version,
   ``ward_run_finished`` for the run.

A failure to talk to a device is data in the outcome (reason ``timeout``, ``unreachable``,
``auth``, ``rejected``, ``credentials``, ``unsupported``, ``plugin`` or ``error``), never an
exception.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, insert, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ward_core.backup.collect import Collected, CommandPlan, collect_configs
from ward_core.backup.failures import BackupFailure
from ward_core.backup.options import BackupOptions
from ward_core.backup.outcome import BackupOutcome, DeviceBackup
from ward_core.backup.rules import PlatformRules, load_rules, templates_root
from ward_core.backup.snapshot import Snapshot, snapshot
from ward_core.backup.store import (
    blob_texts,
    claim_expected,
    consume_expected,
    latest_versions,
    lock_devices,
    store_blobs,
)
from ward_core.backup.text import diff_counts, unified_diff
from ward_core.config import Settings
from ward_core.db.models import ConfigVersion, ResultStatus, Run, RunResult, RunStatus
from ward_core.db.session import display_url, session_scope
from ward_core.db.types import utcnow
from ward_core.errors import DeviceError, InventoryError, PluginError, StorageError
from ward_core.inventory.targets import load_targets
from ward_core.plugin_manager import WardPlugins
from ward_core.types import ConfigChange, DeviceTarget, RunSummary

log = logging.getLogger(__name__)

RUN_KIND = "backup"
"""``runs.kind`` of backup runs."""
TASK = "config-backup"
"""``run_results.task`` of backup results."""

UnknownDevices = Literal["raise", "fail"]


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A device ready to store: its target and snapshot, or its failure."""

    target: DeviceTarget | None
    name: str
    collected: Collected | None
    snap: Snapshot | None
    failure: BackupFailure | None


def backup_devices(
    *,
    engine: Engine,
    plugins: WardPlugins,
    settings: Settings,
    device_names: Sequence[str],
    options: BackupOptions | None = None,
    requested_by: str | None = None,
    unknown_devices: UnknownDevices = "raise",
) -> BackupOutcome:
    """Back up ``device_names`` and store what changed; one :class:`DeviceBackup` per device.

    ``options`` default to :meth:`BackupOptions.from_settings`. ``requested_by`` is recorded on the
    run. ``unknown_devices`` says what a name missing from the inventory does: ``"raise"`` (the
    CLI) raises :class:`~ward_core.errors.InventoryError` naming every such device before any
    device is contacted; ``"fail"`` (a worker: the device was removed after the message was
    queued) records it as failed, reason ``error``.

    Raises :class:`~ward_core.errors.StorageError` when the database cannot be read or written:
    nothing of the batch was then committed except the opened run record, marked failed when
    possible, so the call can be retried as is.
    """
    started = time.perf_counter()
    options = options or BackupOptions.from_settings(settings)
    names = list(dict.fromkeys(device_names))
    url = display_url(engine.url)
    try:
        with session_scope(engine) as session:
            targets = {t.name: t for t in load_targets(session, names=names)}
    except SQLAlchemyError as exc:
        raise StorageError(f"reading the inventory from {url} failed: {exc}") from exc
    unknown = [n for n in names if n not in targets]
    if unknown and unknown_devices == "raise":
        raise InventoryError(f"unknown device(s): {', '.join(unknown)}", source="database")

    root = templates_root(settings)
    plans, early = _plans(plugins, root, targets)
    run_id, run_started = _open_run(engine, names, requested_by, options)
    clock = time.perf_counter()
    collected = collect_configs(
        settings=settings,
        database_url=engine.url.render_as_string(hide_password=False),
        plans=plans,
        options=options,
    )
    collect_s = time.perf_counter() - clock
    prepared = [
        _prepare(plugins, root, name, targets.get(name), collected.get(name), early) for name in names
    ]
    try:
        with session_scope(engine) as session:
            results, changes = _store(session, run_id, prepared, utcnow())
            _close_run(session, run_id, results, started)
    except SQLAlchemyError as exc:
        _fail_run(engine, run_id)
        raise StorageError(f"writing backup run {run_id} to {url} failed: {exc}") from exc

    for change in changes:
        plugins.config_changed(change)
    outcome = BackupOutcome(
        run_id=run_id, devices=tuple(results), collect_s=collect_s, duration_s=time.perf_counter() - started
    )
    plugins.run_finished(
        RunSummary(
            run_id=str(run_id),
            kind=RUN_KIND,
            name=TASK,
            started_at=run_started,
            finished_at=utcnow(),
            devices=len(results),
            failed=len(outcome.failed),
        )
    )
    log.info(
        "backup run %s: %d devices, %d changed, %d unchanged, %d failed in %.2f s",
        run_id,
        len(results),
        len(outcome.changed),
        len(outcome.unchanged),
        len(outcome.failed),
        outcome.duration_s,
    )
    return outcome


def _plans(
    plugins: WardPlugins, root: Any, targets: Mapping[str, DeviceTarget]
) -> tuple[dict[str, CommandPlan], dict[str, BackupFailure]]:
    """Commands per device, and the devices that fail before collection (no commands)."""
    per_platform: dict[str, CommandPlan | BackupFailure] = {}
    plans: dict[str, CommandPlan] = {}
    early: dict[str, BackupFailure] = {}
    for name, target in targets.items():
        platform = target.platform
        if platform not in per_platform:
            per_platform[platform] = _plan(plugins, root, platform)
        plan = per_platform[platform]
        if isinstance(plan, BackupFailure):
            early[name] = BackupFailure(plan.reason, f"{name}: {plan.message}")
        else:
            plans[name] = plan
    return plans, early


def _plan(plugins: WardPlugins, root: Any, platform: str) -> CommandPlan | BackupFailure:
    try:
        commands = plugins.backup_commands(platform)
        rules = load_rules(root, platform)
    except PluginError as exc:
        return BackupFailure("plugin", str(exc))
    except Exception as exc:
        return BackupFailure("plugin", f"{type(exc).__name__}: {exc}")
    if not commands:
        return BackupFailure("unsupported", f"no plugin knows the backup commands of platform {platform!r}")
    return CommandPlan(commands=commands, rejected=rules.rejected if rules is not None else ())


def _prepare(
    plugins: WardPlugins,
    root: Any,
    name: str,
    target: DeviceTarget | None,
    collected: Collected | None,
    early: Mapping[str, BackupFailure],
) -> _Prepared:
    if target is None:
        return _Prepared(None, name, None, None, BackupFailure("error", f"{name}: not in the inventory"))
    if name in early:
        return _Prepared(target, name, None, None, early[name])
    if collected is None:
        return _Prepared(target, name, None, None, BackupFailure("error", f"{name}: nothing was collected"))
    if collected.failure is not None or collected.text is None:
        failure = collected.failure or BackupFailure("error", f"{name}: nothing was collected")
        return _Prepared(target, name, collected, None, failure)
    try:
        rules: PlatformRules | None = load_rules(root, target.platform)
        snap = snapshot(plugins, rules, device=name, platform=target.platform, raw=collected.text)
    except PluginError as exc:
        return _Prepared(target, name, collected, None, BackupFailure("plugin", f"{name}: {exc}"))
    except DeviceError as exc:
        return _Prepared(target, name, collected, None, BackupFailure("error", str(exc)))
    return _Prepared(target, name, collected, snap, None)


def _open_run(
    engine: Engine, names: Sequence[str], requested_by: str | None, options: BackupOptions
) -> tuple[int, datetime]:
    now = utcnow()
    try:
        with session_scope(engine) as session:
            run = Run(
                kind=RUN_KIND,
                name=TASK,
                status=RunStatus.RUNNING.value,
                requested_by=requested_by,
                started_at=now,
                params={
                    "devices": list(names),
                    "timeout_s": options.timeout_s,
                    "workers": options.workers,
                    "per_site": options.per_site,
                    "retries": options.retries,
                },
                summary={},
            )
            session.add(run)
            session.flush()
            return run.id, now
    except SQLAlchemyError as exc:
        raise StorageError(f"opening a backup run in {display_url(engine.url)} failed: {exc}") from exc


def _fail_run(engine: Engine, run_id: int) -> None:
    try:
        with session_scope(engine) as session:
            session.execute(
                update(Run)
                .where(Run.id == run_id)
                .values(status=RunStatus.FAILED.value, finished_at=utcnow())
            )
    except SQLAlchemyError:
        log.exception("could not mark backup run %s as failed", run_id)


def _store(
    session: Session, run_id: int, prepared: Sequence[_Prepared], now: datetime
) -> tuple[list[DeviceBackup], list[ConfigChange]]:
    """Versions, freshness and run results for the whole batch, in the session's transaction."""
    statuses = lock_devices(session, [p.name for p in prepared])
    latest = latest_versions(session, [p.name for p in prepared if p.snap is not None])
    fresh = {p.snap.digest: p.snap.text for p in prepared if p.snap is not None}
    known = blob_texts(session, [v.digest for v in latest.values()])
    store_blobs(session, {d: t for d, t in fresh.items() if d not in known}, now)

    results: list[DeviceBackup] = []
    changes: list[ConfigChange] = []
    run_rows: list[dict[str, Any]] = []
    for item in prepared:
        status = statuses[item.name]
        status.last_attempt_at = now
        collected = item.collected
        duration = collected.duration_s if collected else 0.0
        attempts = collected.attempts if collected else 0
        started_at = collected.started_at if collected else now
        if item.snap is None or item.target is None:
            failure = item.failure or BackupFailure("error", f"{item.name}: failed")
            status.last_failure_at = now
            status.last_failure_reason = failure.reason
            status.last_error = failure.message
            status.consecutive_failures = (status.consecutive_failures or 0) + 1
            previous = status.last_version_id
            results.append(
                DeviceBackup(
                    device=item.name,
                    status="failed",
                    duration_s=duration,
                    attempts=attempts,
                    version_id=previous,
                    reason=failure.reason,
                    error=failure.message,
                )
            )
            run_rows.append(
                _run_row(run_id, item.name, ResultStatus.FAILED, False, None, failure, started_at, now)
            )
            continue
        snap, target = item.snap, item.target
        before = latest.get(item.name)
        status.last_success_at = now
        status.consecutive_failures = 0
        if before is not None and before.digest == snap.digest:
            status.last_version_id = before.id
            results.append(
                DeviceBackup(
                    device=item.name,
                    status="unchanged",
                    duration_s=duration,
                    attempts=attempts,
                    version_id=before.id,
                    digest=before.digest,
                    previous_digest=before.digest,
                    changed_by=before.changed_by,
                )
            )
            run_rows.append(
                _run_row(
                    run_id, item.name, ResultStatus.OK, False, {"digest": snap.digest}, None, started_at, now
                )
            )
            continue
        old_text = known.get(before.digest, "") if before is not None else ""
        diff = unified_diff(
            old_text,
            snap.text,
            old_label=f"{item.name}@{before.digest[:12]}" if before else "/dev/null",
            new_label=f"{item.name}@{snap.digest[:12]}",
        )
        added, removed = diff_counts(diff)
        expected = claim_expected(session, item.name, now) if before is not None else None
        version = ConfigVersion(
            device=item.name,
            platform=target.platform,
            site=target.site,
            digest=snap.digest,
            previous_id=before.id if before else None,
            run_id=run_id,
            collected_at=now,
            changed_by=snap.mark.by,
            device_changed_at=snap.mark.at,
            change_source="initial" if before is None else ("remediation" if expected else "other"),
            remediation=expected.remediation if expected else None,
            lines_added=added,
            lines_removed=removed,
        )
        session.add(version)
        session.flush()
        if expected is not None:
            consume_expected(session, expected, version.id)
        status.last_version_id = version.id
        results.append(
            DeviceBackup(
                device=item.name,
                status="changed",
                duration_s=duration,
                attempts=attempts,
                version_id=version.id,
                digest=snap.digest,
                previous_digest=before.digest if before else None,
                changed_by=snap.mark.by,
                remediation=version.remediation,
            )
        )
        run_rows.append(
            _run_row(
                run_id,
                item.name,
                ResultStatus.CHANGED,
                True,
                {"digest": snap.digest, "version_id": version.id, "added": added, "removed": removed},
                None,
                started_at,
                now,
            )
        )
        changes.append(
            ConfigChange(
                device=item.name,
                platform=target.platform,
                revision=snap.digest,
                previous_revision=before.digest if before else None,
                diff=diff,
                collected_at=now,
                changed_by=snap.mark.by,
                remediation=version.remediation,
            )
        )
    if run_rows:
        session.execute(insert(RunResult), run_rows)
    return results, changes


def _run_row(
    run_id: int,
    device: str,
    status: ResultStatus,
    changed: bool,
    result: dict[str, Any] | None,
    failure: BackupFailure | None,
    started_at: datetime,
    finished_at: datetime,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "device": device,
        "task": TASK,
        "status": status.value,
        "changed": changed,
        "result": result if failure is None else {"reason": failure.reason},
        "error": failure.message if failure else None,
        "started_at": started_at,
        "finished_at": finished_at,
    }


def _close_run(session: Session, run_id: int, results: Sequence[DeviceBackup], started: float) -> None:
    failed = sum(1 for r in results if r.status == "failed")
    summary = {
        "devices": len(results),
        "changed": sum(1 for r in results if r.status == "changed"),
        "unchanged": sum(1 for r in results if r.status == "unchanged"),
        "failed": failed,
        "duration_s": round(time.perf_counter() - started, 3),
    }
    session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(
            status=(RunStatus.FAILED if failed else RunStatus.SUCCEEDED).value,
            finished_at=utcnow(),
            summary=summary,
        )
    )
