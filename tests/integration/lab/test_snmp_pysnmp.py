"""The lab's SNMP agents against pysnmp 7 (v2c and v3 authPriv), over real UDP sockets."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_walk_cmd,
    get_cmd,
    usmAesCfb128Protocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMACSHAAuthProtocol,
)

from ward_core.lab.model import Device, LabNetwork
from ward_core.lab.snmp.background import BackgroundAgents
from ward_core.lab.snmp.credentials import SnmpCredentials
from ward_core.lab.topology import build_network

pytestmark = pytest.mark.lab

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
LLDP_REM_SYS_NAME = "1.0.8802.1.1.2.1.4.1.1.9"
SYS_NAME = "1.3.6.1.2.1.1.5.0"


@pytest.fixture(scope="module")
def network() -> LabNetwork:
    return build_network(6, 1, seed=5, first_address=ipaddress.IPv4Address("127.47.0.1"))


@pytest.fixture(scope="module")
def sha_agents(network: LabNetwork) -> Iterator[BackgroundAgents]:
    with BackgroundAgents(network, credentials=SnmpCredentials()) as agents:
        yield agents


def usm(credentials: SnmpCredentials, auth_password: str | None = None) -> UsmUserData:
    protocol = (
        usmHMAC192SHA256AuthProtocol if credentials.auth_protocol == "SHA-256" else usmHMACSHAAuthProtocol
    )
    return UsmUserData(
        credentials.v3_user,
        auth_password or credentials.auth_password,
        credentials.priv_password,
        authProtocol=protocol,
        privProtocol=usmAesCfb128Protocol,
    )


async def bulk_walk(
    auth: Any,
    device: Device,
    port: int,
    column: str,
    repetitions: int = 25,
    lexicographic: bool = False,
    engine: SnmpEngine | None = None,
) -> list[tuple[tuple[int, ...], Any]]:
    own = engine is None
    engine = engine or SnmpEngine()
    try:
        target = await UdpTransportTarget.create((device.address, port), timeout=2, retries=0)
        rows: list[tuple[tuple[int, ...], Any]] = []
        async for error, status, _, varbinds in bulk_walk_cmd(
            engine,
            auth,
            target,
            ContextData(),
            0,
            repetitions,
            ObjectType(ObjectIdentity(column)),
            lexicographicMode=lexicographic,
            lookupMib=False,
        ):
            assert error is None, f"{device.name}: {error}"
            assert not status, f"{device.name}: {status.prettyPrint()}"
            rows.extend((tuple(name), value) for name, value in varbinds)
        return rows
    finally:
        if own:
            engine.close_dispatcher()


async def get(auth: Any, device: Device, port: int, oid: str) -> tuple[Any, Any]:
    engine = SnmpEngine()
    try:
        target = await UdpTransportTarget.create((device.address, port), timeout=1, retries=0)
        error, status, _, varbinds = await get_cmd(
            engine, auth, target, ContextData(), ObjectType(ObjectIdentity(oid)), lookupMib=False
        )
        return error, (varbinds[0][1] if varbinds and not status else status)
    finally:
        engine.close_dispatcher()


def walk_tables(auth: Any, network: LabNetwork, port: int) -> None:
    async def run() -> None:
        engine = SnmpEngine()
        try:
            for device in network:
                interfaces = device.by_index()
                descr = await bulk_walk(auth, device, port, IF_DESCR, engine=engine)
                assert [str(v) for _, v in descr] == [i.name for i in interfaces]
                assert [oid[-1] for oid, _ in descr] == [i.if_index for i in interfaces]
                octets = await bulk_walk(auth, device, port, IF_HC_IN_OCTETS, repetitions=7, engine=engine)
                assert len(octets) == len(interfaces)
                remotes = await bulk_walk(auth, device, port, LLDP_REM_SYS_NAME, engine=engine)
                expected = sorted(n.remote.hostname for n in network.neighbours(device))
                assert sorted(str(v) for _, v in remotes) == expected
        finally:
            engine.close_dispatcher()

    asyncio.run(run())


def test_v2c_bulk_walks_every_table(network: LabNetwork, sha_agents: BackgroundAgents) -> None:
    walk_tables(CommunityData(sha_agents.credentials.community), network, sha_agents.port)


def test_v3_sha_aes_bulk_walks_every_table(network: LabNetwork, sha_agents: BackgroundAgents) -> None:
    walk_tables(usm(sha_agents.credentials), network, sha_agents.port)


def test_v3_sha256_aes_walk_and_get(network: LabNetwork) -> None:
    credentials = SnmpCredentials(auth_protocol="SHA-256")
    with BackgroundAgents(network, credentials=credentials) as agents:
        device = network.device("br001-rtr1")
        rows = asyncio.run(bulk_walk(usm(credentials), device, agents.port, IF_OPER_STATUS))
        assert [int(v) for _, v in rows] == [1 if i.oper_up else 2 for i in device.by_index()]
        error, value = asyncio.run(get(usm(credentials), device, agents.port, SYS_NAME))
        assert error is None
        assert str(value) == device.hostname


def test_lexicographic_walk_of_whole_mib_stops_at_end_of_mib_view(
    network: LabNetwork, sha_agents: BackgroundAgents
) -> None:
    device = network.device("br001-sw1")
    auth = CommunityData(sha_agents.credentials.community)
    rows = asyncio.run(bulk_walk(auth, device, sha_agents.port, "1.0", repetitions=40, lexicographic=True))
    oids = [oid for oid, _ in rows]
    assert oids == sorted(set(oids))
    assert oids[-1][:9] == (1, 3, 6, 1, 6, 3, 10, 2, 1)
    assert len([o for o in oids if o[:10] == (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)]) == len(device.interfaces)


def test_v3_wrong_key_is_an_error(network: LabNetwork, sha_agents: BackgroundAgents) -> None:
    device = network.device("br001-rtr1")
    error, _ = asyncio.run(
        get(usm(sha_agents.credentials, "wrong-password"), device, sha_agents.port, SYS_NAME)
    )
    assert error is not None
    assert "wrongDigest" in str(error) or "Wrong SNMP PDU digest" in str(error)


def test_v2c_wrong_community_times_out(network: LabNetwork, sha_agents: BackgroundAgents) -> None:
    device = network.device("br001-rtr1")
    error, _ = asyncio.run(get(CommunityData("wrong"), device, sha_agents.port, SYS_NAME))
    assert error is not None
    assert "timeout" in str(error).lower()
