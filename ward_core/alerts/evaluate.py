"""Evaluating one compiled rule over many devices at once.

A rule's *instances* are what it raises alerts for: one per device, or with ``by (ifname)`` one
per device and value of ``ifname`` among the series the rule reads. A series without the ``by``
labels (a device-wide metric such as ``sys.uptime_s``) applies to every instance of its device.
A device with none of the rule's metrics has no instance: the rule does not apply to it.

Each node of the rule is computed once for all instances (:mod:`.columns`); the result says, per
instance, whether the condition (and the clear condition) holds, the value to show, and the fault
when it could not be computed.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ward_core.alerts.columns import Column, arith, compare, invert, logic, negate
from ward_core.alerts.durations import format_duration
from ward_core.alerts.functions import FunctionInfo
from ward_core.alerts.nodes import (
    Arith,
    Compare,
    Const,
    Invert,
    Negate,
    Node,
    RuleExpression,
    Selector,
    WindowCall,
    kind_of,
    shown_value,
)
from ward_core.alerts.window_store import Series, SeriesStore
from ward_core.types import Sample

InstanceKey = tuple[int, tuple[str, ...]]
"""(device id, values of the ``by`` labels in order)."""


@dataclass(slots=True)
class Instances:
    """A rule's instances, and for each metric selector the series each instance reads."""

    keys: list[InstanceKey]
    members: dict[Selector, list[list[Series]]]


Fragment = tuple[int, list[InstanceKey], dict[Selector, list[list[Series]]]]
"""One device's part of a rule's instances, with the device's series version it was built at."""

FragmentCache = dict[tuple[str, int], Fragment]
"""Fragments by (rule text, device id), kept between evaluations."""


def _fragment(
    device_id: int, selectors: list[Selector], by: tuple[str, ...], held: Mapping[str, list[Series]] | None
) -> tuple[list[InstanceKey], dict[Selector, list[list[Series]]]]:
    """The instances of one device, and the series each instance reads per selector."""
    index: dict[InstanceKey, int] = {}
    keys: list[InstanceKey] = []
    keyed: dict[Selector, dict[int, list[Series]]] = {s: {} for s in selectors}
    wide: dict[Selector, list[Series]] = {s: [] for s in selectors}
    if held:
        for selector in selectors:
            rows = held.get(selector.metric)
            if not rows:
                continue
            matchers = selector.matchers
            for row in rows:
                if matchers and not selector.matches(row.labels):
                    continue
                values: tuple[str, ...] = ()
                if by:
                    found = tuple(row.labels.get(label) for label in by)
                    if None in found:
                        wide[selector].append(row)
                        continue
                    values = found  # type: ignore[assignment]
                key: InstanceKey = (device_id, values)
                position = index.get(key)
                if position is None:
                    position = index[key] = len(keys)
                    keys.append(key)
                keyed[selector].setdefault(position, []).append(row)
    members = {
        selector: [keyed[selector].get(i, []) + wide[selector] for i in range(len(keys))]
        for selector in selectors
    }
    return keys, members


def build_instances(
    rule: RuleExpression,
    device_ids: Iterable[int],
    store: SeriesStore,
    cache: FragmentCache | None = None,
) -> Instances:
    """The instances of ``rule`` on ``device_ids`` given the series in ``store``.

    With a ``cache``, each device's part is reused until that device gets a new series.
    """
    selectors = list(dict.fromkeys(c.selector for c in rule.calls))
    by = rule.by
    keys: list[InstanceKey] = []
    members: dict[Selector, list[list[Series]]] = {s: [] for s in selectors}
    held = store.by_device
    versions = store.device_versions
    text = rule.text
    for device_id in device_ids:
        version = versions.get(device_id, 0)
        fragment = cache.get((text, device_id)) if cache is not None else None
        if fragment is None or fragment[0] != version:
            fragment = (version, *_fragment(device_id, selectors, by, held.get(device_id)))
            if cache is not None:
                cache[(text, device_id)] = fragment
        if fragment[1]:
            keys.extend(fragment[1])
            for selector in selectors:
                members[selector].extend(fragment[2][selector])
    return Instances(keys=keys, members=members)


@dataclass(slots=True)
class RuleResult:
    """Per instance: the condition, the clear condition (None: not given) and the shown value."""

    instances: Instances
    condition: Column
    clear: Column | None
    value: Column | None


def evaluate_rule(
    rule: RuleExpression,
    instances: Instances,
    now: float,
    functions: Mapping[str, FunctionInfo],
) -> RuleResult:
    """Compute ``rule`` for every instance as of ``now`` (seconds since the epoch)."""
    evaluator = _Evaluator(instances, now, functions)
    condition = evaluator.column(rule.condition)
    clear = evaluator.column(rule.clear) if rule.clear is not None else None
    shown = shown_value(rule.condition)
    value = evaluator.column(shown) if shown is not None and kind_of(shown) == "number" else None
    return RuleResult(instances=instances, condition=condition, clear=clear, value=value)


class _Evaluator:
    def __init__(self, instances: Instances, now: float, functions: Mapping[str, FunctionInfo]) -> None:
        self.instances = instances
        self.size = len(instances.keys)
        self.now = now
        self.functions = functions
        self.memo: dict[Node, Column] = {}

    def column(self, node: Node) -> Column:
        found = self.memo.get(node)
        if found is None:
            found = self.memo[node] = self._compute(node)
        return found

    def _compute(self, node: Node) -> Column:
        if isinstance(node, Const):
            return Column.constant(node.value, self.size)
        if isinstance(node, WindowCall):
            return self.call(node)
        if isinstance(node, Compare):
            return compare(node.op, self.column(node.left), self.column(node.right))
        if isinstance(node, Arith):
            return arith(node.op, self.column(node.left), self.column(node.right))
        if isinstance(node, Negate):
            return negate(self.column(node.part))
        if isinstance(node, Invert):
            return invert(self.column(node.part))
        return logic(node.op, [self.column(part) for part in node.parts])

    def call(self, call: WindowCall) -> Column:
        members = self.instances.members[call.selector]
        name = call.function
        if name == "last":
            return self._last(call, members)
        if name == "nodata":
            since = self.now - (call.window_s or 0.0)
            return Column(
                [
                    rows[0].last_time < since if len(rows) == 1 else all(s.last_time < since for s in rows)
                    for rows in members
                ],
                {},
            )
        if name in _AGGREGATES:
            return self._aggregate(call, members)
        return self._raw(call, members)

    def _no_data(self, call: WindowCall) -> str:
        window = f" in the last {format_duration(call.window_s)}" if call.window_s else ""
        return f"no data for {call.selector.metric}{window}"

    def _last(self, call: WindowCall, members: list[list[Series]]) -> Column:
        values: list[float] = []
        faults: dict[int, str] = {}
        since = -math.inf if call.window_s is None else self.now - call.window_s
        for index, rows in enumerate(members):
            if len(rows) == 1:
                newest = rows[0]
            elif rows:
                newest = max(rows, key=_newest_first)
            else:
                faults[index] = self._no_data(call)
                values.append(0.0)
                continue
            if newest.last_time < since:
                faults[index] = self._no_data(call)
                values.append(0.0)
                continue
            values.append(newest.last_value)
        return Column(values, faults)

    def _aggregate(self, call: WindowCall, members: list[list[Series]]) -> Column:
        since = self.now - (call.window_s or 0.0)
        name = call.function
        values: list[float] = []
        faults: dict[int, str] = {}
        for index, rows in enumerate(members):
            if len(rows) == 1:
                one = rows[0]
                start = bisect_left(one.times, since)
                window = one.values[start:] if start else one.values
            else:
                window = [v for s in rows for v in s.window(since)[1]]
            if name == "count":
                values.append(float(len(window)))
            elif name == "sum":
                values.append(float(sum(window)))
            elif not window:
                faults[index] = self._no_data(call)
                values.append(0.0)
            elif name == "avg":
                values.append(sum(window) / len(window))
            elif name == "min":
                values.append(min(window))
            else:
                values.append(max(window))
        return Column(values, faults)

    def _raw(self, call: WindowCall, members: list[list[Series]]) -> Column:
        since = self.now - (call.window_s or 0.0)
        info = self.functions[call.function]
        values: list[float] = []
        faults: dict[int, str] = {}
        for index, rows in enumerate(members):
            windows = [s.window(since) for s in rows]
            try:
                result = _apply(info, call, windows)
            except Exception as exc:
                faults[index] = f"{call.function}() failed: {type(exc).__name__}: {exc}"
                values.append(0.0)
                continue
            if result is None or not math.isfinite(result):
                faults[index] = self._no_data(call)
                values.append(0.0)
                continue
            values.append(result)
        return Column(values, faults)


_AGGREGATES = frozenset({"avg", "min", "max", "sum", "count"})


def _newest_first(row: Series) -> tuple[float, float]:
    return (row.last_time, row.last_value)


def _change(times: Sequence[float], values: Sequence[float], per_second: bool) -> float | None:
    if len(times) < 2 or times[-1] <= times[0]:
        return None
    change = values[-1] - values[0]
    return change / (times[-1] - times[0]) if per_second else change


def _apply(
    info: FunctionInfo, call: WindowCall, windows: Sequence[tuple[list[float], list[float]]]
) -> float | None:
    """A raw-sample function over the series of one instance (rates and deltas add up)."""
    if info.plugin is None:
        changes = [_change(t, v, per_second=call.function == "rate") for t, v in windows]
        known = [c for c in changes if c is not None]
        return sum(known) if known else None
    merged = sorted(
        (Sample(time, value) for times, values in windows for time, value in zip(times, values, strict=True)),
        key=lambda s: s.time,
    )
    function: Callable[[Sequence[Sample], Sequence[float]], float] = info.plugin.function
    return float(function(merged, list(call.params)))
