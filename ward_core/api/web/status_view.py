"""What the status page shows: reachability per site, firing alerts, backup freshness.

Reachability is the latest ICMP sample of each device (``ping.loss_pct``, written by the ``icmp``
probe): up when some echo came back, down at 100 % loss, unknown without a sample. The page shows
counts per site and names only the devices that are down or unknown, so that it stays short for
thousands of devices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ward_core.alerts.queries import list_alerts
from ward_core.backup.queries import Freshness, freshness
from ward_core.db.models import AlertRow, Device, Site
from ward_core.probes.queries import latest

LOSS_METRIC = "ping.loss_pct"
"""The icmp probe's loss metric (100 when no echo came back)."""

NO_SITE = "(no site)"
ALERT_LIMIT = 200
BACKUP_ROWS = 500


@dataclass(slots=True)
class SiteReach:
    """One site's devices by reachability."""

    site: str
    up: int = 0
    down: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    newest: datetime | None = None

    @property
    def total(self) -> int:
        """Devices of the site."""
        return self.up + len(self.down) + len(self.unknown)


def reachability(session: Session) -> list[SiteReach]:
    """Every site's devices as up, down or unknown (see the module docstring), by site name."""
    losses = {value.device: value for value in latest(session, metric=LOSS_METRIC)}
    sites: dict[str, SiteReach] = {}
    rows = session.execute(
        select(Device.name, Site.name).outerjoin(Site, Site.id == Device.site_id).order_by(Device.name)
    )
    for device, site_name in rows:
        site = sites.setdefault(site_name or NO_SITE, SiteReach(site_name or NO_SITE))
        sample = losses.get(device)
        if sample is None:
            site.unknown.append(device)
            continue
        if sample.value >= 100.0:
            site.down.append(device)
        else:
            site.up += 1
        if site.newest is None or sample.time > site.newest:
            site.newest = sample.time
    return [sites[name] for name in sorted(sites)]


def firing_alerts(session: Session) -> list[AlertRow]:
    """Firing alerts, newest first (at most :data:`ALERT_LIMIT`)."""
    return list_alerts(session, states=("firing",), limit=ALERT_LIMIT)


def backup_rows(session: Session, *, default_interval_s: float, now: datetime) -> Sequence[Freshness]:
    """Devices' last successful backups, stale ones first (at most :data:`BACKUP_ROWS`)."""
    found = freshness(session, default_interval_s=default_interval_s, now=now)
    return sorted(found, key=lambda f: (not f.stale, f.device))[:BACKUP_ROWS]
