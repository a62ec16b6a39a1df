"""Show command output against ntc-templates (cisco_ios): every line is recognised (templates
raise on strangers) and the parsed fields are the model's values."""

from __future__ import annotations

from typing import Any

import pytest
from ntc_templates.parse import parse_output

from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios import show_interfaces, show_neighbours, show_system
from ward_core.lab.ios.show_interfaces import dotted_mac
from ward_core.lab.ios.state import IosState
from ward_core.lab.model import LabNetwork
from ward_core.lab.topology import build_network


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_796_034_942.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def network() -> LabNetwork:
    clock = ManualClock()
    built = build_network(9, 2, seed=7, clock=clock)
    clock.now += 9 * 86400 + 3 * 3600 + 7 * 60
    return built


def parse(command: str, text: str) -> list[dict[str, Any]]:
    return list(parse_output(platform="cisco_ios", command=command, data=text))


def test_show_version(network: LabNetwork) -> None:
    for device in network:
        (row,) = parse("show version", show_system.show_version(network, device))
        assert row["hostname"] == device.hostname
        assert row["version"] == device.os_version
        assert row["serial"] == [device.serial]
        assert row["hardware"] == [device.model]
        assert (row["uptime_weeks"], row["uptime_days"], row["uptime_hours"], row["uptime_minutes"]) == (
            "1",
            "2",
            "3",
            "7",
        )
        assert row["reload_reason"] in ("PowerOn", "power-on")


def test_show_inventory(network: LabNetwork) -> None:
    for device in network:
        rows = parse("show inventory", show_system.show_inventory(device))
        assert rows[0]["pid"] == device.model
        assert rows[0]["sn"] == device.serial
        assert len({r["name"] for r in rows}) == len(rows)


def test_show_clock(network: LabNetwork) -> None:
    (row,) = parse("show clock", show_system.show_clock(network))
    assert row["time"] == "13:42:42.000"
    assert (row["dayweek"], row["month"], row["day"], row["year"]) == ("Wed", "Dec", "9", "2026")


def test_show_interfaces(network: LabNetwork) -> None:
    state = IosState(network, LabCredentials())
    for device in network:
        rows = parse("show interfaces", show_interfaces.show_interfaces(state, device))
        assert [r["interface"] for r in rows] == [i.name for i in device.by_index()]
        for row, iface in zip(rows, device.by_index(), strict=True):
            assert row["link_status"] == ("up" if iface.oper_up else "down")
            assert row["protocol_status"].split()[0] == ("up" if iface.oper_up else "down")
            assert row["description"] == iface.description
            assert row["mac_address"] == dotted_mac(iface.mac)
            counters = network.counters(iface)
            assert int(row["input_packets"]) == counters.in_pkts
            assert int(row["output_packets"]) == counters.out_pkts
            assert int(row["input_errors"]) == counters.in_errors


def test_show_ip_interface_brief(network: LabNetwork) -> None:
    for device in network:
        rows = parse("show ip interface brief", show_interfaces.show_ip_interface_brief(device))
        assert [(r["interface"], r["status"], r["proto"]) for r in rows] == [
            (i.name, "up" if i.oper_up else "down", "up" if i.oper_up else "down") for i in device.by_index()
        ]


def test_neighbour_tables(network: LabNetwork) -> None:
    for device in network:
        expected = {
            (n.local_interface.name, n.remote.hostname, n.remote_interface.name)
            for n in network.neighbours(device)
        }
        assert expected, f"{device.name} has neighbours in this topology"
        lldp = parse(
            "show lldp neighbors detail", show_neighbours.show_lldp_neighbors_detail(network, device)
        )
        by_name = {d.hostname: d for d in network}
        assert {
            (
                device.interface(r["local_interface"]).name,
                r["neighbor_name"],
                by_name[r["neighbor_name"]].interface(r["neighbor_interface"]).name,
            )
            for r in lldp
        } == expected
        for row in lldp:
            remote = by_name[row["neighbor_name"]]
            remote_if = remote.interface(row["neighbor_interface"])
            assert row["neighbor_port_id"] == show_neighbours.lldp_port_id(remote, remote_if)
            assert row["mgmt_address"] == remote.address
            assert row["chassis_id"] == dotted_mac(remote.chassis_mac)
            assert row["capabilities"] in ("R", "B")
        cdp = parse("show cdp neighbors detail", show_neighbours.show_cdp_neighbors_detail(network, device))
        assert {
            (r["local_interface"], r["neighbor_name"].split(".")[0], r["neighbor_interface"]) for r in cdp
        } == expected
        for row in cdp:
            remote = by_name[row["neighbor_name"].split(".")[0]]
            assert row["neighbor_name"] == f"{remote.hostname}.{remote.domain}"
            assert row["platform"] == f"cisco {remote.model}"
            assert row["mgmt_address"] == remote.address
        brief = parse("show lldp neighbors", show_neighbours.show_lldp_neighbors(network, device))
        assert {r["neighbor_name"] for r in brief} == {name for _, name, _ in expected}
        cdp_brief = parse("show cdp neighbors", show_neighbours.show_cdp_neighbors(network, device))
        assert {r["neighbor_name"].split(".")[0] for r in cdp_brief} == {name for _, name, _ in expected}


def test_a_shut_link_leaves_both_ends_tables() -> None:
    network = build_network(6, 1, seed=7)
    router, switch = network.device("br001-rtr1"), network.device("br001-sw1")
    uplink = switch.interface("Gi1/0/28")
    network.set_admin(switch, uplink, False)
    router_view = parse(
        "show lldp neighbors detail", show_neighbours.show_lldp_neighbors_detail(network, router)
    )
    assert "br001-sw1" not in {r["neighbor_name"] for r in router_view}
    assert (
        parse("show cdp neighbors detail", show_neighbours.show_cdp_neighbors_detail(network, switch)) == []
    )
    text = show_neighbours.show_lldp_neighbors_detail(network, switch)
    assert text.strip() == "Total entries displayed: 0"


def test_lldp_port_id_follows_the_far_devices_subtype() -> None:
    network = build_network(6, 1, seed=7)
    router, switch = network.device("br001-rtr1"), network.device("br001-sw1")
    uplink = switch.interface("Gi1/0/28")
    switch.lldp_port_id_subtype = 7
    rows = parse("show lldp neighbors detail", show_neighbours.show_lldp_neighbors_detail(network, router))
    (row,) = [r for r in rows if r["neighbor_name"] == switch.hostname]
    assert (row["neighbor_port_id"], row["neighbor_interface"]) == (str(uplink.if_index), uplink.name)
