"""CISCO-CDP-MIB and LLDP-MIB of the lab read straight from the model (no sockets): on every device
the SNMP tables hold exactly the neighbours ``show cdp/lldp neighbors detail`` prints, in the same
words, also after one device stops running LLDP and another stops running CDP."""

from __future__ import annotations

import doctest
from dataclasses import dataclass

import pytest
from ward_ios_neighbours.parse import cdp_records as cli_cdp_records
from ward_ios_neighbours.parse import lldp_records as cli_lldp_records
from ward_lldp import oids
from ward_lldp.cdp_tables import cdp_records
from ward_lldp.tables import Walked, neighbour_records

from ward_core.lab.ios import show_neighbours
from ward_core.lab.ios.running_config import render_running_config
from ward_core.lab.model import CDP, LLDP, Device, LabNetwork
from ward_core.lab.snmp import cdp_mib
from ward_core.lab.snmp.ber import decode_value
from ward_core.lab.snmp.context import DeviceContext
from ward_core.lab.snmp.device_mib import DEVICE_VIEW
from ward_core.lab.snmp.identity import engine_id
from ward_core.lab.topology import build_network
from ward_core.topology.names import interface_name
from ward_core.types import NeighbourRecord


@dataclass
class Engine:
    engine_id: bytes
    max_message_size: int = 1472

    def engine_clock(self) -> tuple[int, int]:
        return 1, 10


def subtree(network: LabNetwork, device: Device, prefix: str) -> dict[str, object]:
    """Every instance under ``prefix`` as ``{suffix: value}``, as a walk would give it."""
    start = tuple(int(arc) for arc in prefix.split("."))
    ctx = DeviceContext(network, device, Engine(engine_id(device)))
    found: dict[str, object] = {}
    for oid, _, encoded in DEVICE_VIEW.walk(ctx, start):
        if oid[: len(start)] != start:
            break
        found[".".join(str(arc) for arc in oid[len(start) :])] = decode_value(encoded, 0, len(encoded))[1]
    return found


def walked(network: LabNetwork, device: Device) -> Walked:
    """What the ``lldp`` plugin's collector reads from ``device``'s agent."""
    result = Walked()
    ctx = DeviceContext(network, device, Engine(engine_id(device)))
    for oid in (*oids.LOC_SCALARS, oids.CDP_GLOBAL_RUN):
        encoded = DEVICE_VIEW.get(ctx, tuple(int(arc) for arc in oid.split(".")))
        tag, value, _ = decode_value(encoded, 0, len(encoded))
        if tag < 0x80:
            result.scalars[oid] = value  # type: ignore[assignment]
    result.loc_ports = subtree(network, device, oids.LOC_PORT_ENTRY)  # type: ignore[assignment]
    result.if_names = subtree(network, device, oids.IF_NAME)  # type: ignore[assignment]
    result.remotes = subtree(network, device, oids.REM_ENTRY)  # type: ignore[assignment]
    result.man_addrs = subtree(network, device, oids.REM_MAN_ADDR_ENTRY)  # type: ignore[assignment]
    for column in oids.CDP_COLUMNS:
        result.cdp_cache[column] = subtree(network, device, oids.cdp_column(column))  # type: ignore[assignment]
    return result


def cdp_view(record: NeighbourRecord) -> tuple[object, ...]:
    return (
        interface_name(record.local_interface),
        record.neighbour,
        record.neighbour_interface,
        record.neighbour_address,
        record.platform,
        record.capabilities,
    )


def lldp_view(record: NeighbourRecord) -> tuple[object, ...]:
    return (interface_name(record.local_interface), record.neighbour, record.neighbour_address)


@pytest.fixture
def network() -> LabNetwork:
    """A 20-device lab where br002-sw1 runs CDP only and br003-sw1 runs LLDP only."""
    built = build_network(20, 4)
    built.set_protocol(built.device("br002-sw1"), LLDP, False)
    built.set_protocol(built.device("br003-sw1"), CDP, False)
    return built


def test_snmp_serves_exactly_what_the_cli_shows(network: LabNetwork) -> None:
    compared = 0
    for device in network:
        cli_cdp = show_neighbours.show_cdp_neighbors_detail(network, device)
        cli_lldp = show_neighbours.show_lldp_neighbors_detail(network, device)
        snmp = walked(network, device)
        by_cli = [] if cli_cdp == show_neighbours.CDP_OFF else cli_cdp_records(device.name, cli_cdp)
        by_snmp = cdp_records(device.name, snmp)
        assert sorted(map(cdp_view, by_snmp)) == sorted(map(cdp_view, by_cli)), device.name
        by_cli = [] if cli_lldp == show_neighbours.LLDP_OFF else cli_lldp_records(device.name, cli_lldp)
        by_snmp = neighbour_records(device.name, snmp)
        assert sorted(map(lldp_view, by_snmp)) == sorted(map(lldp_view, by_cli)), device.name
        compared += len(by_cli)
    assert compared > 40


def test_a_device_without_lldp_serves_no_lldp_mib_and_its_neighbours_see_it_over_cdp_only(
    network: LabNetwork,
) -> None:
    quiet = network.device("br002-sw1")
    router = network.device("br002-rtr1")
    assert subtree(network, quiet, "1.0.8802.1.1.2") == {}
    assert show_neighbours.show_lldp_neighbors_detail(network, quiet) == "% LLDP is not enabled\n"
    assert walked(network, quiet).cdp_run == oids.CDP_TRUE
    assert not walked(network, quiet).serves_lldp
    assert "br002-sw1" not in {r.neighbour for r in neighbour_records(router.name, walked(network, router))}
    seen = {r.neighbour: r for r in cdp_records(router.name, walked(network, router))}
    assert seen["br002-sw1.branch.example.net"].neighbour_address == quiet.address
    assert "\nlldp run\n" not in render_running_config(network, quiet)
    assert "\nlldp run\n" in render_running_config(network, router)


def test_a_device_without_cdp_answers_cdp_global_run_false_and_has_no_cache(network: LabNetwork) -> None:
    quiet = network.device("br003-sw1")
    snmp = walked(network, quiet)
    assert snmp.cdp_run == oids.CDP_FALSE
    assert not any(snmp.cdp_cache.values())
    assert show_neighbours.show_cdp_neighbors_detail(network, quiet) == "% CDP is not enabled\n"
    assert "\nno cdp run\n" in render_running_config(network, quiet)


def test_cache_rows_are_indexed_by_if_index_and_a_device_index_that_moves_on_relearning() -> None:
    clock = [1_000.0]
    network = build_network(6, 1, clock=lambda: clock[0])
    router = network.device("br001-rtr1")
    switch = network.device("br001-sw1")
    device_ids = f"{oids.CDP_CACHE_ENTRY}.{oids.CDP_DEVICE_ID}"
    before = {k: v for k, v in subtree(network, router, device_ids).items() if v == switch.fqdn.encode()}
    (index,) = before
    uplink = next(i for i in router.interfaces.values() if i.peer and i.peer[0] == switch.name)
    assert index.split(".")[0] == str(uplink.if_index)
    clock[0] += 30
    network.set_protocol(switch, CDP, False)
    assert switch.fqdn.encode() not in subtree(network, router, device_ids).values()
    clock[0] += 30
    network.set_protocol(switch, CDP, True)
    after = {k: v for k, v in subtree(network, router, device_ids).items() if v == switch.fqdn.encode()}
    (moved,) = after
    assert moved.split(".")[0] == index.split(".")[0]
    assert int(moved.split(".")[1]) > int(index.split(".")[1])


def test_docstring_examples() -> None:
    result = doctest.testmod(cdp_mib)
    assert result.attempted > 0 and result.failed == 0
