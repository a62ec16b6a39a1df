"""SNMP SET (``ward_snmp.setter``, on pysnmp) against a real net-snmp agent and the simulated lab.

The agent's write community and v3 user may write the system group only, so these tests set
sysLocation and sysContact (and see ifAdminStatus refused) without touching the host.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from ward_snmp.oids import IF_ADMIN_STATUS
from ward_snmp.setter import SnmpSetter, Typed, set_if_admin_status, set_values
from ward_snmp.testing import NetSnmpAgent, SnmpdUser, random_loopback

from ward_core.errors import AuthenticationFailed, CommandRejected, ConfigError, DeviceUnreachable
from ward_core.inventory.credentials import CredentialResolver
from ward_core.testing.lab import running_lab
from ward_core.types import DeviceTarget, SnmpTarget

SYS_CONTACT = "1.3.6.1.2.1.1.4.0"
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"
WRITER = SnmpdUser("ward-writer", "writer-auth-pass", "writer-priv-pass", "SHA-256", "AES", writable=True)
SECRETS = {
    "WARD_CRED_SNMPD_RO_COMMUNITY": "ward-ro",
    "WARD_CRED_SNMPD_RW_COMMUNITY": "ward-rw",
    "WARD_CRED_SNMPD_V3_AUTH_KEY": WRITER.auth_password,
    "WARD_CRED_SNMPD_V3_PRIV_KEY": WRITER.priv_password,
    "WARD_CRED_SNMPD_V3_WRONG_AUTH_KEY": "not-the-auth-pass",
    "WARD_CRED_SNMPD_V3_WRONG_PRIV_KEY": WRITER.priv_password,
}


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetSnmpAgent]:
    directory = tmp_path_factory.mktemp("snmpd-rw")
    with NetSnmpAgent(
        directory, address=random_loopback(), community="ward-ro", write_community="ward-rw", users=[WRITER]
    ) as running:
        yield running


@pytest.fixture
def resolver() -> CredentialResolver:
    return CredentialResolver(environ=SECRETS)


def v2c(agent: NetSnmpAgent, credentials: str = "snmpd-ro") -> DeviceTarget:
    return DeviceTarget(
        name="snmpd",
        host=agent.address,
        platform="linux",
        snmp=SnmpTarget(version="2c", credentials=credentials, port=agent.port),
    )


def v3(agent: NetSnmpAgent, credentials: str = "snmpd-v3") -> DeviceTarget:
    snmp = SnmpTarget(
        version="3",
        credentials=credentials,
        port=agent.port,
        user=WRITER.name,
        auth_protocol="sha256",
        priv_protocol="aes128",
    )
    return DeviceTarget(name="snmpd-v3", host=agent.address, platform="linux", snmp=snmp)


def read(agent: NetSnmpAgent, oid: str) -> str:
    return agent.cli("snmpget", oid).split(" ", 1)[1].strip().strip('"')


def test_v2c_set_with_the_write_credential(agent: NetSnmpAgent, resolver: CredentialResolver) -> None:
    location = f"rack {uuid.uuid4().hex[:8]}"
    answer = set_values(v2c(agent), [(SYS_LOCATION, location)], resolver=resolver, credential="snmpd-rw")
    assert answer == ((SYS_LOCATION, location.encode()),)
    assert read(agent, SYS_LOCATION) == location


def test_v3_set_of_two_values_in_one_request(agent: NetSnmpAgent, resolver: CredentialResolver) -> None:
    contact = f"noc-{uuid.uuid4().hex[:6]}@example.net"
    location = f"row {uuid.uuid4().hex[:6]}"

    async def run() -> None:
        async with SnmpSetter(resolver) as setter:
            await setter.set(v3(agent), [(SYS_CONTACT, contact), (SYS_LOCATION, Typed("octets", location))])

    asyncio.run(run())
    assert (read(agent, SYS_CONTACT), read(agent, SYS_LOCATION)) == (contact, location)


def test_read_only_community_is_refused(agent: NetSnmpAgent, resolver: CredentialResolver) -> None:
    with pytest.raises(
        CommandRejected, match=r"snmpd \(snmp\): SNMP SET of 1.3.6.1.2.1.1.6.0 refused: noAccess"
    ):
        set_values(v2c(agent), [(SYS_LOCATION, "nowhere")], resolver=resolver)


def test_a_value_of_the_wrong_type_is_refused_before_sending(
    agent: NetSnmpAgent, resolver: CredentialResolver
) -> None:
    before = read(agent, SYS_LOCATION)
    with pytest.raises(ConfigError, match=r"sysLocation.0\): its MIB type is DisplayString, not Integer32"):
        set_values(v2c(agent), [(SYS_LOCATION, 42)], resolver=resolver, credential="snmpd-rw")
    assert read(agent, SYS_LOCATION) == before


def test_outside_the_writable_subtree_is_refused(agent: NetSnmpAgent, resolver: CredentialResolver) -> None:
    with pytest.raises(CommandRejected, match=f"{IF_ADMIN_STATUS.instance(1)} refused: noAccess"):
        set_if_admin_status(v2c(agent), 1, up=False, resolver=resolver, credential="snmpd-rw")


def test_wrong_v3_key_is_an_authentication_failure(agent: NetSnmpAgent, resolver: CredentialResolver) -> None:
    with pytest.raises(AuthenticationFailed, match="snmpd-v3"):
        set_values(v3(agent, "snmpd-v3-wrong"), [(SYS_LOCATION, "x")], resolver=resolver, timeout=1.0)


def test_no_answer_is_a_timeout(resolver: CredentialResolver) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind((random_loopback(), 0))
        host, port = silent.getsockname()
        device = DeviceTarget(
            name="silent",
            host=host,
            platform="linux",
            snmp=SnmpTarget(version="2c", credentials="snmpd-rw", port=port),
        )
        with pytest.raises(DeviceUnreachable, match=r"timeout \(no answer or wrong community\)"):
            set_values(device, [(SYS_LOCATION, "x")], resolver=resolver, timeout=0.3, retries=1)


def test_bad_values_are_refused_before_sending(agent: NetSnmpAgent, resolver: CredentialResolver) -> None:
    with pytest.raises(ConfigError, match="bool"):
        set_values(v2c(agent), [(SYS_LOCATION, True)], resolver=resolver, credential="snmpd-rw")
    with pytest.raises(ConfigError, match="at least one"):
        set_values(v2c(agent), [], resolver=resolver, credential="snmpd-rw")


@pytest.mark.lab
def test_the_lab_answers_not_writable(tmp_path: Path) -> None:
    with running_lab(tmp_path / "lab", devices=2, sites=1) as lab:
        device = lab.devices[0]
        target = DeviceTarget(
            name=device["name"],
            host=device["address"],
            platform=device["platform"],
            snmp=SnmpTarget(version="2c", credentials="lab-snmp", port=lab.snmp_port),
        )
        resolver = CredentialResolver(environ={"WARD_CRED_LAB_SNMP_COMMUNITY": lab.credentials.community})
        with pytest.raises(CommandRejected, match=f"{device['name']} .*refused: notWritable"):
            set_if_admin_status(target, 1, up=False, resolver=resolver)
