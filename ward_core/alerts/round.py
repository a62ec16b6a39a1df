"""One evaluation round, inside one transaction: rules evaluated, alerts moved through their
lifecycle, silences and acks applied, downstream outages folded, history and notices written.

The caller (:class:`~ward_core.alerts.service.AlertService`) commits, then publishes
:attr:`RoundOutcome.events`, tells plugins of :attr:`RoundOutcome.fired` and
:attr:`RoundOutcome.resolved`, and wakes the dispatcher.

Incremental: only the instances of the devices in scope are evaluated; alerts of other devices
are left as they are, except for what time alone changes (acks expiring, silences ending) and
alerts of rules that were removed, which resolve.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import Select, and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from ward_core.alerts.evaluate import FragmentCache, Instances, RuleResult, build_instances, evaluate_rule
from ward_core.alerts.functions import FunctionInfo
from ward_core.alerts.inventory_view import InventoryView
from ward_core.alerts.lifecycle import FIRING, PENDING, RESOLVED, decide
from ward_core.alerts.notices import alert_of, row_to_dict
from ward_core.alerts.outbox import Routed
from ward_core.alerts.rulefile import RuleDefinition
from ward_core.alerts.silences import ActiveSilence, alert_fields
from ward_core.alerts.suppression import fold
from ward_core.alerts.window_store import SeriesStore
from ward_core.db.models import AlertEvent, AlertRow, RuleFault
from ward_core.probes.labels import labels_key
from ward_core.types import Alert

log = logging.getLogger(__name__)

Identity = tuple[str, str, str]
"""(rule, device, labels key): an alert's identity."""

_TEMPLATES = SandboxedEnvironment()


@dataclass(slots=True)
class RoundOutcome:
    """What a round did; ``events`` are JSON-ready for Redis, ``routed`` go to the outbox."""

    devices: int = 0
    rules: int = 0
    instances: int = 0
    faults: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    routed: list[Routed] = field(default_factory=list)
    fired: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)
    pending: int = 0

    def counts(self) -> dict[str, int]:
        """Totals by kind of event."""
        counts: dict[str, int] = defaultdict(int)
        for event in self.events:
            counts[event["event"]] += 1
        return dict(counts)


class Round:
    """One evaluation (see the module docstring). Use :meth:`run` once."""

    def __init__(
        self,
        session: Session,
        *,
        rules: Sequence[RuleDefinition],
        view: InventoryView,
        store: SeriesStore,
        scope: Collection[int] | None,
        functions: Mapping[str, FunctionInfo],
        instance_cache: dict[str, tuple[int, Instances]],
        fragments: FragmentCache,
        silences: Sequence[ActiveSilence],
        uplinks: Mapping[str, str] | None,
        now: datetime,
    ) -> None:
        self.session = session
        self.rules = {r.name: r for r in rules}
        self.view = view
        self.store = store
        self.timestamp = now.timestamp()
        self.scope = scope
        self.functions = functions
        self.instance_cache = instance_cache
        self.fragments = fragments
        self.silences = silences
        self.uplinks = uplinks
        self.now = now
        self.outcome = RoundOutcome(rules=len(rules))
        self.active: dict[Identity, AlertRow] = {}
        self.by_rule: dict[str, list[AlertRow]] = defaultdict(list)
        self.events: list[tuple[AlertRow, str, dict[str, Any]]] = []
        self.announce: list[tuple[AlertRow, str]] = []
        self.faults: dict[Identity, str] = {}
        self.templates: dict[str, Template] = {}

    # ---------------------------------------------------------------- the round

    def run(self) -> RoundOutcome:
        """Evaluate, apply, write; the caller commits."""
        scope_ids = (
            list(self.view.devices)
            if self.scope is None
            else [i for i in self.scope if i in self.view.devices]
        )
        for row in self.session.scalars(self._active_alerts(scope_ids)):
            self.active[(row.rule, row.device, row.labels_key)] = row
            self.by_rule[row.rule].append(row)
        self.outcome.devices = len(scope_ids)
        scope_set = set(scope_ids)
        for rule in self.rules.values():
            self._evaluate(rule, scope_ids, scope_set)
        self._resolve_removed_rules()
        self._expire_acks()
        self._release_held()
        if self.uplinks is not None:
            self._fold()
        self._write_faults(scope_ids)
        self._write_events()
        self._route()
        return self.outcome

    def _active_alerts(self, scope_ids: list[int]) -> Select[AlertRow]:
        """The active alerts this round may change: of the devices in scope, and those time alone
        changes (acks ending, held notices, removed rules, folding)."""
        stmt = select(AlertRow).where(AlertRow.state != RESOLVED)
        if self.scope is None:
            return stmt
        names = [self.view.devices[i].name for i in scope_ids]
        wanted = [
            AlertRow.device.in_(names),
            AlertRow.rule.not_in(sorted(self.rules)),
            AlertRow.ack_until <= self.now,
            and_(AlertRow.state == FIRING, AlertRow.notified.is_(False)),
            AlertRow.symptom_of.is_not(None),
        ]
        down = sorted(r.name for r in self.rules.values() if r.device_down)
        if self.uplinks is not None and down:
            wanted.append(and_(AlertRow.rule.in_(down), AlertRow.state == FIRING))
        return stmt.where(or_(*wanted))

    def _evaluate(self, rule: RuleDefinition, scope_ids: list[int], scope_set: set[int]) -> None:
        targets = self.view.targets(rule.compiled)
        devices = scope_ids if targets is None else [i for i in scope_ids if i in targets]
        instances = self._instances(rule, devices)
        self.outcome.instances += len(instances.keys)
        result = evaluate_rule(rule.compiled, instances, self.timestamp, self.functions)
        condition = result.condition
        candidates = {i for i, v in enumerate(condition.values) if v}
        candidates.update(condition.faults)
        if result.clear is not None:
            candidates.update(result.clear.faults)
        active = list(self.by_rule.get(rule.name, ()))
        if active:
            selected = set(devices)
            position = {key: i for i, key in enumerate(instances.keys)}
            by = rule.compiled.by
            for row in active:
                if row.state == RESOLVED:
                    continue
                device_id = self.view.ids.get(row.device)
                if device_id is None:
                    self._resolve(row, "the device was removed from the inventory")
                    continue
                if device_id not in scope_set:
                    continue
                if device_id not in selected:
                    self._resolve(row, "the rule no longer selects the device")
                    continue
                index = position.get((device_id, tuple((row.labels or {}).get(label, "") for label in by)))
                if index is None:
                    self._resolve(row, "the rule no longer has data for it")
                    continue
                candidates.add(index)
        for index in sorted(candidates):
            self._instance(rule, result, index)

    def _instances(self, rule: RuleDefinition, devices: list[int]) -> Instances:
        """The rule's instances; for a full evaluation they are kept until the series set changes."""
        if self.scope is not None:
            return build_instances(rule.compiled, devices, self.store, self.fragments)
        key = rule.compiled.text
        cached = self.instance_cache.get(key)
        if cached is not None and cached[0] == self.store.version:
            return cached[1]
        instances = build_instances(rule.compiled, devices, self.store, self.fragments)
        self.instance_cache[key] = (self.store.version, instances)
        return instances

    def _instance(self, rule: RuleDefinition, result: RuleResult, index: int) -> None:
        device_id, values = result.instances.keys[index]
        device = self.view.devices[device_id]
        labels = dict(zip(rule.compiled.by, values, strict=True))
        identity = (rule.name, device.name, labels_key(labels))
        condition = result.condition.truth(index)
        clear = result.clear.truth(index) if result.clear is not None else None
        fault = result.condition.faults.get(index)
        if result.clear is not None and fault is None:
            fault = result.clear.faults.get(index)
        if fault is not None:
            self.faults[identity] = fault
        value = None
        if result.value is not None and index not in result.value.faults:
            value = float(result.value.values[index])
        row = self.active.get(identity)
        decision = decide(
            state=row.state if row is not None else None,
            started_at=row.started_at if row is not None else None,
            clear_since=row.clear_since if row is not None else None,
            condition=condition,
            clear=clear,
            now=self.now,
            for_s=rule.compiled.for_s,
            keep_firing_for_s=rule.compiled.keep_firing_for_s,
        )
        action = decision.action
        if action == "none":
            return
        if row is None:
            row = self._open(rule, device.name, device.site, labels, identity, value)
            if action == "open_firing":
                self._fire(row, rule, value, device.region, device.role)
            else:
                row.summary = self._render(rule, row, value, device.region, device.role)
                self._event(row, PENDING, {"value": value})
                self.outcome.pending += 1
            return
        row.evaluated_at = self.now
        if value is not None:
            row.value = value
        if action == "fire":
            self._fire(row, rule, value, device.region, device.role)
        elif action == "cancel":
            self._cancel(row, identity)
        elif action == "resolve":
            self._resolve(row, "the condition cleared")
        else:
            row.clear_since = decision.clear_since

    # ---------------------------------------------------------------- transitions

    def _open(
        self,
        rule: RuleDefinition,
        device: str,
        site: str | None,
        labels: dict[str, str],
        identity: Identity,
        value: float | None,
    ) -> AlertRow:
        row = AlertRow(
            rule=rule.name,
            device=device,
            labels_key=identity[2],
            labels=labels,
            state=PENDING,
            severity=rule.severity,
            site=site,
            summary="",
            value=value,
            started_at=self.now,
            evaluated_at=self.now,
            notified=False,
        )
        self.session.add(row)
        self.active[identity] = row
        self.by_rule[rule.name].append(row)
        return row

    def _fire(
        self, row: AlertRow, rule: RuleDefinition, value: float | None, region: str | None, role: str | None
    ) -> None:
        row.state = FIRING
        row.fired_at = self.now
        row.clear_since = None
        row.summary = self._render(rule, row, value, region, role)
        self._event(row, FIRING, {"value": value, "summary": row.summary})
        self.outcome.fired.append(alert_of(row))
        silence = self._silenced(row)
        if silence is not None:
            row.notified = False
            self._event(row, "held", {"silence": silence.id, "until": silence.ends_at.isoformat()})
        else:
            row.notified = True
            self.announce.append((row, "fired"))

    def _cancel(self, row: AlertRow, identity: Identity) -> None:
        self.events.append((row, "cancelled", {}))
        self.active.pop(identity, None)
        if row.id is None:
            self.session.expunge(row)
        else:
            self.session.delete(row)

    def _resolve(self, row: AlertRow, reason: str) -> None:
        if row.state == RESOLVED:
            return
        if row.state == PENDING:
            self._cancel(row, (row.rule, row.device, row.labels_key))
            return
        row.state = RESOLVED
        row.resolved_at = self.now
        row.evaluated_at = self.now
        self._event(row, RESOLVED, {"reason": reason})
        self.outcome.resolved.append(alert_of(row))
        self.announce.append((row, "resolved"))

    def _event(self, row: AlertRow, kind: str, detail: dict[str, Any]) -> None:
        self.events.append((row, kind, detail))

    def _render(
        self, rule: RuleDefinition, row: AlertRow, value: float | None, region: str | None, role: str | None
    ) -> str:
        template = self.templates.get(rule.name)
        try:
            if template is None:
                template = self.templates[rule.name] = _TEMPLATES.from_string(rule.message)
            return template.render(
                rule=rule.name,
                device=row.device,
                site=row.site,
                region=region,
                role=role,
                severity=row.severity,
                value=value,
                labels=dict(row.labels or {}),
            )
        except Exception as exc:
            return f"{rule.name} on {row.device} (message template failed: {type(exc).__name__}: {exc})"

    def _silenced(self, row: AlertRow) -> ActiveSilence | None:
        if not self.silences:
            return None
        fields = alert_fields(
            rule=row.rule, device=row.device, site=row.site, severity=row.severity, labels=row.labels or {}
        )
        return next((s for s in self.silences if s.matches(fields)), None)

    # ---------------------------------------------------------------- time-driven steps

    def _resolve_removed_rules(self) -> None:
        for rule, rows in self.by_rule.items():
            if rule in self.rules:
                continue
            for row in list(rows):
                self._resolve(row, "the rule was removed")

    def _expire_acks(self) -> None:
        for row in self._live():
            if row.acked_at is not None and row.ack_until is not None and row.ack_until <= self.now:
                until = row.ack_until
                row.acked_at = row.acked_by = row.ack_comment = row.ack_until = None
                self._event(row, "ack_expired", {"until": until.isoformat()})
                if row.state == FIRING and row.notified:
                    self.announce.append((row, "reminder"))

    def _release_held(self) -> None:
        for row in self._live():
            if row.state == FIRING and not row.notified and self._silenced(row) is None:
                row.notified = True
                self._event(row, "released", {})
                self.announce.append((row, "released"))

    def _fold(self) -> None:
        assert self.uplinks is not None
        down_rows = [
            row
            for row in self._live()
            if row.state == FIRING and (rule := self.rules.get(row.rule)) and rule.device_down
        ]
        sites = {row.device: row.site for row in down_rows}
        folded = fold(sites, down=set(sites), uplinks=self.uplinks)
        for row in down_rows:
            wanted = folded.get(row.device)
            if wanted == row.symptom_of:
                continue
            before = row.symptom_of
            row.symptom_of = wanted
            if wanted is not None:
                self._event(row, "folded", {"uplink": wanted})
            else:
                self._event(row, "unfolded", {"uplink": before})
                if row.notified and not any(r is row for r, _ in self.announce):
                    self.announce.append((row, "unfolded"))

    def _live(self) -> list[AlertRow]:
        return [row for row in self.active.values() if row.state != RESOLVED]

    # ---------------------------------------------------------------- writes

    def _write_faults(self, scope_ids: list[int]) -> None:
        self.outcome.faults = len(self.faults)
        names = {self.view.devices[i].name for i in scope_ids}
        faults = select(RuleFault)
        if self.scope is not None:
            faults = faults.where(
                or_(
                    RuleFault.device.in_(sorted(names | {identity[1] for identity in self.faults})),
                    RuleFault.rule.not_in(sorted(self.rules)),
                )
            )
        stored = {(f.rule, f.device, f.labels_key): f for f in self.session.scalars(faults)}
        gone = [
            key
            for key in stored
            if key not in self.faults
            and ((key[0] in self.rules and key[1] in names) or key[0] not in self.rules)
        ]
        for rule, device, key in gone:
            self.session.execute(
                delete(RuleFault).where(
                    RuleFault.rule == rule, RuleFault.device == device, RuleFault.labels_key == key
                )
            )
        for identity, message in self.faults.items():
            existing = stored.get(identity)
            if existing is None:
                self.session.add(
                    RuleFault(
                        rule=identity[0],
                        device=identity[1],
                        labels_key=identity[2],
                        message=message,
                        since=self.now,
                        last_at=self.now,
                    )
                )
            elif existing.message != message:
                existing.message = message
                existing.last_at = self.now

    def _write_events(self) -> None:
        self.session.flush()
        rows = []
        for row, kind, detail in self.events:
            record = row_to_dict(row) if row.id is not None else None
            self.outcome.events.append({"event": kind, "time": self.now.isoformat(), "alert": record})
            if kind != "cancelled" and row.id is not None:
                rows.append(
                    {"alert_id": row.id, "time": self.now, "kind": kind, "actor": None, "detail": detail}
                )
        if rows:
            self.session.execute(insert(AlertEvent), rows)

    def _route(self) -> None:
        seen: set[int] = set()
        for row, _reason in self.announce:
            if id(row) in seen:
                continue
            seen.add(id(row))
            rule = self.rules.get(row.rule)
            self.outcome.routed.append(Routed(alert_of(row), rule.notify if rule is not None else None))
