"""Reading alerts back: lists with filters, one alert with its history, rule faults."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ward_core.alerts.lifecycle import RESOLVED
from ward_core.db.models import AlertRow, RuleFault

STATES = ("pending", "firing", "resolved")


def select_alerts(
    *,
    states: Sequence[str] = ("pending", "firing"),
    rule: str | None = None,
    device: str | None = None,
    site: str | None = None,
    acked: bool | None = None,
    limit: int | None = None,
) -> Select[AlertRow]:
    """Alerts in ``states`` (newest first), optionally of one rule, device or site, acked or not."""
    stmt = (
        select(AlertRow)
        .where(AlertRow.state.in_(states))
        .order_by(AlertRow.started_at.desc(), AlertRow.id.desc())
    )
    if rule is not None:
        stmt = stmt.where(AlertRow.rule == rule)
    if device is not None:
        stmt = stmt.where(AlertRow.device == device)
    if site is not None:
        stmt = stmt.where(AlertRow.site == site)
    if acked is True:
        stmt = stmt.where(AlertRow.acked_at.is_not(None), AlertRow.state != RESOLVED)
    elif acked is False:
        stmt = stmt.where(AlertRow.acked_at.is_(None))
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


def list_alerts(session: Session, **filters: Any) -> list[AlertRow]:
    """The alerts :func:`select_alerts` selects."""
    return list(session.scalars(select_alerts(**filters)))


def list_faults(session: Session, rule: str | None = None) -> list[RuleFault]:
    """Rules that could not be evaluated, by rule and device."""
    stmt = select(RuleFault).order_by(RuleFault.rule, RuleFault.device, RuleFault.labels_key)
    if rule is not None:
        stmt = stmt.where(RuleFault.rule == rule)
    return list(session.scalars(stmt))
