"""Who belongs to which group: static groups list their members, dynamic groups evaluate their
filter against each device (:mod:`ward_core.inventory.filters`)."""

from __future__ import annotations

from collections.abc import Sequence

from ward_core.errors import FilterError, InventoryError
from ward_core.inventory.filters import Filter, parse_filter
from ward_core.inventory.types import DeviceRecord, GroupRecord


def compile_group(group: GroupRecord) -> Filter:
    """The parsed filter of a dynamic group; a stored filter that no longer parses names the group."""
    if group.filter is None:
        raise InventoryError("a static group has no filter", source="database", field=group.name)
    try:
        return parse_filter(group.filter)
    except FilterError as exc:
        raise FilterError(
            exc.detail,
            expression=exc.expression,
            column=exc.column,
            source="database",
            field=f"groups.{group.name}",
        ) from None


def group_members(devices: Sequence[DeviceRecord], groups: Sequence[GroupRecord]) -> dict[str, list[str]]:
    """Device names per group name, for static and dynamic groups alike (in ``devices`` order)."""
    names = {d.name for d in devices}
    members: dict[str, list[str]] = {}
    subjects = [(d.name, d.filter_subject()) for d in devices]
    for group in groups:
        if group.kind == "static":
            members[group.name] = [m for m in group.members if m in names]
        else:
            matcher = compile_group(group)
            members[group.name] = [name for name, subject in subjects if matcher.matches(subject)]
    return members


def groups_by_device(devices: Sequence[DeviceRecord], groups: Sequence[GroupRecord]) -> dict[str, list[str]]:
    """Group names per device name (static and dynamic)."""
    result: dict[str, list[str]] = {d.name: [] for d in devices}
    for group, names in group_members(devices, groups).items():
        for name in names:
            result[name].append(group)
    return result


def devices_in_group(
    devices: Sequence[DeviceRecord], groups: Sequence[GroupRecord], name: str
) -> list[DeviceRecord]:
    """The devices of group ``name``; an unknown group is an :class:`InventoryError`."""
    group = next((g for g in groups if g.name == name), None)
    if group is None:
        known = ", ".join(g.name for g in groups) or "none"
        raise InventoryError(f"unknown group {name!r} (known: {known})", source="database")
    wanted = set(group_members(devices, [group])[name])
    return [d for d in devices if d.name in wanted]
