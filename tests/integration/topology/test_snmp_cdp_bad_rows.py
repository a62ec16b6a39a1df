"""A real net-snmp agent serving a CISCO-CDP-MIB cache with garbage among good rows (a short index,
an ifIndex the agent has no interface for, a row naming nobody with a truncated address, a stranger,
the device itself) next to a domain-qualified and a serial-carrying device ID: discovery over SNMP
records and explains every row, draws the links that make sense, and never fails the run; an agent
with CDP disabled and no LLDP-MIB fails alone, saying so."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from sqlalchemy import Engine

from ward_core.config import Settings
from ward_core.db import session_scope
from ward_core.inventory import import_inventory
from ward_core.topology import Reason, discover_batch
from ward_core.topology.store import load_snapshot
from ward_core.types import Link

if TYPE_CHECKING:
    from conftest import OverrideAgent, Row, TopologyPlugins

pytestmark = pytest.mark.skipif(shutil.which("snmpd") is None, reason="needs net-snmp's snmpd")

CDP = "1.3.6.1.4.1.9.9.23.1"
CACHE = f"{CDP}.2.1.1"
COMMUNITY = "ward-cdp"
LO = "lo"
"""ifIndex 1 of the agent's own IF-MIB: the loopback interface."""


def cache_rows() -> list[Row]:
    """cdpGlobalRun true and a cache of good and broken rows."""
    table: list[Row] = [(f"{CDP}.3.1.0", "integer", "1")]

    def entry(index: str, device_id: str | None, address: str | None = None, port: str | None = None) -> None:
        if device_id is not None:
            table.append((f"{CACHE}.6.{index}", "octet_str", device_id))
        if address is not None:
            table.extend(
                [(f"{CACHE}.3.{index}", "integer", "1"), (f"{CACHE}.4.{index}", "octet_str", address)]
            )
        if port is not None:
            table.append((f"{CACHE}.7.{index}", "octet_str", port))

    entry("1.7", "peer-a.branch.example.net", "0x7F000002", "GigabitEthernet0/1")
    table += [
        (f"{CACHE}.8.1.7", "octet_str", "cisco WS-C2960X-24PS-L"),
        (f"{CACHE}.9.1.7", "octet_str", "0x00000028"),
    ]
    entry("1.8", "peer-b(FOX1234ABCD)", None, "Ethernet1/7")
    entry("999999.1", "ghost", "0x7F000003", "Gi0/2")
    entry("1", "short-index")
    entry("1.9", None, "0x0A00")
    entry("1.10", "stranger.example.net", "0x7F0000FE", "Gi0/9")
    entry("1.11", "cdp-sw", None, "lo")
    return table


def test_garbage_cdp_rows_are_recorded_and_explained_never_fatal(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    topology_plugins: TopologyPlugins,
    override_agent: OverrideAgent,
) -> None:
    (tmp_path / "cdp").mkdir()
    (tmp_path / "off").mkdir()
    disabled: list[Row] = [(f"{CDP}.3.1.0", "integer", "2")]
    with (
        override_agent(tmp_path / "cdp", COMMUNITY, cache_rows()) as port,
        override_agent(tmp_path / "off", COMMUNITY, disabled) as off_port,
    ):
        secrets = tmp_path / "secrets.yml"
        secrets.write_text(yaml.safe_dump({"cdp": {"community": COMMUNITY}}), encoding="utf-8")
        devices = [
            {
                "name": "cdp-sw",
                "host": "127.0.0.1",
                "platform": "linux",
                "snmp": {"version": "2c", "credentials": "cdp", "port": port},
            },
            {
                "name": "cdp-off",
                "host": "127.0.0.1",
                "platform": "linux",
                "snmp": {"version": "2c", "credentials": "cdp", "port": off_port},
            },
            {"name": "peer-a", "host": "127.0.0.2", "platform": "linux"},
            {"name": "peer-b", "host": "127.0.0.4", "platform": "linux"},
        ]
        inventory = tmp_path / "cdp.yml"
        inventory.write_text(
            yaml.safe_dump({"credentials": [{"name": "cdp"}], "devices": devices}), encoding="utf-8"
        )
        with session_scope(engine) as session:
            import_inventory(inventory, session)
        settings = Settings(
            database_url=db_url, secrets_file=secrets, blocked_plugins=[], topology_timeout_s=2.0
        )
        with topology_plugins(settings) as plugins:
            outcome = discover_batch(
                engine=engine,
                plugins=plugins,
                settings=settings,
                device_names=["cdp-sw", "cdp-off"],
                transport="snmp",
            )
    (failure,) = outcome.failures
    assert failure.device == "cdp-off"
    assert "CommandRejected" in failure.reason and "CDP is disabled (cdpGlobalRun is false)" in failure.reason
    assert outcome.records == 7
    with session_scope(engine) as session:
        snapshot = load_snapshot(session, outcome.snapshot_id)
    assert snapshot is not None
    assert {(info.link, info.kind, info.protocols) for info in snapshot.links} == {
        (Link.between("cdp-sw", LO, "peer-a", "GigabitEthernet0/1"), "one_sided", ("cdp",)),
        (Link.between("cdp-sw", LO, "peer-b", "Ethernet1/7"), "one_sided", ("cdp",)),
    }
    verdicts = {e.neighbour: e for e in snapshot.explanations}
    assert {e.protocol for e in snapshot.explanations} == {"cdp"}
    assert verdicts["peer-a.branch.example.net"].identified_by == ("name", "address")
    assert verdicts["peer-b(FOX1234ABCD)"].identified_by == ("name",)
    assert verdicts["ghost"].reason == Reason.UNUSABLE_RECORD
    assert verdicts["short-index"].reason == Reason.UNUSABLE_RECORD
    assert verdicts[""].reason == Reason.UNUSABLE_RECORD
    assert verdicts["stranger.example.net"].reason == Reason.UNKNOWN_DEVICE
    assert verdicts["cdp-sw"].reason == Reason.SELF_NEIGHBOUR
    assert not any(link.a_device == link.b_device for link in snapshot.link_set())
