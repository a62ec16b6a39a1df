"""The loaded rule set in the database: ``ward rules load`` replaces it, evaluators read it.

Evaluators recompile a rule only when its digest changes; :func:`rules_version` is the cheap query
they use to see whether anything changed at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ward_core.alerts.rulefile import RuleDefinition
from ward_core.db.models import AlertRule
from ward_core.db.types import utcnow


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What :func:`store_rules` changed, by rule name."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]

    def to_dict(self) -> dict[str, list[str]]:
        """A JSON-ready view."""
        return {
            "added": list(self.added),
            "updated": list(self.updated),
            "unchanged": list(self.unchanged),
            "removed": list(self.removed),
        }


def store_rules(session: Session, rules: Sequence[RuleDefinition], now: datetime | None = None) -> LoadReport:
    """Make the stored rule set exactly ``rules``. Alerts of removed rules resolve at the next
    evaluation."""
    now = now or utcnow()
    stored = {row.name: row for row in session.scalars(select(AlertRule))}
    added, updated, unchanged = [], [], []
    for rule in rules:
        row = stored.pop(rule.name, None)
        if (
            row is not None
            and row.digest == rule.digest
            and row.source == rule.source
            and row.line == rule.line
        ):
            unchanged.append(rule.name)
            continue
        if row is None:
            row = AlertRule(name=rule.name)
            session.add(row)
            added.append(rule.name)
        elif row.digest != rule.digest:
            updated.append(rule.name)
        else:
            unchanged.append(rule.name)
        row.expression = rule.expression
        row.severity = rule.severity
        row.message = rule.message
        row.description = rule.description
        row.remediation = dict(rule.remediation) if rule.remediation is not None else None
        row.notify = list(rule.notify) if rule.notify is not None else None
        row.device_down = rule.device_down
        row.source = rule.source
        row.line = rule.line
        row.digest = rule.digest
        row.loaded_at = now
    if stored:
        session.execute(delete(AlertRule).where(AlertRule.name.in_(sorted(stored))))
    return LoadReport(tuple(added), tuple(updated), tuple(unchanged), tuple(sorted(stored)))


def stored_rules(session: Session) -> list[AlertRule]:
    """Every stored rule, by name."""
    return list(session.scalars(select(AlertRule).order_by(AlertRule.name)))


def rules_version(session: Session) -> tuple[int, str]:
    """(number of rules, newest load time as text): changes whenever the rule set does."""
    count, newest = session.execute(select(func.count(AlertRule.id), func.max(AlertRule.loaded_at))).one()
    return int(count), str(newest)
