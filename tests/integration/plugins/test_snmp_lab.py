"""The SNMP probes against the simulated lab: v2c and v3 polls, faults, reboots, resources.

One lab of six devices serves the module; each test undoes the faults it injects.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import ward_snmp.plugin
import yaml
from ward_snmp.kinds import INTERFACES, RESOURCES, SYSTEM

from ward_core.config import Settings
from ward_core.plugin_manager import WardPlugins
from ward_core.testing import isolated_plugins
from ward_core.testing.lab import RunningLab, running_lab
from ward_core.types import DeviceTarget, ProbeBatchResult, ProbeOptions, SnmpTarget

pytestmark = pytest.mark.lab

OPTIONS = ProbeOptions(timeout=1.0, retries=0)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with running_lab(tmp_path_factory.mktemp("snmp-lab"), devices=6, sites=1) as started:
        yield started


@pytest.fixture(scope="module")
def snmp(lab: RunningLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WardPlugins]:
    secrets = tmp_path_factory.mktemp("snmp-secrets") / "secrets.yml"
    document = lab.credentials.secrets_document()
    document["wrong-community"] = {"community": "not-the-lab-community"}
    document["wrong-v3"] = {"auth_key": "not-the-auth-key", "priv_key": lab.credentials.v3_priv_password}
    secrets.write_text(yaml.safe_dump(document), encoding="utf-8")
    with isolated_plugins(ward_snmp.plugin, name="snmp", settings=Settings(secrets_file=secrets)) as plugins:
        yield plugins


def v2c(lab: RunningLab, credentials: str = "lab-snmp") -> SnmpTarget:
    return SnmpTarget(version="2c", credentials=credentials, port=lab.snmp_port)


def v3(lab: RunningLab, credentials: str = "lab-snmpv3") -> SnmpTarget:
    return SnmpTarget(
        version="3",
        credentials=credentials,
        port=lab.snmp_port,
        user=lab.credentials.v3_user,
        auth_protocol="sha",
        priv_protocol="aes128",
    )


def targets(lab: RunningLab, snmp: SnmpTarget, platform: str | None = None) -> list[DeviceTarget]:
    return [
        DeviceTarget(name=d["name"], host=d["address"], platform=platform or d["platform"], snmp=snmp)
        for d in lab.devices
    ]


@pytest.fixture
def fault(lab: RunningLab) -> Iterator[Callable[..., None]]:
    """Injects a lab fault (``fault(device, kind, arg)``); each is undone after the test."""
    undo: list[tuple[str, ...]] = []

    def inject(device: str, kind: str, *argument: str) -> None:
        lab.ward("lab", "fault", device, kind, *argument)
        reverse = {"down": ("up",), "slow": ("slow", "0"), "if-down": ("if-up", *argument)}.get(kind)
        if reverse:
            undo.append((device, *reverse))

    yield inject
    for device, *command in reversed(undo):
        lab.ward("lab", "fault", device, *command)


@pytest.fixture(scope="module")
def lab_interfaces(lab: RunningLab) -> dict[str, list[dict[str, Any]]]:
    """``lab.show(name)["interfaces"]`` of every device, before any fault."""
    return {d["name"]: lab.show(d["name"])["interfaces"] for d in lab.devices}


def interfaces_of(batch: ProbeBatchResult, device: str) -> dict[str, dict[str, float]]:
    """Per ifname, the interface's metrics by name."""
    table: dict[str, dict[str, float]] = {}
    for metric in batch.by_device()[device].metrics:
        if "ifname" in metric.labels:
            table.setdefault(metric.labels["ifname"], {})[metric.name] = metric.value
    return table


@pytest.mark.parametrize("version", ["2c", "3"])
def test_every_device_is_polled_with_every_kind(snmp: WardPlugins, lab: RunningLab, version: str) -> None:
    devices = targets(lab, v2c(lab) if version == "2c" else v3(lab))
    for kind in (SYSTEM, INTERFACES, RESOURCES):
        batch = snmp.run_probe(kind, devices, OPTIONS)
        failed = {r.device: r.exception for r in batch.failed}
        assert not failed, f"{kind} over v{version}: {failed}"
        declared = set(snmp.probe_kinds()[kind].metrics)
        for result in batch.results:
            names = {m.name for m in result.metrics}
            assert names <= declared
            assert "sys.uptime_s" in names or kind == RESOURCES


@pytest.mark.parametrize("version", ["2c", "3"])
def test_interfaces_match_the_lab(
    snmp: WardPlugins, lab: RunningLab, lab_interfaces: dict[str, list[dict[str, Any]]], version: str
) -> None:
    devices = targets(lab, v2c(lab) if version == "2c" else v3(lab))
    batch = snmp.run_probe(INTERFACES, devices, OPTIONS)
    for device in devices:
        shown = lab_interfaces[device.name]
        polled = interfaces_of(batch, device.name)
        assert len(polled) == len(shown), f"{device.name}: {sorted(polled)} vs {[i['name'] for i in shown]}"
        up_in_lab = sorted(i["oper_up"] for i in shown)
        assert sorted(bool(m["if.oper_up"]) for m in polled.values()) == up_in_lab
        for metrics in polled.values():
            assert metrics["if.speed_bps"] > 0
            assert {"if.in_octets", "if.out_octets", "if.in_errors", "if.out_discards"} <= set(metrics)
        bits = {
            m.labels["counter_bits"]
            for m in batch.by_device()[device.name].metrics
            if m.name in ("if.in_octets", "if.out_octets")
        }
        assert bits == {"64"}, "the lab has ifXTable, so octets come from the 64-bit columns"


def test_if_down_changes_oper_status(
    snmp: WardPlugins,
    lab: RunningLab,
    lab_interfaces: dict[str, list[dict[str, Any]]],
    fault: Callable[..., None],
) -> None:
    devices = targets(lab, v2c(lab))
    name = lab.devices[0]["name"]
    up = next(i for i in lab_interfaces[name] if i["oper_up"])
    before = snmp.run_probe(INTERFACES, devices[:1], OPTIONS)
    short = {n for n, m in interfaces_of(before, name).items() if m["if.oper_up"] == 1.0}
    fault(name, "if-down", up["name"])
    after = snmp.run_probe(INTERFACES, devices[:1], OPTIONS)
    now_up = {n for n, m in interfaces_of(after, name).items() if m["if.oper_up"] == 1.0}
    gone = short - now_up
    assert len(gone) == 1, f"{up['name']} should be the one interface gone down: {short} -> {now_up}"
    (went_down,) = gone
    assert interfaces_of(after, name)[went_down]["if.admin_up"] == 1.0, "the far end went away, not admin"


def test_a_down_device_times_out_and_the_others_do_not(
    snmp: WardPlugins, lab: RunningLab, fault: Callable[..., None]
) -> None:
    devices = targets(lab, v2c(lab))
    dead = devices[2].name
    fault(dead, "down")
    started = time.monotonic()
    batch = snmp.run_probe(INTERFACES, devices, ProbeOptions(timeout=0.5, retries=1, params={"backoff": 0.1}))
    elapsed = time.monotonic() - started
    by_device = batch.by_device()
    assert by_device[dead].failed
    assert "timeout (no answer or wrong community) after 2 attempts of 0.5 s" in (
        by_device[dead].exception or ""
    )
    assert all(r.ok for r in batch.results if r.device != dead), batch.failed
    assert elapsed < 2.0, f"one dead device cost {elapsed:.2f} s"


def test_reboot_makes_uptime_go_back(snmp: WardPlugins, lab: RunningLab, fault: Callable[..., None]) -> None:
    devices = targets(lab, v2c(lab))[3:4]
    name = devices[0].name
    time.sleep(0.3)
    before = snmp.run_probe(SYSTEM, devices, OPTIONS).results[0].values()["sys.uptime_s"]
    fault(name, "reboot")
    after = snmp.run_probe(INTERFACES, devices, OPTIONS).results[0].values()["sys.uptime_s"]
    assert after < before, f"uptime {before} s before the reboot, {after} s after"


def test_response_time_is_measured(snmp: WardPlugins, lab: RunningLab, fault: Callable[..., None]) -> None:
    devices = targets(lab, v2c(lab))[1:2]
    fault(devices[0].name, "slow", "150")
    (result,) = snmp.run_probe(SYSTEM, devices, OPTIONS).results
    assert result.ok, result.exception
    assert 140 <= result.values()["snmp.response_ms"] < 900


def test_timeouts_are_retried_with_backoff(
    snmp: WardPlugins, lab: RunningLab, fault: Callable[..., None]
) -> None:
    devices = targets(lab, v2c(lab))[1:2]
    fault(devices[0].name, "slow", "400")
    options = ProbeOptions(timeout=0.2, retries=2, params={"backoff": 0.1, "backoff_max": 0.2})
    started = time.monotonic()
    (result,) = snmp.run_probe(SYSTEM, devices, options).results
    elapsed = time.monotonic() - started
    assert result.failed
    assert "after 3 attempts of 0.2 s" in (result.exception or "")
    assert 0.6 + 0.05 + 0.1 <= elapsed < 1.5, f"3 attempts of 0.2 s and two pauses took {elapsed:.2f} s"


def test_wrong_community_reads_as_a_timeout(snmp: WardPlugins, lab: RunningLab) -> None:
    devices = targets(lab, v2c(lab, "wrong-community"))[:2]
    batch = snmp.run_probe(SYSTEM, devices, ProbeOptions(timeout=0.3))
    for result in batch.results:
        assert result.failed
        assert "timeout (no answer or wrong community)" in (result.exception or "")


def test_wrong_v3_key_is_an_authentication_failure(snmp: WardPlugins, lab: RunningLab) -> None:
    devices = targets(lab, v3(lab, "wrong-v3"))[:2]
    batch = snmp.run_probe(SYSTEM, devices, ProbeOptions(timeout=0.5))
    for result in batch.results:
        assert result.failed
        assert (result.exception or "").startswith("AuthenticationFailed"), result.exception


def test_missing_credential_names_it_and_the_device(snmp: WardPlugins, lab: RunningLab) -> None:
    devices = targets(lab, v2c(lab, "no-such-credential"))[:1]
    (result,) = snmp.run_probe(SYSTEM, devices, OPTIONS).results
    assert result.failed
    assert "no-such-credential" in (result.exception or "")
    assert devices[0].name in (result.exception or "")


def test_cisco_resources_come_from_cisco_mibs(snmp: WardPlugins, lab: RunningLab) -> None:
    devices = targets(lab, v2c(lab))
    assert {d.platform for d in devices} == {"cisco_ios"}
    batch = snmp.run_probe(RESOURCES, devices, OPTIONS)
    for result in batch.results:
        values = result.values()
        assert set(values) == {"cpu.util_pct", "mem.used_pct", "mem.used_bytes"}, result
        assert 0 <= values["cpu.util_pct"] <= 100
        assert 0 < values["mem.used_pct"] < 100
        assert values["mem.used_bytes"] > 1_000_000


def test_other_platforms_fall_back_to_host_resources(snmp: WardPlugins, lab: RunningLab) -> None:
    cisco = snmp.run_probe(RESOURCES, targets(lab, v2c(lab)), OPTIONS).by_device()
    generic = snmp.run_probe(RESOURCES, targets(lab, v2c(lab), platform="linux"), OPTIONS)
    for result in generic.results:
        assert result.ok, result.exception
        # the lab serves hrProcessorLoad (the same CPU figure) but no hrStorage table
        assert set(result.values()) == {"cpu.util_pct"}
        assert result.values()["cpu.util_pct"] == pytest.approx(
            cisco[result.device].values()["cpu.util_pct"], abs=15
        )


def test_options_are_checked(snmp: WardPlugins, lab: RunningLab) -> None:
    devices = targets(lab, v2c(lab))[:2]
    batch = snmp.run_probe(SYSTEM, devices, ProbeOptions(params={"max_reps": 5}))
    assert all("max_reps" in (r.exception or "") for r in batch.results)


def test_small_max_repetitions_reads_the_same_interfaces(snmp: WardPlugins, lab: RunningLab) -> None:
    devices = targets(lab, v2c(lab))
    wide = snmp.run_probe(INTERFACES, devices, OPTIONS)
    narrow = snmp.run_probe(INTERFACES, devices, ProbeOptions(timeout=2.0, params={"max_repetitions": 2}))
    for device in devices:
        assert sorted(interfaces_of(wide, device.name)) == sorted(interfaces_of(narrow, device.name))


def test_hook_runs_in_a_thread_that_has_an_event_loop(snmp: WardPlugins, lab: RunningLab) -> None:
    import asyncio

    devices = targets(lab, v2c(lab))[:2]

    async def inside_a_loop() -> ProbeBatchResult:
        return snmp.run_probe(SYSTEM, devices, OPTIONS)

    assert asyncio.run(inside_a_loop()).ok


def test_results_keep_the_order_of_the_batch(snmp: WardPlugins, lab: RunningLab, tmp_path: Path) -> None:
    devices = list(reversed(targets(lab, v2c(lab))))
    batch = snmp.run_probe(SYSTEM, devices, ProbeOptions(timeout=1.0, concurrency=2))
    assert [r.device for r in batch.results] == [d.name for d in devices]
    assert batch.ok
