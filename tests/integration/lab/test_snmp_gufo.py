"""The lab's SNMP agents against gufo-snmp (v2c and v3 authPriv), over real UDP sockets.

The lab runs on a frozen clock here, so every counter gufo reads must equal the model's exactly.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator

import pytest
from gufo.snmp import Aes128Key, Sha1Key, Sha256Key, SnmpAuthError, User
from gufo.snmp.aio import SnmpSession

from ward_core.lab.model import Device, LabNetwork
from ward_core.lab.snmp.background import BackgroundAgents
from ward_core.lab.snmp.credentials import SnmpCredentials
from ward_core.lab.snmp.identity import engine_id
from ward_core.lab.topology import build_network

pytestmark = pytest.mark.lab

IF_X = "1.3.6.1.2.1.31.1.1.1"
IF_X_COLUMNS = {1: "name", 6: "in_octets", 7: "in_pkts", 10: "out_octets", 11: "out_pkts", 15: "high_speed"}
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
ENGINE_BOOTS = "1.3.6.1.6.3.10.2.1.2.0"


class FrozenClock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def network() -> LabNetwork:
    return build_network(5, 1, seed=9, first_address=ipaddress.IPv4Address("127.48.0.1"), clock=FrozenClock())


@pytest.fixture(scope="module")
def agents(network: LabNetwork) -> Iterator[BackgroundAgents]:
    with BackgroundAgents(network) as running:
        yield running


def v3_user(credentials: SnmpCredentials) -> User:
    key = Sha256Key if credentials.auth_protocol == "SHA-256" else Sha1Key
    return User(
        credentials.v3_user,
        auth_key=key(credentials.auth_password.encode()),
        priv_key=Aes128Key(credentials.priv_password.encode()),
    )


async def poll_if_x(session: SnmpSession) -> dict[int, dict[int, object]]:
    table: dict[int, dict[int, object]] = {}
    for column in IF_X_COLUMNS:
        async for oid, value in session.getbulk(f"{IF_X}.{column}", max_repetitions=9):
            table.setdefault(int(oid.rsplit(".", 1)[1]), {})[column] = value
    return table


def expected_if_x(network: LabNetwork, device: Device) -> dict[int, dict[int, object]]:
    rows: dict[int, dict[int, object]] = {}
    for iface in device.by_index():
        counters = network.counters(iface)
        rows[iface.if_index] = {
            1: iface.short_name.encode(),
            6: counters.in_octets,
            7: counters.in_pkts,
            10: counters.out_octets,
            11: counters.out_pkts,
            15: iface.speed_bps // 1_000_000,
        }
    return rows


def test_v2c_getbulk_of_if_x_table_matches_model(network: LabNetwork, agents: BackgroundAgents) -> None:
    async def run() -> None:
        for device in network:
            async with SnmpSession(
                device.address, agents.port, community=agents.credentials.community, timeout=2
            ) as s:
                assert await poll_if_x(s) == expected_if_x(network, device)

    asyncio.run(run())


@pytest.mark.parametrize("protocol", ["SHA", "SHA-256"])
def test_v3_getbulk_and_get_many_after_engine_discovery(network: LabNetwork, protocol: str) -> None:
    credentials = SnmpCredentials(auth_protocol=protocol)

    async def run(port: int) -> None:
        for device in network:
            async with SnmpSession(device.address, port, user=v3_user(credentials), timeout=2) as session:
                assert session.get_engine_id() == engine_id(device)
                assert await poll_if_x(session) == expected_if_x(network, device)
                values = await session.get_many([SYS_NAME, SYS_UPTIME])
                assert values[SYS_NAME] == device.hostname.encode()
                assert values[SYS_UPTIME] == network.uptime_ticks(device)

    with BackgroundAgents(network, credentials=credentials) as running:
        asyncio.run(run(running.port))


def test_v3_with_known_engine_id_syncs_time_through_not_in_time_window_report(
    network: LabNetwork, agents: BackgroundAgents
) -> None:
    device = network.device("br001-rtr1")

    async def run() -> bytes:
        user = v3_user(agents.credentials)
        async with SnmpSession(
            device.address, agents.port, user=user, engine_id=engine_id(device), timeout=2
        ) as s:
            value = await s.get(SYS_NAME)
            assert isinstance(value, bytes)
            return value

    assert asyncio.run(run()) == device.hostname.encode()
    assert agents.pool.stats.answered > 0


def reboot_later(network: LabNetwork, device: Device) -> None:
    clock = network.clock
    assert isinstance(clock, FrozenClock)
    clock.now += 600
    network.reboot(device)


def test_v3_reboot_bumps_engine_boots_and_client_resyncs(
    network: LabNetwork, agents: BackgroundAgents
) -> None:
    device = network.device("br001-sw1")

    async def run() -> tuple[object, object]:
        async with SnmpSession(device.address, agents.port, user=v3_user(agents.credentials), timeout=2) as s:
            before = await s.get(ENGINE_BOOTS)
            agents.call(lambda: reboot_later(network, device))
            with pytest.raises(SnmpAuthError):
                await s.get(ENGINE_BOOTS)
            await s.refresh()
            return before, await s.get(ENGINE_BOOTS)

    before, after = asyncio.run(run())
    assert isinstance(before, int)
    assert after == before + 1


def test_v3_wrong_key_fails(network: LabNetwork, agents: BackgroundAgents) -> None:
    device = network.device("br001-rtr1")
    wrong = SnmpCredentials(auth_password="not-the-auth-password")

    async def run() -> None:
        async with SnmpSession(device.address, agents.port, user=v3_user(wrong), timeout=0.5) as session:
            await session.get(SYS_NAME)

    with pytest.raises(SnmpAuthError):
        asyncio.run(run())
