"""Group membership: static lists and dynamic filters evaluated over device records."""

from __future__ import annotations

import pytest

from ward_core.errors import FilterError, InventoryError
from ward_core.inventory.membership import devices_in_group, group_members, groups_by_device
from ward_core.inventory.types import DeviceRecord, GroupRecord

DEVICES = [
    DeviceRecord(
        name="hub1", host="10.0.0.1", platform="cisco_ios", site="hub", region="west", role="hub-router"
    ),
    DeviceRecord(
        name="br1",
        host="10.0.1.1",
        platform="cisco_ios",
        site="b1",
        region="west",
        role="branch-router",
        groups=("pilot",),
    ),
    DeviceRecord(
        name="br2", host="10.0.2.1", platform="cisco_ios", site="b2", region="east", role="branch-router"
    ),
    DeviceRecord(
        name="sw1",
        host="10.0.1.2",
        platform="cisco_ios",
        site="b1",
        region="west",
        role="access-switch",
        tags=("poe",),
    ),
]
GROUPS = [
    GroupRecord(name="pilot", kind="static", members=("br1", "gone")),
    GroupRecord(
        name="west-branch-routers", kind="dynamic", filter='site.region == "west" and role == "branch-router"'
    ),
    GroupRecord(name="pilot-or-poe", kind="dynamic", filter='"pilot" in groups or "poe" in tags'),
    GroupRecord(name="empty", kind="dynamic", filter='role == "firewall"'),
]


def test_members_of_static_and_dynamic_groups() -> None:
    assert group_members(DEVICES, GROUPS) == {
        "pilot": ["br1"],
        "west-branch-routers": ["br1"],
        "pilot-or-poe": ["br1", "sw1"],
        "empty": [],
    }


def test_groups_by_device() -> None:
    assert groups_by_device(DEVICES, GROUPS) == {
        "hub1": [],
        "br1": ["pilot", "west-branch-routers", "pilot-or-poe"],
        "br2": [],
        "sw1": ["pilot-or-poe"],
    }


def test_devices_in_group() -> None:
    assert [d.name for d in devices_in_group(DEVICES, GROUPS, "pilot-or-poe")] == ["br1", "sw1"]
    with pytest.raises(InventoryError, match="unknown group 'nope' \\(known: pilot, west-branch-routers"):
        devices_in_group(DEVICES, GROUPS, "nope")


def test_a_stored_filter_that_no_longer_parses_names_the_group() -> None:
    broken = GroupRecord(name="broken", kind="dynamic", filter='role = "x"')
    with pytest.raises(
        FilterError, match=r"database, field 'groups.broken': filter 'role = \"x\"' at column 6"
    ):
        group_members(DEVICES, [broken])
