"""Run records: one ``Run`` per job (a probe sweep, a backup, a playbook...), one ``RunResult`` per
device and task within it. Every capability writes its history here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ward_core.db.base import Base
from ward_core.db.models.inventory import NAME_LENGTH
from ward_core.db.types import JSONType, UTCDateTime, utcnow


class RunStatus(StrEnum):
    """Where a run is in its life. Stored as text so that capabilities can add states."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ResultStatus(StrEnum):
    """The outcome of one task on one device."""

    OK = "ok"
    CHANGED = "changed"
    FAILED = "failed"
    SKIPPED = "skipped"


class Run(Base):
    """One job. ``params`` is what it was asked to do, ``summary`` the totals it ended with."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_kind_started_at", "kind", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(32), default=RunStatus.PENDING.value, index=True)
    requested_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    results: Mapped[list[RunResult]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )


class RunResult(Base):
    """What one task did on one device during a run. ``device`` is the device name at run time,
    kept as text so history survives the device being renamed or removed."""

    __tablename__ = "run_results"
    __table_args__ = (
        CheckConstraint("status IN ('ok', 'changed', 'failed', 'skipped')", name="status"),
        Index("ix_run_results_run_id_device", "run_id", "device"),
        Index("ix_run_results_device_started_at", "device", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    device: Mapped[str] = mapped_column(String(NAME_LENGTH))
    task: Mapped[str] = mapped_column(String(NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(16), index=True)
    changed: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[Any] = mapped_column(JSONType, nullable=True)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    run: Mapped[Run] = relationship(back_populates="results")
