"""Whether polling keeps up, computed from what the scheduler and the workers recorded.

Read-only: a cycle whose batches are all in but that no scheduler has marked finished yet is shown
finished. ``ward status`` prints it and the metrics endpoint exports it; both read the same
records, so any number of worker processes need no shared memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from ward_core.db.models import ResultStatus, Run, RunResult
from ward_core.worker.cycles import (
    RUNNING,
    SKIPPED,
    Progress,
    batch_ids_of,
    latest_started,
    next_slot,
    of_schedule,
    outcome,
    param_time,
    progress,
)

RECENT_INTERVALS = 10
"""Skipped slots within this many intervals make a schedule "not keeping up"."""

SKIP_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleView:
    """One poll cycle as it stands."""

    cycle_id: str
    status: str
    slot_at: datetime | None
    started_at: datetime
    finished_at: datetime | None
    duration_s: float
    lag_s: float
    devices: int
    batches: int
    committed: int
    abandoned: int
    outstanding: int
    expired: bool
    ok_devices: int
    failed_devices: int
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    batch_duration_mean_s: float | None = None
    batch_duration_max_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "cycle_id": self.cycle_id,
            "status": self.status,
            "slot_at": self.slot_at.isoformat() if self.slot_at else None,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_s": round(self.duration_s, 3),
            "lag_s": round(self.lag_s, 3),
            "devices": self.devices,
            "batches": self.batches,
            "committed": self.committed,
            "abandoned": self.abandoned,
            "outstanding": self.outstanding,
            "expired": self.expired,
            "ok_devices": self.ok_devices,
            "failed_devices": self.failed_devices,
            "errors_by_kind": dict(sorted(self.errors_by_kind.items())),
            "batch_duration_mean_s": _round(self.batch_duration_mean_s),
            "batch_duration_max_s": _round(self.batch_duration_max_s),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduleStatus:
    """A schedule's latest cycle, its latest finished one, lag, skips and the verdict."""

    schedule: str
    now: datetime
    interval_s: float | None
    current: CycleView | None
    last_finished: CycleView | None
    lag_s: float
    skipped_recent: int
    skipped_24h: int
    problems: tuple[str, ...]

    @property
    def keeping_up(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    @property
    def outstanding(self) -> int:
        """Batches of the current cycle not yet accounted for."""
        return self.current.outstanding if self.current else 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "schedule": self.schedule,
            "now": self.now.isoformat(),
            "interval_s": self.interval_s,
            "keeping_up": self.keeping_up,
            "problems": list(self.problems),
            "lag_s": round(self.lag_s, 3),
            "outstanding_batches": self.outstanding,
            "skipped_recent": self.skipped_recent,
            "skipped_24h": self.skipped_24h,
            "current": self.current.to_dict() if self.current else None,
            "last_finished": self.last_finished.to_dict() if self.last_finished else None,
        }


def _device_counts(session: Session, run_ids: list[int]) -> tuple[int, int, dict[str, int]]:
    if not run_ids:
        return 0, 0, {}
    where = RunResult.run_id.in_(run_ids)
    failed_filter = RunResult.status == ResultStatus.FAILED.value
    total = session.scalar(select(func.count(distinct(RunResult.device))).where(where)) or 0
    failed = session.scalar(select(func.count(distinct(RunResult.device))).where(where, failed_filter)) or 0
    errors = {
        str(task): int(count)
        for task, count in session.execute(
            select(RunResult.task, func.count()).where(where, failed_filter).group_by(RunResult.task)
        )
    }
    return total - failed, failed, errors


def _batch_durations(session: Session, state: Progress) -> tuple[float | None, float | None]:
    """Mean and longest batch of the committed ones: the probe service's own measure (probing,
    deriving and writing), else the run record's start to end."""
    ids = list(state.committed_runs.values())
    if not ids:
        return None, None
    durations: list[float] = []
    rows = session.execute(select(Run.started_at, Run.finished_at, Run.summary).where(Run.id.in_(ids)))
    for started, finished, summary in rows:
        measured = summary.get("duration_s") if isinstance(summary, dict) else None
        if isinstance(measured, int | float):
            durations.append(float(measured))
        elif finished is not None:
            durations.append((finished - started).total_seconds())
    if not durations:
        return None, None
    return sum(durations) / len(durations), max(durations)


def cycle_view(session: Session, run: Run, now: datetime) -> CycleView:
    """How cycle ``run`` stands at ``now``."""
    state = progress(session, batch_ids_of(run))
    result = outcome(run, state, now)
    ok, failed, errors = _device_counts(session, state.probe_run_ids)
    mean, longest = _batch_durations(session, state)
    end = result.finished_at or now
    summary = run.summary or {}
    return CycleView(
        cycle_id=run.name or "",
        status=result.status,
        slot_at=param_time(run, "slot_at"),
        started_at=run.started_at,
        finished_at=result.finished_at,
        duration_s=(end - run.started_at).total_seconds(),
        lag_s=float(summary.get("lag_s", 0.0)),
        devices=int(run.params.get("devices", 0)),
        batches=len(state.batch_ids),
        committed=len(state.committed),
        abandoned=len(state.abandoned),
        outstanding=len(state.outstanding),
        expired=result.expired,
        ok_devices=ok,
        failed_devices=failed,
        errors_by_kind=errors,
        batch_duration_mean_s=mean,
        batch_duration_max_s=longest,
    )


def _last_finished(
    session: Session, schedule: str, now: datetime, current: CycleView | None
) -> CycleView | None:
    if current is not None and current.status != RUNNING:
        return current
    candidates = session.scalars(
        select(Run)
        .where(of_schedule(schedule), Run.status.in_(("succeeded", "failed")))
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(1)
    ).all()
    return cycle_view(session, candidates[0], now) if candidates else None


def _skips_since(session: Session, schedule: str, since: datetime) -> int:
    count = session.scalar(
        select(func.count()).where(of_schedule(schedule), Run.status == SKIPPED, Run.started_at >= since)
    )
    return int(count or 0)


def schedule_status(session: Session, schedule: str, now: datetime) -> ScheduleStatus:
    """The status of ``schedule`` at ``now``."""
    last = latest_started(session, schedule)
    if last is None:
        return ScheduleStatus(
            schedule=schedule,
            now=now,
            interval_s=None,
            current=None,
            last_finished=None,
            lag_s=0.0,
            skipped_recent=0,
            skipped_24h=_skips_since(session, schedule, now - SKIP_WINDOW),
            problems=(f"no poll cycle recorded for schedule {schedule!r}: is `ward scheduler` running?",),
        )
    interval = float(last.params.get("interval_s", 0.0)) or None
    current = cycle_view(session, last, now)
    finished = _last_finished(session, schedule, now, current)
    slot_at = param_time(last, "slot_at")
    overdue = next_slot(slot_at, interval, now) if interval and slot_at else None
    lag = max(current.lag_s, overdue.lag_s if overdue else 0.0)
    recent = _skips_since(session, schedule, now - timedelta(seconds=(interval or 0) * RECENT_INTERVALS))
    problems: list[str] = []
    if interval is not None:
        if lag >= interval:
            problems.append(f"polling is {lag:.1f} s behind schedule (interval {interval:g} s)")
        if finished is not None and finished.duration_s > interval:
            problems.append(
                f"cycle {finished.cycle_id} took {finished.duration_s:.1f} s, more than the "
                f"{interval:g} s interval"
            )
        if current.status == RUNNING and current.duration_s > interval:
            problems.append(
                f"cycle {current.cycle_id} has run {current.duration_s:.1f} s with "
                f"{current.outstanding} batch(es) outstanding"
            )
    if recent:
        problems.append(f"{recent} slot(s) skipped in the last {RECENT_INTERVALS} intervals")
    if finished is not None and finished.expired:
        problems.append(f"cycle {finished.cycle_id} passed its deadline with batches missing")
    if finished is not None and finished.abandoned:
        problems.append(f"cycle {finished.cycle_id}: {finished.abandoned} batch(es) abandoned")
    return ScheduleStatus(
        schedule=schedule,
        now=now,
        interval_s=interval,
        current=current,
        last_finished=finished,
        lag_s=lag,
        skipped_recent=recent,
        skipped_24h=_skips_since(session, schedule, now - SKIP_WINDOW),
        problems=tuple(problems),
    )
