"""Evaluating compiled rules over hand-made series: instances, ``by`` splitting, window functions,
faults and three-valued logic."""

from __future__ import annotations

from ward_core.alerts.compiler import Vocabulary, compile_rule
from ward_core.alerts.evaluate import build_instances, evaluate_rule
from ward_core.alerts.functions import BUILTINS
from ward_core.alerts.window_store import Series, SeriesStore
from ward_core.probes.labels import labels_key

NOW = 1_000_000.0
VOCABULARY = Vocabulary(metrics=frozenset({"ping.loss_pct", "if.oper_up", "sys.uptime_s", "if.in_bps"}))


Row = tuple[int, str, float, float, dict[str, str]]


def row(device: int, metric: str, value: float, age: float = 0.0, **labels: str) -> Row:
    return (device, metric, value, age, labels)


def data(
    *rows: Row, history: dict[tuple[int, str, str], list[tuple[float, float]]] | None = None
) -> SeriesStore:
    """A store holding the newest value of each row, and ``history`` samples (age, value) by series."""
    store = SeriesStore({})
    for device, metric, value, age, labels in rows:
        series = Series(device, metric, labels_key(labels))
        for old_age, old_value in (history or {}).get((device, metric, labels_key(labels)), []):
            series.add(NOW - old_age, old_value)
        series.set_latest(NOW - age, value)
        store.series[(device, metric, series.labels_key)] = series
        store.by_device[device][metric].append(series)
    return store


def run(text: str, evaluated: SeriesStore, devices: list[int]) -> dict[tuple[int, tuple[str, ...]], object]:
    rule = compile_rule(text, VOCABULARY)
    instances = build_instances(rule, devices, evaluated)
    result = evaluate_rule(rule, instances, NOW, BUILTINS)
    return {
        key: result.condition.faults.get(i, result.condition.values[i])
        for i, key in enumerate(instances.keys)
    }


def test_one_instance_per_device_and_devices_without_the_metric_have_none() -> None:
    evaluated = data(
        row(1, "ping.loss_pct", 100.0), row(2, "ping.loss_pct", 0.0), row(3, "sys.uptime_s", 5.0)
    )
    assert run("last(ping.loss_pct) == 100", evaluated, [1, 2, 3]) == {(1, ()): True, (2, ()): False}


def test_by_splits_per_label_and_device_wide_series_apply_to_every_instance() -> None:
    evaluated = data(
        row(1, "if.oper_up", 0.0, ifname="Gi0/1"),
        row(1, "if.oper_up", 1.0, ifname="Gi0/2"),
        row(1, "sys.uptime_s", 30.0),
    )
    found = run("last(if.oper_up) == 0 and last(sys.uptime_s) > 10 by (ifname)", evaluated, [1])
    assert found == {(1, ("Gi0/1",)): True, (1, ("Gi0/2",)): False}


def test_without_by_a_function_reads_every_series_of_the_device() -> None:
    evaluated = data(row(1, "if.oper_up", 0.0, ifname="Gi0/1"), row(1, "if.oper_up", 1.0, ifname="Gi0/2"))
    rule = compile_rule("last(if.oper_up) >= 0", VOCABULARY)
    instances = build_instances(rule, [1], evaluated)
    assert instances.keys == [(1, ())]
    assert len(instances.members[rule.calls[0].selector][0]) == 2


def test_stale_and_missing_data_are_faults_and_nodata_sees_them() -> None:
    evaluated = data(row(1, "ping.loss_pct", 0.0, age=600), row(2, "ping.loss_pct", 0.0, age=1))
    assert run("last(ping.loss_pct, 5m) > 1", evaluated, [1, 2]) == {
        (1, ()): "no data for ping.loss_pct in the last 5m",
        (2, ()): False,
    }
    assert run("nodata(ping.loss_pct, 5m)", evaluated, [1, 2]) == {(1, ()): True, (2, ()): False}


def test_faults_follow_three_valued_logic() -> None:
    evaluated = data(row(1, "ping.loss_pct", 0.0, age=600))
    assert run("nodata(ping.loss_pct, 5m) or last(ping.loss_pct, 5m) > 10", evaluated, [1]) == {(1, ()): True}
    assert run("not nodata(ping.loss_pct, 5m) and last(ping.loss_pct, 5m) > 10", evaluated, [1]) == {
        (1, ()): False
    }
    assert run("nodata(ping.loss_pct, 5m) and last(ping.loss_pct, 5m) > 10", evaluated, [1]) == {
        (1, ()): "no data for ping.loss_pct in the last 5m"
    }


def test_window_functions_read_the_samples_within_their_window() -> None:
    a, b = labels_key({"ifname": "a"}), labels_key({"ifname": "b"})
    evaluated = data(
        row(1, "if.in_bps", 15.0, ifname="a"),
        row(1, "if.in_bps", 40.0, ifname="b"),
        history={
            (1, "if.in_bps", a): [(900.0, 1000.0), (120.0, 5.0), (60.0, 15.0)],
            (1, "if.in_bps", b): [(180.0, 20.0), (120.0, 30.0), (60.0, 40.0)],
        },
    )
    rule = compile_rule(
        "avg(if.in_bps, 5m) > 0 and max(if.in_bps, 5m) < 41 and count(if.in_bps, 5m) == 5 "
        "and rate(if.in_bps, 5m) > 0 and delta(if.in_bps, 5m) == 30",
        VOCABULARY,
    )
    instances = build_instances(rule, [1], evaluated)
    result = evaluate_rule(rule, instances, NOW, BUILTINS)
    assert result.value is not None and result.value.values == [110.0 / 5], "the 900 s old sample is out"
    assert result.condition.values == [True] and not result.condition.faults
