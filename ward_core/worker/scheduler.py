"""The poll scheduler: one cycle per interval, one queue message per batch, never two cycles at once.

Every tick (about once a second) :meth:`Scheduler.tick`, inside the schedule's lock
(:mod:`ward_core.worker.lock`):

1. settles the schedule's running cycles: finished when every batch is committed or abandoned,
   failed when the deadline passed first (:mod:`ward_core.worker.cycles`);
2. waits if the next slot is not due yet;
3. if a cycle is still running, records the slot as skipped (once per slot) and starts nothing:
   cycles of one schedule never overlap;
4. otherwise selects the devices (all, or a ``--limit`` selector), splits them into batches of
   ``batch_size``, records the cycle with its batch ids and enqueues one message per batch, all
   in the same transaction: if enqueueing fails, the cycle is not recorded and the next tick tries
   again.

Messages carry an age limit equal to the cycle's deadline, so work that could no longer count for
its cycle is dropped (and recorded abandoned) instead of piling up behind a slow fleet.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import dramatiq.errors
import pika.exceptions
import redis
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ward_core.db.models import Run
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.errors import BrokerError, ConfigError, StorageError, WardError
from ward_core.plugin_manager import WardPlugins
from ward_core.probes.poll import default_kinds
from ward_core.probes.selection import select_devices, split_batches
from ward_core.worker.actors import WardActors
from ward_core.worker.cycles import (
    RUNNING,
    Slot,
    cycle_by_id,
    latest_started,
    next_slot,
    param_time,
    record_skip,
    running_cycles,
    settle,
    skip_recorded,
    start_cycle,
)
from ward_core.worker.lock import locked_session
from ward_core.worker.messages import DEFAULT_SCHEDULE, batch_messages, check_schedule, new_cycle_id
from ward_core.worker.stopping import Stopper

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 60.0
TIMEOUT_INTERVALS = 10
"""A cycle's deadline, in intervals, unless a timeout is given."""
MIN_TIMEOUT_S = 300.0
TICK_S = 1.0
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    dramatiq.errors.BrokerError,
    redis.RedisError,
    pika.exceptions.AMQPError,
)
RECOVERABLE: tuple[type[BaseException], ...] = (WardError, SQLAlchemyError, *BROKER_ERRORS)
"""What a running scheduler logs and retries instead of dying."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SchedulePlan:
    """What one schedule polls and how often.

    ``timeout_s`` is how long a cycle may run before it is given up (its remaining batches dropped
    and the cycle marked failed); by default ten intervals, at least five minutes.
    """

    name: str = DEFAULT_SCHEDULE
    interval_s: float = DEFAULT_INTERVAL_S
    kinds: tuple[str, ...]
    batch_size: int
    selector: str | None = None
    timeout_s: float | None = None

    def __post_init__(self) -> None:
        check_schedule(self.name)
        if self.interval_s <= 0:
            raise ConfigError(f"interval must be positive, got {self.interval_s:g} s")
        if self.batch_size < 1:
            raise ConfigError(f"batch size must be at least 1, got {self.batch_size}")
        if not self.kinds:
            raise ConfigError("a schedule needs at least one probe kind")
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise ConfigError(f"cycle timeout must be positive, got {self.timeout_s:g} s")

    @property
    def cycle_timeout_s(self) -> float:
        """How long a cycle may run before it is given up."""
        if self.timeout_s is not None:
            return self.timeout_s
        return max(self.interval_s * TIMEOUT_INTERVALS, MIN_TIMEOUT_S)


def resolve_kinds(
    plugins: WardPlugins, asked: Sequence[str] | None, configured: Sequence[str]
) -> tuple[str, ...]:
    """The probe kinds a schedule runs: ``asked`` (``--kind``), else ``Settings.poll_kinds``, else
    every declared kind but the examples; each checked against the loaded plugins (PluginError
    naming an unknown kind)."""
    kinds = list(dict.fromkeys(asked)) if asked else default_kinds(plugins, configured)
    if not kinds:
        raise ConfigError("no probe kind to run: install a probe plugin or pass --kind")
    for kind in kinds:
        plugins.probe_kind_owner(kind)
    return tuple(kinds)


class TickAction(StrEnum):
    """What a tick did."""

    STARTED = "started"
    SKIPPED = "skipped"
    WAITING = "waiting"
    BUSY = "busy"


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick:
    """The result of one :meth:`Scheduler.tick`."""

    action: TickAction
    schedule: str
    cycle_id: str | None = None
    batches: int = 0
    devices: int = 0
    lag_s: float = 0.0
    next_at: datetime | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "action": self.action.value,
            "schedule": self.schedule,
            "cycle_id": self.cycle_id,
            "batches": self.batches,
            "devices": self.devices,
            "lag_s": round(self.lag_s, 3),
            "next_at": self.next_at.isoformat() if self.next_at else None,
            "reason": self.reason,
        }


class Scheduler:
    """Starts the cycles of one :class:`SchedulePlan` on ``actors``' broker.

    ``broker_label`` names the broker in errors; ``clock`` gives aware UTC datetimes (tests move it).
    """

    def __init__(
        self,
        engine: Engine,
        actors: WardActors,
        plan: SchedulePlan,
        *,
        broker_label: str = "the broker",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._actors = actors
        self._plan = plan
        self._broker_label = broker_label
        self._clock = clock

    @property
    def plan(self) -> SchedulePlan:
        """The schedule this scheduler runs."""
        return self._plan

    @property
    def label(self) -> str:
        """How logs name it (:func:`~ward_core.worker.loop.run_tickers`)."""
        return f"schedule {self._plan.name}"

    @property
    def max_backoff_s(self) -> float:
        """The longest wait after a failure: one interval."""
        return self._plan.interval_s

    def tick(self, *, force: bool = False) -> Tick:
        """Settle finished cycles, then start the due cycle unless one is still running.

        ``force`` starts a cycle now even if the next slot is not due yet (``--once``); a running
        cycle still prevents it.
        """
        plan = self._plan
        now = self._clock()
        try:
            with locked_session(self._engine, plan.name) as session:
                if session is None:
                    return Tick(
                        action=TickAction.BUSY,
                        schedule=plan.name,
                        reason=f"another scheduler is deciding about schedule {plan.name!r}",
                    )
                open_cycles = [(run, settle(session, run, now)) for run in running_cycles(session, plan.name)]
                still = [(run, state) for run, state in open_cycles if run.status == RUNNING]
                last = latest_started(session, plan.name)
                last_slot = param_time(last, "slot_at") if last is not None else None
                slot = next_slot(last_slot, plan.interval_s, now)
                if force:
                    slot = Slot(now, slot.due_at if slot else now, slot.lag_s if slot else 0.0)
                if slot is None:
                    next_at = (last_slot or now) + timedelta(seconds=plan.interval_s)
                    return Tick(action=TickAction.WAITING, schedule=plan.name, next_at=next_at)
                if still:
                    blocker, state = still[-1]
                    return self._skip(session, slot, blocker, len(state.outstanding), now, record=not force)
                names = select_devices(session, plan.selector)
                return self._start(session, slot, names, now)
        except SQLAlchemyError as exc:
            raise StorageError(f"schedule {plan.name!r}: the database failed: {exc}") from exc

    def _skip(
        self, session: Session, slot: Slot, blocker: Run, outstanding: int, now: datetime, *, record: bool
    ) -> Tick:
        """Start nothing while ``blocker`` runs; record the slot as skipped (once) if ``record``."""
        plan = self._plan
        if record and not skip_recorded(session, plan.name, slot.slot_at):
            record_skip(
                session,
                schedule=plan.name,
                slot=slot,
                interval_s=plan.interval_s,
                blocked_by=blocker,
                outstanding=outstanding,
                now=now,
            )
            log.warning(
                "schedule %s: slot %s skipped, cycle %s still has %d outstanding batch(es)",
                plan.name,
                slot.slot_at.isoformat(),
                blocker.name,
                outstanding,
            )
        return Tick(
            action=TickAction.SKIPPED,
            schedule=plan.name,
            cycle_id=blocker.name,
            lag_s=slot.lag_s,
            reason=f"cycle {blocker.name} still has {outstanding} outstanding batch(es)",
        )

    def _start(self, session: Session, slot: Slot, names: Sequence[str], now: datetime) -> Tick:
        plan = self._plan
        cycle_id = new_cycle_id(plan.name, slot.slot_at)
        messages = batch_messages(cycle_id, plan.kinds, split_batches(names, plan.batch_size))
        deadline = now + timedelta(seconds=plan.cycle_timeout_s)
        start_cycle(
            session,
            schedule=plan.name,
            cycle_id=cycle_id,
            slot=slot,
            interval_s=plan.interval_s,
            deadline_at=deadline,
            kinds=plan.kinds,
            selector=plan.selector,
            batch_ids=[m.batch_id for m in messages],
            devices=len(names),
            now=now,
        )
        max_age_ms = int(plan.cycle_timeout_s * 1000)
        for message in messages:
            try:
                self._actors.send_batch(message, max_age_ms=max_age_ms)
            except BROKER_ERRORS as exc:
                raise BrokerError(
                    f"cannot enqueue batch {message.batch_id} on {self._broker_label}: {exc}"
                ) from exc
        log.info(
            "schedule %s: cycle %s started, %d devices in %d batch(es), lag %.2f s",
            plan.name,
            cycle_id,
            len(names),
            len(messages),
            slot.lag_s,
        )
        return Tick(
            action=TickAction.STARTED,
            schedule=plan.name,
            cycle_id=cycle_id,
            batches=len(messages),
            devices=len(names),
            lag_s=slot.lag_s,
        )

    def run(self, stop: Stopper, *, tick_s: float = TICK_S) -> None:
        """Tick until ``stop`` is set. Database and broker failures are logged and retried with
        backoff (at most one interval apart), so the scheduler rides out a restart of either."""
        failures = 0
        while not stop.is_set():
            try:
                self.tick()
                failures = 0
                delay = tick_s
            except RECOVERABLE as exc:
                failures += 1
                delay = min(self._plan.interval_s, tick_s * 2 ** min(failures, 10))
                log.error("schedule %s: %s; next attempt in %.1f s", self._plan.name, exc, delay)
            stop.wait(delay)


def wait_for_cycle(
    engine: Engine,
    cycle_id: str,
    *,
    timeout_s: float,
    poll_s: float = 0.5,
    clock: Callable[[], datetime] = utcnow,
) -> str:
    """Wait until cycle ``cycle_id`` is settled; its final status (``running`` on timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        with session_scope(engine) as session:
            run = cycle_by_id(session, cycle_id)
            if run is None:
                raise StorageError(f"cycle {cycle_id} is not recorded")
            settle(session, run, clock())
            status = run.status
        if status != RUNNING or time.monotonic() >= deadline:
            return status
        time.sleep(poll_s)
