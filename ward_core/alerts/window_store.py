"""The series rules read, kept in memory and refreshed incrementally from the sample store.

Reading every window from ``samples`` on every evaluation costs a scan of the fleet's recent
samples (a million rows for 10,000 devices, seconds on a small server). Instead each evaluating
process keeps, per series of the metrics its rules read, the samples of the longest window a rule
applies to that metric (its *horizon*) and the newest value (``latest_samples``, so a series that
stopped reporting still has one, for ``last`` and ``nodata``).

A refresh costs little when little changed:

1. which devices to read: a batch's own devices, always; for a full evaluation, those whose
   newest value in ``latest_samples`` (``max(time)`` per device) is newer than what the store
   holds;
2. for those devices only, the samples newer than what the store holds of each (device, metric)
   read over a window, in one query (PostgreSQL joins an ``unnest`` of per-pair cutoffs;
   elsewhere a coarser range is read and filtered here), and the newest values of the metrics
   read for their newest value only. Each series keeps only samples newer than its last one, so
   a batch committed late (an earlier time stamp) is still read, and nothing is appended twice.

A device seen for the first time is loaded cold: its newest values and its samples within the
horizons. Several processes may evaluate (workers, the CLI): each refreshes from the database, so
they agree.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ARRAY, Float, Integer, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from ward_core.alerts.nodes import WindowCall
from ward_core.db.models import LatestSample, MetricSample
from ward_core.probes.labels import parse_labels_key

SeriesId = tuple[int, str, str]
"""(device id, metric, labels key)."""


@lru_cache(maxsize=1 << 16)
def labels_of(key: str) -> Mapping[str, str]:
    """The labels a labels key stands for (a fleet repeats a few thousand keys: cached)."""
    return parse_labels_key(key) if key else {}


class Series:
    """One series: its newest value (kept forever) and its samples within the horizon."""

    __slots__ = ("device_id", "labels", "labels_key", "last_time", "last_value", "metric", "times", "values")

    def __init__(self, device_id: int, metric: str, labels_key: str) -> None:
        self.device_id = device_id
        self.metric = metric
        self.labels_key = labels_key
        self.labels = labels_of(labels_key)
        self.times: list[float] = []
        self.values: list[float] = []
        self.last_time = -math.inf
        self.last_value = 0.0

    def add(self, time: float, value: float) -> None:
        """Append a sample newer than the newest held (older ones are ignored)."""
        if self.times and time <= self.times[-1]:
            return
        self.times.append(time)
        self.values.append(value)
        if time >= self.last_time:
            self.last_time = time
            self.last_value = value

    def set_latest(self, time: float, value: float) -> None:
        """Record the newest value when it is newer than the one held."""
        if time > self.last_time:
            self.last_time = time
            self.last_value = value

    def trim(self, cutoff: float) -> None:
        """Forget samples older than ``cutoff``."""
        if self.times and self.times[0] < cutoff:
            start = bisect_left(self.times, cutoff)
            del self.times[:start]
            del self.values[:start]

    def window(self, since: float) -> tuple[list[float], list[float]]:
        """(times, values) of the samples at or after ``since``."""
        start = bisect_left(self.times, since)
        if start == 0:
            return self.times, self.values
        return self.times[start:], self.values[start:]


def horizons(calls: Iterable[WindowCall]) -> dict[str, float]:
    """The longest window each metric is read over (0: only its newest value is needed).

    >>> from ward_core.alerts.nodes import Selector
    >>> horizons([WindowCall("avg", Selector("a.b"), 300.0, (), "number"),
    ...           WindowCall("last", Selector("a.b"), None, (), "number"),
    ...           WindowCall("last", Selector("c.d"), None, (), "number")])
    {'a.b': 300.0, 'c.d': 0.0}
    """
    found: dict[str, float] = {}
    for call in calls:
        metric = call.selector.metric
        found[metric] = max(found.get(metric, 0.0), call.window_s or 0.0)
    return found


def _epoch(column: Any, dialect: str) -> Any:
    if dialect == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return column


def _seconds(value: Any) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return float(value)


class SeriesStore:
    """The series of the tracked metrics, by device (see the module docstring)."""

    def __init__(self, horizons: Mapping[str, float]) -> None:
        self.horizons = dict(horizons)
        self.series: dict[SeriesId, Series] = {}
        self.by_device: dict[int, dict[str, list[Series]]] = defaultdict(lambda: defaultdict(list))
        self.seen: dict[int, float] = {}
        self.version = 0
        """Bumped whenever a series is added (cached instance lists are then stale)."""
        self.device_versions: dict[int, int] = {}
        """Per device, bumped whenever one of its series is added."""

    # ---------------------------------------------------------------- reading the database

    def refresh(self, session: Session, device_ids: Collection[int] | None, now: float) -> int:
        """Bring the devices in scope (None: all) up to date; returns how many devices were read.

        With a scope (a batch's devices) every known device of it is read again, whatever its
        newest time says: a batch stamped earlier than one already read (a slow probe kind)
        is then not left for the next cycle.
        """
        if not self.horizons:
            return 0
        dialect = session.get_bind().dialect.name
        changed_cold: list[int] = []
        changed_warm: dict[int, float] = {}
        if device_ids is not None:
            for device_id in sorted(device_ids):
                known = self.seen.get(device_id)
                if known is None:
                    changed_cold.append(device_id)
                else:
                    changed_warm[device_id] = known
        else:
            newest = (
                select(LatestSample.device_id, func.max(LatestSample.time))
                .where(LatestSample.metric.in_(sorted(self.horizons)))
                .group_by(LatestSample.device_id)
            )
            for device_id, time in session.connection().execute(newest).all():
                stamp = _seconds(time)
                known = self.seen.get(device_id)
                if known is None:
                    changed_cold.append(device_id)
                elif stamp > known:
                    changed_warm[device_id] = known
        if changed_cold:
            self._load_cold(session, changed_cold, now, dialect)
        if changed_warm:
            self._load_new(session, changed_warm, now, dialect)
        self._trim(changed_cold + list(changed_warm), now)
        return len(changed_cold) + len(changed_warm)

    def _series(self, device_id: int, metric: str, key: str) -> Series:
        found = self.series.get((device_id, metric, key))
        if found is None:
            found = self.series[(device_id, metric, key)] = Series(device_id, metric, key)
            self.by_device[device_id][metric].append(found)
            self.version += 1
            self.device_versions[device_id] = self.device_versions.get(device_id, 0) + 1
        return found

    def _load_cold(self, session: Session, device_ids: list[int], now: float, dialect: str) -> None:
        connection = session.connection()
        for chunk in _chunks(device_ids, 5000):
            latest = select(
                LatestSample.device_id,
                LatestSample.metric,
                LatestSample.labels_key,
                _epoch(LatestSample.time, dialect),
                LatestSample.value,
            ).where(LatestSample.metric.in_(sorted(self.horizons)), LatestSample.device_id.in_(chunk))
            newest: dict[int, float] = {}
            for device_id, metric, key, time, value in connection.execute(latest):
                stamp = _seconds(time)
                self._series(device_id, metric, key).set_latest(stamp, value)
                newest[device_id] = max(newest.get(device_id, -math.inf), stamp)
            windowed = {m: h for m, h in self.horizons.items() if h > 0}
            if windowed:
                by_horizon: dict[float, list[str]] = defaultdict(list)
                for metric, horizon in windowed.items():
                    by_horizon[horizon].append(metric)
                ranges = [
                    and_(
                        MetricSample.metric.in_(sorted(group)),
                        MetricSample.time >= datetime.fromtimestamp(now - horizon, UTC),
                    )
                    for horizon, group in by_horizon.items()
                ]
                stmt = (
                    select(
                        MetricSample.device_id,
                        MetricSample.metric,
                        MetricSample.labels_key,
                        _epoch(MetricSample.time, dialect),
                        MetricSample.value,
                    )
                    .where(MetricSample.device_id.in_(chunk), or_(*ranges))
                    .order_by(MetricSample.time)
                )
                for device_id, metric, key, time, value in connection.execute(stmt):
                    self._series(device_id, metric, key).add(_seconds(time), value)
            for device_id in chunk:
                self.seen[device_id] = newest.get(device_id, -math.inf)

    def _cutoffs(self, device_ids: Iterable[int], now: float) -> list[tuple[int, str, float]]:
        """Per (device, metric) read over a window: read samples newer than the oldest newest
        sample of its series (within the horizon); metrics read for their newest value only need
        ``latest_samples``."""
        pairs = []
        for device_id in device_ids:
            held = self.by_device.get(device_id, {})
            for metric, horizon in self.horizons.items():
                if horizon <= 0:
                    continue
                floor = now - horizon
                series = held.get(metric)
                if not series or any(not s.times for s in series):
                    pairs.append((device_id, metric, floor))
                else:
                    pairs.append((device_id, metric, max(floor, min(s.times[-1] for s in series))))
        return pairs

    def _load_new(self, session: Session, changed: Mapping[int, float], now: float, dialect: str) -> None:
        connection = session.connection()
        pairs = self._cutoffs(changed, now)
        if not pairs:
            rows: Iterable[Any] = ()
        elif dialect == "postgresql":
            cut = (
                select(
                    func.unnest(cast([p[0] for p in pairs], ARRAY(Integer))).label("device_id"),
                    func.unnest(cast([p[1] for p in pairs], ARRAY(String))).label("metric"),
                    func.to_timestamp(func.unnest(cast([max(p[2], 0.0) for p in pairs], ARRAY(Float)))).label(
                        "cutoff"
                    ),
                )
            ).subquery("cut")
            stmt = (
                select(
                    MetricSample.device_id,
                    MetricSample.metric,
                    MetricSample.labels_key,
                    _epoch(MetricSample.time, dialect),
                    MetricSample.value,
                )
                .join(
                    cut,
                    and_(
                        MetricSample.device_id == cut.c.device_id,
                        MetricSample.metric == cut.c.metric,
                        MetricSample.time > cut.c.cutoff,
                    ),
                )
                .order_by(MetricSample.time)
            )
            rows = connection.execute(stmt).all()
        else:
            floor = min(p[2] for p in pairs)
            stmt = (
                select(
                    MetricSample.device_id,
                    MetricSample.metric,
                    MetricSample.labels_key,
                    MetricSample.time,
                    MetricSample.value,
                )
                .where(
                    MetricSample.device_id.in_(sorted(changed)),
                    MetricSample.metric.in_(sorted(self.horizons)),
                    MetricSample.time > datetime.fromtimestamp(max(floor, 0.0), UTC),
                )
                .order_by(MetricSample.time)
            )
            rows = connection.execute(stmt).all()
        newest = dict(changed)
        for device_id, metric, key, time, value in rows:
            stamp = _seconds(time)
            self._series(device_id, metric, key).add(stamp, value)
            if stamp > newest[device_id]:
                newest[device_id] = stamp
        instant = sorted(m for m, h in self.horizons.items() if h <= 0)
        if instant:
            latest = select(
                LatestSample.device_id,
                LatestSample.metric,
                LatestSample.labels_key,
                _epoch(LatestSample.time, dialect),
                LatestSample.value,
            ).where(LatestSample.metric.in_(instant), LatestSample.device_id.in_(sorted(changed)))
            for device_id, metric, key, time, value in connection.execute(latest).all():
                stamp = _seconds(time)
                self._series(device_id, metric, key).set_latest(stamp, value)
                if stamp > newest[device_id]:
                    newest[device_id] = stamp
        self.seen.update(newest)

    def _trim(self, device_ids: Iterable[int], now: float) -> None:
        for device_id in device_ids:
            for metric, series in self.by_device.get(device_id, {}).items():
                horizon = self.horizons.get(metric, 0.0)
                for one in series:
                    one.trim(now - horizon if horizon > 0 else math.inf)

    # ---------------------------------------------------------------- reading the store

    def rows(self, device_id: int, metric: str) -> list[Series]:
        """The series of ``metric`` on a device (empty when none)."""
        held = self.by_device.get(device_id)
        if held is None:
            return []
        return held.get(metric, [])


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
