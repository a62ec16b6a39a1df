"""Playbook schedules: ``ward scheduler`` queues a run of each playbook that carries ``schedule:``.

Which playbooks: every ``*.yml`` / ``*.yaml`` file of ``Settings.playbooks_dir`` whose ``schedule:``
is set (five-field cron, evaluated in UTC). The folder is looked at again on every tick and a file
is read again when it changed; a file that does not check (bad YAML, unknown step type, a var
without a value...) is logged once per change and not scheduled; two files with one playbook
name schedule the first only. A schedule is known by the playbook's name.

Every tick, for each scheduled playbook, inside its own lock (:mod:`ward_core.worker.lock`, so any
number of schedulers can run):

1. its queued runs are settled: one nobody claimed in time is cancelled, one that outlived its time
   limit is failed as lost (:func:`ward_core.playbooks.queued.settle`);
2. the last slot served is that of its newest record; with none, the first slot after this
   scheduler first saw the playbook is the first one due (a new schedule does not start at once);
3. the slot served now is the latest one due at or before now, if it is later than the last one
   served. Slots missed while no scheduler ran are not replayed: at most one catch-up run starts,
   its lag (now minus the first missed slot) recorded;
4. while a run of the schedule is still ``pending`` or ``running`` nothing starts: the slot is
   recorded as skipped (a ``cancelled`` run with ``summary.skipped``), once, and is not served
   later: scheduled runs of one playbook never overlap;
5. otherwise the playbook is checked and its devices chosen exactly as ``ward run`` does; a refusal
   is recorded as a ``failed`` run naming the error (the slot is served: the next one tries
   again), else a ``pending`` run is recorded with the slot and one ``playbook_run`` message sent,
   in one transaction (if sending fails nothing is recorded and the next tick tries again).

Records are ``runs`` rows of kind ``playbook`` with ``params.schedule_key`` and
``params.slot_at``: ``ward runs list --kind playbook`` shows them with the runs people started.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from croniter import croniter
from sqlalchemy import ColumnElement, Engine, and_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ward_core.db.models import Run, RunStatus
from ward_core.db.types import utcnow
from ward_core.errors import BrokerError, PlaybookError, StorageError, WardError
from ward_core.playbooks.loader import parse_playbook, read_playbook
from ward_core.playbooks.queued import ACTIVE, DEFAULT_TIMEOUT_S, queue_run, settle
from ward_core.playbooks.records import RUN_KIND
from ward_core.playbooks.runner import step_schemas
from ward_core.playbooks.service import prepare
from ward_core.plugin_manager import WardPlugins
from ward_core.worker.cycles import Slot
from ward_core.worker.lock import locked_session
from ward_core.worker.playbook_actor import PlaybookActor
from ward_core.worker.scheduler import BROKER_ERRORS

log = logging.getLogger(__name__)

PATTERNS = ("*.yml", "*.yaml")
KEY_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def latest_slot(cron: str, now: datetime) -> datetime:
    """The latest time at or before ``now`` that ``cron`` names (UTC).

    >>> latest_slot("0 2 * * *", datetime(2026, 1, 1, 2, 0, tzinfo=UTC)).isoformat()
    '2026-01-01T02:00:00+00:00'
    >>> latest_slot("0 2 * * *", datetime(2026, 1, 1, 1, 59, tzinfo=UTC)).isoformat()
    '2025-12-31T02:00:00+00:00'
    """
    now = now.astimezone(UTC)
    before: datetime = croniter(cron, now).get_prev(datetime)
    after: datetime = croniter(cron, before).get_next(datetime)
    return after if after <= now else before


def next_slot_after(cron: str, when: datetime) -> datetime:
    """The first time strictly after ``when`` that ``cron`` names (UTC).

    >>> next_slot_after("*/15 * * * *", datetime(2026, 1, 1, 2, 0, tzinfo=UTC)).isoformat()
    '2026-01-01T02:15:00+00:00'
    """
    found: datetime = croniter(cron, when.astimezone(UTC)).get_next(datetime)
    return found


def due_slot(cron: str, served: datetime, now: datetime) -> Slot | None:
    """The slot to serve at ``now`` when ``served`` was the last one served, or None while none is due.

    Only the latest slot due is served (missed ones are not replayed); ``due_at`` is the first
    slot missed and ``lag_s`` counts from it.

    >>> t = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    >>> due_slot("0 2 * * *", t, t.replace(hour=9)) is None
    True
    >>> late = due_slot("0 2 * * *", t, t.replace(day=4, hour=9))
    >>> late.slot_at.isoformat(), late.due_at.isoformat(), late.lag_s
    ('2026-01-04T02:00:00+00:00', '2026-01-02T02:00:00+00:00', 198000.0)
    """
    first = next_slot_after(cron, served)
    if first > now:
        return None
    return Slot(latest_slot(cron, now), first, (now - first).total_seconds())


def schedule_key(name: str) -> str:
    """The key of playbook ``name``'s schedule: its lock's name and ``params.schedule_key``.

    >>> schedule_key("nightly-backup")
    'playbook.nightly-backup'
    >>> schedule_key("nightly backup/west")  # doctest: +ELLIPSIS
    'playbook.nightly_backup_west-...'
    """
    safe = KEY_SAFE.sub("_", name)[:40]
    if safe == name:
        return f"playbook.{name}"
    return f"playbook.{safe}-{hashlib.blake2b(name.encode(), digest_size=4).hexdigest()}"


@dataclass(frozen=True, slots=True)
class ScheduledPlaybook:
    """A playbook file that carries a schedule."""

    name: str
    path: Path
    cron: str

    @property
    def key(self) -> str:
        """Its schedule key."""
        return schedule_key(self.name)


class PlaybookFolder:
    """The scheduled playbooks of a folder, each file read again only when it changed."""

    def __init__(self, folder: Path, schemas: Mapping[str, Mapping[str, Any]]) -> None:
        self.folder = folder
        self._schemas = schemas
        self._seen: dict[Path, tuple[float, ScheduledPlaybook | None]] = {}
        self._missing_logged = False

    def _read(self, path: Path) -> ScheduledPlaybook | None:
        try:
            playbook = parse_playbook(read_playbook(path), str(path), self._schemas)
        except PlaybookError as exc:
            log.error("playbook not scheduled: %s", exc)
            return None
        if playbook.schedule is None:
            return None
        return ScheduledPlaybook(playbook.name, path, playbook.schedule)

    def scan(self) -> list[ScheduledPlaybook]:
        """The scheduled playbooks now, by file name; a name taken twice keeps its first file."""
        if not self.folder.is_dir():
            if not self._missing_logged:
                log.error("playbooks_dir %s is not a folder: no playbook is scheduled", self.folder)
                self._missing_logged = True
            return []
        self._missing_logged = False
        files = sorted({p for pattern in PATTERNS for p in self.folder.glob(pattern) if p.is_file()})
        found: dict[str, ScheduledPlaybook] = {}
        for path in files:
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            cached = self._seen.get(path)
            if cached is None or cached[0] != mtime:
                cached = (mtime, self._read(path))
                self._seen[path] = cached
            scheduled = cached[1]
            if scheduled is None:
                continue
            if scheduled.name in found:
                log.error(
                    "%s: playbook %r is also in %s; only that one is scheduled",
                    path,
                    scheduled.name,
                    found[scheduled.name].path,
                )
                continue
            found[scheduled.name] = scheduled
        self._seen = {p: v for p, v in self._seen.items() if p in files}
        return list(found.values())


class PlaybookAction(StrEnum):
    """What a tick did for one scheduled playbook."""

    QUEUED = "queued"
    SKIPPED = "skipped"
    REFUSED = "refused"
    WAITING = "waiting"
    BUSY = "busy"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybookTick:
    """The result of one tick for one scheduled playbook."""

    action: PlaybookAction
    playbook: str
    run_id: int | None = None
    slot_at: datetime | None = None
    next_at: datetime | None = None
    lag_s: float = 0.0
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "action": self.action.value,
            "playbook": self.playbook,
            "run_id": self.run_id,
            "slot_at": self.slot_at.isoformat() if self.slot_at else None,
            "next_at": self.next_at.isoformat() if self.next_at else None,
            "lag_s": round(self.lag_s, 3),
            "reason": self.reason,
        }


def of_schedule(key: str) -> ColumnElement[bool]:
    """Rows that are records of schedule ``key``."""
    return and_(Run.kind == RUN_KIND, Run.params["schedule_key"].as_string() == key)


def _slot_of(run: Run) -> datetime | None:
    raw = (run.params or {}).get("slot_at")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


def _slot_params(scheduled: ScheduledPlaybook, slot: Slot) -> dict[str, Any]:
    return {
        "schedule_key": scheduled.key,
        "cron": scheduled.cron,
        "slot_at": slot.slot_at.isoformat(),
        "due_at": slot.due_at.isoformat(),
        "lag_s": round(slot.lag_s, 3),
    }


class PlaybookScheduler:
    """Queues the runs of the scheduled playbooks of ``folder`` (see the module docstring).

    ``actor`` sends the runs; ``timeout_s`` is each run's time limit and how long it may wait for
    a worker; ``clock`` gives aware UTC datetimes (tests move it).
    """

    label = "playbooks"
    max_backoff_s = 60.0

    def __init__(
        self,
        engine: Engine,
        plugins: WardPlugins,
        actor: PlaybookActor,
        folder: Path,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        broker_label: str = "the broker",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.plugins = plugins
        self.actor = actor
        self.folder = folder
        self.timeout_s = timeout_s
        self.broker_label = broker_label
        self.clock = clock
        self._first_seen: dict[str, datetime] = {}
        self._files: PlaybookFolder | None = None

    def scheduled(self) -> list[ScheduledPlaybook]:
        """The playbooks scheduled now."""
        if self._files is None:
            self._files = PlaybookFolder(self.folder, step_schemas(self.plugins))
        return self._files.scan()

    def tick(self) -> list[PlaybookTick]:
        """One decision per scheduled playbook; a failure of one is logged and the others go on."""
        ticks: list[PlaybookTick] = []
        failures: list[WardError] = []
        for scheduled in self.scheduled():
            try:
                ticks.append(self.tick_one(scheduled))
            except (StorageError, BrokerError) as exc:
                log.error("schedule of playbook %s: %s", scheduled.name, exc)
                failures.append(exc)
        if failures and not ticks:
            raise failures[0]
        return ticks

    def tick_one(self, scheduled: ScheduledPlaybook) -> PlaybookTick:
        """The decision for one scheduled playbook, inside its lock."""
        now = self.clock()
        first_seen = self._first_seen.setdefault(scheduled.key, now)
        try:
            with locked_session(self.engine, scheduled.key) as session:
                if session is None:
                    return PlaybookTick(
                        action=PlaybookAction.BUSY,
                        playbook=scheduled.name,
                        reason="another scheduler is deciding about it",
                    )
                return self._decide(session, scheduled, now, first_seen)
        except SQLAlchemyError as exc:
            raise StorageError(
                f"schedule of playbook {scheduled.name!r}: the database failed: {exc}"
            ) from exc

    def _decide(
        self, session: Session, scheduled: ScheduledPlaybook, now: datetime, first_seen: datetime
    ) -> PlaybookTick:
        mine = of_schedule(scheduled.key)
        queued = session.scalars(select(Run).where(mine, Run.status.in_(ACTIVE)).order_by(Run.id))
        active = [run for run in list(queued) if settle(session, run, now) in ACTIVE]
        last = session.scalars(select(Run).where(mine).order_by(Run.id.desc()).limit(1)).first()
        served = _slot_of(last) if last is not None else None
        slot = due_slot(scheduled.cron, served or first_seen, now)
        if slot is None:
            return PlaybookTick(
                action=PlaybookAction.WAITING,
                playbook=scheduled.name,
                next_at=next_slot_after(scheduled.cron, served or first_seen),
            )
        if active:
            return self._skip(session, scheduled, slot, active[0], now)
        return self._queue(session, scheduled, slot, now)

    def _skip(
        self, session: Session, scheduled: ScheduledPlaybook, slot: Slot, blocker: Run, now: datetime
    ) -> PlaybookTick:
        reason = f"run {blocker.id} of this schedule is still {blocker.status}"
        session.add(
            Run(
                kind=RUN_KIND,
                name=scheduled.name,
                status=RunStatus.CANCELLED.value,
                requested_by=f"scheduler:{scheduled.name}",
                started_at=now,
                finished_at=now,
                params={
                    **_slot_params(scheduled, slot),
                    "file": str(scheduled.path),
                    "blocked_by": blocker.id,
                },
                summary={"skipped": True, "reason": reason},
            )
        )
        log.warning("playbook %s: slot %s skipped, %s", scheduled.name, slot.slot_at.isoformat(), reason)
        return PlaybookTick(
            action=PlaybookAction.SKIPPED,
            playbook=scheduled.name,
            run_id=blocker.id,
            slot_at=slot.slot_at,
            lag_s=slot.lag_s,
            reason=reason,
        )

    def _refuse(
        self, session: Session, scheduled: ScheduledPlaybook, slot: Slot, error: str, now: datetime
    ) -> PlaybookTick:
        run = Run(
            kind=RUN_KIND,
            name=scheduled.name,
            status=RunStatus.FAILED.value,
            requested_by=f"scheduler:{scheduled.name}",
            started_at=now,
            finished_at=now,
            params={**_slot_params(scheduled, slot), "file": str(scheduled.path)},
            summary={"refused": True, "error": error},
        )
        session.add(run)
        session.flush()
        log.error("playbook %s: slot %s refused: %s", scheduled.name, slot.slot_at.isoformat(), error)
        return PlaybookTick(
            action=PlaybookAction.REFUSED,
            playbook=scheduled.name,
            run_id=run.id,
            slot_at=slot.slot_at,
            lag_s=slot.lag_s,
            reason=error,
        )

    def _queue(
        self, session: Session, scheduled: ScheduledPlaybook, slot: Slot, now: datetime
    ) -> PlaybookTick:
        try:
            prepared = prepare(scheduled.path, engine=self.engine, plugins=self.plugins)
        except (PlaybookError, WardError) as exc:
            return self._refuse(session, scheduled, slot, str(exc), now)
        run_id = queue_run(
            session,
            prepared,
            requested_by=f"scheduler:{scheduled.name}",
            limit=None,
            artifacts=None,
            timeout_s=self.timeout_s,
            now=now,
            extra=_slot_params(scheduled, slot),
        )
        try:
            self.actor.send(run_id, timeout_s=self.timeout_s)
        except BROKER_ERRORS as exc:
            raise BrokerError(f"cannot enqueue playbook run {run_id} on {self.broker_label}: {exc}") from exc
        log.info(
            "playbook %s: run %s queued for slot %s (%d devices, lag %.1f s)",
            scheduled.name,
            run_id,
            slot.slot_at.isoformat(),
            len(prepared.devices),
            slot.lag_s,
        )
        return PlaybookTick(
            action=PlaybookAction.QUEUED,
            playbook=scheduled.name,
            run_id=run_id,
            slot_at=slot.slot_at,
            lag_s=slot.lag_s,
        )
