"""The notification outbox: notices are written in the evaluation's transaction, delivered after.

One row per site and notifier per evaluation (a branch outage is one message per notifier, not one
per device). :func:`deliver_due` claims due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
several processes can deliver without sending a row twice), hands each to its notifier and records
the outcome: ``sent``, or a retry after an exponential backoff, or ``failed`` after
``max_attempts``. Delivery is at least once: a process dying after sending and before committing
sends that notice again.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ward_core.alerts.notices import notice_from_payload, notice_to_payload
from ward_core.db.models import AlertNotification
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.types import Alert, AlertNotice, NotifierSpec

log = logging.getLogger(__name__)

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How failed deliveries are retried: ``backoff_s`` doubled per attempt (with up to 20 %
    jitter), at most ``max_backoff_s``, given up after ``max_attempts``."""

    backoff_s: float = 1.0
    max_backoff_s: float = 300.0
    max_attempts: int = 8

    def delay(self, attempts: int) -> float:
        """Seconds before the next attempt after ``attempts`` failed ones.

        >>> RetryPolicy(backoff_s=1, max_backoff_s=5).delay(10) <= 6.0
        True
        """
        base = min(self.backoff_s * 2 ** max(0, attempts - 1), self.max_backoff_s)
        return float(base * (1 + random.random() * 0.2))


@dataclass(frozen=True, slots=True)
class Routed:
    """An alert to announce, and the notifiers its rule routes to (None: every notifier)."""

    alert: Alert
    notify: tuple[str, ...] | None


def queue_notices(
    session: Session, routed: Sequence[Routed], notifiers: Collection[str], now: datetime
) -> list[AlertNotice]:
    """Write one outbox row per site and notifier for ``routed``; returns the notices written."""
    by_site: dict[str | None, list[Routed]] = defaultdict(list)
    for item in routed:
        by_site[item.alert.site].append(item)
    notices: list[AlertNotice] = []
    for site in sorted(by_site, key=lambda s: s or ""):
        for name in sorted(notifiers):
            alerts = tuple(r.alert for r in by_site[site] if r.notify is None or name in r.notify)
            if not alerts:
                continue
            notice = AlertNotice(site=site, alerts=alerts, created_at=now)
            session.add(
                AlertNotification(
                    notifier=name,
                    site=site,
                    payload=notice_to_payload(notice),
                    status=PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            notices.append(notice)
    return notices


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one pass of :func:`deliver_due` did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        """Rows handled in the pass."""
        return self.sent + self.retried + self.failed


def deliver(spec: NotifierSpec, notice: AlertNotice) -> None:
    """Send ``notice`` through ``spec``: one call with ``notices``, else one ``send`` per alert."""
    if spec.notices is not None:
        spec.notices.send_notice(notice)
        return
    for alert in notice.alerts:
        spec.notifier.send(alert)


def deliver_due(
    engine: Engine,
    notifiers: Mapping[str, NotifierSpec],
    *,
    policy: RetryPolicy | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> DeliveryReport:
    """Deliver up to ``limit`` due notices through the notifiers this process has."""
    if not notifiers:
        return DeliveryReport()
    policy = policy or RetryPolicy()
    sent = retried = failed = 0
    with session_scope(engine) as session:
        due = now or utcnow()
        rows = session.scalars(
            select(AlertNotification)
            .where(
                AlertNotification.status == PENDING,
                AlertNotification.next_attempt_at <= due,
                AlertNotification.notifier.in_(sorted(notifiers)),
            )
            .order_by(AlertNotification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            spec = notifiers[row.notifier]
            try:
                deliver(spec, notice_from_payload(row.payload))
            except Exception as exc:
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if row.attempts >= policy.max_attempts:
                    row.status = FAILED
                    failed += 1
                    log.error(
                        "notifier %r gave up on notice %d after %d attempts: %s",
                        row.notifier,
                        row.id,
                        row.attempts,
                        row.last_error,
                    )
                else:
                    row.next_attempt_at = utcnow() + timedelta(seconds=policy.delay(row.attempts))
                    retried += 1
                    log.warning(
                        "notifier %r failed notice %d (attempt %d): %s",
                        row.notifier,
                        row.id,
                        row.attempts,
                        row.last_error,
                    )
                continue
            row.attempts += 1
            row.status = SENT
            row.sent_at = utcnow()
            sent += 1
    return DeliveryReport(sent=sent, retried=retried, failed=failed)


def pending_count(engine: Engine, notifiers: Collection[str], *, due_before: datetime | None = None) -> int:
    """How many notices wait for ``notifiers`` (only those due before ``due_before`` when given)."""
    with session_scope(engine) as session:
        stmt = select(func.count(AlertNotification.id)).where(
            AlertNotification.status == PENDING, AlertNotification.notifier.in_(sorted(notifiers))
        )
        if due_before is not None:
            stmt = stmt.where(AlertNotification.next_attempt_at <= due_before)
        return int(session.scalar(stmt) or 0)
