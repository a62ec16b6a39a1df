"""The inventory as the evaluator needs it: device ids, names, sites, and which devices each rule's
``where`` selector or group selects.

Selecting is the slow part (a filter per device per rule), and the inventory changes rarely, so a
view is kept and rebuilt only when :func:`inventory_version` changes (devices added, removed or
updated, groups or memberships changed) or after :data:`MAX_AGE_S`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ward_core.alerts.nodes import RuleExpression
from ward_core.db.models import Device, Group, GroupMember, Region, Site
from ward_core.inventory.membership import compile_group
from ward_core.inventory.queries import load_groups
from ward_core.inventory.types import GroupRecord

MAX_AGE_S = 60.0


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """One device: what alerts record about it, and what filters see."""

    id: int
    name: str
    site: str | None
    region: str | None
    role: str | None
    subject: dict[str, Any] = field(hash=False, compare=False)


def inventory_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever devices, groups or static memberships change."""
    devices = session.execute(
        select(func.count(Device.id), func.max(Device.updated_at), func.sum(Device.id))
    ).one()
    groups = session.execute(select(func.count(Group.id), func.sum(Group.id))).one()
    members = session.execute(
        select(
            func.count(GroupMember.device_id), func.sum(GroupMember.group_id * 7919 + GroupMember.device_id)
        )
    ).one()
    return (*devices, *groups, *members)


class InventoryView:
    """Devices by id and by name, and the devices each rule selects (cached per rule text)."""

    def __init__(
        self, devices: Iterable[DeviceInfo], groups: list[GroupRecord], version: tuple[Any, ...]
    ) -> None:
        self.devices = {d.id: d for d in devices}
        self.ids = {d.name: d.id for d in self.devices.values()}
        self.groups = {g.name: g for g in groups}
        self.version = version
        self.loaded = time.monotonic()
        self._targets: dict[str, frozenset[int] | None] = {}

    @classmethod
    def load(cls, session: Session) -> InventoryView:
        """Read the whole inventory in three queries."""
        version = inventory_version(session)
        static: dict[int, list[str]] = defaultdict(list)
        for device_id, group in session.execute(
            select(GroupMember.device_id, Group.name).join(Group, Group.id == GroupMember.group_id)
        ):
            static[device_id].append(group)
        rows = session.execute(
            select(
                Device.id,
                Device.name,
                Device.host,
                Device.port,
                Device.platform,
                Device.role,
                Site.name,
                Region.name,
                Device.tags,
                Device.vars,
            )
            .outerjoin(Site, Device.site_id == Site.id)
            .outerjoin(Region, Site.region_id == Region.id)
        )
        devices = [
            DeviceInfo(
                id=row[0],
                name=row[1],
                site=row[6],
                region=row[7],
                role=row[5],
                subject={
                    "name": row[1],
                    "host": row[2],
                    "port": row[3],
                    "platform": row[4],
                    "role": row[5],
                    "site": row[6],
                    "site.region": row[7],
                    "tags": list(row[8] or ()),
                    "groups": sorted(static.get(row[0], ())),
                    "vars": row[9] or {},
                },
            )
            for row in rows
        ]
        return cls(devices, load_groups(session), version)

    def stale(self, session: Session) -> bool:
        """True when the inventory changed since this view was read, or the view is old."""
        if time.monotonic() - self.loaded > MAX_AGE_S:
            return True
        return inventory_version(session) != self.version

    def targets(self, rule: RuleExpression) -> frozenset[int] | None:
        """The device ids ``rule`` applies to; None for every device. An unknown group selects none."""
        if rule.where is None and rule.group is None:
            return None
        key = rule.text
        if key not in self._targets:
            self._targets[key] = frozenset(self._select(rule))
        return self._targets[key]

    def _select(self, rule: RuleExpression) -> Iterable[int]:
        if rule.where is not None:
            matcher = rule.where
            return (d.id for d in self.devices.values() if matcher.matches(d.subject))
        group = self.groups.get(rule.group or "")
        if group is None:
            return ()
        if group.kind == "static":
            members = set(group.members)
            return (d.id for d in self.devices.values() if d.name in members)
        compiled = compile_group(group)
        return (d.id for d in self.devices.values() if compiled.matches(d.subject))
