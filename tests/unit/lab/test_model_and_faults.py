from __future__ import annotations

from collections.abc import Callable

import pytest

from ward_core.errors import LabError
from ward_core.lab.faults import FLAP_COUNT, FaultInjector
from ward_core.lab.model import COUNTER32, LabNetwork
from ward_core.lab.topology import build_network


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def network_with_clock() -> tuple[LabNetwork, ManualClock]:
    clock = ManualClock()
    return build_network(8, 1, seed=2, clock=clock), clock


def test_shutdown_takes_the_link_down_at_both_ends_and_stops_traffic() -> None:
    network, clock = network_with_clock()
    router = network.device("br001-rtr1")
    switch = network.device("br001-sw1")
    (uplink,) = [i for i in switch.interfaces.values() if i.peer]
    far = router.interfaces[uplink.peer[1]]  # type: ignore[index]
    assert uplink.oper_up and far.oper_up
    assert "br001-sw1" in [n.remote.name for n in network.neighbours(router)]

    before = network.counters(far).in_octets
    clock.now += 10
    moving = network.counters(far).in_octets
    assert moving > before

    network.set_admin(switch, uplink, False)
    assert not uplink.oper_up and not far.oper_up and far.admin_up
    assert "br001-sw1" not in [n.remote.name for n in network.neighbours(router)]
    stopped = network.counters(far).in_octets
    clock.now += 10
    assert network.counters(far).in_octets == stopped

    network.set_admin(switch, uplink, True)
    assert far.oper_up
    assert "br001-sw1" in [n.remote.name for n in network.neighbours(router)]


def test_32_bit_view_of_octets_wraps() -> None:
    network, clock = network_with_clock()
    iface = next(i for d in network for i in d.interfaces.values() if i.oper_up and i.rate_bps)
    iface.rate_bps = 8_000_000_000
    start = network.counters(iface).in_octets
    clock.now += 10
    after = network.counters(iface).in_octets
    assert after - start == 10_000_000_000
    assert after // COUNTER32 > start // COUNTER32, "the 32-bit view (value mod 2**32) wrapped"


def test_reboot_restarts_uptime_and_counters() -> None:
    network, clock = network_with_clock()
    device = network.device("br001-rtr1")
    clock.now += 500
    assert network.uptime_ticks(device) == 50_000
    FaultInjector(network, icmp_available=False).apply("br001-rtr1", "reboot")
    assert network.uptime_ticks(device) == 0
    assert all(network.counters(i).in_octets == 0 for i in device.interfaces.values())


def test_faults_change_the_model_and_clear() -> None:
    network, _ = network_with_clock()
    faults = FaultInjector(network, icmp_available=True)
    device = network.device("br001-sw2")
    faults.apply(device.name, "down")
    faults.apply(device.name, "slow", "250")
    faults.apply(device.name, "auth-fail")
    faults.apply(device.name, "packet-loss", "30")
    outcome = faults.apply(device.name, "config-drift")
    assert "ip http server" in outcome.message
    assert (device.reachable, device.reply_delay_ms, device.auth_fail, device.packet_loss_pct) == (
        False,
        250,
        True,
        30,
    )
    assert device.unsaved_changes
    faults.apply(device.name, "clear")
    assert (device.reachable, device.reply_delay_ms, device.auth_fail, device.packet_loss_pct) == (
        True,
        0,
        False,
        0,
    )


def test_icmp_faults_are_refused_without_the_namespace() -> None:
    network, _ = network_with_clock()
    faults = FaultInjector(network, icmp_available=False)
    with pytest.raises(LabError, match="needs the lab namespace"):
        faults.apply("br001-rtr1", "packet-loss", "10")
    assert "--netns" in (faults.apply("br001-rtr1", "down").icmp_note or "")


def test_bad_fault_requests_are_named() -> None:
    network, _ = network_with_clock()
    faults = FaultInjector(network, icmp_available=True)
    with pytest.raises(LabError, match="no device 'ghost'"):
        faults.apply("ghost", "down")
    with pytest.raises(LabError, match="unknown fault 'melt'"):
        faults.apply("br001-rtr1", "melt")
    with pytest.raises(LabError, match="needs MS"):
        faults.apply("br001-rtr1", "slow")
    with pytest.raises(LabError, match="between 0 and 100"):
        faults.apply("br001-rtr1", "packet-loss", "140")


def test_flap_and_far_end_link_loss() -> None:
    network, _ = network_with_clock()
    scheduled: list[tuple[float, Callable[[], None]]] = []
    faults = FaultInjector(network, icmp_available=False, schedule=lambda d, cb: scheduled.append((d, cb)))
    switch = network.device("br001-sw1")
    (uplink,) = [i for i in switch.interfaces.values() if i.peer]
    faults.apply(switch.name, "flap", uplink.short_name)
    assert len(scheduled) == 2 * FLAP_COUNT
    states = []
    for _, callback in sorted(scheduled, key=lambda item: item[0]):
        callback()
        states.append(uplink.oper_up)
    assert states == [False, True] * FLAP_COUNT

    faults.apply(switch.name, "if-down", uplink.name)
    assert uplink.admin_up and not uplink.oper_up
    faults.apply(switch.name, "if-up", uplink.name)
    assert uplink.oper_up
