"""Poll cycles as run records: when each started, which batches it sent, when they were all done.

A cycle is a ``runs`` row of kind ``poll_cycle`` named after its cycle id. ``params`` holds the
schedule name, the slot it serves, the interval, the deadline and the ids of its batches; status
is ``running`` until every batch is accounted for, then ``succeeded`` (every batch committed) or
``failed`` (a batch was abandoned, or the deadline passed first). A slot that could not start
because the previous cycle still had outstanding batches is a ``cancelled`` row with
``summary.skipped``: that is how a cycle that does not keep up shows.

A batch is accounted for when ``probe_batches`` holds its id (the probe service committed it) or a
probe run named after it exists without that (a worker recorded it abandoned, see
:mod:`ward_core.worker.abandoned`). The probe tables are only read here.

Slots and lag: a schedule's slots are ``interval`` apart, counted from its first cycle. The next
slot is due one interval after the last started cycle's slot. A cycle starting late has a lag (its
start minus the earliest slot not yet served); slots that pass while a cycle runs are skipped, and
the cycle after them starts as soon as the previous one is done, its lag counted from the first
skipped slot. Polling keeps up while lags stay well under one interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from ward_core.db.models import ProbeBatch, Run, RunStatus
from ward_core.probes.service import RUN_KIND as PROBE_RUN_KIND

CYCLE_KIND = "poll_cycle"
"""``runs.kind`` of poll cycle records."""

RUNNING = RunStatus.RUNNING.value
SUCCEEDED = RunStatus.SUCCEEDED.value
FAILED = RunStatus.FAILED.value
SKIPPED = RunStatus.CANCELLED.value
STARTED_STATES = (RUNNING, SUCCEEDED, FAILED)

ID_CHUNK = 500
"""Batch ids per ``IN (...)`` list when reading progress."""


@dataclass(frozen=True, slots=True)
class Slot:
    """The slot a cycle starting now serves: its time, the earliest unserved one, and the lag."""

    slot_at: datetime
    due_at: datetime
    lag_s: float


def next_slot(last_slot_at: datetime | None, interval_s: float, now: datetime) -> Slot | None:
    """The slot due at ``now``, or None while the next one is still ahead.

    >>> from datetime import UTC
    >>> t0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    >>> next_slot(None, 60, t0) == Slot(t0, t0, 0.0)
    True
    >>> next_slot(t0, 60, t0 + timedelta(seconds=30)) is None
    True
    >>> late = next_slot(t0, 60, t0 + timedelta(seconds=150))
    >>> late.slot_at - t0, late.due_at - t0, late.lag_s
    (datetime.timedelta(seconds=120), datetime.timedelta(seconds=60), 90.0)
    """
    if last_slot_at is None:
        return Slot(now, now, 0.0)
    due = last_slot_at + timedelta(seconds=interval_s)
    if now < due:
        return None
    behind = (now - due).total_seconds()
    passed = math.floor(behind / interval_s)
    return Slot(due + timedelta(seconds=passed * interval_s), due, behind)


def _iso(value: datetime) -> str:
    return value.isoformat()


def param_time(run: Run, name: str) -> datetime | None:
    """A timestamp stored in a cycle's ``params``."""
    raw = run.params.get(name)
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


def of_schedule(schedule: str) -> ColumnElement[bool]:
    """Rows that are cycle records of ``schedule``."""
    return and_(Run.kind == CYCLE_KIND, Run.params["schedule"].as_string() == schedule)


def latest_started(session: Session, schedule: str) -> Run | None:
    """The most recently started cycle of ``schedule`` (skipped slots aside)."""
    return session.scalars(
        select(Run)
        .where(of_schedule(schedule), Run.status.in_(STARTED_STATES))
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(1)
    ).first()


def running_cycles(session: Session, schedule: str) -> list[Run]:
    """Cycles of ``schedule`` still marked running, oldest first."""
    return list(
        session.scalars(
            select(Run).where(of_schedule(schedule), Run.status == RUNNING).order_by(Run.started_at, Run.id)
        )
    )


def cycle_by_id(session: Session, cycle_id: str) -> Run | None:
    """The record of cycle ``cycle_id``."""
    return session.scalars(select(Run).where(Run.kind == CYCLE_KIND, Run.name == cycle_id)).first()


def skip_recorded(session: Session, schedule: str, slot_at: datetime) -> bool:
    """True when the skip of ``schedule``'s slot at ``slot_at`` is already recorded."""
    rows = session.scalars(
        select(Run)
        .where(of_schedule(schedule), Run.status == SKIPPED)
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(1)
    ).all()
    return any(param_time(run, "slot_at") == slot_at for run in rows)


def schedules(session: Session, limit: int = 1000) -> list[str]:
    """Names of the schedules among the latest ``limit`` cycle records, sorted."""
    params = session.scalars(
        select(Run.params).where(Run.kind == CYCLE_KIND).order_by(Run.started_at.desc()).limit(limit)
    )
    return sorted({str(p["schedule"]) for p in params if isinstance(p, dict) and "schedule" in p})


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a cycle's batches are: committed (with the time), abandoned (with the probe run id)."""

    batch_ids: tuple[str, ...]
    committed: dict[str, datetime] = field(default_factory=dict)
    committed_runs: dict[str, int] = field(default_factory=dict)
    abandoned: dict[str, int] = field(default_factory=dict)
    abandoned_at: dict[str, datetime] = field(default_factory=dict)

    @property
    def outstanding(self) -> tuple[str, ...]:
        """Batches neither committed nor abandoned."""
        return tuple(b for b in self.batch_ids if b not in self.committed and b not in self.abandoned)

    @property
    def done(self) -> bool:
        """Every batch is accounted for."""
        return not self.outstanding

    @property
    def finished_at(self) -> datetime | None:
        """When the last batch was accounted for (None while some are outstanding or none exist)."""
        times = [*self.committed.values(), *self.abandoned_at.values()]
        return max(times) if times and self.done else None

    @property
    def probe_run_ids(self) -> list[int]:
        """The probe runs holding the per-device results of the cycle's batches."""
        return [*self.committed_runs.values(), *self.abandoned.values()]


def batch_ids_of(run: Run) -> tuple[str, ...]:
    """The batch ids a cycle record lists."""
    return tuple(str(b) for b in run.params.get("batch_ids", []))


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[i : i + ID_CHUNK] for i in range(0, len(items), ID_CHUNK)]


def progress(session: Session, batch_ids: Sequence[str]) -> Progress:
    """Which of ``batch_ids`` are committed and which abandoned."""
    committed: dict[str, datetime] = {}
    runs: dict[str, int] = {}
    for chunk in _chunks(batch_ids):
        for batch_id, committed_at, run_id in session.execute(
            select(ProbeBatch.batch_id, ProbeBatch.committed_at, ProbeBatch.run_id).where(
                ProbeBatch.batch_id.in_(chunk)
            )
        ):
            committed[batch_id] = committed_at
            if run_id is not None:
                runs[batch_id] = run_id
    left = [b for b in batch_ids if b not in committed]
    abandoned: dict[str, int] = {}
    abandoned_at: dict[str, datetime] = {}
    for chunk in _chunks(left):
        for name, run_id, started_at in session.execute(
            select(Run.name, Run.id, Run.started_at).where(Run.kind == PROBE_RUN_KIND, Run.name.in_(chunk))
        ):
            if name is not None and name not in abandoned:
                abandoned[name] = run_id
                abandoned_at[name] = started_at
    return Progress(tuple(batch_ids), committed, runs, abandoned, abandoned_at)


def start_cycle(
    session: Session,
    *,
    schedule: str,
    cycle_id: str,
    slot: Slot,
    interval_s: float,
    deadline_at: datetime,
    kinds: Sequence[str],
    selector: str | None,
    batch_ids: Sequence[str],
    devices: int,
    now: datetime,
) -> Run:
    """Record a cycle that starts now with ``batch_ids``."""
    run = Run(
        kind=CYCLE_KIND,
        name=cycle_id,
        status=RUNNING,
        requested_by=f"scheduler:{schedule}",
        started_at=now,
        params={
            "schedule": schedule,
            "cycle_id": cycle_id,
            "slot_at": _iso(slot.slot_at),
            "due_at": _iso(slot.due_at),
            "deadline_at": _iso(deadline_at),
            "interval_s": interval_s,
            "kinds": list(kinds),
            "selector": selector,
            "devices": devices,
            "batch_ids": list(batch_ids),
        },
        summary={"lag_s": round(slot.lag_s, 3), "batches": len(batch_ids), "devices": devices},
    )
    session.add(run)
    session.flush()
    return run


def record_skip(
    session: Session,
    *,
    schedule: str,
    slot: Slot,
    interval_s: float,
    blocked_by: Run,
    outstanding: int,
    now: datetime,
) -> Run:
    """Record that ``schedule``'s slot could not start because ``blocked_by`` is still running."""
    run = Run(
        kind=CYCLE_KIND,
        name=f"{blocked_by.name}.skip-{slot.slot_at.strftime('%Y%m%dT%H%M%SZ')}",
        status=SKIPPED,
        requested_by=f"scheduler:{schedule}",
        started_at=now,
        finished_at=now,
        params={
            "schedule": schedule,
            "slot_at": _iso(slot.slot_at),
            "due_at": _iso(slot.due_at),
            "interval_s": interval_s,
            "blocked_by": blocked_by.name,
        },
        summary={
            "skipped": True,
            "lag_s": round(slot.lag_s, 3),
            "outstanding": outstanding,
            "reason": f"cycle {blocked_by.name} still has {outstanding} outstanding batch"
            f"{'es' if outstanding != 1 else ''}",
        },
    )
    session.add(run)
    session.flush()
    return run


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a cycle record amounts to now: its status, when it ended, whether its deadline passed."""

    status: str
    finished_at: datetime | None
    expired: bool = False


def outcome(run: Run, state: Progress, now: datetime) -> Outcome:
    """The status ``run`` has given its batches' progress at ``now`` (whatever its row says)."""
    if run.status != RUNNING:
        return Outcome(run.status, run.finished_at, bool((run.summary or {}).get("expired")))
    if state.done:
        return Outcome(FAILED if state.abandoned else SUCCEEDED, state.finished_at or now)
    deadline = param_time(run, "deadline_at")
    if deadline is not None and now >= deadline:
        return Outcome(FAILED, now, expired=True)
    return Outcome(RUNNING, None)


def settle(session: Session, run: Run, now: datetime) -> Progress:
    """Write down that ``run`` has finished (or expired) if it has; returns its progress."""
    state = progress(session, batch_ids_of(run))
    result = outcome(run, state, now)
    if run.status != RUNNING or result.status == RUNNING or result.finished_at is None:
        return state
    summary: dict[str, Any] = dict(run.summary or {})
    summary.update(committed=len(state.committed), abandoned=len(state.abandoned))
    if result.expired:
        summary.update(expired=True, missing=len(state.outstanding))
    summary["duration_s"] = round((result.finished_at - run.started_at).total_seconds(), 3)
    run.status = result.status
    run.finished_at = result.finished_at
    run.summary = summary
    return state
