"""ward's probe contract (``ward_core.testing.ProbeContract``) for each SNMP probe kind.

The reachable device is a real net-snmp agent; the unreachable one a UDP socket that never
answers (so the concurrency test waits out real timeouts, not instant refusals).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import ward_snmp.plugin
from ward_snmp.kinds import INTERFACES, RESOURCES, SYSTEM
from ward_snmp.testing import NetSnmpAgent, random_loopback

from ward_core.testing import ProbeContract
from ward_core.types import DeviceTarget, SnmpTarget

CREDENTIAL = "contract-snmp"


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetSnmpAgent]:
    with NetSnmpAgent(tmp_path_factory.mktemp("snmpd"), address=random_loopback()) as running:
        yield running


@pytest.fixture(scope="module")
def silent_port() -> Iterator[tuple[str, int]]:
    """A bound UDP socket nobody reads: requests vanish, as to a dead device."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((random_loopback(), 0))
        yield sock.getsockname()


@pytest.fixture(autouse=True)
def community(agent: NetSnmpAgent, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARD_CRED_CONTRACT_SNMP_COMMUNITY", agent.community)


class SnmpKindContract(ProbeContract):
    plugin = ward_snmp.plugin

    @pytest.fixture
    def reachable_device(self, agent: NetSnmpAgent) -> DeviceTarget:
        return DeviceTarget(
            name="snmpd",
            host=agent.address,
            platform="linux",
            snmp=SnmpTarget(version="2c", credentials=CREDENTIAL, port=agent.port),
        )

    @pytest.fixture
    def unreachable_device(self, silent_port: tuple[str, int]) -> DeviceTarget:
        host, port = silent_port
        return DeviceTarget(
            name="silent",
            host=host,
            platform="linux",
            snmp=SnmpTarget(version="2c", credentials=CREDENTIAL, port=port),
        )


class TestSystemContract(SnmpKindContract):
    kind = SYSTEM


class TestInterfacesContract(SnmpKindContract):
    kind = INTERFACES


class TestResourcesContract(SnmpKindContract):
    kind = RESOURCES
