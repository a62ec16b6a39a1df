"""The stored inventory as the plugin contract's DeviceTarget values."""

from __future__ import annotations

from pathlib import Path

import pytest

from ward_core.db import get_engine, session_scope, upgrade
from ward_core.errors import InventoryError
from ward_core.inventory import import_inventory, load_targets
from ward_core.types import SnmpTarget

EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "inventory" / "example.yml"


def test_targets_carry_every_group_and_no_secret(db_url: str) -> None:
    engine = get_engine(db_url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            import_inventory(EXAMPLE, session)
            everything = {t.name: t for t in load_targets(session)}
            west_routers = load_targets(session, group="west-branch-routers")
            hub_site = load_targets(session, site="hub-west", role="hub-router")
            with pytest.raises(InventoryError, match="unknown group"):
                load_targets(session, group="nope")
    finally:
        engine.dispose()
    router = everything["br001-rtr1"]
    assert router.groups == ("pilot", "west-branch-routers", "site:branch-001", "region:west")
    assert (router.host, router.platform, router.credentials) == ("127.20.0.3", "cisco_ios", "lab-ssh")
    assert router.snmp == SnmpTarget(version="2c", credentials="lab-snmp", port=161)
    hub2 = everything["hub-west-rtr2"]
    assert hub2.snmp is not None and hub2.snmp.security_level == "authPriv"
    assert [t.name for t in west_routers] == ["br001-rtr1"]
    assert [t.name for t in hub_site] == ["hub-west-rtr1", "hub-west-rtr2"]
