"""Configuration backup tables: content-addressed texts, one version per change, freshness, and the
changes a remediation announced before making them.

- ``config_blobs``: every distinct stored configuration text (redacted and normalised), keyed by
  the SHA-256 of that text, so that a configuration seen twice (on two devices, or after a revert)
  is stored once.
- ``config_versions``: one row per change of one device's configuration: which text, which run
  collected it and when, who the device says changed it, and whether a ward remediation did.
- ``backup_status``: one row per device: last attempt, last success, last failure and its reason.
- ``expected_changes``: a remediation records here, before it touches a device, that a change is
  coming; the next new version of that device inside the window is attributed to it.

Device names are kept as text (like ``run_results.device``) so history survives a device being
renamed or removed from the inventory.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ward_core.db.base import Base
from ward_core.db.models.inventory import NAME_LENGTH
from ward_core.db.types import UTCDateTime, utcnow

DIGEST_LENGTH = 64
"""Hex SHA-256."""

CHANGE_SOURCES = ("initial", "remediation", "other")
"""``config_versions.change_source``: the device's first backup, a ward remediation, anyone else."""


class ConfigBlob(Base):
    """One stored configuration text, addressed by the SHA-256 of its UTF-8 bytes."""

    __tablename__ = "config_blobs"

    digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConfigVersion(Base):
    """A device's configuration as it was from ``collected_at`` until its next version.

    ``changed_by``/``device_changed_at`` are what the device itself reports (IOS: ``! Last
    configuration change at ... by USER``). ``change_source`` says whether this is the first backup,
    a change a ward remediation announced (``remediation`` names it), or someone else's.
    """

    __tablename__ = "config_versions"
    __table_args__ = (
        CheckConstraint(f"change_source IN {CHANGE_SOURCES!r}", name="change_source"),
        Index("ix_config_versions_device_collected_at", "device", "collected_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device: Mapped[str] = mapped_column(String(NAME_LENGTH))
    platform: Mapped[str] = mapped_column(String(64))
    site: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    digest: Mapped[str] = mapped_column(ForeignKey("config_blobs.digest", ondelete="RESTRICT"), index=True)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("config_versions.id", ondelete="SET NULL"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), index=True)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    device_changed_at: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    change_source: Mapped[str] = mapped_column(String(16))
    remediation: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    lines_added: Mapped[int] = mapped_column(Integer, default=0)
    lines_removed: Mapped[int] = mapped_column(Integer, default=0)


class BackupStatus(Base):
    """Freshness of one device's backup: the last attempt, the last success and the last failure."""

    __tablename__ = "backup_status"

    device: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_version_id: Mapped[int | None] = mapped_column(ForeignKey("config_versions.id", ondelete="SET NULL"))
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_reason: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)


class ExpectedChange(Base):
    """A change a ward remediation announced on ``device`` before making it.

    The first new version of the device collected between ``created_at`` and ``expires_at`` is
    attributed to ``remediation`` and marks this row consumed.
    """

    __tablename__ = "expected_changes"
    __table_args__ = (Index("ix_expected_changes_device_expires_at", "device", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device: Mapped[str] = mapped_column(String(NAME_LENGTH))
    remediation: Mapped[str] = mapped_column(String(NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consumed_by_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("config_versions.id", ondelete="SET NULL")
    )
