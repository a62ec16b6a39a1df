"""Logins and faults over real SSH: wrong passwords, ``auth-fail``, ``down``, ``slow``; binding
errors and a clean close."""

from __future__ import annotations

import ipaddress
import random
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncssh
import pytest
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

from ward_core.errors import LabError
from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios.background import BackgroundSshDevices, free_tcp_port
from ward_core.lab.model import Device, LabNetwork
from ward_core.lab.topology import build_network

pytestmark = pytest.mark.lab

CREDS = LabCredentials()


def random_first_address() -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(f"127.{random.randrange(100, 250)}.{random.randrange(1, 250)}.1")


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[LabNetwork, BackgroundSshDevices]]:
    network = build_network(6, 1, seed=12, first_address=random_first_address())
    with BackgroundSshDevices(network) as ssh:
        yield network, ssh


def connect(ssh: BackgroundSshDevices, device: Device, password: str = CREDS.password) -> BaseConnection:
    return ConnectHandler(
        device_type="cisco_ios",
        host=device.address,
        port=ssh.port,
        username=CREDS.username,
        password=password,
        secret=CREDS.enable_secret,
        conn_timeout=5,
        auth_timeout=5,
        banner_timeout=5,
        timeout=10,
    )


def test_a_wrong_password_is_refused(lab: tuple[LabNetwork, BackgroundSshDevices]) -> None:
    network, ssh = lab
    with pytest.raises(NetmikoAuthenticationException):
        connect(ssh, network.device("br001-sw1"), password="not-the-password")


def test_auth_fail_refuses_even_the_right_password(lab: tuple[LabNetwork, BackgroundSshDevices]) -> None:
    network, ssh = lab
    device = network.device("br001-sw2")
    ssh.call(lambda: setattr(device, "auth_fail", True))
    try:
        with pytest.raises(NetmikoAuthenticationException):
            connect(ssh, device)
    finally:
        ssh.call(lambda: setattr(device, "auth_fail", False))
    with connect(ssh, device) as conn:
        assert conn.find_prompt() == f"{device.hostname}>"


def test_an_unreachable_device_closes_connections_before_the_banner(
    lab: tuple[LabNetwork, BackgroundSshDevices],
) -> None:
    network, ssh = lab
    device = network.device("br001-sw3")
    with connect(ssh, device) as open_session:
        ssh.call(lambda: setattr(device, "reachable", False))
        try:
            with socket.create_connection((device.address, ssh.port), timeout=3) as raw:
                assert raw.recv(100) == b""
            started = time.monotonic()
            with pytest.raises((NetmikoTimeoutException, NetmikoAuthenticationException, OSError)):
                connect(ssh, device)
            assert time.monotonic() - started < 5
            open_session.write_channel("show clock\n")
            time.sleep(0.5)
            assert not open_session.remote_conn.get_transport().is_active()  # type: ignore[union-attr]
        finally:
            ssh.call(lambda: setattr(device, "reachable", True))
    with socket.create_connection((device.address, ssh.port), timeout=3) as raw:
        assert raw.recv(100).startswith(b"SSH-2.0-")


def test_slow_devices_delay_each_command_without_slowing_the_others(
    lab: tuple[LabNetwork, BackgroundSshDevices],
) -> None:
    network, ssh = lab
    slow, quick = network.device("br001-sw4"), network.device("br001-rtr1")
    with connect(ssh, slow) as slow_conn, connect(ssh, quick) as quick_conn:
        ssh.call(lambda: setattr(slow, "reply_delay_ms", 2000))
        try:

            def timed(conn: BaseConnection) -> float:
                started = time.monotonic()
                assert "uptime" in conn.send_command("show version", read_timeout=10)
                return time.monotonic() - started

            with ThreadPoolExecutor(2) as pool:
                slow_time, quick_time = pool.map(timed, [slow_conn, quick_conn])
        finally:
            ssh.call(lambda: setattr(slow, "reply_delay_ms", 0))
    assert slow_time >= 2.0
    assert quick_time < 1.5


def test_a_taken_address_is_a_lab_error_naming_it(tmp_path: Path) -> None:
    network = build_network(5, 1, seed=1, first_address=random_first_address())
    victim = list(network)[2]
    port = free_tcp_port(victim.address)
    with socket.socket() as squatter:
        squatter.bind((victim.address, port))
        squatter.listen()
        with (
            pytest.raises(
                LabError, match=rf"{victim.name}: cannot listen for SSH on {victim.address}:{port}"
            ),
            BackgroundSshDevices(network, port=port, host_key_path=tmp_path / "key"),
        ):
            pass
    for device in network:
        with socket.socket() as probe:
            probe.bind((device.address, port))


def test_the_host_key_is_kept_and_reused(tmp_path: Path) -> None:
    network = build_network(5, 1, seed=1, first_address=random_first_address())
    key_path = tmp_path / "lab" / "ssh_host_key"
    with BackgroundSshDevices(network, host_key_path=key_path):
        first = key_path.read_bytes()
        assert key_path.stat().st_mode & 0o777 == 0o600
    with BackgroundSshDevices(network, host_key_path=key_path) as ssh:
        assert key_path.read_bytes() == first
        with connect(ssh, next(iter(network))) as conn:
            key = conn.remote_conn.get_transport().get_remote_server_key()  # type: ignore[union-attr]
    assert key.get_name() == "ssh-ed25519"
    assert key.get_base64() == asyncssh.read_private_key(key_path).export_public_key().decode().split()[1]


def test_close_releases_every_listener_and_session(tmp_path: Path) -> None:
    network = build_network(5, 1, seed=1, first_address=random_first_address())
    with BackgroundSshDevices(network, host_key_path=tmp_path / "key") as ssh:
        device = list(network)[1]
        conn = connect(ssh, device)
        assert ssh.pool.sessions == 1
        assert ssh.pool.listening == len(network)
        port = ssh.port
    assert not conn.remote_conn.get_transport().is_active()  # type: ignore[union-attr]
    for device in network:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((device.address, port), timeout=2).close()
