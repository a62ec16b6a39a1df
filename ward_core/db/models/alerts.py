"""Alerting: rules, alerts with their history, silences, rule errors and the notification outbox.

``alert_rules``
    The rules ``ward rules load`` stored: each rule's expression text, severity, message template,
    routing and where it came from (file and line). Evaluators compile them on change.

``alerts``
    One row per alert episode: identity is rule + device + labels (``labels_key``, the canonical
    text of :mod:`ward_core.probes.labels`). At most one *active* (pending or firing) row exists per
    identity, enforced by a partial unique index; resolved rows are history. A pending alert whose
    condition stops holding before its ``for`` duration is deleted: it never fired.

``alert_events``
    The full history of each alert: pending, firing, resolved, acked, unacked, ack expired, held by
    a silence, released, folded under an uplink, unfolded...

``silences``
    Matchers over rule, device, site, severity and labels, with a start and an end; ``expired_at``
    is set when someone ends one early.

``rule_faults``
    The rules that failed to evaluate for a device (division by zero, no data in a window), with
    the message, since when and when last seen; cleared when the rule evaluates again.

``alert_notifications``
    The outbox: one row per site and notifier per evaluation, written in the same transaction as the
    transitions it announces, then delivered (and retried with backoff) by the dispatcher.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Double, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ward_core.db.base import Base
from ward_core.db.models.inventory import NAME_LENGTH
from ward_core.db.types import JSONType, UTCDateTime, utcnow

ACTIVE_WHERE = "state <> 'resolved'"


class AlertRule(Base):
    """One loaded rule; ``digest`` fingerprints its definition so evaluators recompile on change."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    expression: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    remediation: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    notify: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    device_down: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(Text)
    line: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlertRow(Base):
    """One alert episode (see the module docstring)."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index(
            "ix_alerts_active_identity",
            "rule",
            "device",
            "labels_key",
            unique=True,
            postgresql_where=text(ACTIVE_WHERE),
            sqlite_where=text(ACTIVE_WHERE),
        ),
        Index("ix_alerts_device_started_at", "device", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(NAME_LENGTH))
    device: Mapped[str] = mapped_column(String(NAME_LENGTH))
    labels_key: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(16), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    site: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    summary: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[float | None] = mapped_column(Double)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clear_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    notified: Mapped[bool] = mapped_column(Boolean, default=False)
    symptom_of: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acked_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    ack_comment: Mapped[str | None] = mapped_column(Text)
    ack_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AlertEvent(Base):
    """One step of an alert's history."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Silence(Base):
    """Hold the notifications of the alerts its matchers select, from ``starts_at`` to ``ends_at``."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matchers: Mapped[list[dict[str, str]]] = mapped_column(JSONType)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_by: Mapped[str] = mapped_column(String(NAME_LENGTH))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RuleFault(Base):
    """A rule that could not be evaluated for one device and label set."""

    __tablename__ = "rule_faults"

    rule: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    device: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    labels_key: Mapped[str] = mapped_column(Text, primary_key=True, default="")
    message: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    last_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AlertNotification(Base):
    """One message to deliver through one notifier: a site's alerts of one evaluation."""

    __tablename__ = "alert_notifications"
    __table_args__ = (Index("ix_alert_notifications_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notifier: Mapped[str] = mapped_column(String(NAME_LENGTH))
    site: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
