"""Per-second rates from cumulative counters: pure functions, no database.

A probe reports raw counters (``if.in_octets`` labelled ``counter_bits="64"``) and declares them in
its :class:`~ward_core.types.ProbeKind`'s ``counters``. Ward keeps each counter's previous reading
and writes ``rate_metric`` = delta x ``factor`` / seconds, with the counter's labels minus
``counter_bits``. The value types are named tuples: a batch of interface polls makes about 10^5
of them, and they cost a quarter of a frozen dataclass to build. No rate is written:

- for the first reading of a series (nothing to subtract from);
- when the time between the readings is zero or negative;
- across a reboot: the device's :data:`~ward_core.types.UPTIME_METRIC` went down since the previous
  reading (the device then gets :data:`REBOOTED_METRIC` = 1 instead);
- when a 64-bit counter went backwards: such a counter does not wrap in practice (2^64 octets is 46
  years at 100 Gbit/s), so it was reset. A 32-bit counter going backwards wrapped once, and 2^32 is
  added back; a counter without a valid ``counter_bits`` label going backwards gives no rate;
- when the rate is implausible: more than :data:`MAX_SPEED_RATIO` times the interface's speed, when
  the same batch holds an :data:`SPEED_METRIC` gauge with the counter's labels (minus
  ``counter_bits``). This catches a 32-bit counter that was reset rather than wrapped.

>>> from datetime import UTC, datetime, timedelta
>>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
>>> rate(Reading(t0, 1_000), Reading(t0 + timedelta(seconds=10), 11_000), bits=64, factor=8)
8000.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from ward_core.probes.labels import labels_key, without_counter_bits
from ward_core.types import COUNTER_BITS_LABEL, CounterSpec

REBOOTED_METRIC = "sys.rebooted"
"""Written (value 1) for a device whose uptime went down since the previous reading."""

SPEED_METRIC = "if.speed_bps"
"""Interface speed gauge; a rate above :data:`MAX_SPEED_RATIO` times it is discarded."""

MAX_SPEED_RATIO = 2.0

WIDTHS = {"32": 32, "64": 64}


class Reading(NamedTuple):
    """One value of a series at one time."""

    time: datetime
    value: float


SeriesKey = tuple[str, str, str]
"""(device name, metric, labels key): one series."""


class CounterReading(NamedTuple):
    """A raw counter a probe reported in this batch; ``labels_key`` is :func:`labels_key` of ``labels``."""

    device: str
    spec: CounterSpec
    labels: Mapping[str, str]
    labels_key: str
    reading: Reading

    @property
    def key(self) -> SeriesKey:
        """This counter's series."""
        return (self.device, self.spec.metric, self.labels_key)


class DerivedRate(NamedTuple):
    """A rate ward computed: ``metric`` is the spec's ``rate_metric``, ``labels`` lack ``counter_bits``."""

    device: str
    metric: str
    labels: Mapping[str, str]
    labels_key: str
    time: datetime
    value: float


def counter_width(labels: Mapping[str, str]) -> int | None:
    """The counter's width in bits from its ``counter_bits`` label; None when missing or invalid.

    >>> counter_width({"counter_bits": "32"}), counter_width({"counter_bits": "16"}), counter_width({})
    (32, None, None)
    """
    return WIDTHS.get(labels.get(COUNTER_BITS_LABEL, ""))


def counter_delta(previous: float, current: float, bits: int | None) -> float | None:
    """How much a counter grew, undoing one wrap of a 32-bit counter; None for a reset.

    >>> counter_delta(100, 150, 64)
    50.0
    >>> counter_delta(2**32 - 10, 5, 32)
    15.0
    >>> counter_delta(2**40, 5, 64) is None  # a 64-bit counter going backwards was reset
    True
    >>> counter_delta(10, 5, None) is None  # unknown width: cannot tell a wrap from a reset
    True
    """
    if current >= previous:
        return float(current - previous)
    if bits == 32 and previous < 2**32:
        return float(current + 2**32 - previous)
    return None


def rate(
    previous: Reading,
    current: Reading,
    *,
    bits: int | None,
    factor: float = 1.0,
    speed_bps: float | None = None,
) -> float | None:
    """delta x ``factor`` / seconds between two readings, or None when there is no honest rate.

    >>> from datetime import UTC, datetime, timedelta
    >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
    >>> t1 = t0 + timedelta(seconds=60)
    >>> rate(Reading(t0, 2**32 - 600), Reading(t1, 600), bits=32)  # one 32-bit wrap
    20.0
    >>> rate(Reading(t0, 5), Reading(t0, 7), bits=64) is None  # no time passed
    True
    >>> rate(Reading(t0, 0), Reading(t1, 3e9), bits=64, factor=8, speed_bps=1e8) is None  # 400M on 100M
    True
    >>> rate(Reading(t0, 0), Reading(t1, 6e8), bits=64, factor=8, speed_bps=1e8)
    80000000.0
    """
    seconds = (current.time - previous.time).total_seconds()
    if seconds <= 0:
        return None
    delta = counter_delta(previous.value, current.value, bits)
    if delta is None:
        return None
    value = delta * factor / seconds
    if speed_bps is not None and speed_bps > 0 and value > MAX_SPEED_RATIO * speed_bps:
        return None
    return value


def reboots(uptime_now: Mapping[str, float], uptime_before: Mapping[str, float]) -> frozenset[str]:
    """The devices whose uptime went down since the previous reading.

    >>> sorted(reboots({"r1": 30.0, "r2": 5000.0, "r3": 1.0}, {"r1": 4000.0, "r2": 4900.0}))
    ['r1']
    """
    return frozenset(
        device
        for device, now in uptime_now.items()
        if device in uptime_before and now < uptime_before[device]
    )


def derive_rates(
    counters: Sequence[CounterReading],
    previous: Mapping[SeriesKey, Reading],
    *,
    rebooted: frozenset[str] = frozenset(),
    speeds: Mapping[tuple[str, str], float] | None = None,
) -> list[DerivedRate]:
    """The rates of this batch's ``counters``, given each series' ``previous`` reading.

    ``speeds`` maps (device, labels key without ``counter_bits``) to the interface speed in bit/s
    reported in the same batch. Counters of ``rebooted`` devices give no rate.
    """
    speeds = speeds or {}
    derived: list[DerivedRate] = []
    for counter in counters:
        if counter.device in rebooted:
            continue
        before = previous.get(counter.key)
        if before is None:
            continue
        labels = without_counter_bits(counter.labels)
        key = labels_key(labels)
        value = rate(
            before,
            counter.reading,
            bits=counter_width(counter.labels),
            factor=counter.spec.factor,
            speed_bps=speeds.get((counter.device, key)),
        )
        if value is not None:
            derived.append(
                DerivedRate(
                    counter.device, counter.spec.rate_metric, labels, key, counter.reading.time, value
                )
            )
    return derived
