"""Alerts and notices as JSON and back: what the outbox stores, webhooks post and Redis carries.

>>> from datetime import UTC, datetime
>>> alert = Alert(rule="device-down", device="r1", severity="critical", summary="r1 down",
...               started_at=datetime(2026, 1, 1, tzinfo=UTC), site="br001", value=100.0)
>>> alert_from_dict(alert_to_dict(alert)) == alert
True
>>> alert_to_dict(alert)["status"]
'firing'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ward_core.db.models import AlertRow
from ward_core.types import Alert, AlertNotice, Severity

SEVERITIES = ("info", "warning", "critical")


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def alert_to_dict(alert: Alert) -> dict[str, Any]:
    """A JSON-ready view; ``status`` is ``firing`` or ``resolved``."""
    return {
        "rule": alert.rule,
        "device": alert.device,
        "site": alert.site,
        "severity": alert.severity,
        "summary": alert.summary,
        "labels": dict(alert.labels),
        "value": alert.value,
        "status": "firing" if alert.firing else "resolved",
        "started_at": alert.started_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "symptom_of": alert.symptom_of,
        "fingerprint": alert.fingerprint,
    }


def alert_from_dict(data: Mapping[str, Any]) -> Alert:
    """The alert :func:`alert_to_dict` described."""
    severity: Severity = data["severity"] if data["severity"] in SEVERITIES else "warning"
    started = _time(data["started_at"])
    assert started is not None
    return Alert(
        rule=str(data["rule"]),
        device=str(data["device"]),
        severity=severity,
        summary=str(data["summary"]),
        started_at=started,
        value=None if data.get("value") is None else float(data["value"]),
        labels=dict(data.get("labels") or {}),
        resolved_at=_time(data.get("resolved_at")),
        site=data.get("site"),
        symptom_of=data.get("symptom_of"),
    )


def notice_to_payload(notice: AlertNotice) -> dict[str, Any]:
    """The JSON a notice is stored and posted as."""
    return {
        "site": notice.site,
        "created_at": notice.created_at.isoformat(),
        "firing": len(notice.firing),
        "resolved": len(notice.resolved),
        "alerts": [alert_to_dict(a) for a in notice.alerts],
    }


def notice_from_payload(payload: Mapping[str, Any]) -> AlertNotice:
    """The notice :func:`notice_to_payload` described."""
    created = _time(payload["created_at"])
    assert created is not None
    return AlertNotice(
        site=payload.get("site"),
        alerts=tuple(alert_from_dict(a) for a in payload["alerts"]),
        created_at=created,
    )


def alert_of(row: AlertRow) -> Alert:
    """The contract's view of a stored alert (firing until resolved)."""
    severity: Severity = row.severity if row.severity in SEVERITIES else "warning"  # type: ignore[assignment]
    return Alert(
        rule=row.rule,
        device=row.device,
        severity=severity,
        summary=row.summary,
        started_at=row.fired_at or row.started_at,
        value=row.value,
        labels=dict(row.labels or {}),
        resolved_at=row.resolved_at,
        site=row.site,
        symptom_of=row.symptom_of,
    )


def row_to_dict(row: AlertRow) -> dict[str, Any]:
    """Everything stored about an alert, JSON-ready (``ward alerts list/show --json``)."""
    return {
        "id": row.id,
        "rule": row.rule,
        "device": row.device,
        "site": row.site,
        "labels": dict(row.labels or {}),
        "state": row.state,
        "severity": row.severity,
        "summary": row.summary,
        "value": row.value,
        "started_at": row.started_at.isoformat(),
        "fired_at": row.fired_at.isoformat() if row.fired_at else None,
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
        "evaluated_at": row.evaluated_at.isoformat(),
        "notified": row.notified,
        "symptom_of": row.symptom_of,
        "acked": row.acked_at is not None,
        "acked_at": row.acked_at.isoformat() if row.acked_at else None,
        "acked_by": row.acked_by,
        "ack_comment": row.ack_comment,
        "ack_until": row.ack_until.isoformat() if row.ack_until else None,
    }
