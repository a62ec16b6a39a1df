"""The ``icmp`` probe on real sockets over loopback, where every 127.x.y.z address answers.

These tests need a raw ICMP socket (root or CAP_NET_RAW) and are skipped without one; the
datagram-socket and no-permission paths are tested in network namespaces (test_icmp_netns.py).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator, Sequence

import pytest
import ward_icmp.plugin
from ward_icmp.channel import IcmpUnavailable, open_channel
from ward_icmp.metrics import ALL, JITTER_MS, LOSS_PCT, RECEIVED, RTT_AVG_MS, RTT_MAX_MS, RTT_MIN_MS, SENT
from ward_icmp.probe import KIND

from ward_core.config import Settings
from ward_core.plugin_manager import WardPlugins, load_plugins
from ward_core.testing import ProbeContract, check_plugin_contract, isolated_plugins, sample_device
from ward_core.types import DeviceTarget, JsonObject, JsonValue, ProbeBatchResult, ProbeOptions


def _raw_icmp_allowed() -> bool:
    try:
        open_channel(socket.AF_INET, 1, privileged=True).close()
    except IcmpUnavailable:
        return False
    return True


pytestmark = pytest.mark.skipif(not _raw_icmp_allowed(), reason="needs a raw ICMP socket (root)")


def loopback(count: int, network: str) -> list[DeviceTarget]:
    """``count`` devices on consecutive addresses of ``network`` (a 127/8 range)."""
    hosts = ipaddress.ip_network(network).hosts()
    return [DeviceTarget(name=f"lo{i}", host=str(next(hosts)), platform="linux") for i in range(count)]


@pytest.fixture
def icmp() -> Iterator[WardPlugins]:
    with isolated_plugins(ward_icmp.plugin, name="icmp") as plugins:
        yield plugins


def ping(
    plugins: WardPlugins,
    devices: Sequence[DeviceTarget],
    *,
    count: int = 3,
    timeout: float = 1.0,
    **params: JsonValue,
) -> ProbeBatchResult:
    """Run the probe through ward's plugin manager, as a worker would."""
    options = ProbeOptions(count=count, timeout=timeout, params=params)
    return plugins.run_probe(KIND, devices, options)


# --------------------------------------------------------------------------- the contract


class TestIcmpContract(ProbeContract):
    plugin = ward_icmp.plugin
    kind = KIND

    @pytest.fixture
    def reachable_device(self) -> DeviceTarget:
        return sample_device("up", host="127.0.0.1")

    @pytest.fixture
    def unreachable_device(self) -> DeviceTarget:
        # A host that is not, and cannot be, measured: a non-answering one is measured (100% loss).
        return sample_device("down", host="not a host name")


def test_passes_the_plugin_contract() -> None:
    check_plugin_contract(ward_icmp.plugin, name="icmp")


def test_ward_finds_the_plugin_through_its_entry_point() -> None:
    plugins = load_plugins(Settings(blocked_plugins=[]))
    try:
        assert plugins.probe_kind_owner(KIND) == "icmp"
        assert plugins.probe_kinds()[KIND].metrics == ALL
    finally:
        plugins.close()


# --------------------------------------------------------------------------- measuring


def test_two_thousand_addresses_three_echoes_no_loss(icmp: WardPlugins) -> None:
    devices = loopback(2000, "127.62.0.0/16")
    started = time.monotonic()
    batch = ping(icmp, devices, count=3, timeout=1.0, interval=0.02)
    elapsed = time.monotonic() - started
    assert [r.device for r in batch.results] == [d.name for d in devices]
    lossy = [r for r in batch.results if not r.ok or r.values()[LOSS_PCT] != 0.0]
    assert not lossy, f"{len(lossy)} of 2000 devices lost replies, first: {lossy[0]}"
    for result in batch.results:
        values = result.values()
        assert set(values) == set(ALL)
        assert values[SENT] == values[RECEIVED] == 3.0
        assert 0.0 < values[RTT_MIN_MS] <= values[RTT_AVG_MS] <= values[RTT_MAX_MS] < 1000.0
        assert values[JITTER_MS] >= 0.0
    # All in flight at once: a batch that waited for each host in turn would take far longer.
    assert elapsed < 5.0, f"2000 x 3 echoes took {elapsed:.2f} s"


def test_ipv6_names_and_shared_addresses(icmp: WardPlugins) -> None:
    devices = [
        DeviceTarget(name="v6", host="::1", platform="linux"),
        DeviceTarget(name="by-name", host="localhost", platform="linux"),
        DeviceTarget(name="v4", host="127.0.0.1", platform="linux"),
        DeviceTarget(name="v4-again", host="127.0.0.1", platform="linux"),
    ]
    batch = ping(icmp, devices, count=2, interval=0.01)
    by_device = batch.by_device()
    for name in ("v6", "by-name", "v4", "v4-again"):
        assert by_device[name].ok, by_device[name].exception
        assert by_device[name].values()[LOSS_PCT] == 0.0
        assert by_device[name].values()[RECEIVED] == 2.0
    # One address, pinged once per round: the devices share the measurement.
    assert by_device["v4"].metrics == by_device["v4-again"].metrics


def test_rounds_are_spaced_by_the_interval(icmp: WardPlugins) -> None:
    devices = loopback(50, "127.63.0.0/24")
    started = time.monotonic()
    batch = ping(icmp, devices, count=4, timeout=1.0, interval=0.15)
    elapsed = time.monotonic() - started
    assert all(r.values()[RECEIVED] == 4.0 for r in batch.results)
    # Three intervals between four rounds; every reply came, so no timeout window (1 s) is waited.
    assert 0.45 <= elapsed < 1.2, f"took {elapsed:.2f} s"


@pytest.mark.parametrize("size", [0, 1, 1472, 9000])
def test_payload_sizes(icmp: WardPlugins, size: int) -> None:
    batch = ping(icmp, loopback(10, "127.64.0.0/24"), count=2, interval=0.01, size=size)
    assert all(r.ok and r.values()[LOSS_PCT] == 0.0 for r in batch.results), batch.failed


def test_raw_socket_can_be_required(icmp: WardPlugins) -> None:
    batch = ping(icmp, loopback(5, "127.65.0.0/24"), count=1, privileged=True)
    assert all(r.values()[LOSS_PCT] == 0.0 for r in batch.results)


def test_concurrent_batches_do_not_take_each_others_replies(icmp: WardPlugins) -> None:
    """Raw sockets each receive every echo reply of the host: matching must keep batches apart."""
    devices = loopback(500, "127.66.0.0/16")
    results: list[ProbeBatchResult] = []

    def run() -> None:
        results.append(ping(icmp, devices, count=3, interval=0.01))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 3
    for batch in results:
        for result in batch.results:
            values = result.values()
            assert (values[SENT], values[RECEIVED], values[LOSS_PCT]) == (3.0, 3.0, 0.0), result


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"size": 70_000}, "icmp option 'size' must be an integer from 0 to 65000"),
        ({"interval": -0.5}, "icmp option 'interval' must be a number at least 0"),
        ({"privileged": "maybe"}, "icmp option 'privileged' must be true, false or absent"),
    ],
)
def test_bad_options_fail_every_device_with_the_option_named(
    icmp: WardPlugins, params: JsonObject, message: str
) -> None:
    batch = ping(icmp, loopback(3, "127.67.0.0/24"), **params)
    assert len(batch.failed) == 3
    assert all(message in (r.exception or "") for r in batch.results)


def test_bad_hosts_are_failed_results_naming_device_and_host(icmp: WardPlugins) -> None:
    devices = [
        DeviceTarget(name="typo", host="core sw 1", platform="linux"),
        DeviceTarget(name="octal", host="010.0.0.1", platform="linux"),
        DeviceTarget(name="good", host="127.0.0.1", platform="linux"),
    ]
    by_device = ping(icmp, devices, count=1).by_device()
    assert by_device["good"].ok
    typo = by_device["typo"]
    assert typo.failed
    assert "device 'typo'" in (typo.exception or "")
    assert "'core sw 1' is neither an IP address nor a valid host name" in (typo.exception or "")
    assert "field 'host'" in (by_device["octal"].exception or "")
