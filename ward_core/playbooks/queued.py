"""Playbook runs on the workers: queued as a record, claimed and run by one worker, followed by the
command (or scheduler) that queued it.

A queued run is one ``runs`` row of kind ``playbook`` whose ``params`` are those of any playbook run
(:func:`~ward_core.playbooks.runner.run_params`: file, targets, limit, vars, steps, waves with their
devices) plus ``queued``: the playbook's text as it was checked, the ``--var`` values, the folder
for artifacts, the run's ``timeout_s`` and when it was queued. The worker parses that text again
with its own step types and runs exactly the devices recorded, so a file edited after queueing
changes nothing. Its life:

- ``pending``: recorded, one ``playbook_run(run_id)`` message sent;
- ``running``: claimed by one worker with ``UPDATE ... SET status='running' WHERE status='pending'``,
  so at most one worker ever runs it; a message delivered again finds it claimed and does nothing;
- ``succeeded`` / ``failed``: closed by the runner, with every device's outcome in ``run_results``;
- ``cancelled``: nobody claimed it within ``timeout_s`` (the follower cancels it, with the same
  conditional update, or the worker drops the expired message);
- ``failed`` ("lost") when it is still ``running`` ``timeout_s`` plus :data:`GRACE_S` after it
  started: the worker's time limit would have ended it, so that worker died. Steps can change
  devices (a remediation proposal, a backup), so a lost run is never run again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from dramatiq.middleware.time_limit import TimeLimitExceeded
from sqlalchemy import CursorResult, Engine, func, select, update
from sqlalchemy.orm import Session

from ward_core.config import Settings
from ward_core.db.models import Run, RunResult, RunStatus
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.errors import PlaybookError, PluginError
from ward_core.playbooks.loader import parse_playbook
from ward_core.playbooks.model import DeviceOutcome, Playbook
from ward_core.playbooks.plan import Wave
from ward_core.playbooks.records import RUN_KIND
from ward_core.playbooks.runner import RunReport, run_params, run_playbook, step_schemas
from ward_core.playbooks.service import Prepared
from ward_core.plugin_manager import WardPlugins

log = logging.getLogger(__name__)

UNCOMMITTED_WAIT_S = 15.0
"""How long a worker waits for a run record it cannot see yet: the sender sends the message inside
the transaction that records the run, so an idle worker can receive it before that commit."""
UNCOMMITTED_POLL_S = 0.1

PENDING = RunStatus.PENDING.value
RUNNING = RunStatus.RUNNING.value
FAILED = RunStatus.FAILED.value
CANCELLED = RunStatus.CANCELLED.value
ACTIVE = (PENDING, RUNNING)

DEFAULT_TIMEOUT_S = 4 * 3600.0
"""How long a queued run may wait and then run, unless told otherwise."""
GRACE_S = 60.0
"""How long past its time limit a run may still be closing before it is declared lost."""
POLL_S = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class Queued:
    """How a run was queued (its record's ``params["queued"]``)."""

    source: str
    given: Mapping[str, Any]
    artifacts: str | None
    timeout_s: float
    queued_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """What the record keeps."""
        return {
            "source": self.source,
            "given": dict(self.given),
            "artifacts": self.artifacts,
            "timeout_s": self.timeout_s,
            "queued_at": self.queued_at.isoformat(),
        }


def queued_of(run: Run) -> Queued | None:
    """How ``run`` was queued; None for a run that ran in the process that asked for it."""
    raw = (run.params or {}).get("queued")
    if not isinstance(raw, dict) or not isinstance(raw.get("source"), str):
        return None
    given = raw.get("given")
    artifacts = raw.get("artifacts")
    timeout = raw.get("timeout_s")
    queued_at = raw.get("queued_at")
    return Queued(
        source=raw["source"],
        given=dict(given) if isinstance(given, dict) else {},
        artifacts=str(artifacts) if artifacts else None,
        timeout_s=float(timeout) if isinstance(timeout, int | float) else DEFAULT_TIMEOUT_S,
        queued_at=datetime.fromisoformat(queued_at) if isinstance(queued_at, str) else run.started_at,
    )


def queue_run(
    session: Session,
    prepared: Prepared,
    *,
    requested_by: str,
    limit: str | None,
    artifacts: str | None,
    timeout_s: float,
    now: datetime,
    extra: Mapping[str, Any] | None = None,
) -> int:
    """Record a ``pending`` run of ``prepared`` (module docstring); its id. ``extra`` adds
    top-level ``params`` (the scheduler's slot)."""
    queued = Queued(
        source=prepared.source,
        given=prepared.given,
        artifacts=artifacts,
        timeout_s=timeout_s,
        queued_at=now,
    )
    run = Run(
        kind=RUN_KIND,
        name=prepared.playbook.name,
        status=PENDING,
        requested_by=requested_by,
        started_at=now,
        params={
            **run_params(prepared.playbook, prepared.devices, limit),
            **dict(extra or {}),
            "queued": queued.to_dict(),
        },
        summary={},
    )
    session.add(run)
    session.flush()
    return run.id


def claim(session: Session, run_id: int, now: datetime) -> bool:
    """Move run ``run_id`` from ``pending`` to ``running``; False when it is not pending (claimed
    already, cancelled, unknown)."""
    result = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.kind == RUN_KIND, Run.status == PENDING)
        .values(status=RUNNING, started_at=now)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def _close(session: Session, run_id: int, status: str, error: str, now: datetime, *, when: str) -> bool:
    """Close run ``run_id`` with ``error`` if it is still in state ``when``; whether it was."""
    run = session.get(Run, run_id)
    result = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == when)
        .values(
            status=status,
            finished_at=now,
            summary={**((run.summary or {}) if run is not None else {}), "error": error},
        )
    )
    return cast(CursorResult[Any], result).rowcount == 1


def cancel_pending(session: Session, run_id: int, reason: str, now: datetime) -> bool:
    """Cancel run ``run_id`` if nobody has claimed it yet; whether it was cancelled."""
    return _close(session, run_id, CANCELLED, reason, now, when=PENDING)


def settle(session: Session, run: Run, now: datetime) -> str:
    """Cancel a queued run nobody claimed in time, fail one that outlived its time limit (lost);
    the status the run has afterwards."""
    queued = queued_of(run)
    if queued is None or run.status not in ACTIVE:
        return run.status
    if run.status == PENDING and now >= queued.queued_at + timedelta(seconds=queued.timeout_s):
        reason = f"no worker started it within {queued.timeout_s:g} s (is a `ward worker` running?)"
        cancel_pending(session, run.id, reason, now)
    elif run.status == RUNNING and now >= run.started_at + timedelta(seconds=queued.timeout_s + GRACE_S):
        reason = (
            f"lost: still running {queued.timeout_s + GRACE_S:g} s after it started, past its time "
            "limit; the worker running it stopped (steps are never run twice)"
        )
        _close(session, run.id, FAILED, reason, now, when=RUNNING)
    session.refresh(run)
    return run.status


Status = Literal["ran", "not-pending", "refused", "error"]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuedOutcome:
    """What handling one ``playbook_run`` message came to."""

    run_id: int
    status: Status
    detail: str = ""


def _fail(engine: Engine, run_id: int, error: str) -> None:
    try:
        with session_scope(engine) as session:
            run = session.get(Run, run_id)
            if run is not None:
                run.status = FAILED
                run.finished_at = run.finished_at or utcnow()
                run.summary = {**(run.summary or {}), "error": error}
    except Exception:
        log.exception("playbook run %s: could not record the error %r", run_id, error)


def execute_queued(engine: Engine, plugins: WardPlugins, settings: Settings, run_id: int) -> QueuedOutcome:
    """Claim queued run ``run_id`` and run it here (module docstring).

    Raises only before the claim (a database error then: the message may be retried, nothing ran);
    once claimed, whatever happens is recorded on the run and the message ends.
    """
    deadline = time.monotonic() + UNCOMMITTED_WAIT_S
    while True:
        with session_scope(engine) as session:
            if claim(session, run_id, utcnow()):
                break
            found = session.get(Run, run_id)
            state = "not recorded" if found is None else f"{found.kind} run is {found.status}"
        if found is None and time.monotonic() < deadline:
            time.sleep(UNCOMMITTED_POLL_S)
            continue
        return QueuedOutcome(run_id=run_id, status="not-pending", detail=state)
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        queued = queued_of(run)
        requested_by = run.requested_by or "playbook"
        params = dict(run.params or {})
    if queued is None:
        _fail(engine, run_id, "the run record carries no queued playbook")
        return QueuedOutcome(run_id=run_id, status="refused", detail="no queued playbook")
    file = str(params.get("file") or f"run {run_id}")
    try:
        playbook = parse_playbook(queued.source, file, step_schemas(plugins), queued.given)
    except (PlaybookError, PluginError) as exc:
        _fail(engine, run_id, f"refused on the worker: {exc}")
        return QueuedOutcome(run_id=run_id, status="refused", detail=str(exc))
    devices = [str(d) for wave in params.get("waves", []) for d in wave.get("devices", [])]
    limit = params.get("limit")
    try:
        report = run_playbook(
            engine=engine,
            plugins=plugins,
            settings=settings,
            playbook=playbook,
            devices=devices,
            requested_by=requested_by,
            limit=str(limit) if limit is not None else None,
            artifacts=queued.artifacts,
            run_id=run_id,
        )
    except TimeLimitExceeded:
        error = f"the worker's time limit of {queued.timeout_s:g} s ran out; the run was interrupted"
        _fail(engine, run_id, error)
        return QueuedOutcome(run_id=run_id, status="error", detail=error)
    except Exception as exc:  # claimed: recorded on the run, never retried (steps may have run)
        log.exception("playbook run %s failed", run_id)
        error = f"{type(exc).__name__}: {exc}"
        _fail(engine, run_id, error)
        return QueuedOutcome(run_id=run_id, status="error", detail=error)
    totals = ", ".join(f"{n} {s}" for s, n in report.totals().items() if n)
    return QueuedOutcome(run_id=run_id, status="ran", detail=totals)


def step_counts(session: Session, run_id: int) -> dict[str, dict[str, int]]:
    """Results written so far per step and status."""
    counts: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(RunResult.task, RunResult.status, func.count())
        .where(RunResult.run_id == run_id)
        .group_by(RunResult.task, RunResult.status)
    )
    for task, status, count in rows:
        counts.setdefault(str(task), {})[str(status)] = int(count)
    return counts


ProgressCallback = Callable[[str, dict[str, dict[str, int]]], None]
"""Told the run's status and :func:`step_counts` at every look."""


def follow_run(
    engine: Engine,
    run_id: int,
    *,
    poll_s: float = POLL_S,
    on_progress: ProgressCallback | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> str:
    """Follow run ``run_id`` in the database until it ends (settling it on the way); its status."""
    while True:
        with session_scope(engine) as session:
            run = session.get(Run, run_id)
            if run is None:
                raise LookupError(f"run {run_id} is not recorded")
            status = settle(session, run, clock())
            counts = step_counts(session, run_id)
        if on_progress is not None:
            on_progress(status, counts)
        if status not in ACTIVE:
            return status
        time.sleep(poll_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedRun:
    """A finished run read back: the report (as the in-process runner returns it), its status and
    the error that ended it, if any."""

    report: RunReport
    status: str
    error: str | None

    @property
    def failed(self) -> bool:
        """True when a device failed, the rollout stopped, or the run did not succeed."""
        return self.report.failed or self.status != RunStatus.SUCCEEDED.value


def read_report(session: Session, run_id: int, playbook: Playbook) -> RecordedRun:
    """Run ``run_id`` as a :class:`RunReport` of ``playbook``, from its record and results."""
    run = session.get(Run, run_id)
    if run is None:
        raise LookupError(f"run {run_id} is not recorded")
    waves = tuple(
        Wave(str(w.get("name")), tuple(str(d) for d in w.get("devices", [])))
        for w in (run.params or {}).get("waves", [])
    )
    report = RunReport(
        playbook=playbook,
        run_id=run_id,
        devices=tuple(d for w in waves for d in w.devices),
        waves=waves,
    )
    results = session.scalars(select(RunResult).where(RunResult.run_id == run_id).order_by(RunResult.id))
    for row in results:
        status = row.status if row.status in ("ok", "changed", "failed", "skipped") else "failed"
        output = row.result if isinstance(row.result, dict) else {}
        report.results.setdefault(row.device, {})[row.task] = DeviceOutcome(
            status=status,  # type: ignore[arg-type]
            reason=row.error,
            output=output,
        )
    summary = run.summary or {}
    stopped = summary.get("stopped")
    report.stopped = str(stopped) if stopped else None
    error = summary.get("error")
    return RecordedRun(report=report, status=run.status, error=str(error) if error else None)
