"""Reading samples back, and retention.

:func:`latest` is a primary-key range read of ``latest_samples``; :func:`series` uses the
``(device_id, metric, time)`` index of ``samples``; :func:`prune_samples` deletes by time, which the
BRIN index on ``samples.time`` keeps cheap. Rows come back as frozen dataclasses with device
*names* (joined from ``devices``) and aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import CursorResult, Delete, Select, delete, select
from sqlalchemy.orm import Session

from ward_core.db.models import Device, LatestSample, MetricSample, ProbeBatch


@dataclass(frozen=True, slots=True, kw_only=True)
class SamplePoint:
    """One stored value of a series."""

    device: str
    metric: str
    labels: Mapping[str, str] = field(hash=False)
    time: datetime
    value: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (time as ISO 8601)."""
        return {
            "device": self.device,
            "metric": self.metric,
            "labels": dict(self.labels),
            "time": self.time.isoformat(),
            "value": self.value,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class LatestValue:
    """The newest value of a series; for counters, also the reading before it."""

    device: str
    metric: str
    labels: Mapping[str, str] = field(hash=False)
    time: datetime
    value: float
    previous_time: datetime | None = None
    previous_value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (times as ISO 8601)."""
        return {
            "device": self.device,
            "metric": self.metric,
            "labels": dict(self.labels),
            "time": self.time.isoformat(),
            "value": self.value,
            "previous_time": self.previous_time.isoformat() if self.previous_time else None,
            "previous_value": self.previous_value,
        }


LatestColumns: TypeAlias = Select[str, str, dict[str, str], datetime, float, datetime | None, float | None]
"""device name, metric, labels, time, value, previous time, previous value."""


def select_latest(*, device: str | None = None, metric: str | None = None) -> LatestColumns:
    """Latest values with device names, ordered by device, metric and labels."""
    stmt = (
        select(
            Device.name,
            LatestSample.metric,
            LatestSample.labels,
            LatestSample.time,
            LatestSample.value,
            LatestSample.prev_time,
            LatestSample.prev_value,
        )
        .join(Device, Device.id == LatestSample.device_id)
        .order_by(Device.name, LatestSample.metric, LatestSample.labels_key)
    )
    if device is not None:
        stmt = stmt.where(Device.name == device)
    if metric is not None:
        stmt = stmt.where(LatestSample.metric == metric)
    return stmt


def latest(session: Session, *, device: str | None = None, metric: str | None = None) -> list[LatestValue]:
    """The newest value of every series, optionally of one device and/or one metric."""
    return [
        LatestValue(
            device=row.name,
            metric=row.metric,
            labels=dict(row.labels),
            time=row.time,
            value=row.value,
            previous_time=row.prev_time,
            previous_value=row.prev_value,
        )
        for row in session.execute(select_latest(device=device, metric=metric))
    ]


def _matches(labels: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(labels.get(name) == value for name, value in wanted.items())


def series(
    session: Session,
    device: str,
    metric: str,
    since: datetime,
    until: datetime | None = None,
    *,
    labels: Mapping[str, str] | None = None,
) -> list[SamplePoint]:
    """The values of ``metric`` on ``device`` with ``since <= time < until``, oldest first.

    ``labels`` keeps the series whose labels include every given label (``{"ifname": "Gi0/1"}``
    matches ``{"ifname": "Gi0/1", "ifindex": "3"}``); the filter runs on the rows the index already
    narrowed to this device, metric and time range.
    """
    stmt = (
        select(MetricSample.labels, MetricSample.time, MetricSample.value)
        .join(Device, Device.id == MetricSample.device_id)
        .where(Device.name == device, MetricSample.metric == metric, MetricSample.time >= since)
        .order_by(MetricSample.time, MetricSample.labels_key)
    )
    if until is not None:
        stmt = stmt.where(MetricSample.time < until)
    return [
        SamplePoint(device=device, metric=metric, labels=dict(row.labels), time=row.time, value=row.value)
        for row in session.execute(stmt)
        if labels is None or _matches(row.labels, labels)
    ]


@dataclass(frozen=True, slots=True)
class PruneReport:
    """How many rows retention deleted from each table."""

    samples: int
    latest: int
    batches: int

    def to_dict(self) -> dict[str, int]:
        """A JSON-ready view."""
        return {"samples": self.samples, "latest": self.latest, "batches": self.batches}


def prune_samples(session: Session, older_than: datetime) -> PruneReport:
    """Delete samples stamped before ``older_than``, latest values not refreshed since then (series
    that stopped: a removed interface, a device gone), and committed batch ids older than that (a
    queue redelivers within minutes, not retention periods)."""
    return PruneReport(
        samples=_delete(session, delete(MetricSample).where(MetricSample.time < older_than)),
        latest=_delete(session, delete(LatestSample).where(LatestSample.time < older_than)),
        batches=_delete(session, delete(ProbeBatch).where(ProbeBatch.committed_at < older_than)),
    )


def _delete(session: Session, stmt: Delete) -> int:
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return result.rowcount if isinstance(result, CursorResult) else 0
