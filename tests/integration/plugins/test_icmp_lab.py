"""The ``icmp`` probe against the simulated lab in its network namespace (``ward lab up --netns``).

There the lab answers ICMP itself and honours faults: ``down`` silences a device, ``packet-loss``
drops a share of echo requests, ``slow`` delays replies. Root only (the namespace needs it).
One lab serves the module; each test clears the faults it set.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ward_icmp.plugin
from ward_icmp.probe import KIND

from ward_core.plugin_manager import WardPlugins
from ward_core.testing import isolated_plugins
from ward_core.testing.lab import RunningLab, running_lab
from ward_core.types import DeviceTarget, JsonValue, ProbeBatchResult, ProbeOptions

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="a lab network namespace needs root"),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    lab_dir: Path = tmp_path_factory.mktemp("icmp-lab")
    with running_lab(lab_dir, devices=6, sites=1, extra=("--netns",)) as started:
        yield started


@pytest.fixture(scope="module")
def icmp() -> Iterator[WardPlugins]:
    with isolated_plugins(ward_icmp.plugin, name="icmp") as plugins:
        yield plugins


@pytest.fixture
def devices(lab: RunningLab) -> list[DeviceTarget]:
    return [
        DeviceTarget(name=d["name"], host=d["address"], platform=d["platform"], site=d["site"])
        for d in lab.devices
    ]


class Faults:
    """Sets lab faults and clears them afterwards (each ``ward lab fault`` is a CLI run: few of them)."""

    def __init__(self, lab: RunningLab) -> None:
        self.lab = lab
        self.touched: set[str] = set()

    def __call__(self, device: DeviceTarget, *fault: str) -> None:
        self.touched.add(device.name)
        self.lab.ward("lab", "fault", device.name, *fault)

    def clear(self) -> None:
        for name in sorted(self.touched):
            self.lab.ward("lab", "fault", name, "clear")


@pytest.fixture
def fault(lab: RunningLab) -> Iterator[Faults]:
    faults = Faults(lab)
    yield faults
    faults.clear()


def ping(
    plugins: WardPlugins,
    devices: list[DeviceTarget],
    *,
    count: int,
    timeout: float = 1.0,
    **params: JsonValue,
) -> ProbeBatchResult:
    return plugins.run_probe(KIND, devices, ProbeOptions(count=count, timeout=timeout, params=params))


def loss(batch: ProbeBatchResult, device: str) -> float:
    result = batch.by_device()[device]
    assert result.ok, result.exception
    return result.values()["ping.loss_pct"]


def test_every_lab_device_answers(icmp: WardPlugins, devices: list[DeviceTarget]) -> None:
    assert all(d.host.startswith("198.18.") for d in devices)
    batch = ping(icmp, devices, count=3, interval=0.02)
    assert [loss(batch, d.name) for d in devices] == [0.0] * len(devices)


def test_a_device_taken_down_shows_full_loss_the_others_none(
    fault: Faults, icmp: WardPlugins, devices: list[DeviceTarget]
) -> None:
    target = devices[-1]
    fault(target, "down")
    batch = ping(icmp, devices, count=3, interval=0.02)
    assert loss(batch, target.name) == 100.0
    values = batch.by_device()[target.name].values()
    assert (values["ping.sent"], values["ping.received"]) == (3.0, 0.0)
    for device in devices[:-1]:
        assert loss(batch, device.name) == 0.0, device.name


def test_packet_loss_shows_as_partial_loss(
    fault: Faults, icmp: WardPlugins, devices: list[DeviceTarget]
) -> None:
    target = devices[0]
    fault(target, "packet-loss", "50")
    batch = ping(icmp, devices, count=100, interval=0.005)
    # 100 echoes each dropped with probability 1/2: outside 25-75% has odds below one in a million.
    assert 25.0 <= loss(batch, target.name) <= 75.0
    values = batch.by_device()[target.name].values()
    assert values["ping.sent"] == 100.0
    assert values["ping.received"] == 100.0 - loss(batch, target.name)
    assert loss(batch, devices[1].name) == 0.0


def test_a_slow_device_shows_its_delay(
    lab: RunningLab, icmp: WardPlugins, devices: list[DeviceTarget]
) -> None:
    target = devices[1]
    lab.ward("lab", "fault", target.name, "slow", "200")
    batch = ping(icmp, devices, count=3, interval=0.02)
    slow = batch.by_device()[target.name].values()
    assert slow["ping.loss_pct"] == 0.0
    assert 200.0 < slow["ping.rtt_min_ms"] <= slow["ping.rtt_avg_ms"] < 400.0
    fast = batch.by_device()[devices[2].name].values()
    assert fast["ping.rtt_avg_ms"] < 100.0


def test_devices_down_cost_one_timeout_window(
    fault: Faults, icmp: WardPlugins, devices: list[DeviceTarget]
) -> None:
    down = devices[:3]
    for device in down:
        fault(device, "down")
    started = time.monotonic()
    batch = ping(icmp, down, count=3, timeout=1.0, interval=0.05)
    elapsed = time.monotonic() - started
    assert all(loss(batch, d.name) == 100.0 for d in down)
    # Rounds at 0, 0.05 and 0.1 s, then one 1 s window: about 1.1 s, not 3 s.
    assert elapsed < 1.5, f"{len(down)} devices down, 3 echoes each, took {elapsed:.2f} s"
