"""The device MIB read straight from a hand-built model (no sockets): every group's values."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ward_core.lab.model import Device, Interface, LabNetwork
from ward_core.lab.snmp.ber import Value, decode_value
from ward_core.lab.snmp.context import DeviceContext
from ward_core.lab.snmp.device_mib import DEVICE_VIEW
from ward_core.lab.snmp.identity import engine_id


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Engine:
    engine_id: bytes
    max_message_size: int = 1472

    def engine_clock(self) -> tuple[int, int]:
        return 4, 321


def device(name: str, address: str, role: str, model: str, mac: str, ports: int) -> Device:
    interfaces = {
        f"GigabitEthernet0/{n}": Interface(
            f"GigabitEthernet0/{n}", n + 1, f"{mac[:-2]}{n + 1:02x}", 1_000_000_000
        )
        for n in range(ports)
    }
    return Device(
        name,
        address,
        "branch-042",
        "west",
        role,
        model,
        "FDO1",
        mac,
        os_version="16.9.8",
        interfaces=interfaces,
        cpu_percent=17,
        memory_used=500_000_000,
    )


@pytest.fixture
def lab() -> tuple[LabNetwork, Clock, Device, Device]:
    clock = Clock()
    network = LabNetwork(clock)
    network.add_site("branch-042", "west")
    router = network.add_device(
        device("r1", "127.50.0.1", "branch-router", "ISR4331/K9", "00:1e:bd:00:a0:00", 3)
    )
    switch = network.add_device(
        device("s1", "127.50.0.2", "access-switch", "WS-C2960X-24PS-L", "00:1e:bd:00:b0:00", 2)
    )
    switch.lldp_port_id_subtype = 7
    network.connect("r1", "GigabitEthernet0/2", "s1", "GigabitEthernet0/1")
    clock.now += 12.5
    return network, clock, router, switch


def get(network: LabNetwork, dev: Device, *oid: int) -> Value:
    encoded = DEVICE_VIEW.get(DeviceContext(network, dev, Engine(engine_id(dev))), oid)
    tag, value, _ = decode_value(encoded, 0, len(encoded))
    assert tag < 0x80, f"{oid}: exception 0x{tag:02x}"
    return value


def column(network: LabNetwork, dev: Device, *prefix: int) -> dict[tuple[int, ...], Value]:
    ctx = DeviceContext(network, dev, Engine(engine_id(dev)))
    rows: dict[tuple[int, ...], Value] = {}
    oid: tuple[int, ...] = prefix
    while (found := DEVICE_VIEW.next(ctx, oid)) is not None and found[0][: len(prefix)] == prefix:
        oid = found[0]
        rows[oid[len(prefix) :]] = decode_value(found[1], 0, len(found[1]))[1]
    return rows


def test_system_group(lab: tuple[LabNetwork, Clock, Device, Device]) -> None:
    network, _, router, switch = lab
    descr = get(network, router, 1, 3, 6, 1, 2, 1, 1, 1, 0)
    assert isinstance(descr, bytes)
    assert b"Version 16.9.8" in descr
    assert get(network, router, 1, 3, 6, 1, 2, 1, 1, 2, 0) == (1, 3, 6, 1, 4, 1, 9, 1, 1861)
    assert get(network, router, 1, 3, 6, 1, 2, 1, 1, 3, 0) == 1250
    assert get(network, router, 1, 3, 6, 1, 2, 1, 1, 5, 0) == b"r1"
    assert get(network, router, 1, 3, 6, 1, 2, 1, 1, 6, 0) == b"branch-042"
    assert get(network, router, 1, 3, 6, 1, 2, 1, 1, 7, 0) == 78
    assert get(network, switch, 1, 3, 6, 1, 2, 1, 1, 7, 0) == 2


def test_interfaces(lab: tuple[LabNetwork, Clock, Device, Device]) -> None:
    network, clock, router, _ = lab
    assert get(network, router, 1, 3, 6, 1, 2, 1, 2, 1, 0) == 3
    assert column(network, router, 1, 3, 6, 1, 2, 1, 2, 2, 1, 2) == {
        (1,): b"GigabitEthernet0/0",
        (2,): b"GigabitEthernet0/1",
        (3,): b"GigabitEthernet0/2",
    }
    assert column(network, router, 1, 3, 6, 1, 2, 1, 2, 2, 1, 8) == {(1,): 2, (2,): 2, (3,): 1}
    assert get(network, router, 1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 3) == 1_000_000_000
    assert get(network, router, 1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15, 3) == 1000
    assert get(network, router, 1, 3, 6, 1, 2, 1, 2, 2, 1, 6, 3) == bytes.fromhex("001ebd00a003")
    assert get(network, router, 1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1, 3) == b"Gi0/2"
    iface = router.interfaces["GigabitEthernet0/2"]
    assert network.counters(iface).in_octets == 0
    iface.rate_bps = 8_000
    clock.now += 10
    assert get(network, router, 1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 3) == 10_000
    network.set_admin(router, iface, False)
    assert get(network, router, 1, 3, 6, 1, 2, 1, 2, 2, 1, 9, 3) == 2250


def test_lldp_local_and_remote(lab: tuple[LabNetwork, Clock, Device, Device]) -> None:
    network, clock, router, switch = lab
    assert get(network, router, 1, 0, 8802, 1, 1, 2, 1, 3, 2, 0) == bytes.fromhex("001ebd00a000")
    assert column(network, switch, 1, 0, 8802, 1, 1, 2, 1, 3, 7, 1, 3) == {(1,): b"1", (2,): b"2"}
    remote = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)
    assert column(network, router, *remote, 9) == {(0, 3, 1): b"s1"}
    assert column(network, router, *remote, 5) == {(0, 3, 1): bytes.fromhex("001ebd00b000")}
    assert column(network, router, *remote, 6) == {(0, 3, 1): 7}
    assert column(network, router, *remote, 7) == {(0, 3, 1): b"2"}
    assert column(network, router, *remote, 8) == {(0, 3, 1): b"GigabitEthernet0/1"}
    assert column(network, switch, *remote, 7) == {(0, 2, 1): b"Gi0/2"}
    assert column(network, router, *remote, 12) == {(0, 3, 1): bytes((0x20,))}
    man = column(network, router, 1, 0, 8802, 1, 1, 2, 1, 4, 2, 1, 3)
    assert list(man) == [(0, 3, 1, 1, 4, 127, 50, 0, 2)]
    clock.now += 7
    network.reboot(switch)
    assert column(network, router, *remote, 9) == {(1950, 3, 1): b"s1"}
    assert column(network, switch, *remote, 9) == {(0, 2, 1): b"r1"}
    switch.reachable = False
    assert column(network, router, *remote, 9) == {}


def test_resources_and_engine(lab: tuple[LabNetwork, Clock, Device, Device]) -> None:
    network, _, router, _ = lab
    assert get(network, router, 1, 3, 6, 1, 4, 1, 9, 9, 109, 1, 1, 1, 1, 8, 1) == 17
    assert get(network, router, 1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2, 1) == 17
    used = column(network, router, 1, 3, 6, 1, 4, 1, 9, 9, 48, 1, 1, 1, 5)
    free = column(network, router, 1, 3, 6, 1, 4, 1, 9, 9, 48, 1, 1, 1, 6)
    assert used[(1,)] == 500_000_000
    assert free[(1,)] == router.memory_total - 500_000_000
    assert set(used) == set(free) == {(1,), (2,)}
    assert get(network, router, 1, 3, 6, 1, 6, 3, 10, 2, 1, 1, 0) == engine_id(router)
    assert get(network, router, 1, 3, 6, 1, 6, 3, 10, 2, 1, 2, 0) == 4
    assert get(network, router, 1, 3, 6, 1, 6, 3, 10, 2, 1, 4, 0) == 1472
