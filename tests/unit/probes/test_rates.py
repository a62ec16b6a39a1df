"""Counter rates: wraps, resets, reboots, first readings, implausible values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ward_core.probes.labels import labels_key, parse_labels_key
from ward_core.probes.rates import (
    CounterReading,
    Reading,
    counter_delta,
    derive_rates,
    rate,
    reboots,
)
from ward_core.types import CounterSpec

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(seconds=60)
OCTETS = CounterSpec(metric="if.in_octets", rate_metric="if.in_bps", factor=8)
ERRORS = CounterSpec(metric="if.in_errors", rate_metric="if.in_errors_ps")


def _reading(
    device: str, value: float, bits: str = "64", spec: CounterSpec = OCTETS, when: datetime = T1
) -> CounterReading:
    labels = {"ifname": "Gi0/1", "counter_bits": bits}
    return CounterReading(
        device=device, spec=spec, labels=labels, labels_key=labels_key(labels), reading=Reading(when, value)
    )


def _previous(device: str, value: float, bits: str = "64", spec: CounterSpec = OCTETS) -> dict:
    key = labels_key({"ifname": "Gi0/1", "counter_bits": bits})
    return {(device, spec.metric, key): Reading(T0, value)}


def test_rate_is_delta_times_factor_per_second_with_counter_bits_dropped() -> None:
    [derived] = derive_rates([_reading("r1", 7_500_000)], _previous("r1", 0))
    assert derived.metric == "if.in_bps"
    assert derived.value == pytest.approx(7_500_000 * 8 / 60)
    assert dict(derived.labels) == {"ifname": "Gi0/1"}
    assert derived.time == T1
    assert derived.device == "r1"


def test_first_reading_gives_no_rate() -> None:
    assert derive_rates([_reading("r1", 500)], {}) == []
    assert derive_rates([_reading("r1", 500)], _previous("r2", 0)) == []


def test_a_32_bit_counter_wraps_once() -> None:
    before = 2**32 - 1_000
    [derived] = derive_rates([_reading("r1", 2_000, "32")], _previous("r1", before, "32"))
    assert derived.value == pytest.approx(3_000 * 8 / 60)


def test_a_64_bit_counter_going_backwards_was_reset() -> None:
    assert derive_rates([_reading("r1", 2_000, "64")], _previous("r1", 2**40, "64")) == []
    assert counter_delta(2**63, 10, 64) is None


def test_a_counter_of_unknown_width_going_backwards_gives_no_rate() -> None:
    reading = CounterReading("r1", OCTETS, {"ifname": "x"}, 'ifname="x"', Reading(T1, 5))
    assert derive_rates([reading], {("r1", "if.in_octets", 'ifname="x"'): Reading(T0, 10)}) == []
    grown = CounterReading("r1", OCTETS, {"ifname": "x"}, 'ifname="x"', Reading(T1, 70))
    [derived] = derive_rates([grown], {("r1", "if.in_octets", 'ifname="x"'): Reading(T0, 10)})
    assert derived.value == pytest.approx(60 * 8 / 60)


def test_no_rate_across_a_reboot_but_other_devices_keep_theirs() -> None:
    rebooted = reboots({"r1": 12.0, "r2": 9_000.0}, {"r1": 86_400.0, "r2": 8_940.0})
    assert rebooted == frozenset({"r1"})
    previous = {**_previous("r1", 1_000), **_previous("r2", 1_000)}
    derived = derive_rates([_reading("r1", 2_000), _reading("r2", 2_000)], previous, rebooted=rebooted)
    assert [d.device for d in derived] == ["r2"]


def test_a_device_without_a_previous_uptime_did_not_reboot() -> None:
    assert reboots({"r1": 5.0}, {}) == frozenset()


def test_time_not_moving_forward_gives_no_rate() -> None:
    same_time = _reading("r1", 2_000, when=T0)
    assert derive_rates([same_time], _previous("r1", 1_000)) == []
    earlier = _reading("r1", 2_000, when=T0 - timedelta(seconds=1))
    assert derive_rates([earlier], _previous("r1", 1_000)) == []


def test_a_rate_above_twice_the_interface_speed_is_dropped() -> None:
    speeds = {("r1", labels_key({"ifname": "Gi0/1"})): 10_000_000.0}
    # a 32-bit counter that was reset looks like a wrap: 4 GB in a minute on a 10 Mbit/s port
    wrapped = derive_rates([_reading("r1", 100, "32")], _previous("r1", 50_000, "32"), speeds=speeds)
    assert wrapped == []
    plausible = derive_rates([_reading("r1", 60_000_000, "32")], _previous("r1", 0, "32"), speeds=speeds)
    assert [d.value for d in plausible] == [pytest.approx(8_000_000.0)]


def test_a_zero_speed_means_unknown_and_filters_nothing() -> None:
    speeds = {("r1", labels_key({"ifname": "Gi0/1"})): 0.0}
    derived = derive_rates([_reading("r1", 60_000_000)], _previous("r1", 0), speeds=speeds)
    assert len(derived) == 1


def test_factor_defaults_to_one() -> None:
    [derived] = derive_rates([_reading("r1", 130, spec=ERRORS)], _previous("r1", 10, spec=ERRORS))
    assert derived.metric == "if.in_errors_ps"
    assert derived.value == pytest.approx(2.0)


def test_rate_of_two_readings() -> None:
    assert rate(Reading(T0, 0), Reading(T1, 600), bits=32) == pytest.approx(10.0)
    assert rate(Reading(T0, 2**32 + 5), Reading(T1, 3), bits=32) is None


@pytest.mark.parametrize(
    "labels",
    [{}, {"ifname": "Gi0/1"}, {"b": "2", "a": "1"}, {"descr": 'has "quotes", commas=, \\ and\nnewline'}],
)
def test_labels_key_round_trips(labels: dict[str, str]) -> None:
    key = labels_key(labels)
    assert parse_labels_key(key) == labels
    assert labels_key(dict(reversed(list(labels.items())))) == key
