"""The stored inventory as the plugin contract's :class:`~ward_core.types.DeviceTarget` values.

This is what probes, pollers, backups and actions receive: every group a device belongs to (static,
dynamic, ``site:<name>`` and ``region:<name>``) and credential *names* only.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy.orm import Session

from ward_core.inventory.membership import devices_in_group, groups_by_device
from ward_core.inventory.queries import load_devices, load_groups
from ward_core.inventory.types import DeviceRecord
from ward_core.types import DeviceTarget, SnmpTarget


def device_target(record: DeviceRecord, groups: Sequence[str] = ()) -> DeviceTarget:
    """``record`` as a :class:`DeviceTarget` belonging to ``groups`` (plus its site and region groups)."""
    snmp = record.snmp
    builtin = [f"site:{record.site}"] if record.site else []
    builtin += [f"region:{record.region}"] if record.region else []
    return DeviceTarget(
        name=record.name,
        host=record.host,
        platform=record.platform,
        port=record.port,
        site=record.site,
        region=record.region,
        role=record.role,
        groups=(*groups, *builtin),
        tags=record.tags,
        vars=record.vars,
        credentials=record.credentials,
        snmp=SnmpTarget(
            version=snmp.version,
            credentials=snmp.credentials,
            port=snmp.port,
            user=snmp.user,
            auth_protocol=snmp.auth_protocol,
            priv_protocol=snmp.priv_protocol,
        )
        if snmp
        else None,
    )


def load_targets(
    session: Session,
    *,
    site: str | None = None,
    role: str | None = None,
    group: str | None = None,
    names: Collection[str] | None = None,
) -> list[DeviceTarget]:
    """Stored devices as targets, filtered like ``ward inventory list`` (by site, role, group, names)."""
    devices = load_devices(session, site=site, role=role, names=names)
    groups = load_groups(session)
    if group is not None:
        devices = devices_in_group(devices, groups, group)
    memberships = groups_by_device(devices, groups)
    return [device_target(d, memberships[d.name]) for d in devices]
