"""Acknowledging alerts: who, why, and until when.

An ack lasts until the alert resolves (the default) or until a time. An alert that resolves keeps
its ack in its history; the next episode of the same fault is a new alert, not acked. When an ack
with an end expires while the alert still fires, the alert is announced again as a reminder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ward_core.alerts.lifecycle import RESOLVED
from ward_core.alerts.notices import row_to_dict
from ward_core.db.models import AlertEvent, AlertRow
from ward_core.db.types import utcnow
from ward_core.errors import ConfigError


def _alert(session: Session, alert_id: int) -> AlertRow:
    row = session.get(AlertRow, alert_id)
    if row is None:
        raise ConfigError(f"no alert with id {alert_id}")
    return row


def ack_alert(
    session: Session,
    alert_id: int,
    *,
    by: str,
    comment: str,
    until: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Acknowledge an active alert; returns the event to publish. ConfigError for a resolved alert,
    an unknown id, an empty comment or an end in the past."""
    now = now or utcnow()
    row = _alert(session, alert_id)
    if row.state == RESOLVED:
        raise ConfigError(
            f"alert {alert_id} ({row.rule} on {row.device}) is resolved: nothing to acknowledge"
        )
    if not comment.strip():
        raise ConfigError("an acknowledgement needs a comment (what is being done about it)")
    if until is not None and until <= now:
        raise ConfigError(f"--until {until.isoformat()} is not in the future")
    row.acked_at = now
    row.acked_by = by
    row.ack_comment = comment
    row.ack_until = until
    detail = {"comment": comment, "until": until.isoformat() if until else "resolved"}
    session.add(AlertEvent(alert_id=row.id, time=now, kind="acked", actor=by, detail=detail))
    return {"event": "acked", "time": now.isoformat(), "alert": row_to_dict(row)}


def unack_alert(session: Session, alert_id: int, *, by: str, now: datetime | None = None) -> dict[str, Any]:
    """Withdraw an acknowledgement; returns the event to publish. ConfigError when not acked."""
    now = now or utcnow()
    row = _alert(session, alert_id)
    if row.acked_at is None or row.state == RESOLVED:
        raise ConfigError(f"alert {alert_id} ({row.rule} on {row.device}) is not acknowledged")
    row.acked_at = row.acked_by = row.ack_comment = row.ack_until = None
    session.add(AlertEvent(alert_id=row.id, time=now, kind="unacked", actor=by, detail={}))
    return {"event": "unacked", "time": now.isoformat(), "alert": row_to_dict(row)}


def alert_history(session: Session, alert_id: int) -> list[dict[str, Any]]:
    """Every event of an alert, oldest first."""
    _alert(session, alert_id)
    return [
        {"time": e.time.isoformat(), "event": e.kind, "actor": e.actor, "detail": dict(e.detail)}
        for e in session.scalars(
            select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.time, AlertEvent.id)
        )
    ]
