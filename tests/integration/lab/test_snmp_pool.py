"""Starting and stopping the SNMP agent pool: binds, clear bind errors, nothing left behind."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import subprocess
import sys

import pytest

from ward_core.errors import LabError
from ward_core.lab.credentials import LabCredentials
from ward_core.lab.model import LabNetwork
from ward_core.lab.snmp import SnmpAgentPool
from ward_core.lab.snmp.background import free_udp_port
from ward_core.lab.topology import build_network

pytestmark = pytest.mark.lab


def network() -> LabNetwork:
    return build_network(6, 1, seed=2, first_address=ipaddress.IPv4Address("127.51.0.1"))


def can_bind(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((address, port))
        except OSError:
            return False
        return True


def test_start_binds_every_device_and_close_releases_them() -> None:
    lab = network()
    port = free_udp_port(next(iter(lab)).address)

    async def run() -> None:
        pool = SnmpAgentPool()
        await pool.start(lab, bind_port=port, credentials=LabCredentials())
        assert set(pool.agents) == set(lab.devices)
        assert not any(can_bind(d.address, port) for d in lab)
        with pytest.raises(LabError, match="already started"):
            await pool.start(lab, bind_port=port)
        await pool.close()
        await pool.close()
        assert all(can_bind(d.address, port) for d in lab)

    asyncio.run(run())


def test_bind_failure_names_the_device_and_address_and_releases_the_others() -> None:
    lab = network()
    devices = list(lab)
    blocked = devices[3]
    port = free_udp_port(blocked.address)

    async def run() -> None:
        pool = SnmpAgentPool()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
            squatter.bind((blocked.address, port))
            with pytest.raises(LabError) as caught:
                await pool.start(lab, bind_port=port)
        message = str(caught.value)
        assert blocked.name in message
        assert f"{blocked.address}:{port}" in message
        assert pool.agents == {}
        assert all(can_bind(d.address, port) for d in devices[:3])

    asyncio.run(run())


def test_message_size_outside_udp_limits_is_refused() -> None:
    with pytest.raises(LabError, match=r"484\.\.65507"):
        SnmpAgentPool(max_message_size=100)


def limits_after(soft: int, hard: int, needed: int) -> str:
    script = f"""
import resource
from ward_core.errors import LabError
from ward_core.lab.snmp.agent import ensure_file_limit
resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard}))
try:
    ensure_file_limit({needed})
except LabError as exc:
    print("LabError:", exc)
else:
    print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.strip()


def test_open_file_limit_is_raised_for_many_sockets_or_refused_clearly() -> None:
    assert limits_after(100, 4000, 1000) == "4000"
    assert limits_after(2000, 4000, 10) == "2000"
    refused = limits_after(100, 300, 1000)
    assert refused.startswith("LabError: 1000 SNMP sockets need")
    assert "hard limit is 300" in refused
