"""The SSH devices driven by netmiko ``cisco_ios`` (unmodified, fast_cli default) over real sockets:
show commands parsed by ntc-templates against the model, configuration that changes the model and
the neighbour's view, IOS errors, saving, echo order, exec requests and reload."""

from __future__ import annotations

import ipaddress
import random
import re
import time
from collections.abc import Iterator
from typing import Any

import paramiko
import pytest
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import ConfigInvalidException

from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios.background import BackgroundSshDevices
from ward_core.lab.ios.show_interfaces import dotted_mac
from ward_core.lab.ios.show_neighbours import lldp_port_id
from ward_core.lab.ios.timefmt import uptime
from ward_core.lab.model import Device, LabNetwork
from ward_core.lab.topology import build_network

pytestmark = pytest.mark.lab

CREDS = LabCredentials()


@pytest.fixture(scope="module")
def lab() -> Iterator[tuple[LabNetwork, BackgroundSshDevices]]:
    first = ipaddress.IPv4Address(f"127.{random.randrange(100, 250)}.{random.randrange(1, 250)}.1")
    network = build_network(6, 1, seed=11, first_address=first)
    with BackgroundSshDevices(network) as ssh:
        yield network, ssh


def connect(ssh: BackgroundSshDevices, device: Device, **extra: Any) -> BaseConnection:
    return ConnectHandler(
        device_type="cisco_ios",
        host=device.address,
        port=ssh.port,
        username=CREDS.username,
        password=CREDS.password,
        secret=CREDS.enable_secret,
        conn_timeout=5,
        auth_timeout=5,
        banner_timeout=5,
        timeout=10,
        **extra,
    )


def parsed(conn: BaseConnection, command: str) -> list[dict[str, Any]]:
    rows = conn.send_command(command, use_textfsm=True, read_timeout=10)
    assert isinstance(rows, list), f"{command!r} did not parse: {rows!r}"
    return rows


@pytest.mark.parametrize("name", ["br001-rtr1", "br001-sw1"])
def test_show_commands_parse_and_match_the_model(
    lab: tuple[LabNetwork, BackgroundSshDevices], name: str
) -> None:
    network, ssh = lab
    device = network.device(name)
    with connect(ssh, device) as conn:
        assert conn.find_prompt() == f"{device.hostname}>"
        conn.enable()
        assert conn.find_prompt() == f"{device.hostname}#"

        (version,) = parsed(conn, "show version")
        assert (version["hostname"], version["version"]) == (device.hostname, device.os_version)
        assert version["serial"] == [device.serial]
        assert version["uptime"] and version["uptime_minutes"]

        interfaces = parsed(conn, "show interfaces")
        assert [r["interface"] for r in interfaces] == [i.name for i in device.by_index()]
        for row, iface in zip(interfaces, device.by_index(), strict=True):
            assert row["link_status"] == ("up" if iface.oper_up else "down")
            assert row["protocol_status"].split()[0] == ("up" if iface.oper_up else "down")
            assert row["description"] == iface.description
            assert row["mac_address"] == dotted_mac(iface.mac)
            assert int(row["input_packets"]) <= ssh.call(lambda i=iface: network.counters(i).in_pkts)

        brief = parsed(conn, "show ip interface brief")
        assert {r["interface"]: r["status"] for r in brief} == {
            i.name: ("up" if i.oper_up else "down") for i in device.by_index()
        }

        expected = {
            (n.local_interface.short_name, n.remote.hostname, n.remote_interface.short_name, n.remote.address)
            for n in network.neighbours(device)
        }
        lldp_ids = {
            (
                n.local_interface.short_name,
                n.remote.hostname,
                lldp_port_id(n.remote, n.remote_interface),
                n.remote.address,
            )
            for n in network.neighbours(device)
        }
        lldp = parsed(conn, "show lldp neighbors detail")
        assert {
            (r["local_interface"], r["neighbor_name"], r["neighbor_port_id"], r["mgmt_address"]) for r in lldp
        } == lldp_ids
        cdp = parsed(conn, "show cdp neighbors detail")
        assert {
            (
                device.interface(r["local_interface"]).short_name,
                r["neighbor_name"].split(".")[0],
                network.device(r["neighbor_name"].split(".")[0])
                .interface(r["neighbor_interface"])
                .short_name,
                r["mgmt_address"],
            )
            for r in cdp
        } == expected
        assert all(r["platform"].startswith("cisco ") for r in cdp)

        inventory = parsed(conn, "show inventory")
        assert (inventory[0]["pid"], inventory[0]["sn"]) == (device.model, device.serial)
        assert parsed(conn, "show clock")[0]["timezone"] == "UTC"


def test_shutdown_over_ssh_changes_the_model_and_the_neighbours_view(
    lab: tuple[LabNetwork, BackgroundSshDevices],
) -> None:
    network, ssh = lab
    switch, router = network.device("br001-sw2"), network.device("br001-rtr1")
    uplink = switch.interface("Gi1/0/28")
    far = router.interfaces[uplink.peer[1]]  # type: ignore[index]
    with connect(ssh, switch) as sw, connect(ssh, router) as rtr:
        sw.enable()
        rtr.enable()

        def router_sees_switch() -> tuple[bool, bool]:
            lldp = parsed(rtr, "show lldp neighbors detail")
            cdp = parsed(rtr, "show cdp neighbors detail")
            return (
                any(
                    r["neighbor_name"] == switch.hostname and r["local_interface"] == far.short_name
                    for r in lldp
                ),
                any(r["neighbor_name"].startswith(switch.hostname + ".") for r in cdp),
            )

        assert router_sees_switch() == (True, True)
        output = sw.send_config_set(["interface Gi1/0/28", "shutdown"])
        assert "(config-if)#shutdown" in output
        assert uplink.admin_up is False
        assert switch.config_changed_by == CREDS.username
        row = next(r for r in parsed(sw, "show ip interface brief") if r["interface"] == uplink.name)
        assert (row["status"], row["proto"]) == ("administratively down", "down")
        assert router_sees_switch() == (False, False)
        far_row = next(r for r in parsed(rtr, "show interfaces") if r["interface"] == far.name)
        assert far_row["link_status"] == "down"

        sw.send_config_set(["interface GigabitEthernet1/0/28", "no shutdown"])
        assert uplink.admin_up is True
        assert router_sees_switch() == (True, True)


def test_invalid_input_is_reported_as_ios_does(lab: tuple[LabNetwork, BackgroundSshDevices]) -> None:
    network, ssh = lab
    device = network.device("br001-sw3")
    with connect(ssh, device) as conn:
        conn.enable()
        output = conn.send_command("show interfaces frobnicate")
        assert output.splitlines() == [
            " " * len(f"{device.hostname}#show interfaces ") + "^",
            "% Invalid input detected at '^' marker.",
        ]
        assert conn.send_command("show ip").strip() == "% Incomplete command."
        assert conn.send_command("c").startswith('% Ambiguous command:  "c"')
        with pytest.raises(ConfigInvalidException):
            conn.send_config_set(["interface Gi1/0/2", "shutdown now"], error_pattern=r"% Invalid input")
        conn.exit_config_mode()
        assert device.interface("Gi1/0/2").admin_up is True


def test_save_config_and_startup_config(lab: tuple[LabNetwork, BackgroundSshDevices]) -> None:
    network, ssh = lab
    device = network.device("br001-sw4")
    with connect(ssh, device) as conn:
        conn.enable()
        conn.send_config_set(["interface Gi1/0/20", "description saved by netmiko"])
        assert device.unsaved_changes
        assert "saved by netmiko" not in conn.send_command("show startup-config")
        output = conn.save_config()
        assert "[OK]" in output
        assert device.unsaved_changes is False
        startup = conn.send_command("show startup-config")
        assert " description saved by netmiko" in startup
        running = conn.send_command("show running-config")
        assert re.search(r"^! Last configuration change at .* by ward$", running, re.M)
        size = int(re.search(r"Current configuration : (\d+) bytes", running).group(1))  # type: ignore[union-attr]
        assert abs(size - len(running.split("bytes\n", 1)[1])) <= 2


def test_typed_ahead_input_is_echoed_in_order(lab: tuple[LabNetwork, BackgroundSshDevices]) -> None:
    network, ssh = lab
    device = network.device("hub-west-rtr1")
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        device.address,
        ssh.port,
        CREDS.username,
        CREDS.password,
        timeout=5,
        look_for_keys=False,
        allow_agent=False,
    )
    try:
        shell = client.invoke_shell()
        shell.settimeout(5)
        shell.send(f"enable\n{CREDS.enable_secret}\nterminal length 0\n\nshow clock\nexit\n".encode())
        received = b""
        while not shell.closed:
            chunk = shell.recv(65536)
            if not chunk:
                break
            received += chunk
    finally:
        client.close()
    host = device.hostname
    lines = received.decode().split("\r\n")
    assert lines[:6] == [
        "",
        f"{host}>enable",
        "Password: ",
        f"{host}#terminal length 0",
        f"{host}#",
        f"{host}#show clock",
    ]
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} UTC .*", lines[6])
    assert lines[7] == f"{host}#exit"
    assert f"{host}#{host}#" not in received.decode()


def test_exec_request_runs_one_command(lab: tuple[LabNetwork, BackgroundSshDevices]) -> None:
    network, ssh = lab
    device = network.device("br001-rtr1")
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        device.address,
        ssh.port,
        CREDS.username,
        CREDS.password,
        timeout=5,
        look_for_keys=False,
        allow_agent=False,
    )
    try:
        _, stdout, _ = client.exec_command("show version | include uptime", timeout=5)
        answer = stdout.read().decode().strip()
    finally:
        client.close()
    assert answer == f"{device.hostname} uptime is {uptime(network.clock() - device.booted_at)}"


def test_reload_reboots_the_device_and_drops_the_session(
    lab: tuple[LabNetwork, BackgroundSshDevices],
) -> None:
    network, ssh = lab
    device = network.device("br001-sw1")
    before = device.booted_at
    with connect(ssh, device) as conn:
        conn.enable()
        output = conn.send_command_timing("reload")
        if "Save?" in output:
            output = conn.send_command_timing("no")
        assert "Proceed with reload? [confirm]" in output
        conn.write_channel("\r")
        deadline = time.monotonic() + 5
        while conn.remote_conn.get_transport().is_active() and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.05)
        assert not conn.remote_conn.get_transport().is_active()  # type: ignore[union-attr]
    assert device.booted_at > before
