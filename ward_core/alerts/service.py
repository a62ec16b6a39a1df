"""The alerting service: evaluates stored rules for the devices whose samples changed, and delivers.

:meth:`AlertService.evaluate` runs one :class:`~ward_core.alerts.round.Round` in one transaction,
then, after the commit, publishes every transition on Redis, wakes the :class:`Dispatcher`, which
delivers the notices the round queued, and tells plugins (``ward_alert_fired`` /
``ward_alert_resolved``), in that order. Evaluations are serialised: within a process by a lock,
across processes on PostgreSQL by a transaction-level advisory lock, so two evaluations never announce
the same transition twice.

Compiled rules, the inventory view and the series the rules read
(:class:`~ward_core.alerts.window_store.SeriesStore`) are kept between evaluations and refreshed
incrementally: when the stored rules change, when the inventory changes, when devices get samples.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ward_core.alerts.compiler import RuleInvalid, Vocabulary
from ward_core.alerts.dispatch import Dispatcher
from ward_core.alerts.evaluate import FragmentCache, Instances
from ward_core.alerts.inventory_view import InventoryView
from ward_core.alerts.lifecycle import RESOLVED
from ward_core.alerts.outbox import RetryPolicy, queue_notices
from ward_core.alerts.publish import Publisher
from ward_core.alerts.round import Round, RoundOutcome
from ward_core.alerts.rulefile import RuleDefinition, definition_from_stored
from ward_core.alerts.rules_store import rules_version, stored_rules
from ward_core.alerts.silences import active_silences
from ward_core.alerts.suppression import UplinkProvider
from ward_core.alerts.window_store import SeriesStore, horizons
from ward_core.db.models import AlertRow
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.types import Alert, NotifierSpec

log = logging.getLogger(__name__)

ADVISORY_LOCK = 0x77617264_616C7274 & 0x7FFFFFFFFFFFFFFF
"""PostgreSQL advisory lock key serialising evaluations ("wardalrt")."""

AlertListener = Callable[[Alert], object]


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluationReport:
    """What one evaluation did, and how long its steps took (seconds)."""

    devices: int
    rules: int
    instances: int
    faults: int
    transitions: dict[str, int] = field(default_factory=dict)
    notices: int = 0
    broken_rules: tuple[str, ...] = ()
    fetch_s: float = 0.0
    evaluate_s: float = 0.0
    commit_s: float = 0.0
    total_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "devices": self.devices,
            "rules": self.rules,
            "instances": self.instances,
            "faults": self.faults,
            "transitions": dict(self.transitions),
            "notices": self.notices,
            "broken_rules": list(self.broken_rules),
            "fetch_s": round(self.fetch_s, 6),
            "evaluate_s": round(self.evaluate_s, 6),
            "commit_s": round(self.commit_s, 6),
            "total_s": round(self.total_s, 6),
        }


class AlertService:
    """Evaluates rules and delivers notices for one database (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        *,
        vocabulary: Vocabulary,
        notifiers: Mapping[str, NotifierSpec] | None = None,
        publisher: Publisher | None = None,
        uplinks: UplinkProvider | None = None,
        on_fired: AlertListener | None = None,
        on_resolved: AlertListener | None = None,
        policy: RetryPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.vocabulary = vocabulary
        self.notifiers = dict(notifiers or {})
        self.publisher = publisher
        self.uplinks = uplinks
        self.on_fired = on_fired
        self.on_resolved = on_resolved
        self.clock = clock
        self.dispatcher = Dispatcher(engine, self.notifiers, policy=policy)
        self._lock = threading.Lock()
        self._rules: dict[str, tuple[str, RuleDefinition]] = {}
        self._broken: dict[str, tuple[str, str]] = {}
        self._rules_version: tuple[int, str] | None = None
        self._view: InventoryView | None = None
        self._store = SeriesStore({})
        self._instances: dict[str, tuple[int, Instances]] = {}
        self._fragments: FragmentCache = {}

    # ---------------------------------------------------------------- caches

    def _current_rules(self, session: Session) -> list[RuleDefinition]:
        version = rules_version(session)
        if version != self._rules_version:
            rules: dict[str, tuple[str, RuleDefinition]] = {}
            broken: dict[str, tuple[str, str]] = {}
            for row in stored_rules(session):
                cached = self._rules.get(row.name)
                if cached is not None and cached[0] == row.digest:
                    rules[row.name] = cached
                    continue
                try:
                    rules[row.name] = (
                        row.digest,
                        definition_from_stored(
                            name=row.name,
                            expression=row.expression,
                            severity=row.severity,
                            message=row.message,
                            description=row.description,
                            remediation=row.remediation,
                            notify=row.notify,
                            device_down=row.device_down,
                            source=row.source,
                            line=row.line,
                            vocabulary=self.vocabulary,
                        ),
                    )
                except RuleInvalid as exc:
                    broken[row.name] = (row.digest, str(exc))
                    if self._broken.get(row.name, ("",))[0] != row.digest:
                        log.error(
                            "alert rule %r (%s:%d) no longer compiles, skipped: %s",
                            row.name,
                            row.source,
                            row.line,
                            exc,
                        )
            self._rules, self._broken, self._rules_version = rules, broken, version
        return [definition for _, definition in self._rules.values()]

    def _inventory(self, session: Session) -> InventoryView:
        if self._view is None or self._view.stale(session):
            self._view = InventoryView.load(session)
        return self._view

    def rule(self, name: str) -> RuleDefinition | None:
        """Rule ``name`` as this service's last evaluation loaded it (None: not loaded here)."""
        cached = self._rules.get(name)
        return cached[1] if cached is not None else None

    @property
    def broken_rules(self) -> dict[str, str]:
        """Stored rules that no longer compile here (a plugin function gone...), with the reason."""
        return {name: reason for name, (_, reason) in self._broken.items()}

    # ---------------------------------------------------------------- evaluating

    def evaluate(
        self, devices: Sequence[str] | None = None, *, now: datetime | None = None
    ) -> EvaluationReport:
        """Evaluate every rule for ``devices`` (names; None: every device) as of ``now``."""
        started = time.perf_counter()
        with self._lock:
            outcome, timings = self._evaluate_locked(devices, now)
        commit_done = time.perf_counter()
        self._after_commit(outcome)
        return EvaluationReport(
            devices=outcome.devices,
            rules=outcome.rules,
            instances=outcome.instances,
            faults=outcome.faults,
            transitions=outcome.counts(),
            notices=timings["notices"],
            broken_rules=tuple(sorted(self._broken)),
            fetch_s=timings["fetch"],
            evaluate_s=timings["evaluate"],
            commit_s=commit_done - timings["end"],
            total_s=time.perf_counter() - started,
        )

    def _evaluate_locked(
        self, devices: Sequence[str] | None, now: datetime | None
    ) -> tuple[RoundOutcome, dict[str, Any]]:
        with session_scope(self.engine) as session:
            if self.engine.dialect.name == "postgresql":
                session.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK)))
            moment = now or self.clock()
            rules = self._current_rules(session)
            if (
                not rules
                and session.scalar(select(AlertRow.id).where(AlertRow.state != RESOLVED).limit(1)) is None
            ):
                return RoundOutcome(), {
                    "fetch": 0.0,
                    "evaluate": 0.0,
                    "end": time.perf_counter(),
                    "notices": 0,
                }
            view_before = self._view
            view = self._inventory(session)
            scope = None if devices is None else {view.ids[n] for n in devices if n in view.ids}
            clock = time.perf_counter()
            wanted = horizons(c for rule in rules for c in rule.compiled.calls)
            if wanted != self._store.horizons or view is not view_before:
                self._instances = {}
                self._fragments = {}
            if wanted != self._store.horizons:
                self._store = SeriesStore(wanted)
            self._store.refresh(session, scope, moment.timestamp())
            fetched = time.perf_counter()
            round_ = Round(
                session,
                rules=rules,
                view=view,
                store=self._store,
                scope=scope,
                functions=self.vocabulary.functions,
                instance_cache=self._instances,
                fragments=self._fragments,
                silences=active_silences(session, moment),
                uplinks=self._uplinks(),
                now=moment,
            )
            outcome = round_.run()
            notices = queue_notices(session, outcome.routed, self.notifiers, moment) if outcome.routed else []
            evaluated = time.perf_counter()
        return outcome, {
            "fetch": fetched - clock,
            "evaluate": evaluated - fetched,
            "end": evaluated,
            "notices": len(notices),
        }

    def _uplinks(self) -> Mapping[str, str] | None:
        if self.uplinks is None:
            return None
        try:
            return dict(self.uplinks())
        except Exception:
            log.exception("the uplink provider failed; no topology suppression in this evaluation")
            return None

    def _after_commit(self, outcome: RoundOutcome) -> None:
        """Publish, wake the dispatcher, then tell plugins: notices never wait for plugins' work
        (proposing an alert's remediation opens a device session)."""
        if self.publisher is not None and outcome.events:
            self.publisher.publish(outcome.events)
        if outcome.routed and self.notifiers:
            self.dispatcher.start()
            self.dispatcher.wake()
        for alert in outcome.fired:
            self._tell(self.on_fired, alert)
        for alert in outcome.resolved:
            self._tell(self.on_resolved, alert)

    @staticmethod
    def _tell(listener: AlertListener | None, alert: Alert) -> None:
        if listener is None:
            return
        try:
            listener(alert)
        except Exception:
            log.exception("telling plugins about alert %s failed", alert.fingerprint)

    def close(self, timeout_s: float = 10.0) -> None:
        """Deliver what is due (up to ``timeout_s``), stop the dispatcher, close the publisher."""
        self.dispatcher.close(timeout_s)
        if self.publisher is not None:
            self.publisher.close()
