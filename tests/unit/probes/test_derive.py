"""What a batch stores: gauges and rates in the time series, raw counters only as latest values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from ward_core.probes.derive import KindResults, batch_values, lookup_metrics
from ward_core.probes.labels import labels_key
from ward_core.probes.outcome import BatchOutcome, DeviceFailure, KindOutcome
from ward_core.probes.rates import REBOOTED_METRIC, Reading
from ward_core.types import (
    UPTIME_METRIC,
    CounterSpec,
    Metric,
    ProbeBatchResult,
    ProbeKind,
    ProbeResult,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(seconds=30)
IFACES = ProbeKind(
    name="snmp.interfaces",
    description="interfaces",
    metrics=("if.in_octets", "if.in_bps", "if.oper_up", UPTIME_METRIC),
    counters=(CounterSpec(metric="if.in_octets", rate_metric="if.in_bps", factor=8),),
)
SYSTEM = ProbeKind(name="snmp.system", description="system", metrics=(UPTIME_METRIC,))
GI1 = {"ifname": "Gi0/1", "counter_bits": "64"}


def _run(kind: ProbeKind, *results: ProbeResult, when: datetime = T1) -> KindResults:
    return KindResults(kind=kind, batch=ProbeBatchResult(kind=kind.name, results=results), time=when)


def _ok(device: str, kind: ProbeKind, *metrics: Metric) -> ProbeResult:
    return ProbeResult.success(device, kind.name, metrics)


def test_counters_go_to_latest_only_and_rates_to_the_series() -> None:
    runs = [
        _run(
            IFACES,
            _ok(
                "r1", IFACES, Metric("if.in_octets", 3_000, GI1), Metric("if.oper_up", 1, {"ifname": "Gi0/1"})
            ),
            ProbeResult.failure("r2", IFACES.name, "TimeoutError: no answer"),
        )
    ]
    previous = {("r1", "if.in_octets", labels_key(GI1)): Reading(T0, 0)}
    values = batch_values(runs, previous)
    by_metric = {v.metric: v for v in values.values}
    assert set(by_metric) == {"if.in_octets", "if.oper_up", "if.in_bps"}
    counter = by_metric["if.in_octets"]
    assert counter.counter and counter.previous == Reading(T0, 0)
    assert {v.metric for v in values.samples} == {"if.oper_up", "if.in_bps"}
    assert by_metric["if.in_bps"].value == 3_000 * 8 / 30
    assert dict(by_metric["if.in_bps"].labels) == {"ifname": "Gi0/1"}
    assert values.samples_per_kind() == {"snmp.interfaces": 2}
    assert all(v.device == "r1" for v in values.values)


def test_a_reboot_reported_by_another_kind_suppresses_rates_and_is_marked() -> None:
    runs = [
        _run(IFACES, _ok("r1", IFACES, Metric("if.in_octets", 9_000, GI1))),
        _run(SYSTEM, _ok("r1", SYSTEM, Metric(UPTIME_METRIC, 20.0))),
    ]
    previous = {
        ("r1", "if.in_octets", labels_key(GI1)): Reading(T0, 1_000),
        ("r1", UPTIME_METRIC, ""): Reading(T0, 500_000.0),
    }
    values = batch_values(runs, previous)
    assert values.rebooted == frozenset({"r1"})
    metrics = {v.metric: v for v in values.samples}
    assert set(metrics) == {UPTIME_METRIC, REBOOTED_METRIC}
    assert metrics[REBOOTED_METRIC].value == 1.0
    assert metrics[REBOOTED_METRIC].kind == "snmp.system"


def test_a_series_reported_twice_keeps_the_later_kind() -> None:
    runs = [
        _run(IFACES, _ok("r1", IFACES, Metric(UPTIME_METRIC, 100.0))),
        _run(SYSTEM, _ok("r1", SYSTEM, Metric(UPTIME_METRIC, 101.0))),
    ]
    [value] = batch_values(runs, {}).values
    assert (value.kind, value.value) == ("snmp.system", 101.0)


def test_lookup_metrics_are_the_counters_and_the_uptime() -> None:
    assert lookup_metrics([_run(IFACES), _run(SYSTEM)]) == {"if.in_octets", UPTIME_METRIC}


def test_outcome_round_trips_through_json() -> None:
    outcome = BatchOutcome(
        batch_id="b-1",
        run_id=7,
        devices=2,
        kinds=(KindOutcome(kind="icmp", ok=1, failed=1, samples=6, duration_s=1.25),),
        failures=(DeviceFailure(device="r2", kind="icmp", reason="100% loss"),),
        rebooted=("r1",),
        samples_written=6,
        latest_written=6,
        duration_s=1.5,
    )
    text = json.dumps(outcome.to_dict())
    assert BatchOutcome.from_dict(json.loads(text)) == outcome
    assert not outcome.ok
    assert outcome.failed_devices == ("r2",)
