"""Measured values: the time series every probe writes and the alert engine reads.

Three tables:

``samples``
    One row per measured value: ``time``, ``device_id``, ``metric`` (``ping.loss_pct``,
    ``if.in_bps``...), ``labels`` (JSON, e.g. ``{"ifname": "Gi0/1"}``), ``labels_key`` (the same
    labels as canonical text, see :func:`ward_core.probes.labels.labels_key`) and ``value``.
    Append-only and the largest table by far, so it is shaped for writing fast and scanning by time:

    - no primary key and no foreign key: nothing to check per row during a bulk ``COPY``. The ORM
      identity is (device, metric, labels, time); the writer never stores the same one twice
      (batches are idempotent, see ``probe_batches``). Samples of a deleted device stay until
      retention removes them.
    - a BRIN index on ``time`` (PostgreSQL; a plain index on SQLite): rows arrive in time order,
      so a few dozen bytes per 128 pages make fleet-wide time-range scans and retention deletes
      cheap, where a btree on ``time`` would grow as large as the table's hot part.
    - a btree on ``(device_id, metric, time)`` for "this device's metric over the last hour", and
      read backwards for "newest first" (a backward scan costs the same, so no ``DESC`` is needed).
      Label filters are applied on that range (a device has tens of label sets per metric, not
      thousands), which keeps the index narrow.
    - devices by integer id, not by name: 4 bytes per row and per index entry instead of a name
      of 10-40 characters, and a rename keeps the history.

``latest_samples``
    The newest value per (device, metric, labels_key), upserted by every batch: "latest value per
    device/metric" is a primary-key lookup, never a scan of ``samples``. For counters it also keeps
    the reading before the newest one (``prev_time``, ``prev_value``); the counter's current value
    is what the next batch's rate is computed from. Raw counters are stored here only. Every row
    is rewritten every poll, so the table has no index besides its primary key and leaves 30 % of
    each page free (PostgreSQL ``fillfactor``): updates can then stay on their page (HOT) instead
    of touching every index. Retention's scan for stale rows runs once a day and reads it whole.

``probe_batches``
    The ids of probe batches already committed, written in the same transaction as their samples,
    so a redelivered queue message is recognised and never written twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ward_core.db.base import Base
from ward_core.db.types import JSONType, UTCDateTime, utcnow

METRIC_LENGTH = 255
BATCH_ID_LENGTH = 255
LATEST_FILLFACTOR = 70


class MetricSample(Base):
    """One measured value of one device at one time (see the module docstring for the design)."""

    __tablename__ = "samples"
    __table_args__ = (
        Index("ix_samples_time_brin", "time", postgresql_using="brin"),
        Index("ix_samples_device_id_metric_time", "device_id", "metric", "time"),
    )
    __mapper_args__ = {"primary_key": ["device_id", "metric", "labels_key", "time"]}

    time: Mapped[datetime] = mapped_column(UTCDateTime())
    device_id: Mapped[int] = mapped_column(Integer)
    metric: Mapped[str] = mapped_column(String(METRIC_LENGTH))
    labels_key: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    value: Mapped[float] = mapped_column(Double)


class LatestSample(Base):
    """The newest value of one series, and for counters the reading before it."""

    __tablename__ = "latest_samples"
    __table_args__ = {"postgresql_with": {"fillfactor": LATEST_FILLFACTOR}}

    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(METRIC_LENGTH), primary_key=True)
    labels_key: Mapped[str] = mapped_column(Text, primary_key=True, default="")
    labels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    time: Mapped[datetime] = mapped_column(UTCDateTime())
    value: Mapped[float] = mapped_column(Double)
    prev_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    prev_value: Mapped[float | None] = mapped_column(Double)


class ProbeBatch(Base):
    """A probe batch whose results are committed; ``run_id`` is the run record it wrote."""

    __tablename__ = "probe_batches"

    batch_id: Mapped[str] = mapped_column(String(BATCH_ID_LENGTH), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    devices: Mapped[int] = mapped_column(Integer)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
