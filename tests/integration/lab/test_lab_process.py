"""``ward lab`` end to end: the background process, real clients on real sockets, clean shutdown."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from netmiko import ConnectHandler

from ward_core.lab.credentials import LabCredentials
from ward_core.testing.lab import (
    DEFAULT_SNMP_PORT as SNMP_PORT,
)
from ward_core.testing.lab import (
    DEFAULT_SSH_PORT as SSH_PORT,
)
from ward_core.testing.lab import (
    RunningLab,
    random_first_address,
    run_ward,
)

CREDS = LabCredentials()
WARD = [sys.executable, "-m", "ward_core.cli"]
IF_OPER_STATUS = ".1.3.6.1.2.1.2.2.1.8"
IF_NAME = ".1.3.6.1.2.1.31.1.1.1.1"
LLDP_REM_SYS_NAME = ".1.0.8802.1.1.2.1.4.1.1.9"


def netmiko_to(address: str) -> ConnectHandler:
    return ConnectHandler(
        device_type="cisco_ios",
        host=address,
        port=SSH_PORT,
        username=CREDS.username,
        password=CREDS.password,
        secret=CREDS.enable_secret,
        timeout=15,
        conn_timeout=10,
        auth_timeout=10,
        banner_timeout=10,
    )


def snmp(tool: str, address: str, oid: str, timeout: int = 2) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            tool,
            "-v2c",
            "-c",
            CREDS.community,
            "-On",
            "-t",
            str(timeout),
            "-r",
            "0",
            f"{address}:{SNMP_PORT}",
            oid,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def snmp_values(tool: str, address: str, oid: str) -> dict[str, str]:
    result = snmp(tool, address, oid)
    assert result.returncode == 0, result.stderr
    values = {}
    for line in result.stdout.splitlines():
        name, _, value = line.partition(" = ")
        values[name.strip()] = value.strip()
    return values


def test_status_reports_the_running_lab(lab: RunningLab) -> None:
    status = json.loads(lab.ward("lab", "status", "--json").stdout)
    assert status["running"] is True
    assert status["devices"] == 20
    assert status["ssh_port"] == SSH_PORT and status["snmp_port"] == SNMP_PORT
    assert 0 < status["rss_bytes"] < 2**30
    assert Path(f"/proc/{status['pid']}").exists()


def test_second_up_is_refused_and_changes_nothing(lab: RunningLab) -> None:
    before = json.loads(lab.ward("lab", "status", "--json").stdout)
    again = lab.ward("lab", "up", "--devices", "5", check=False)
    assert again.returncode == 1
    assert "already running" in again.stderr
    after = json.loads(lab.ward("lab", "status", "--json").stdout)
    assert (after["pid"], after["devices"]) == (before["pid"], before["devices"])


def test_every_device_answers_netmiko_textfsm_and_snmpbulkwalk(lab: RunningLab) -> None:
    for device in lab.devices:
        with netmiko_to(device["address"]) as conn:
            conn.enable()
            version = conn.send_command("show version", use_textfsm=True)
            assert isinstance(version, list), f"{device['name']}: show version did not parse"
            assert version[0]["hostname"] == device["name"]
            assert device["serial"] in version[0]["serial"]
            brief = conn.send_command("show ip interface brief", use_textfsm=True)
            assert isinstance(brief, list) and brief
        view = lab.show(device["name"])
        names = snmp_values("snmpbulkwalk", device["address"], IF_NAME)
        assert len(names) == len(view["interfaces"]), device["name"]
        assert {n.split('"')[1] for n in names.values()} == {_short(i["name"]) for i in view["interfaces"]}


def _short(name: str) -> str:
    return re.sub(r"^([A-Z][a-z])[A-Za-z]*", r"\1", name)


def test_shutdown_over_ssh_is_seen_over_snmp_and_by_the_neighbour(lab: RunningLab) -> None:
    switch = next(d for d in lab.devices if d["role"] == "access-switch")
    view = lab.show(switch["name"])
    uplink = next(i for i in view["interfaces"] if i["peer"])
    router_name, router_if = uplink["peer"]
    router_address = lab.address(router_name)
    switch_index = view["interfaces"].index(uplink) + 1
    router_view = lab.show(router_name)
    router_index = next(n + 1 for n, i in enumerate(router_view["interfaces"]) if i["name"] == router_if)

    def oper(address: str, index: int) -> str:
        return snmp_values("snmpget", address, f"{IF_OPER_STATUS}.{index}")[f"{IF_OPER_STATUS}.{index}"]

    def router_sees_switch() -> tuple[bool, bool, bool]:
        with netmiko_to(router_address) as conn:
            conn.enable()
            lldp = conn.send_command("show lldp neighbors detail")
            cdp = conn.send_command("show cdp neighbors detail")
        remote_names = snmp_values("snmpbulkwalk", router_address, LLDP_REM_SYS_NAME).values()
        return switch["name"] in lldp, switch["name"] in cdp, any(switch["name"] in v for v in remote_names)

    assert oper(switch["address"], switch_index) == "INTEGER: 1"
    assert router_sees_switch() == (True, True, True)
    with netmiko_to(switch["address"]) as conn:
        conn.enable()
        conn.send_config_set([f"interface {uplink['name']}", "shutdown"])
    try:
        assert oper(switch["address"], switch_index) == "INTEGER: 2"
        assert oper(router_address, router_index) == "INTEGER: 2"
        assert router_sees_switch() == (False, False, False)
    finally:
        with netmiko_to(switch["address"]) as conn:
            conn.enable()
            conn.send_config_set([f"interface {uplink['name']}", "no shutdown"])
    assert oper(router_address, router_index) == "INTEGER: 1"
    assert router_sees_switch() == (True, True, True)


def test_lab_inventory_is_accepted_by_inventory_import(lab: RunningLab, tmp_path: Path) -> None:
    text = lab.ward("lab", "inventory").stdout
    document = yaml.safe_load(text)
    assert {d["host"] for d in document["devices"]} == {d["address"] for d in lab.devices}
    inventory = tmp_path / "lab.yml"
    inventory.write_text(text)
    env = {
        **os.environ,
        "WARD_DATABASE_URL": f"sqlite:///{tmp_path / 'ward.db'}",
        "WARD_LAB_DIR": str(lab.lab_dir),
    }
    for args in (["db", "upgrade"], ["inventory", "import", str(inventory)]):
        result = subprocess.run(WARD + args, capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
    listed = subprocess.run([*WARD, "inventory", "list", "--json"], capture_output=True, text=True, env=env)
    assert listed.returncode == 0, listed.stderr
    assert sorted(d["name"] for d in json.loads(listed.stdout)) == sorted(d["name"] for d in lab.devices)


def test_down_fault_silences_ssh_and_snmp_until_up(lab: RunningLab) -> None:
    device = lab.devices[-1]
    lab.ward("lab", "fault", device["name"], "down")
    try:
        assert snmp("snmpget", device["address"], ".1.3.6.1.2.1.1.3.0", timeout=1).returncode != 0
        with pytest.raises(Exception):  # noqa: B017 - netmiko raises several kinds for a dead device
            netmiko_to(device["address"])
        status = json.loads(lab.ward("lab", "status", "--json").stdout)
        assert status["faults"][device["name"]] == {"down": True}
    finally:
        lab.ward("lab", "fault", device["name"], "up")
    assert snmp("snmpget", device["address"], ".1.3.6.1.2.1.1.3.0").returncode == 0


def test_bad_fault_is_named(lab: RunningLab) -> None:
    result = lab.ward("lab", "fault", "no-such-device", "down", check=False)
    assert result.returncode == 1
    assert "no-such-device" in result.stderr


def test_down_leaves_no_process_socket_or_file(tmp_path: Path) -> None:
    first = random_first_address()
    run_ward(
        tmp_path,
        "lab",
        "up",
        "--devices",
        "3",
        "--sites",
        "1",
        "--ssh-port",
        "13022",
        "--snmp-port",
        "13161",
        "--first-address",
        first,
    )
    pid = json.loads((tmp_path / "state.json").read_text())["pid"]
    prefix = first.rsplit(".", 2)[0] + "."
    assert prefix in _listening()
    run_ward(tmp_path, "lab", "down")
    assert not Path(f"/proc/{pid}").exists()
    assert prefix not in _listening()
    assert not (tmp_path / "control.sock").exists() and not (tmp_path / "lab.pid").exists()
    status = run_ward(tmp_path, "lab", "status", "--json", check=False)
    assert json.loads(status.stdout)["running"] is False


def _listening() -> str:
    return subprocess.run(["ss", "-ltnuH"], capture_output=True, text=True).stdout
