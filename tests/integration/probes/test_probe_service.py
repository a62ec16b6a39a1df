"""run_probe_batch end to end on PostgreSQL and SQLite: a real TCP probe against loopback
listeners, counters turned into rates across batches, idempotent batch ids, failures as data."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import ward_reference.plugin
from sqlalchemy import Engine, func, select
from ward_reference.probe import CONNECT_MS, KIND, SUCCESS_RATIO

from ward_core import hookimpl
from ward_core.db import session_scope
from ward_core.db.models import LatestSample, MetricSample, ProbeBatch, Run, RunResult
from ward_core.errors import ConfigError, InventoryError, PluginError
from ward_core.plugin_manager import WardPlugins
from ward_core.probes import REBOOTED_METRIC, latest, run_probe_batch, series
from ward_core.testing.plugins import isolated_plugins
from ward_core.types import (
    UPTIME_METRIC,
    CounterSpec,
    DeviceTarget,
    Metric,
    ProbeBatchResult,
    ProbeKind,
    ProbeOptions,
    ProbeResult,
)

AddDevices = Callable[..., dict[str, int]]
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(seconds=60)
T2 = T1 + timedelta(seconds=60)
COUNTERS = "test.counters"


class CounterScript:
    """A probe plugin reporting the counters and uptimes a test sets, like an SNMP poll would."""

    kind = ProbeKind(
        name=COUNTERS,
        description="scripted interface counters",
        metrics=("if.in_octets", "if.in_bps", "if.speed_bps", UPTIME_METRIC),
        counters=(CounterSpec(metric="if.in_octets", rate_metric="if.in_bps", factor=8),),
    )

    def __init__(self) -> None:
        self.metrics: dict[str, list[Metric]] = {}
        self.calls = 0
        self.barrier: threading.Barrier | None = None
        self.raise_error: Exception | None = None

    @hookimpl
    def ward_probe_kinds(self) -> list[ProbeKind]:
        return [self.kind]

    @hookimpl
    def ward_probe_run(
        self, kind: str, devices: Sequence[DeviceTarget], options: ProbeOptions
    ) -> ProbeBatchResult | None:
        if kind != COUNTERS:
            return None
        self.calls += 1
        if self.barrier is not None:
            self.barrier.wait(timeout=20)
        if self.raise_error is not None:
            raise self.raise_error
        return ProbeBatchResult(
            kind=kind,
            results=tuple(
                ProbeResult.success(d.name, kind, self.metrics[d.name])
                if d.name in self.metrics
                else ProbeResult.failure(d.name, kind, "TimeoutError: no SNMP answer")
                for d in devices
            ),
        )

    def set(self, device: str, octets: float, bits: str = "64", uptime: float | None = None) -> None:
        metrics = [Metric("if.in_octets", octets, {"ifname": "Gi0/1", "counter_bits": bits})]
        if uptime is not None:
            metrics.append(Metric(UPTIME_METRIC, uptime))
        self.metrics[device] = metrics


@pytest.fixture
def script() -> Iterator[tuple[CounterScript, WardPlugins]]:
    plugin = CounterScript()
    with isolated_plugins(plugin, name="script") as plugins:
        yield plugin, plugins


@pytest.fixture
def reference() -> Iterator[WardPlugins]:
    with isolated_plugins(ward_reference.plugin, name="reference") as plugins:
        yield plugins


def _count(engine: Engine, model: Any, *where: Any) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_tcp_probe_against_a_listening_and_a_closed_port(
    engine: Engine, reference: WardPlugins, add_devices: AddDevices, listening_port: int, closed_port: int
) -> None:
    add_devices(engine, [f"up:{listening_port}", f"down:{closed_port}"])
    outcome = run_probe_batch(
        engine=engine,
        plugins=reference,
        kinds=[KIND],
        device_names=["up", "down"],
        options={KIND: ProbeOptions(timeout=2.0)},
    )
    assert not outcome.duplicate
    [kind] = outcome.kinds
    assert (kind.kind, kind.ok, kind.failed, kind.samples) == (KIND, 1, 1, 2)
    assert outcome.samples_written == outcome.latest_written == 2
    [failure] = outcome.failures
    assert failure.device == "down"
    assert "ConnectionRefusedError" in failure.reason
    assert f"127.0.0.1:{closed_port}" in failure.reason

    with session_scope(engine) as session:
        values = {v.metric: v for v in latest(session, device="up")}
        assert set(values) == {CONNECT_MS, SUCCESS_RATIO}
        assert values[SUCCESS_RATIO].value == 1.0
        assert 0.0 < values[CONNECT_MS].value < 2000.0
        assert latest(session, device="down") == []
        run = session.get(Run, outcome.run_id)
        assert run is not None
        assert (run.kind, run.status, run.name) == ("probe", "failed", outcome.batch_id)
        assert run.params["devices"] == ["up", "down"]
        results = {r.device: r for r in session.scalars(select(RunResult).where(RunResult.run_id == run.id))}
    assert {d: (r.task, r.status) for d, r in results.items()} == {
        "up": (KIND, "ok"),
        "down": (KIND, "failed"),
    }
    assert results["up"].error is None
    assert results["down"].error == failure.reason
    assert _count(engine, MetricSample) == 2


def test_counters_become_rates_from_the_second_batch_on(
    engine: Engine, script: tuple[CounterScript, WardPlugins], add_devices: AddDevices
) -> None:
    plugin, plugins = script
    add_devices(engine, ["r1", "r2"])

    def batch(when: datetime) -> Any:
        return run_probe_batch(
            engine=engine, plugins=plugins, kinds=[COUNTERS], device_names=["r1", "r2"], now=when
        )

    plugin.set("r1", 1_000, uptime=1_000.0)
    plugin.set("r2", 2**32 - 6_000, bits="32", uptime=5_000.0)
    first = batch(T0)
    assert first.samples_written == 2  # the uptimes only: no previous counter reading yet
    assert first.latest_written == 4

    plugin.set("r1", 751_000, uptime=1_060.0)
    plugin.set("r2", 1_500, bits="32", uptime=5_060.0)  # wrapped once
    second = batch(T1)
    assert second.samples_written == 4
    assert second.rebooted == ()

    plugin.set("r1", 5, uptime=30.0)  # rebooted: uptime went down, counter restarted
    plugin.set("r2", 100, bits="32", uptime=5_120.0)  # not a wrap: a reset, 572 Mbit/s on 100 Mbit/s
    plugin.metrics["r2"].append(Metric("if.speed_bps", 1e8, {"ifname": "Gi0/1"}))
    third = batch(T2)
    assert third.rebooted == ("r1",)

    with session_scope(engine) as session:
        r1 = [(p.time, p.value) for p in series(session, "r1", "if.in_bps", T0)]
        r2 = [(p.time, p.value) for p in series(session, "r2", "if.in_bps", T0)]
        rebooted = [(p.time, p.value) for p in series(session, "r1", REBOOTED_METRIC, T0)]
        raw = [v for v in latest(session, metric="if.in_octets") if v.device == "r1"]
        rate_labels = [dict(p.labels) for p in series(session, "r1", "if.in_bps", T0)]
    assert r1 == [(T1, pytest.approx(750_000 * 8 / 60))]
    assert r2 == [(T1, pytest.approx(7_500 * 8 / 60))]
    assert rebooted == [(T2, 1.0)]
    assert rate_labels == [{"ifname": "Gi0/1"}]
    [counter] = raw
    assert (counter.time, counter.value, counter.previous_time, counter.previous_value) == (
        T2,
        5,
        T1,
        751_000,
    )
    assert _count(engine, MetricSample, MetricSample.metric == "if.in_octets") == 0
    assert _count(engine, LatestSample, LatestSample.metric == "if.in_octets") == 2


def test_a_batch_id_is_written_once(
    engine: Engine, script: tuple[CounterScript, WardPlugins], add_devices: AddDevices
) -> None:
    plugin, plugins = script
    add_devices(engine, ["r1"])
    plugin.set("r1", 10, uptime=100.0)
    first = run_probe_batch(
        engine=engine, plugins=plugins, kinds=[COUNTERS], device_names=["r1"], batch_id="cycle-7/batch-3"
    )
    again = run_probe_batch(
        engine=engine, plugins=plugins, kinds=[COUNTERS], device_names=["r1"], batch_id="cycle-7/batch-3"
    )
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.batch_id == "cycle-7/batch-3"
    assert (again.samples_written, again.run_id, again.kinds) == (0, None, ())
    assert plugin.calls == 1
    assert _count(engine, Run) == 1
    assert _count(engine, MetricSample) == 1
    with session_scope(engine) as session:
        batch = session.get(ProbeBatch, "cycle-7/batch-3")
        assert batch is not None
        assert (batch.run_id, batch.devices) == (first.run_id, 1)


def test_two_workers_racing_on_one_batch_id_write_once(
    engine: Engine, script: tuple[CounterScript, WardPlugins], add_devices: AddDevices
) -> None:
    """Both probe (neither has committed yet), then only the first to commit writes."""
    plugin, plugins = script
    add_devices(engine, ["r1"])
    plugin.set("r1", 10, uptime=100.0)
    plugin.barrier = threading.Barrier(2)
    outcomes: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            outcomes.append(
                run_probe_batch(
                    engine=engine, plugins=plugins, kinds=[COUNTERS], device_names=["r1"], batch_id="raced"
                )
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert plugin.calls == 2
    assert sorted(o.duplicate for o in outcomes) == [False, True]
    assert _count(engine, Run) == 1
    assert _count(engine, MetricSample) == 1
    assert _count(engine, RunResult) == 1


def test_unknown_devices_raise_or_fail(
    engine: Engine, script: tuple[CounterScript, WardPlugins], add_devices: AddDevices
) -> None:
    plugin, plugins = script
    add_devices(engine, ["r1"])
    plugin.set("r1", 10)
    with pytest.raises(InventoryError, match=r"unknown device\(s\): ghost1, ghost2"):
        run_probe_batch(
            engine=engine, plugins=plugins, kinds=[COUNTERS], device_names=["ghost1", "r1", "ghost2"]
        )
    assert plugin.calls == 0
    assert _count(engine, Run) == 0

    outcome = run_probe_batch(
        engine=engine,
        plugins=plugins,
        kinds=[COUNTERS],
        device_names=["ghost1", "r1", "r1"],
        unknown_devices="fail",
    )
    assert outcome.devices == 2
    assert [(f.device, f.reason) for f in outcome.failures] == [("ghost1", "not in the inventory")]
    assert (outcome.kinds[0].ok, outcome.kinds[0].failed) == (1, 1)
    assert _count(engine, RunResult, RunResult.status == "failed", RunResult.device == "ghost1") == 1


def test_a_plugin_that_raises_gives_failed_results(
    engine: Engine, script: tuple[CounterScript, WardPlugins], add_devices: AddDevices
) -> None:
    plugin, plugins = script
    add_devices(engine, ["r1", "r2"])
    plugin.raise_error = OSError("socket exploded")
    outcome = run_probe_batch(engine=engine, plugins=plugins, kinds=[COUNTERS], device_names=["r1", "r2"])
    assert [f.device for f in outcome.failures] == ["r1", "r2"]
    assert all("OSError: socket exploded" in f.reason for f in outcome.failures)
    assert outcome.samples_written == 0
    assert _count(engine, RunResult, RunResult.status == "failed") == 2


def test_bad_kinds_and_batch_ids_are_refused_before_probing(
    engine: Engine, script: tuple[CounterScript, WardPlugins], add_devices: AddDevices
) -> None:
    plugin, plugins = script
    add_devices(engine, ["r1"])
    with pytest.raises(PluginError, match=r"no plugin provides probe kind 'snmp\.nope'"):
        run_probe_batch(engine=engine, plugins=plugins, kinds=[COUNTERS, "snmp.nope"], device_names=["r1"])
    with pytest.raises(ConfigError, match="at least one probe kind"):
        run_probe_batch(engine=engine, plugins=plugins, kinds=[], device_names=["r1"])
    with pytest.raises(ConfigError, match="a batch id has 1-255 characters"):
        run_probe_batch(engine=engine, plugins=plugins, kinds=[COUNTERS], device_names=["r1"], batch_id="")
    assert plugin.calls == 0
    assert _count(engine, Run) == 0
