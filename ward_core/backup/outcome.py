"""What a backup run did, as plain data a queue can carry (:meth:`BackupOutcome.to_dict`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

DeviceStatus: TypeAlias = Literal["changed", "unchanged", "failed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceBackup:
    """One device in a run: ``changed`` (a new version), ``unchanged`` or ``failed`` (``reason``).

    ``version_id``/``digest`` are the device's current version after the run (None when it has
    none). ``changed_by`` is what the device reports; ``remediation`` names the ward remediation the
    change was attributed to.
    """

    device: str
    status: DeviceStatus
    duration_s: float
    attempts: int = 1
    version_id: int | None = None
    digest: str | None = None
    previous_digest: str | None = None
    changed_by: str | None = None
    remediation: str | None = None
    reason: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "device": self.device,
            "status": self.status,
            "duration_s": round(self.duration_s, 6),
            "attempts": self.attempts,
            "version_id": self.version_id,
            "digest": self.digest,
            "previous_digest": self.previous_digest,
            "changed_by": self.changed_by,
            "remediation": self.remediation,
            "reason": self.reason,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupOutcome:
    """The result of :func:`~ward_core.backup.service.backup_devices`: one entry per device asked.

    ``run_id`` is the ``runs`` row (kind ``backup``) holding one ``run_results`` row per device.
    ``collect_s`` is the time spent talking to devices, ``duration_s`` the whole call.
    """

    run_id: int | None
    devices: tuple[DeviceBackup, ...]
    collect_s: float
    duration_s: float

    @property
    def ok(self) -> bool:
        """True when every device was backed up."""
        return not self.failed

    @property
    def changed(self) -> tuple[DeviceBackup, ...]:
        """Devices that got a new version."""
        return tuple(d for d in self.devices if d.status == "changed")

    @property
    def unchanged(self) -> tuple[DeviceBackup, ...]:
        """Devices whose configuration is the one already stored."""
        return tuple(d for d in self.devices if d.status == "unchanged")

    @property
    def failed(self) -> tuple[DeviceBackup, ...]:
        """Devices that could not be backed up."""
        return tuple(d for d in self.devices if d.status == "failed")

    def by_device(self) -> dict[str, DeviceBackup]:
        """Entries keyed by device name."""
        return {d.device: d for d in self.devices}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "run_id": self.run_id,
            "devices": len(self.devices),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "failed": len(self.failed),
            "collect_s": round(self.collect_s, 6),
            "duration_s": round(self.duration_s, 6),
            "results": [d.to_dict() for d in self.devices],
        }
