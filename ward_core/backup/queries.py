"""Reading backups: current versions, a device's history, a version's text, diffs, freshness.

Versions are referred to as a device's version *id* (``42``) or a prefix of its digest (at least
6 hex digits); :func:`resolve_version` says which one a reference means, or why none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ward_core.backup.text import unified_diff
from ward_core.db.models import BackupStatus, ConfigBlob, ConfigVersion, Device, Site
from ward_core.db.types import utcnow
from ward_core.errors import InventoryError

DIGEST_PREFIX_MIN = 6
INTERVAL_VAR = "backup_interval_s"
"""The device variable (``vars``) that overrides ``Settings.backup_interval_s`` for one device."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionInfo:
    """One stored version, without its text."""

    id: int
    device: str
    platform: str
    site: str | None
    digest: str
    previous_id: int | None
    run_id: int | None
    collected_at: datetime
    changed_by: str | None
    device_changed_at: str | None
    change_source: str
    remediation: str | None
    lines_added: int
    lines_removed: int

    @classmethod
    def of(cls, row: ConfigVersion) -> VersionInfo:
        """The info of an ORM row."""
        return cls(
            id=row.id,
            device=row.device,
            platform=row.platform,
            site=row.site,
            digest=row.digest,
            previous_id=row.previous_id,
            run_id=row.run_id,
            collected_at=row.collected_at,
            changed_by=row.changed_by,
            device_changed_at=row.device_changed_at,
            change_source=row.change_source,
            remediation=row.remediation,
            lines_added=row.lines_added,
            lines_removed=row.lines_removed,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "id": self.id,
            "device": self.device,
            "platform": self.platform,
            "site": self.site,
            "digest": self.digest,
            "previous_id": self.previous_id,
            "run_id": self.run_id,
            "collected_at": self.collected_at.isoformat(),
            "changed_by": self.changed_by,
            "device_changed_at": self.device_changed_at,
            "change_source": self.change_source,
            "remediation": self.remediation,
            "lines_added": self.lines_added,
            "lines_removed": self.lines_removed,
        }


def select_latest(devices: list[str] | None = None) -> Select[ConfigVersion]:
    """Each device's newest version (optionally only ``devices``), by device name."""
    newest = select(func.max(ConfigVersion.id)).group_by(ConfigVersion.device)
    if devices is not None:
        newest = newest.where(ConfigVersion.device.in_(devices))
    return (
        select(ConfigVersion)
        .where(ConfigVersion.id.in_(newest.scalar_subquery()))
        .order_by(ConfigVersion.device)
    )


def latest(session: Session, devices: list[str] | None = None) -> list[VersionInfo]:
    """Each device's newest version."""
    return [VersionInfo.of(row) for row in session.scalars(select_latest(devices))]


def version_counts(session: Session) -> dict[str, int]:
    """How many versions each device has."""
    rows = session.execute(select(ConfigVersion.device, func.count()).group_by(ConfigVersion.device))
    return {device: count for device, count in rows}


def history(session: Session, device: str) -> list[VersionInfo]:
    """Every version of ``device``, newest first; InventoryError when it has none."""
    rows = session.scalars(
        select(ConfigVersion).where(ConfigVersion.device == device).order_by(ConfigVersion.id.desc())
    ).all()
    if not rows:
        raise InventoryError(f"device {device!r} has no stored configuration (back it up first)")
    return [VersionInfo.of(row) for row in rows]


def resolve_version(session: Session, device: str, ref: str | None = None) -> VersionInfo:
    """The version of ``device`` that ``ref`` names: an id, a digest prefix, or None for the newest.

    Raises :class:`~ward_core.errors.InventoryError` naming the device and the reference when it
    matches no version or more than one.
    """
    versions = history(session, device)
    if ref is None:
        return versions[0]
    ref = ref.strip()
    if ref.isdigit():
        found = [v for v in versions if v.id == int(ref)]
    elif re.fullmatch(rf"[0-9a-fA-F]{{{DIGEST_PREFIX_MIN},64}}", ref):
        found = [v for v in versions if v.digest.startswith(ref.lower())]
        if len({v.digest for v in found}) == 1:
            found = found[:1]
    else:
        raise InventoryError(
            f"device {device!r}: {ref!r} is neither a version id nor a digest prefix "
            f"(at least {DIGEST_PREFIX_MIN} hex digits)"
        )
    if not found:
        ids = ", ".join(str(v.id) for v in versions[:10])
        raise InventoryError(f"device {device!r} has no version {ref!r} (newest versions: {ids})")
    if len(found) > 1:
        raise InventoryError(f"device {device!r}: digest prefix {ref!r} is ambiguous, give more digits")
    return found[0]


def version_text(session: Session, version: VersionInfo) -> str:
    """The stored (redacted, normalised) text of ``version``."""
    text = session.scalar(select(ConfigBlob.text).where(ConfigBlob.digest == version.digest))
    if text is None:
        raise InventoryError(f"device {version.device!r}: the text of version {version.id} is missing")
    return text


def diff_versions(session: Session, old: VersionInfo, new: VersionInfo, context: int = 3) -> str:
    """The unified diff from ``old`` to ``new`` (empty when their texts are equal)."""
    return unified_diff(
        version_text(session, old),
        version_text(session, new),
        old_label=f"{old.device}@{old.id} ({old.digest[:12]})",
        new_label=f"{new.device}@{new.id} ({new.digest[:12]})",
        context=context,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Freshness:
    """How recent one device's last successful backup is, against its interval."""

    device: str
    site: str | None
    interval_s: float
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_failure_reason: str | None
    last_error: str | None
    consecutive_failures: int
    age_s: float | None
    stale: bool

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "device": self.device,
            "site": self.site,
            "interval_s": self.interval_s,
            "last_success_at": self.last_success_at.isoformat() if self.last_success_at else None,
            "last_attempt_at": self.last_attempt_at.isoformat() if self.last_attempt_at else None,
            "last_failure_reason": self.last_failure_reason,
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "age_s": round(self.age_s, 3) if self.age_s is not None else None,
            "stale": self.stale,
        }


def _interval(vars_: dict[str, Any], default_s: float) -> float:
    value = vars_.get(INTERVAL_VAR)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return default_s


def freshness(session: Session, *, default_interval_s: float, now: datetime | None = None) -> list[Freshness]:
    """Every inventory device's backup freshness, by name.

    A device never backed up successfully is stale; so is one whose last success is older than
    its interval (``vars.backup_interval_s``, else ``default_interval_s``).
    """
    now = now or utcnow()
    rows = session.execute(
        select(Device.name, Device.vars, Site.name, BackupStatus)
        .outerjoin(Site, Site.id == Device.site_id)
        .outerjoin(BackupStatus, BackupStatus.device == Device.name)
        .order_by(Device.name)
    )
    found = []
    for name, vars_, site, status in rows:
        interval = _interval(dict(vars_ or {}), default_interval_s)
        last = status.last_success_at if status else None
        age = (now - last).total_seconds() if last else None
        found.append(
            Freshness(
                device=name,
                site=site,
                interval_s=interval,
                last_success_at=last,
                last_attempt_at=status.last_attempt_at if status else None,
                last_failure_reason=status.last_failure_reason if status else None,
                last_error=status.last_error if status else None,
                consecutive_failures=status.consecutive_failures if status else 0,
                age_s=age,
                stale=last is None or now - last > timedelta(seconds=interval),
            )
        )
    return found


def stale_devices(
    session: Session, *, default_interval_s: float, now: datetime | None = None
) -> list[Freshness]:
    """The devices whose last successful backup is older than their interval (or missing)."""
    return [f for f in freshness(session, default_interval_s=default_interval_s, now=now) if f.stale]
