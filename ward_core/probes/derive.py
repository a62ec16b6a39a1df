"""What one probe batch writes: its results turned into stored values, rates and reboot markers.

Pure: given the batch's results and the previous readings of its counters and uptimes (from
``latest_samples``), :func:`batch_values` says which values go to ``samples`` (gauges, derived
rates, :data:`~ward_core.probes.rates.REBOOTED_METRIC`) and which to ``latest_samples`` (all of
those plus the raw counters, each with the reading it replaces).

Raw counters are not written to ``samples``: nobody graphs or alerts on a cumulative octet count,
the rate carries the information, and an interface poll is mostly counters, so this keeps the
time series about half the size. The newest raw reading lives in ``latest_samples``, which is all
the next rate needs.

When two results of one batch report the same series (two kinds both reporting ``sys.uptime_s``),
the later kind's value is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from ward_core.probes.labels import labels_key
from ward_core.probes.rates import (
    REBOOTED_METRIC,
    SPEED_METRIC,
    CounterReading,
    Reading,
    SeriesKey,
    derive_rates,
    reboots,
)
from ward_core.types import UPTIME_METRIC, CounterSpec, ProbeBatchResult, ProbeKind


@dataclass(frozen=True, slots=True, kw_only=True)
class KindResults:
    """One kind's results in a batch, and the time stamped on its values."""

    kind: ProbeKind
    batch: ProbeBatchResult
    time: datetime


class Value(NamedTuple):
    """A value this batch stores. ``counter`` values go to ``latest_samples`` only, with the
    ``previous`` reading they replace."""

    kind: str
    device: str
    metric: str
    labels: Mapping[str, str]
    labels_key: str
    time: datetime
    value: float
    counter: bool = False
    previous: Reading | None = None

    @property
    def key(self) -> SeriesKey:
        """This value's series."""
        return (self.device, self.metric, self.labels_key)


@dataclass(frozen=True, slots=True)
class BatchValues:
    """Everything one batch stores, each series once."""

    values: tuple[Value, ...]
    rebooted: frozenset[str]

    @property
    def samples(self) -> tuple[Value, ...]:
        """The values for the time series (everything but raw counters)."""
        return tuple(v for v in self.values if not v.counter)

    def samples_per_kind(self) -> dict[str, int]:
        """How many time-series values each kind produced (its rates and reboot markers included)."""
        counts: dict[str, int] = {}
        for value in self.samples:
            counts[value.kind] = counts.get(value.kind, 0) + 1
        return counts


def lookup_metrics(runs: Sequence[KindResults]) -> frozenset[str]:
    """The metrics whose previous readings the batch needs: its kinds' counters, and the uptime."""
    return frozenset({UPTIME_METRIC, *(spec.metric for run in runs for spec in run.kind.counters)})


_Counters = dict[SeriesKey, tuple[str, CounterReading]]


def _collect(
    runs: Sequence[KindResults], previous: Mapping[SeriesKey, Reading]
) -> tuple[dict[SeriesKey, Value], _Counters]:
    """Every reported value by series (later kinds win), and the counters with their kind."""
    collected: dict[SeriesKey, Value] = {}
    counters: _Counters = {}
    for run in runs:
        specs: dict[str, CounterSpec] = {spec.metric: spec for spec in run.kind.counters}
        for result in run.batch.results:
            if not result.ok:
                continue
            for metric in result.metrics:
                key = (result.device, metric.name, labels_key(metric.labels))
                spec = specs.get(metric.name)
                if spec is None:
                    collected[key] = Value(
                        run.kind.name,
                        result.device,
                        metric.name,
                        metric.labels,
                        key[2],
                        run.time,
                        metric.value,
                    )
                    continue
                collected[key] = Value(
                    run.kind.name,
                    result.device,
                    metric.name,
                    metric.labels,
                    key[2],
                    run.time,
                    metric.value,
                    counter=True,
                    previous=previous.get(key),
                )
                reading = Reading(run.time, metric.value)
                counters[key] = (
                    run.kind.name,
                    CounterReading(result.device, spec, metric.labels, key[2], reading),
                )
    return collected, counters


def batch_values(runs: Sequence[KindResults], previous: Mapping[SeriesKey, Reading]) -> BatchValues:
    """The values to store for ``runs``, given the stored ``previous`` readings by series."""
    collected, counters = _collect(runs, previous)
    uptimes = {v.device: v for v in collected.values() if v.metric == UPTIME_METRIC and not v.labels_key}
    uptime_before = {
        device: reading.value
        for (device, metric, key), reading in previous.items()
        if metric == UPTIME_METRIC and key == ""
    }
    rebooted = reboots({device: v.value for device, v in uptimes.items()}, uptime_before)
    speeds = {(v.device, v.labels_key): v.value for v in collected.values() if v.metric == SPEED_METRIC}

    rate_kinds = {reading.spec.rate_metric: kind for kind, reading in counters.values()}
    for rate in derive_rates(
        [reading for _, reading in counters.values()], previous, rebooted=rebooted, speeds=speeds
    ):
        value = Value(
            rate_kinds[rate.metric],
            rate.device,
            rate.metric,
            rate.labels,
            rate.labels_key,
            rate.time,
            rate.value,
        )
        collected[value.key] = value
    for device in sorted(rebooted):
        uptime = uptimes[device]
        marker = Value(
            kind=uptime.kind,
            device=device,
            metric=REBOOTED_METRIC,
            labels={},
            labels_key="",
            time=uptime.time,
            value=1.0,
        )
        collected[marker.key] = marker
    return BatchValues(values=tuple(collected.values()), rebooted=rebooted)
