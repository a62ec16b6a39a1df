"""Which devices a poll covers: a selector as ``ward poll --limit`` takes it, and batches.

A selector is one of

- a device name: ``br001-rtr1``;
- ``site:<name>``, ``region:<name>``, ``role:<name>`` or ``group:<name>`` (static or dynamic group);
- a filter expression, evaluated exactly as a dynamic group's (:mod:`ward_core.inventory.filters`):
  ``role == "branch-router" and "pilot" in tags``.

No selector means every device. A selector matching no device is an error naming what was asked
and what exists, since it is almost always a typo.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ward_core.db.models import Region, Site
from ward_core.errors import FilterError, InventoryError
from ward_core.inventory.filters import parse_filter
from ward_core.inventory.membership import devices_in_group
from ward_core.inventory.queries import load_devices, load_groups
from ward_core.inventory.types import DeviceRecord

PREFIXES = ("site", "region", "role", "group")


def _known(session: Session, column: type[Site] | type[Region]) -> str:
    names = session.scalars(select(column.name).order_by(column.name)).all()
    return ", ".join(names) or "none"


def _by_prefix(session: Session, prefix: str, value: str) -> list[DeviceRecord]:
    if prefix == "group":
        return devices_in_group(load_devices(session), load_groups(session), value)
    if prefix == "site":
        found = load_devices(session, site=value)
        if not found:
            raise InventoryError(f"site {value!r} has no devices (sites: {_known(session, Site)})")
        return found
    if prefix == "role":
        found = load_devices(session, role=value)
        if not found:
            roles = sorted({d.role for d in load_devices(session) if d.role})
            raise InventoryError(f"no device has role {value!r} (roles: {', '.join(roles) or 'none'})")
        return found
    found = [d for d in load_devices(session) if d.region == value]
    if not found:
        raise InventoryError(f"region {value!r} has no devices (regions: {_known(session, Region)})")
    return found


def select_devices(session: Session, selector: str | None = None) -> list[str]:
    """Names of the devices ``selector`` designates, ordered by name.

    Raises :class:`~ward_core.errors.InventoryError` when it matches nothing (or the inventory is
    empty), :class:`~ward_core.errors.FilterError` when it is neither a device, a prefixed name nor
    a valid filter expression.
    """
    if selector is None or not selector.strip():
        devices = load_devices(session)
        if not devices:
            raise InventoryError("the inventory has no devices: import one with `ward inventory import`")
        return [d.name for d in devices]
    selector = selector.strip()
    prefix, colon, value = selector.partition(":")
    if colon and prefix in PREFIXES and value and " " not in selector:
        return [d.name for d in _by_prefix(session, prefix, value)]
    named = load_devices(session, names=[selector])
    if named:
        return [named[0].name]
    try:
        matcher = parse_filter(selector)
    except FilterError as exc:
        raise FilterError(
            f"no device is named so, and it is not a filter expression: {exc.detail}",
            expression=selector,
            column=exc.column,
        ) from None
    matched = [d.name for d in load_devices(session) if matcher.matches(d.filter_subject())]
    if not matched:
        raise InventoryError(f"filter {selector!r} matches no device")
    return matched


def split_batches(names: Sequence[str], size: int) -> list[list[str]]:
    """``names`` in consecutive batches of at most ``size``.

    >>> split_batches(["a", "b", "c", "d", "e"], 2)
    [['a', 'b'], ['c', 'd'], ['e']]
    >>> split_batches([], 200)
    []
    """
    if size < 1:
        raise ValueError(f"a batch holds at least 1 device, got {size}")
    return [list(names[start : start + size]) for start in range(0, len(names), size)]
