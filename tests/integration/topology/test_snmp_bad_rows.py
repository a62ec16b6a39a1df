"""A real net-snmp agent serving a broken LLDP-MIB (rows with a short index, rows naming nobody, a
device reporting itself, one chassis ID claimed by two neighbours): discovery records and
explains every row, draws only the links that make sense, and never fails the run; a device asked
with the wrong community fails alone."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
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
    from conftest import OverrideAgent, TopologyPlugins

pytestmark = pytest.mark.skipif(shutil.which("snmpd") is None, reason="needs net-snmp's snmpd")

LLDP = "1.0.8802.1.1.2.1"
REM = f"{LLDP}.4.1.1"
COMMUNITY = "ward-odd"


def rows() -> list[tuple[str, str, str]]:
    """(OID, type, value) of the agent's LLDP-MIB."""
    table = [
        (f"{LLDP}.3.1.0", "integer", "7"),
        (f"{LLDP}.3.2.0", "octet_str", "odd-chassis"),
        (f"{LLDP}.3.3.0", "octet_str", "odd-sw"),
    ]
    for port in range(1, 5):
        table += [
            (f"{LLDP}.3.7.1.2.{port}", "integer", "5"),
            (f"{LLDP}.3.7.1.3.{port}", "octet_str", f"swp{port}"),
        ]

    def remote(index: str, chassis: str | None, name: str | None, port: str | None) -> None:
        if chassis is not None:
            table.extend([(f"{REM}.4.{index}", "integer", "7"), (f"{REM}.5.{index}", "octet_str", chassis)])
        if port is not None:
            table.extend([(f"{REM}.6.{index}", "integer", "5"), (f"{REM}.7.{index}", "octet_str", port)])
        if name is not None:
            table.append((f"{REM}.9.{index}", "octet_str", name))

    remote("0.1.1", "chassis-peer", "peer-ok", "eth9")
    remote("4711.2.1", "odd-chassis", "odd-sw", "swp4")
    remote("4711.3.1", "chassis-shared", "dup-a", "eth1")
    remote("4711.3.2", "chassis-shared", "dup-b", "eth1")
    remote("4711.4.1", "chassis-shared", None, "eth7")
    table.append((f"{REM}.9.77.5", "octet_str", "short-index"))
    table.append((f"{REM}.6.0.4.2", "integer", "99"))
    return table


@pytest.fixture
def agent(tmp_path: Path, override_agent: OverrideAgent) -> Iterator[int]:
    with override_agent(tmp_path, COMMUNITY, rows()) as port:
        yield port


def test_broken_rows_are_recorded_and_explained_never_fatal(
    agent: int, engine: Engine, db_url: str, tmp_path: Path, topology_plugins: TopologyPlugins
) -> None:
    secrets = tmp_path / "secrets.yml"
    secrets.write_text(
        yaml.safe_dump({"odd": {"community": COMMUNITY}, "wrong": {"community": "guess"}}), encoding="utf-8"
    )
    snmp = {"version": "2c", "credentials": "odd", "port": agent}
    devices = [{"name": "odd-sw", "host": "127.0.0.1", "platform": "linux", "snmp": snmp}]
    guess = {**snmp, "credentials": "wrong"}
    devices.append({"name": "odd-guess", "host": "127.0.0.1", "platform": "linux", "snmp": guess})
    devices += [
        {"name": n, "host": f"127.0.0.{i}", "platform": "linux"}
        for i, n in enumerate(("peer-ok", "dup-a", "dup-b"), start=2)
    ]
    inventory = tmp_path / "odd.yml"
    inventory.write_text(
        yaml.safe_dump({"credentials": [{"name": "odd"}, {"name": "wrong"}], "devices": devices}),
        encoding="utf-8",
    )
    with session_scope(engine) as session:
        import_inventory(inventory, session)
    settings = Settings(database_url=db_url, secrets_file=secrets, blocked_plugins=[], topology_timeout_s=1.0)
    with topology_plugins(settings) as plugins:
        outcome = discover_batch(
            engine=engine,
            plugins=plugins,
            settings=settings,
            device_names=["odd-sw", "odd-guess"],
            transport="snmp",
        )
    (failure,) = outcome.failures
    assert failure.device == "odd-guess"
    assert failure.reason.startswith("DeviceUnreachable: odd-guess (lldp): no complete SNMP answer")
    assert "a wrong community looks the same" in failure.reason
    assert outcome.records == 7
    with session_scope(engine) as session:
        snapshot = load_snapshot(session, outcome.snapshot_id)
    assert snapshot is not None
    assert {(info.link, info.kind) for info in snapshot.links} == {
        (Link.between("odd-sw", "swp1", "peer-ok", "eth9"), "one_sided"),
        (Link.between("odd-sw", "swp3", "dup-a", "eth1"), "one_sided"),
        (Link.between("odd-sw", "swp3", "dup-b", "eth1"), "one_sided"),
    }
    reasons = sorted(e.reason.value for e in snapshot.explanations)
    assert reasons == sorted(
        [
            Reason.FAR_END_NOT_COLLECTED.value,
            Reason.FAR_END_NOT_COLLECTED.value,
            Reason.FAR_END_NOT_COLLECTED.value,
            Reason.SELF_NEIGHBOUR.value,
            Reason.DUPLICATE_CHASSIS_ID.value,
            Reason.UNUSABLE_RECORD.value,
            Reason.UNUSABLE_RECORD.value,
        ]
    )
    shared = next(e for e in snapshot.explanations if e.reason == Reason.DUPLICATE_CHASSIS_ID)
    assert "shared by dup-a, dup-b" in shared.detail
    assert not any(link.a_device == link.b_device for link in snapshot.link_set())
