"""``show lldp/cdp neighbors detail`` as the simulated IOS prints them, parsed; and broken entries."""

from __future__ import annotations

from ward_ios_neighbours.parse import cdp_records, lldp_records, refused

from ward_core.lab.ios.show_neighbours import show_cdp_neighbors_detail, show_lldp_neighbors_detail
from ward_core.lab.topology import build_network


def test_every_neighbour_of_every_lab_device_parses_from_both_tables() -> None:
    network = build_network(20, sites=4, clock=lambda: 1000.0)
    for device in network.devices.values():
        wired = {
            (n.local_interface.name, n.remote.name, n.remote_interface.name)
            for n in network.neighbours(device)
        }
        lldp = lldp_records(device.name, show_lldp_neighbors_detail(network, device))
        cdp = cdp_records(device.name, show_cdp_neighbors_detail(network, device))
        assert {(r.local_interface, r.neighbour, r.neighbour_interface) for r in cdp} == {
            (local, f"{remote}.branch.example.net", port) for local, remote, port in wired
        }
        assert {r.neighbour for r in lldp} == {remote for _, remote, _ in wired}
        assert all(r.chassis_id and r.neighbour_port_id and r.neighbour_address for r in lldp)


def test_a_broken_entry_costs_only_itself() -> None:
    network = build_network(6, sites=1, clock=lambda: 1000.0)
    router = network.devices["br001-rtr1"]
    output = show_lldp_neighbors_detail(network, router)
    entries = output.split("------------------------------------------------\n")
    entries[1] = entries[1].replace("Port id:", "Port id:\nthis line means nothing to the template\n", 1)
    broken = "------------------------------------------------\n".join(entries)
    records = lldp_records(router.name, broken)
    assert len(records) == len(network.neighbours(router))
    salvaged = [r for r in records if r.chassis_id is None]
    assert len(salvaged) == 1
    assert salvaged[0].local_interface and salvaged[0].neighbour


def test_a_disabled_protocol_is_a_refusal() -> None:
    assert refused("\n% LLDP is not enabled\n") == "% LLDP is not enabled"
    assert refused("Capability codes:\n% not at the start") is None
