"""How a backup run behaves: per-device time budget, concurrency caps, retries."""

from __future__ import annotations

from dataclasses import dataclass

from ward_core.config import Settings
from ward_core.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class BackupOptions:
    """Options of one backup run.

    ``timeout_s`` bounds each step of one device's backup (TCP connect, SSH banner, login, every
    command's output) and its whole attempt: a device past it fails with reason ``timeout``.
    ``workers`` is the number of SSH sessions in flight, ``per_site`` the most of them towards one
    site. ``retries`` is how many more attempts a device gets after a timeout, a refused or broken
    connection (never after an authentication failure or a refused command), ``retry_delay_s``
    apart.
    """

    timeout_s: float = 60.0
    workers: int = 50
    per_site: int = 10
    retries: int = 1
    retry_delay_s: float = 1.0

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ConfigError(f"backup option 'timeout_s' must be more than 0, got {self.timeout_s}")
        for name, value, least in (
            ("workers", self.workers, 1),
            ("per_site", self.per_site, 1),
            ("retries", self.retries, 0),
        ):
            if value < least:
                raise ConfigError(f"backup option {name!r} must be at least {least}, got {value}")
        if self.retry_delay_s < 0:
            raise ConfigError(f"backup option 'retry_delay_s' must not be negative, got {self.retry_delay_s}")

    @classmethod
    def from_settings(cls, settings: Settings) -> BackupOptions:
        """The options the settings give: ``backup_timeout_s``, ``backup_workers``, ``backup_per_site``."""
        return cls(
            timeout_s=settings.backup_timeout_s,
            workers=settings.backup_workers,
            per_site=settings.backup_per_site,
        )
