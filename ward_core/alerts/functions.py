"""The functions rules can call: ward's built-in window functions, and plugins' (``ward_alert_functions``).

========================== =========================================================================
``last(m)``, ``last(m, w)`` newest value (within ``w``: else no data); ``m`` alone means ``last(m)``
``avg/min/max/sum(m, w)``   over the samples of the last ``w``
``count(m, w)``             number of samples in the last ``w`` (0 when none)
``rate(m, w)``              per-second change of a gauge over ``w`` (newest minus oldest, by time)
``delta(m, w)``             newest minus oldest value in ``w``
``nodata(m, w)``            true when ``m`` has no sample in the last ``w`` (a boolean)
========================== =========================================================================

A window can also be written on the metric: ``avg(if.in_bps[10m])``. Plugin functions take the
window's samples and numeric parameters: ``spread(ping.rtt_avg_ms[5m])``,
``percentile(ping.rtt_avg_ms, 5m, 95)``. When a rule is not split ``by`` a label and a device has
several series of a metric (one per interface), a function reads them all: ``max`` is the worst
interface, ``sum``/``count``/``rate``/``delta`` add the series up, ``last`` is the newest value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ward_core.alerts.nodes import Kind
from ward_core.types import AlertFunction

WindowUse = Literal["optional", "required"]

PUSHDOWN = frozenset({"avg", "min", "max", "sum", "count"})
"""Functions computed from per-series aggregates the database returns (no raw samples needed)."""

LATEST = frozenset({"last", "nodata"})
"""Functions computed from the newest value of each series (``latest_samples``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FunctionInfo:
    """What the compiler knows of a function: its window, parameters, result type and origin."""

    name: str
    signature: str
    description: str
    window: WindowUse
    returns: Kind = "number"
    params: tuple[str, ...] = ()
    plugin: AlertFunction | None = None

    @property
    def raw(self) -> bool:
        """True when the function needs the raw samples of its window."""
        return self.name not in PUSHDOWN | LATEST


BUILTINS: dict[str, FunctionInfo] = {
    info.name: info
    for info in (
        FunctionInfo(
            name="last",
            signature="last(metric[, window]) -> number",
            description="newest value (within the window when one is given)",
            window="optional",
        ),
        FunctionInfo(
            name="avg", signature="avg(metric, window) -> number", description="mean", window="required"
        ),
        FunctionInfo(
            name="min", signature="min(metric, window) -> number", description="lowest", window="required"
        ),
        FunctionInfo(
            name="max", signature="max(metric, window) -> number", description="highest", window="required"
        ),
        FunctionInfo(
            name="sum", signature="sum(metric, window) -> number", description="total", window="required"
        ),
        FunctionInfo(
            name="count",
            signature="count(metric, window) -> number",
            description="number of samples",
            window="required",
        ),
        FunctionInfo(
            name="rate",
            signature="rate(metric, window) -> number",
            description="per-second change, newest minus oldest",
            window="required",
        ),
        FunctionInfo(
            name="delta",
            signature="delta(metric, window) -> number",
            description="newest minus oldest value",
            window="required",
        ),
        FunctionInfo(
            name="nodata",
            signature="nodata(metric, window) -> bool",
            description="true when the metric has no sample in the window",
            window="required",
            returns="bool",
        ),
    )
}


def function_table(plugin_functions: Mapping[str, AlertFunction]) -> dict[str, FunctionInfo]:
    """Built-ins plus the plugins' functions; a plugin cannot replace a built-in."""
    table = dict(BUILTINS)
    for name, spec in plugin_functions.items():
        if name in table:
            continue
        table[name] = FunctionInfo(
            name=name,
            signature=spec.signature,
            description=spec.description,
            window="required",
            params=spec.params,
            plugin=spec,
        )
    return table
