"""Nornir (SimpleInventory, threaded runner) with nornir-netmiko against several SSH devices."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from nornir import InitNornir
from nornir_netmiko.tasks import netmiko_send_command

from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios.background import BackgroundSshDevices
from ward_core.lab.model import LabNetwork
from ward_core.lab.topology import build_network

pytestmark = pytest.mark.lab

CREDS = LabCredentials()


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[LabNetwork, BackgroundSshDevices]]:
    first = ipaddress.IPv4Address(f"127.{random.randrange(100, 250)}.{random.randrange(1, 250)}.1")
    network = build_network(8, 2, seed=13, first_address=first)
    with BackgroundSshDevices(network) as ssh:
        yield network, ssh


def write_inventory(folder: Path, network: LabNetwork, port: int) -> dict[str, str]:
    hosts = {
        device.name: {
            "hostname": device.address,
            "port": port,
            "platform": "cisco_ios",
            "groups": ["lab"],
        }
        for device in network
    }
    groups = {
        "lab": {
            "username": CREDS.username,
            "password": CREDS.password,
            "connection_options": {
                "netmiko": {
                    "extras": {
                        "secret": CREDS.enable_secret,
                        "conn_timeout": 5,
                        "auth_timeout": 5,
                        "banner_timeout": 5,
                        "timeout": 10,
                    }
                }
            },
        }
    }
    files = {"host_file": folder / "hosts.yaml", "group_file": folder / "groups.yaml"}
    files["host_file"].write_text(yaml.safe_dump(hosts), encoding="utf-8")
    files["group_file"].write_text(yaml.safe_dump(groups), encoding="utf-8")
    return {name: str(path) for name, path in files.items()}


def test_netmiko_send_command_on_every_device(
    lab: tuple[LabNetwork, BackgroundSshDevices], tmp_path: Path
) -> None:
    network, ssh = lab
    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": 4}},
        inventory={"plugin": "SimpleInventory", "options": write_inventory(tmp_path, network, ssh.port)},
        logging={"enabled": False},
    )
    try:
        result = nr.run(
            task=netmiko_send_command, command_string="show version", use_textfsm=True, enable=True
        )
        assert not result.failed, {name: r.exception for name, r in result.items() if r.failed}
        assert set(result) == {device.name for device in network}
        for name, multi in result.items():
            (row,) = multi[0].result
            device = network.device(name)
            assert (row["hostname"], row["serial"], row["version"]) == (
                device.hostname,
                [device.serial],
                device.os_version,
            )
        lldp = nr.run(
            task=netmiko_send_command, command_string="show lldp neighbors detail", use_textfsm=True
        )
        assert not lldp.failed
        for name, multi in lldp.items():
            seen = {row["neighbor_name"] for row in multi[0].result}
            assert seen == {n.remote.hostname for n in network.neighbours(network.device(name))}
    finally:
        nr.close_connections()
