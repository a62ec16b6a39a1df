"""The SNMP probes against a real net-snmp ``snmpd``: the same values ``snmpbulkwalk`` reads.

The agent serves this host's interfaces, whose counters move (loopback carries every test's
traffic) and which other tests create and remove. So each comparison brackets the plugin's poll
between two ``snmpbulkwalk`` runs: a counter must lie between its two CLI readings, and names
are compared on the interfaces both walks saw alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import ward_snmp.plugin
from ward_snmp.kinds import INTERFACES, RESOURCES, SYSTEM
from ward_snmp.oids import (
    IF_ADMIN_STATUS,
    IF_DESCR,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HIGH_SPEED,
    IF_IN_OCTETS,
    IF_NAME,
    IF_OPER_STATUS,
    IF_OUT_ERRORS,
    Column,
)
from ward_snmp.resource_tables import HR_STORAGE_ENTRY
from ward_snmp.testing import NetSnmpAgent, SnmpdUser, random_loopback

from ward_core.config import Settings
from ward_core.inventory.credentials import env_var
from ward_core.plugin_manager import WardPlugins
from ward_core.testing import isolated_plugins
from ward_core.types import (
    DeviceTarget,
    Metric,
    ProbeOptions,
    ProbeResult,
    SnmpAuthProtocol,
    SnmpPrivProtocol,
    SnmpTarget,
)

USER = SnmpdUser("ward-reader", "reader-auth-pass", "reader-priv-pass", "SHA", "AES")
MATRIX = (
    SnmpdUser("md5-des", "md5-auth-pass", "des-priv-pass", "MD5", "DES"),
    SnmpdUser("sha256-aes256", "s256-auth-pass", "a256-priv-pass", "SHA-256", "AES256"),
    SnmpdUser("sha512-aes192", "s512-auth-pass", "a192-priv-pass", "SHA-512", "AES192"),
    SnmpdUser("md5-aes256", "md5-auth-pass2", "a256-priv-pass2", "MD5", "AES256"),
)
AUTH: dict[str, SnmpAuthProtocol] = {"MD5": "md5", "SHA": "sha", "SHA-256": "sha256", "SHA-512": "sha512"}
PRIV: dict[str, SnmpPrivProtocol] = {"DES": "des", "AES": "aes128", "AES192": "aes192", "AES256": "aes256"}
OPTIONS = ProbeOptions(timeout=2.0)
# A community whose view hides ifXTable (an old agent), and one hiding row 1's 64-bit counters.
VIEWS = (
    "view noifx included .1",
    f"view noifx excluded .{IF_NAME.oid.rsplit('.', 1)[0]}",
    "rocommunity legacy 127.0.0.0/8 -V noifx",
    "view partial included .1",
    f"view partial excluded .{IF_HC_IN_OCTETS.instance(1)}",
    f"view partial excluded .{IF_HC_OUT_OCTETS.instance(1)}",
    "rocommunity partial 127.0.0.0/8 -V partial",
)


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetSnmpAgent]:
    directory = tmp_path_factory.mktemp("snmpd")
    with NetSnmpAgent(
        directory, address=random_loopback(), users=[USER, *MATRIX], extra_config=VIEWS
    ) as running:
        yield running


@pytest.fixture(scope="module")
def snmp(agent: NetSnmpAgent) -> Iterator[WardPlugins]:
    """The plugin, its credentials in ``WARD_CRED_*`` variables (no secrets file)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("WARD_CRED_SNMPD_RO_COMMUNITY", agent.community)
        env.setenv("WARD_CRED_SNMPD_LEGACY_COMMUNITY", "legacy")
        env.setenv("WARD_CRED_SNMPD_PARTIAL_COMMUNITY", "partial")
        for user in (USER, *MATRIX):
            env.setenv(env_var(user.name, "auth_key"), user.auth_password)
            env.setenv(env_var(user.name, "priv_key"), user.priv_password)
        with isolated_plugins(
            ward_snmp.plugin, name="snmp", settings=Settings(blocked_plugins=[])
        ) as plugins:
            yield plugins


def device(
    agent: NetSnmpAgent, name: str = "snmpd", *, user: SnmpdUser | None = None, credentials: str = "snmpd-ro"
) -> DeviceTarget:
    if user is None:
        snmp = SnmpTarget(version="2c", credentials=credentials, port=agent.port)
    else:
        snmp = SnmpTarget(
            version="3",
            credentials=credentials,
            port=agent.port,
            user=user.name,
            auth_protocol=AUTH[user.auth_protocol],
            priv_protocol=PRIV[user.priv_protocol],
        )
    return DeviceTarget(name=name, host=agent.address, platform="linux", snmp=snmp)


def by_index(result: ProbeResult, name: str) -> dict[str, Metric]:
    assert result.ok, result.exception
    return {m.labels["ifindex"]: m for m in result.metrics if m.name == name}


Walks = dict[Column, dict[str, str]]


def walk_twice(
    agent: NetSnmpAgent, columns: tuple[Column, ...], poll: Callable[[], ProbeResult]
) -> tuple[Walks, ProbeResult, Walks]:
    """The CLI's walks of ``columns``, the plugin's poll, and the CLI's walks again."""
    before = {c: agent.cli_walk(c.oid) for c in columns}
    result = poll()
    after = {c: agent.cli_walk(c.oid) for c in columns}
    return before, result, after


COLUMNS = (
    IF_NAME,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_OUT_ERRORS,
    IF_OPER_STATUS,
    IF_ADMIN_STATUS,
    IF_HIGH_SPEED,
)


@pytest.mark.parametrize("version", ["2c", "3"])
def test_interfaces_read_what_snmpbulkwalk_reads(
    snmp: WardPlugins, agent: NetSnmpAgent, version: str
) -> None:
    target = device(agent) if version == "2c" else device(agent, user=USER, credentials=USER.name)
    before, result, after = walk_twice(
        agent, COLUMNS, lambda: snmp.run_probe(INTERFACES, [target], OPTIONS).results[0]
    )
    stable = [i for i, name in before[IF_NAME].items() if after[IF_NAME].get(i) == name]
    assert stable, "the host has at least its loopback interface"
    names = by_index(result, "if.oper_up")
    for index in stable:
        assert names[index].labels["ifname"] == before[IF_NAME][index]
    for column, metric in (
        (IF_HC_IN_OCTETS, "if.in_octets"),
        (IF_HC_OUT_OCTETS, "if.out_octets"),
        (IF_OUT_ERRORS, "if.out_errors"),
    ):
        polled = by_index(result, metric)
        for index in stable:
            low, high = int(before[column][index]), int(after[column][index])
            assert low <= polled[index].value <= high, f"{metric} of {before[IF_NAME][index]}"
            expected_bits = "32" if column is IF_OUT_ERRORS else "64"
            assert polled[index].labels["counter_bits"] == expected_bits
    for column, metric in ((IF_OPER_STATUS, "if.oper_up"), (IF_ADMIN_STATUS, "if.admin_up")):
        polled = by_index(result, metric)
        for index in stable:
            if before[column][index] == after[column][index]:
                assert polled[index].value == (1.0 if before[column][index] == "1" else 0.0)
    speeds = by_index(result, "if.speed_bps")
    for index in stable:
        assert speeds[index].value == int(before[IF_HIGH_SPEED][index]) * 1_000_000
    assert set(stable) <= set(names) <= set(before[IF_NAME]) | set(after[IF_NAME])


def test_an_agent_without_ifxtable_gives_32_bit_counters_and_ifdescr(
    snmp: WardPlugins, agent: NetSnmpAgent
) -> None:
    legacy = ["-v2c", "-c", "legacy"]
    assert agent.cli_walk(IF_NAME.oid, auth=legacy) == {}, "the legacy view hides ifXTable"
    target = device(agent, credentials="snmpd-legacy")
    descr = agent.cli_walk(IF_DESCR.oid, auth=legacy)
    low = agent.cli_walk(IF_IN_OCTETS.oid, auth=legacy)
    (result,) = snmp.run_probe(INTERFACES, [target], OPTIONS).results
    high = agent.cli_walk(IF_IN_OCTETS.oid, auth=legacy)
    polled = by_index(result, "if.in_octets")
    for index, name in descr.items():
        if index in polled and index in high:
            assert polled[index].labels["ifname"] == name
            assert polled[index].labels["counter_bits"] == "32"
            assert int(low[index]) <= polled[index].value <= int(high[index])
    assert by_index(result, "if.speed_bps"), "ifSpeed stands in for ifHighSpeed"


def test_a_row_without_64_bit_counters_falls_back_alone(snmp: WardPlugins, agent: NetSnmpAgent) -> None:
    (result,) = snmp.run_probe(INTERFACES, [device(agent, credentials="snmpd-partial")], OPTIONS).results
    bits = {index: m.labels["counter_bits"] for index, m in by_index(result, "if.in_octets").items()}
    assert bits.pop("1") == "32"
    assert bits and set(bits.values()) == {"64"}
    assert by_index(result, "if.out_octets")["1"].labels["counter_bits"] == "32"


@pytest.mark.parametrize("user", MATRIX, ids=lambda u: u.name)
def test_v3_protocols(snmp: WardPlugins, agent: NetSnmpAgent, user: SnmpdUser) -> None:
    target = device(agent, user=user, credentials=user.name)
    (result,) = snmp.run_probe(SYSTEM, [target], OPTIONS).results
    assert result.ok, result.exception
    cli = int(agent.cli("snmpget", "1.3.6.1.2.1.1.3.0", auth=user.cli_auth()).split()[1]) / 100
    assert abs(result.values()["sys.uptime_s"] - cli) < 2


def test_memory_comes_from_hrstorage(snmp: WardPlugins, agent: NetSnmpAgent) -> None:
    storage = {column: agent.cli_walk(f"{HR_STORAGE_ENTRY}.{column}") for column in (2, 4, 5, 6)}
    ram = [i for i, kind in storage[2].items() if kind == ".1.3.6.1.2.1.25.2.1.2"]
    assert ram, "net-snmp reports physical memory as hrStorageRam"
    used = sum(int(storage[4][i]) * int(storage[6][i]) for i in ram)
    size = sum(int(storage[4][i]) * int(storage[5][i]) for i in ram)
    (result,) = snmp.run_probe(RESOURCES, [device(agent)], OPTIONS).results
    assert result.ok, result.exception
    values = result.values()
    assert values["mem.used_bytes"] == pytest.approx(used, rel=0.1)
    assert values["mem.used_pct"] == pytest.approx(100 * used / size, abs=5)


def test_system_uptime_matches_snmpget(snmp: WardPlugins, agent: NetSnmpAgent) -> None:
    first = int(agent.cli("snmpget", "1.3.6.1.2.1.1.3.0").split()[1]) / 100
    (result,) = snmp.run_probe(SYSTEM, [device(agent)], OPTIONS).results
    last = int(agent.cli("snmpget", "1.3.6.1.2.1.1.3.0").split()[1]) / 100
    assert first <= result.values()["sys.uptime_s"] <= last
    assert 0 < result.values()["snmp.response_ms"] < 1000
