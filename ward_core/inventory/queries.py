"""Reading the stored inventory: devices and groups as plain records, in a fixed number of queries
whatever the inventory's size (one for devices, one for static memberships, one for groups)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any, Literal, cast

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ward_core.db.models import CredentialRef, Device, Group, GroupMember, Region, Site
from ward_core.inventory.types import DeviceRecord, GroupRecord, SnmpSettings


def select_devices(
    *, site: str | None = None, role: str | None = None, names: Collection[str] | None = None
) -> Select[Any]:
    """Device rows with their site, region and credential names, ordered by name."""
    stmt = (
        select(
            Device.id,
            Device.name,
            Device.host,
            Device.port,
            Device.platform,
            Device.role,
            Site.name.label("site"),
            Region.name.label("region"),
            Device.tags,
            Device.vars,
            Device.snmp,
            CredentialRef.name.label("credentials"),
        )
        .outerjoin(Site, Device.site_id == Site.id)
        .outerjoin(Region, Site.region_id == Region.id)
        .outerjoin(CredentialRef, Device.credential_ref_id == CredentialRef.id)
        .order_by(Device.name)
    )
    if site is not None:
        stmt = stmt.where(Site.name == site)
    if role is not None:
        stmt = stmt.where(Device.role == role)
    if names is not None:
        stmt = stmt.where(Device.name.in_(names))
    return stmt


def _static_groups(session: Session) -> dict[int, list[str]]:
    """Static group names by device id."""
    by_device: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(GroupMember.device_id, Group.name)
        .join(Group, Group.id == GroupMember.group_id)
        .order_by(Group.name)
    )
    for device_id, group in rows:
        by_device[device_id].append(group)
    return by_device


def load_devices(
    session: Session,
    *,
    site: str | None = None,
    role: str | None = None,
    names: Collection[str] | None = None,
) -> list[DeviceRecord]:
    """Every stored device (or those of ``site``, ``role`` or ``names``), ordered by name."""
    groups = _static_groups(session)
    return [
        DeviceRecord(
            name=row.name,
            host=row.host,
            port=row.port,
            platform=row.platform,
            role=row.role,
            site=row.site,
            region=row.region,
            tags=tuple(row.tags),
            vars=dict(row.vars),
            snmp=SnmpSettings.model_validate(row.snmp) if row.snmp else None,
            credentials=row.credentials,
            groups=tuple(groups.get(row.id, ())),
        )
        for row in session.execute(select_devices(site=site, role=role, names=names))
    ]


def load_device(session: Session, name: str) -> DeviceRecord | None:
    """The device called ``name``, or ``None``."""
    found = load_devices(session, names=[name])
    return found[0] if found else None


def load_groups(session: Session) -> list[GroupRecord]:
    """Every group, ordered by name; static ones with their members."""
    members: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(GroupMember.group_id, Device.name)
        .join(Device, Device.id == GroupMember.device_id)
        .order_by(Device.name)
    )
    for group_id, device in rows:
        members[group_id].append(device)
    return [
        GroupRecord(
            name=group.name,
            kind=cast(Literal["static", "dynamic"], group.kind),
            filter=group.filter,
            description=group.description,
            members=tuple(members.get(group.id, ())),
        )
        for group in session.scalars(select(Group).order_by(Group.name))
    ]
