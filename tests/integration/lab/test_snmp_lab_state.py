"""Changes to the lab's model seen over SNMP: link state, LLDP neighbours, counters and faults.

Clients are gufo-snmp sessions over real UDP; the model is changed on the agents' loop
(``BackgroundAgents.call``) and the lab's clock is moved by hand.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Iterator

import pytest
from gufo.snmp import Aes128Key, Sha1Key, SnmpAuthError, User
from gufo.snmp.aio import SnmpSession

from ward_core.lab.model import COUNTER32, Device, Interface, LabNetwork
from ward_core.lab.snmp.background import BackgroundAgents
from ward_core.lab.topology import build_network

pytestmark = pytest.mark.lab

IF_ADMIN_STATUS = "1.3.6.1.2.1.2.2.1.7"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
LLDP_REM_SYS_NAME = "1.0.8802.1.1.2.1.4.1.1.9"
SYS_NAME = "1.3.6.1.2.1.1.5.0"


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_760_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def state_lab() -> Iterator[tuple[LabNetwork, BackgroundAgents, ManualClock]]:
    clock = ManualClock()
    network = build_network(5, 1, seed=21, first_address=ipaddress.IPv4Address("127.49.0.1"), clock=clock)
    with BackgroundAgents(network) as agents:
        yield network, agents, clock


def session(device: Device, agents: BackgroundAgents, timeout: float = 2.0) -> SnmpSession:
    return SnmpSession(device.address, agents.port, community=agents.credentials.community, timeout=timeout)


async def remote_rows(device: Device, agents: BackgroundAgents) -> dict[tuple[int, int, int], bytes]:
    rows: dict[tuple[int, int, int], bytes] = {}
    async with session(device, agents) as s:
        async for oid, value in s.getbulk(LLDP_REM_SYS_NAME):
            mark, port, index = (int(p) for p in oid.split(".")[-3:])
            assert isinstance(value, bytes)
            rows[(mark, port, index)] = value
    return rows


async def status(device: Device, iface: Interface, agents: BackgroundAgents) -> tuple[object, object]:
    async with session(device, agents) as s:
        got = await s.get_many([f"{IF_ADMIN_STATUS}.{iface.if_index}", f"{IF_OPER_STATUS}.{iface.if_index}"])
    return got[f"{IF_ADMIN_STATUS}.{iface.if_index}"], got[f"{IF_OPER_STATUS}.{iface.if_index}"]


def uplink(network: LabNetwork) -> tuple[Device, Interface, Device, Interface]:
    switch = network.device("br001-sw1")
    iface = next(i for i in switch.by_index() if i.peer is not None)
    far = network.peer_of(iface)
    assert far is not None
    return switch, iface, far[0], far[1]


def test_shutdown_is_seen_at_both_ends_and_lldp_relearns_with_new_time_mark(
    state_lab: tuple[LabNetwork, BackgroundAgents, ManualClock],
) -> None:
    network, agents, clock = state_lab
    switch, iface, router, router_if = uplink(network)

    before_switch = asyncio.run(remote_rows(switch, agents))
    before_router = asyncio.run(remote_rows(router, agents))
    assert router.hostname.encode() in before_switch.values()
    assert switch.hostname.encode() in before_router.values()
    assert asyncio.run(status(switch, iface, agents)) == (1, 1)

    clock.now += 30
    agents.call(lambda: network.set_admin(switch, iface, False))
    assert asyncio.run(status(switch, iface, agents)) == (2, 2)
    assert asyncio.run(status(router, router_if, agents)) == (1, 2)
    assert router.hostname.encode() not in asyncio.run(remote_rows(switch, agents)).values()
    after_router = asyncio.run(remote_rows(router, agents))
    assert switch.hostname.encode() not in after_router.values()
    assert len(after_router) == len(before_router) - 1

    clock.now += 45
    agents.call(lambda: network.set_admin(switch, iface, True))
    assert asyncio.run(status(router, router_if, agents)) == (1, 1)
    relearned = asyncio.run(remote_rows(router, agents))
    (old_key,) = [k for k, v in before_router.items() if v == switch.hostname.encode()]
    (new_key,) = [k for k, v in relearned.items() if v == switch.hostname.encode()]
    assert new_key[1:] == old_key[1:]
    assert new_key[0] == old_key[0] + 75 * 100
    assert {k: v for k, v in relearned.items() if k != new_key} == {
        k: v for k, v in before_router.items() if k != old_key
    }


def test_32_bit_counter_wraps_while_64_bit_one_keeps_counting(
    state_lab: tuple[LabNetwork, BackgroundAgents, ManualClock],
) -> None:
    network, agents, clock = state_lab
    switch, iface, _, _ = uplink(network)

    def prime() -> None:
        network.counters(iface).in_octets = COUNTER32 - 1_000
        iface.rate_bps = 80_000_000

    async def read() -> tuple[int, int]:
        async with session(switch, agents) as s:
            got = await s.get_many(
                [f"{IF_IN_OCTETS}.{iface.if_index}", f"{IF_HC_IN_OCTETS}.{iface.if_index}"]
            )
        low, high = got[f"{IF_IN_OCTETS}.{iface.if_index}"], got[f"{IF_HC_IN_OCTETS}.{iface.if_index}"]
        assert isinstance(low, int)
        assert isinstance(high, int)
        return low, high

    agents.call(prime)
    low_before, high_before = asyncio.run(read())
    assert (low_before, high_before) == (COUNTER32 - 1_000, COUNTER32 - 1_000)
    clock.now += 1
    low_after, high_after = asyncio.run(read())
    assert high_after == high_before + 10_000_000
    assert low_after == high_after % COUNTER32
    assert low_after < low_before

    agents.call(lambda: network.set_admin(switch, iface, False))
    clock.now += 60
    assert asyncio.run(read()) == (low_after, high_after)


def test_unreachable_device_is_silent_until_it_comes_back(
    state_lab: tuple[LabNetwork, BackgroundAgents, ManualClock],
) -> None:
    network, agents, _ = state_lab
    device = network.device("br001-rtr1")

    async def name() -> object:
        async with session(device, agents, timeout=0.3) as s:
            return await s.get(SYS_NAME)

    agents.call(lambda: setattr(device, "reachable", False))
    with pytest.raises(TimeoutError):
        asyncio.run(name())
    agents.call(lambda: setattr(device, "reachable", True))
    assert asyncio.run(name()) == device.hostname.encode()


def test_auth_fail_drops_v2c_and_fails_v3(
    state_lab: tuple[LabNetwork, BackgroundAgents, ManualClock],
) -> None:
    network, agents, _ = state_lab
    device = network.device("br001-rtr1")
    credentials = agents.credentials
    user = User(
        credentials.v3_user,
        auth_key=Sha1Key(credentials.auth_password.encode()),
        priv_key=Aes128Key(credentials.priv_password.encode()),
    )

    async def v2c() -> object:
        async with session(device, agents, timeout=0.3) as s:
            return await s.get(SYS_NAME)

    async def v3() -> object:
        async with SnmpSession(device.address, agents.port, user=user, timeout=0.5) as s:
            return await s.get(SYS_NAME)

    assert asyncio.run(v3()) == device.hostname.encode()
    agents.call(lambda: setattr(device, "auth_fail", True))
    with pytest.raises(TimeoutError):
        asyncio.run(v2c())
    with pytest.raises(SnmpAuthError):
        asyncio.run(v3())


def test_slow_device_answers_late_without_delaying_others(
    state_lab: tuple[LabNetwork, BackgroundAgents, ManualClock],
) -> None:
    network, agents, _ = state_lab
    slow, fast = network.device("br001-rtr1"), network.device("br001-sw1")
    agents.call(lambda: setattr(slow, "reply_delay_ms", 400))

    async def timed(device: Device) -> tuple[object, float]:
        start = time.perf_counter()
        async with session(device, agents) as s:
            value = await s.get(SYS_NAME)
        return value, time.perf_counter() - start

    async def both() -> list[tuple[object, float]]:
        return list(await asyncio.gather(timed(slow), timed(fast)))

    (slow_value, slow_took), (fast_value, fast_took) = asyncio.run(both())
    assert slow_value == slow.hostname.encode()
    assert fast_value == fast.hostname.encode()
    assert slow_took >= 0.4
    assert fast_took < 0.35
