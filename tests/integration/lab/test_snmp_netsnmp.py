"""The lab's SNMP agents against net-snmp's command-line tools, over real UDP sockets."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import pytest

from ward_core.lab.model import Device, LabNetwork
from ward_core.lab.snmp.background import BackgroundAgents
from ward_core.lab.snmp.credentials import SnmpCredentials
from ward_core.lab.topology import build_network

pytestmark = pytest.mark.lab

CREDENTIALS = SnmpCredentials()
IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IF_X_ENTRY = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
LLDP_LOC_PORT_ENTRY = (1, 0, 8802, 1, 1, 2, 1, 3, 7, 1)
LLDP_REM_ENTRY = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)
END_OF_MIB = "No more variables left in this MIB View"
ENTRY_START = re.compile(r"^(\.\d+(?:\.\d+)+) = (.*)$")


@pytest.fixture(scope="module", autouse=True)
def _net_snmp_installed() -> None:
    if shutil.which("snmpbulkwalk") is None:
        message = "net-snmp tools missing (apt-get install snmp)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Lab:
    network: LabNetwork
    agents: BackgroundAgents

    def target(self, device: Device) -> str:
        return f"{device.address}:{self.agents.port}"


@pytest.fixture(scope="module")
def snmp_lab() -> Iterator[Lab]:
    network = build_network(6, 1, seed=11, first_address=ipaddress.IPv4Address("127.46.0.1"))
    network.device("hub-west-rtr1").lldp_port_id_subtype = 7
    with BackgroundAgents(network, credentials=CREDENTIALS) as agents:
        yield Lab(network, agents)


def v3_args(
    credentials: SnmpCredentials, auth_password: str | None = None, user: str | None = None
) -> list[str]:
    return [
        "-v3",
        "-l",
        "authPriv",
        "-u",
        user or credentials.v3_user,
        "-a",
        credentials.auth_protocol,
        "-A",
        auth_password or credentials.auth_password,
        "-x",
        "AES",
        "-X",
        credentials.priv_password,
    ]


V2C = ["-v2c", "-c", CREDENTIALS.community]


def run(
    tool: str, args: list[str], target: str, *oids: str, timeout: str = "2"
) -> subprocess.CompletedProcess[str]:
    command = [tool, *args, "-On", "-t", timeout, "-r", "0", target, *oids]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def parse(output: str) -> list[tuple[tuple[int, ...], str]]:
    """``(oid, value text)`` per printed varbind; multi-line strings are folded into their entry."""
    entries: list[tuple[tuple[int, ...], str]] = []
    for line in output.splitlines():
        match = ENTRY_START.match(line)
        if match:
            oid = tuple(int(p) for p in match.group(1).strip(".").split("."))
            entries.append((oid, match.group(2)))
        elif entries:
            entries[-1] = (entries[-1][0], entries[-1][1] + "\n" + line)
    return entries


def walk(
    snmp_lab: Lab, device: Device, tool: str, args: list[str], root: str = ".1"
) -> list[tuple[tuple[int, ...], str]]:
    result = run(tool, args, snmp_lab.target(device), root)
    assert result.returncode == 0, result.stderr
    entries = parse(result.stdout)
    assert entries, f"{tool} printed nothing for {device.name}"
    return entries


def column_rows(
    entries: list[tuple[tuple[int, ...], str]], entry: tuple[int, ...], column: int
) -> dict[tuple[int, ...], str]:
    prefix = (*entry, column)
    return {oid[len(prefix) :]: text for oid, text in entries if oid[: len(prefix)] == prefix}


def check_full_walk(snmp_lab: Lab, device: Device, entries: list[tuple[tuple[int, ...], str]]) -> None:
    """Ends in endOfMibView, strictly increasing, every table row the model has."""
    *values, last = entries
    assert END_OF_MIB in last[1]
    assert last[0] == values[-1][0]
    oids = [oid for oid, _ in values]
    assert all(a < b for a, b in pairwise(oids)), "OIDs not strictly increasing"
    indexes = {(i.if_index,) for i in device.interfaces.values()}
    for column in (1, 2, 7, 8, 10, 16):
        assert set(column_rows(values, IF_ENTRY, column)) == indexes, f"ifTable column {column}"
    for column in (1, 6, 10, 18):
        assert set(column_rows(values, IF_X_ENTRY, column)) == indexes, f"ifXTable column {column}"
    assert set(column_rows(values, LLDP_LOC_PORT_ENTRY, 3)) == indexes
    names = column_rows(values, IF_ENTRY, 2)
    for iface in device.interfaces.values():
        assert names[(iface.if_index,)] == f'STRING: "{iface.name}"'
    neighbours = snmp_lab.network.neighbours(device)
    assert neighbours, f"{device.name} should have neighbours in this topology"
    remote_names = column_rows(values, LLDP_REM_ENTRY, 9)
    assert sorted(index[1] for index in remote_names) == sorted(
        n.local_interface.if_index for n in neighbours
    )
    assert sorted(remote_names.values()) == sorted(f'STRING: "{n.remote.hostname}"' for n in neighbours)
    assert dict(values)[(1, 3, 6, 1, 2, 1, 1, 5, 0)] == f'STRING: "{device.hostname}"'


@pytest.mark.parametrize("tool", ["snmpbulkwalk", "snmpwalk"])
def test_v2c_walks_whole_mib_to_end(snmp_lab: Lab, tool: str) -> None:
    for device in list(snmp_lab.network)[:3]:
        check_full_walk(snmp_lab, device, walk(snmp_lab, device, tool, V2C))


def test_v2c_bulkwalk_and_walk_list_the_same_oids(snmp_lab: Lab) -> None:
    device = snmp_lab.network.device("br001-rtr1")
    bulk = [oid for oid, _ in walk(snmp_lab, device, "snmpbulkwalk", V2C)]
    plain = [oid for oid, _ in walk(snmp_lab, device, "snmpwalk", V2C)]
    assert bulk == plain


@pytest.mark.parametrize("repetitions", [1, 3, 10, 60, 500])
def test_max_repetitions_do_not_change_the_walk(snmp_lab: Lab, repetitions: int) -> None:
    device = snmp_lab.network.device("br001-rtr1")
    reference = [oid for oid, _ in walk(snmp_lab, device, "snmpbulkwalk", V2C, ".1.3.6.1.2.1.2")]
    varied = walk(snmp_lab, device, "snmpbulkwalk", [*V2C, f"-Cr{repetitions}"], ".1.3.6.1.2.1.2")
    assert [oid for oid, _ in varied] == reference
    assert len(reference) == 1 + 17 * len(device.interfaces)


@pytest.mark.parametrize("protocol", ["SHA", "SHA-256", "MD5"])
def test_v3_authpriv_bulkwalk_matches_v2c(snmp_lab: Lab, protocol: str) -> None:
    credentials = SnmpCredentials(auth_protocol=protocol)
    network = snmp_lab.network
    with BackgroundAgents(network, credentials=credentials) as agents:
        device = network.device("br001-sw1")
        v3 = Lab(network, agents)
        entries = walk(v3, device, "snmpbulkwalk", v3_args(credentials))
        check_full_walk(v3, device, entries)
        v2c = walk(v3, device, "snmpbulkwalk", V2C)
        assert [oid for oid, _ in entries] == [oid for oid, _ in v2c]


def test_v3_snmpwalk_with_getnext(snmp_lab: Lab) -> None:
    device = snmp_lab.network.device("hub-west-rtr1")
    entries = walk(snmp_lab, device, "snmpwalk", v3_args(CREDENTIALS), ".1.0.8802")
    oids = [oid for oid, _ in entries]
    assert oids == sorted(set(oids))
    subtypes = column_rows(entries, LLDP_LOC_PORT_ENTRY, 2)
    assert set(subtypes.values()) == {"INTEGER: 7"}


def test_remote_port_id_subtypes_follow_the_advertising_device(snmp_lab: Lab) -> None:
    router = snmp_lab.network.device("br001-rtr1")
    entries = walk(snmp_lab, router, "snmpbulkwalk", V2C, ".1.0.8802.1.1.2.1.4.1.1")
    subtypes = column_rows(entries, LLDP_REM_ENTRY, 6)
    port_ids = column_rows(entries, LLDP_REM_ENTRY, 7)
    by_port = {n.local_interface.if_index: n for n in snmp_lab.network.neighbours(router)}
    for index, subtype in subtypes.items():
        neighbour = by_port[index[1]]
        if neighbour.remote.name == "hub-west-rtr1":
            assert subtype == "INTEGER: 7"
            assert port_ids[index] == f'STRING: "{neighbour.remote_interface.if_index}"'
        else:
            assert subtype == "INTEGER: 5"
            assert port_ids[index] == f'STRING: "{neighbour.remote_interface.short_name}"'


def test_wrong_community_gets_no_answer(snmp_lab: Lab) -> None:
    device = snmp_lab.network.device("br001-rtr1")
    result = run(
        "snmpget",
        ["-v2c", "-c", "not-the-community"],
        snmp_lab.target(device),
        ".1.3.6.1.2.1.1.3.0",
        timeout="0.5",
    )
    assert result.returncode != 0
    assert "Timeout" in result.stderr


def test_v3_wrong_auth_password_is_an_authentication_failure(snmp_lab: Lab) -> None:
    device = snmp_lab.network.device("br001-rtr1")
    args = v3_args(CREDENTIALS, auth_password="definitely-wrong")
    result = run("snmpget", args, snmp_lab.target(device), ".1.3.6.1.2.1.1.3.0", timeout="1")
    assert result.returncode != 0
    assert "Authentication failure" in result.stderr


def test_v3_unknown_user_is_reported(snmp_lab: Lab) -> None:
    device = snmp_lab.network.device("br001-rtr1")
    result = run(
        "snmpget",
        v3_args(CREDENTIALS, user="nobody"),
        snmp_lab.target(device),
        ".1.3.6.1.2.1.1.3.0",
        timeout="1",
    )
    assert result.returncode != 0
    assert "Unknown user name" in result.stderr


def test_get_too_big_for_one_datagram_answers_too_big(snmp_lab: Lab) -> None:
    device = snmp_lab.network.device("br001-rtr1")
    result = run("snmpget", V2C, snmp_lab.target(device), *[".1.3.6.1.2.1.1.1.0"] * 12)
    assert "tooBig" in result.stdout + result.stderr


def test_getbulk_honours_non_repeaters_and_max_repetitions(snmp_lab: Lab) -> None:
    device = snmp_lab.network.device("br001-rtr1")
    result = run(
        "snmpbulkget",
        [*V2C, "-Cn1", "-Cr4"],
        snmp_lab.target(device),
        ".1.3.6.1.2.1.1.5",
        ".1.3.6.1.2.1.2.2.1.2",
        ".1.3.6.1.2.1.31.1.1.1.1",
    )
    assert result.returncode == 0, result.stderr
    oids = [oid for oid, _ in parse(result.stdout)]
    first_four = [(i.if_index,) for i in device.by_index()][:4]
    expected = [(1, 3, 6, 1, 2, 1, 1, 5, 0)]
    for row in first_four:
        expected += [(*IF_ENTRY, 2, *row), (*IF_X_ENTRY, 1, *row)]
    assert oids == expected


def test_set_is_refused_as_not_writable(snmp_lab: Lab) -> None:
    device = snmp_lab.network.device("br001-rtr1")
    result = run("snmpset", V2C, snmp_lab.target(device), ".1.3.6.1.2.1.1.5.0", "s", "renamed")
    assert result.returncode != 0
    assert "notWritable" in result.stderr
    missing = run("snmpset", V2C, snmp_lab.target(device), ".1.3.6.1.2.1.1.99.0", "i", "1")
    assert "noCreation" in missing.stderr
    assert device.hostname == "br001-rtr1"
