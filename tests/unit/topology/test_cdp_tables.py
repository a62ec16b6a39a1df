"""CISCO-CDP-MIB rows to records: index read as ifIndex.deviceIndex, addresses and capabilities
decoded, device IDs with a domain or a serial matched like the SSH path's, LLDP and CDP evidence of
one cable merged into one link, and garbage rows explained rather than fatal."""

from __future__ import annotations

from datetime import UTC, datetime

from ward_ios_neighbours.parse import cdp_records as cli_cdp_records
from ward_lldp import oids
from ward_lldp.cdp_tables import cdp_records, missing_interfaces
from ward_lldp.tables import Walked, neighbour_records

from ward_core.topology import DeviceInfo, Observation, Reason, match
from ward_core.types import Link

DEVICE_ID, PORT, PLATFORM, CAPS = (
    oids.CDP_DEVICE_ID,
    oids.CDP_DEVICE_PORT,
    oids.CDP_PLATFORM,
    oids.CDP_CAPABILITIES,
)
ADDRESS_TYPE, ADDRESS = oids.CDP_ADDRESS_TYPE, oids.CDP_ADDRESS
DEVICES = [
    DeviceInfo(name="br001-rtr1", host="10.0.1.1"),
    DeviceInfo(name="br001-sw1", host="10.0.1.2"),
    DeviceInfo(name="core1", host="10.0.0.1"),
]


def router() -> Walked:
    """br001-rtr1: CDP sees br001-sw1 (FQDN) on ifIndex 2 and core1 (NX-OS, serial) on ifIndex 1."""
    walked = Walked()
    walked.scalars = {oids.CDP_GLOBAL_RUN: 1}
    walked.if_names = {"1": b"Gi0/0/0", "2": b"Gi0/0/1"}
    walked.cdp_cache = {
        DEVICE_ID: {"2.17": b"br001-sw1.branch.example.net", "1.3": b"core1(FOX1234ABCD)"},
        ADDRESS_TYPE: {"2.17": 1, "1.3": 1},
        ADDRESS: {"2.17": bytes([10, 0, 1, 2]), "1.3": bytes([10, 0, 0, 1])},
        PORT: {"2.17": b"GigabitEthernet1/0/28", "1.3": b"Ethernet1/7"},
        PLATFORM: {"2.17": b"cisco WS-C2960X-24PS-L", "1.3": b"N9K-C93180YC-EX"},
        CAPS: {"2.17": bytes.fromhex("00000028"), "1.3": bytes.fromhex("00000029")},
    }
    return walked


def seen(device: str, *records: object) -> Observation:
    return Observation(
        device=device,
        transport="snmp",
        collected_at=datetime(2026, 3, 1, tzinfo=UTC),
        ok=True,
        records=tuple(records),  # type: ignore[arg-type]
    )


def test_rows_decode_like_the_cli_reads_them() -> None:
    core, switch = cdp_records("br001-rtr1", router())
    assert (switch.local_interface, switch.neighbour, switch.neighbour_interface) == (
        "Gi0/0/1",
        "br001-sw1.branch.example.net",
        "GigabitEthernet1/0/28",
    )
    assert (switch.neighbour_address, switch.platform, switch.capabilities) == (
        "10.0.1.2",
        "cisco WS-C2960X-24PS-L",
        ("Switch", "IGMP"),
    )
    assert (switch.protocol, switch.chassis_id, switch.neighbour_port_id) == ("cdp", None, None)
    assert (core.local_interface, core.neighbour, core.capabilities) == (
        "Gi0/0/0",
        "core1(FOX1234ABCD)",
        ("Router", "Switch", "IGMP"),
    )
    cli = cli_cdp_records(
        "br001-rtr1",
        "-------------------------\nDevice ID: br001-sw1.branch.example.net\nEntry address(es): \n"
        "  IP address: 10.0.1.2\nPlatform: cisco WS-C2960X-24PS-L,  Capabilities: Switch IGMP \n"
        "Interface: GigabitEthernet0/0/1,  Port ID (outgoing port): GigabitEthernet1/0/28\n"
        "Holdtime : 150 sec\n\nVersion :\nCisco IOS Software\n\nadvertisement version: 2\n"
        "Management address(es): \n  IP address: 10.0.1.2\n\n\nTotal cdp entries displayed : 1\n",
    )
    (by_cli,) = cli
    assert (by_cli.neighbour, by_cli.neighbour_interface, by_cli.neighbour_address, by_cli.capabilities) == (
        switch.neighbour,
        switch.neighbour_interface,
        switch.neighbour_address,
        switch.capabilities,
    )


def test_domain_and_serial_device_ids_find_their_devices_and_links_form() -> None:
    switch = Walked()
    switch.if_names = {"28": b"Gi1/0/28"}
    switch.cdp_cache = {
        DEVICE_ID: {"28.5": b"br001-rtr1.branch.example.net"},
        PORT: {"28.5": b"GigabitEthernet0/0/1"},
    }
    core = Walked()
    core.if_names = {"7": b"Ethernet1/7"}
    core.cdp_cache = {DEVICE_ID: {"7.1": b"BR001-RTR1"}, PORT: {"7.1": b"GigabitEthernet0/0/0"}}
    result = match(
        DEVICES,
        {
            "br001-rtr1": seen("br001-rtr1", *cdp_records("br001-rtr1", router())),
            "br001-sw1": seen("br001-sw1", *cdp_records("br001-sw1", switch)),
            "core1": seen("core1", *cdp_records("core1", core)),
        },
    )
    assert {(info.link, info.kind) for info in result.links} == {
        (
            Link.between("br001-rtr1", "GigabitEthernet0/0/1", "br001-sw1", "GigabitEthernet1/0/28"),
            "two_sided",
        ),
        (Link.between("br001-rtr1", "GigabitEthernet0/0/0", "core1", "Ethernet1/7"), "two_sided"),
    }
    assert all(info.protocols == ("cdp",) for info in result.links)


def test_lldp_and_cdp_rows_of_one_cable_merge_into_one_link() -> None:
    walked = router()
    lldp = "1.0.8802.1.1.2.1"
    walked.scalars.update({f"{lldp}.3.1.0": 4, f"{lldp}.3.2.0": bytes.fromhex("001ebd001000")})
    walked.loc_ports = {"2.2": 5, "3.2": b"Gi0/0/1"}
    walked.remotes = {"9.0.2.1": b"br001-sw1", "6.0.2.1": 5, "7.0.2.1": b"Gi1/0/28"}
    records = neighbour_records("br001-rtr1", walked) + cdp_records("br001-rtr1", walked)
    assert [r.protocol for r in records] == ["lldp", "cdp", "cdp"]
    result = match(DEVICES, {"br001-rtr1": seen("br001-rtr1", *records)})
    switch_link = next(
        info for info in result.links if "br001-sw1" in (info.link.a_device, info.link.b_device)
    )
    assert switch_link.link == Link.between(
        "br001-rtr1", "GigabitEthernet0/0/1", "br001-sw1", "GigabitEthernet1/0/28"
    )
    assert switch_link.protocols == ("cdp", "lldp")
    assert len(result.links) == 2


def test_garbage_rows_become_records_that_discovery_explains() -> None:
    walked = router()
    cache = walked.cdp_cache
    cache[DEVICE_ID].update({"9": b"short-index", "44.1": b"nowhere-sw", "45.1": b"", "46.1": b"\x00\x01"})
    cache[ADDRESS_TYPE].update({"44.1": 1, "45.1": 8, "46.1": 1})
    cache[ADDRESS].update({"44.1": b"\x0a\x00", "45.1": bytes(4), "46.1": bytes([10, 0, 1, 2])})
    cache[CAPS].update({"44.1": b"\x01\x02\x03\x04\x05"})
    cache[PORT].update({"45.1": b"Gi0/1"})
    walked.if_descrs = {"44": b"GigabitEthernet0/0/7"}
    assert missing_interfaces(walked)
    records = cdp_records("br001-rtr1", walked)
    assert len(records) == 6
    odd = {r.neighbour: r for r in records}
    assert odd["short-index"].local_interface == ""
    assert (odd["nowhere-sw"].local_interface, odd["nowhere-sw"].neighbour_address) == (
        "GigabitEthernet0/0/7",
        None,
    )
    assert odd["nowhere-sw"].capabilities == ()
    assert (odd[""].local_interface, odd[""].neighbour_address) == ("", None)
    assert (odd["0001"].local_interface, odd["0001"].neighbour_address) == ("", "10.0.1.2")
    result = match(DEVICES, {"br001-rtr1": seen("br001-rtr1", *records)})
    reasons = sorted(e.reason.value for e in result.explanations)
    assert reasons.count(Reason.UNUSABLE_RECORD.value) == 3
    assert reasons.count(Reason.UNKNOWN_DEVICE.value) == 1
    assert reasons.count(Reason.FAR_END_NOT_COLLECTED.value) == 2
    assert len(result.explanations) == 6
    assert {info.kind for info in result.links} == {"one_sided"}


def test_an_agent_without_interface_names_for_cdp_rows_needs_if_descr() -> None:
    walked = router()
    assert not missing_interfaces(walked)
    walked.if_names = {}
    assert missing_interfaces(walked)
    walked.if_descrs = {"1": b"GigabitEthernet0/0/0", "2": b"GigabitEthernet0/0/1"}
    assert [r.local_interface for r in cdp_records("br001-rtr1", walked)] == [
        "GigabitEthernet0/0/0",
        "GigabitEthernet0/0/1",
    ]
