"""What rules may name, from the loaded plugins: metrics, counters, functions.

Known metrics are those the loaded probe kinds declare, minus their raw counters (kept in
``latest_samples`` only, see :mod:`ward_core.probes.derive`) plus the rates ward derives from them
and ``sys.rebooted``, and the event markers of :mod:`.event_metrics` (``config.changed``,
``lldp.link_lost``). A rule naming a raw counter is told which rate to use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ward_core.alerts.compiler import Vocabulary
from ward_core.alerts.event_metrics import EVENT_METRICS
from ward_core.alerts.functions import function_table
from ward_core.plugin_manager import WardPlugins
from ward_core.probes.rates import REBOOTED_METRIC
from ward_core.types import AlertFunction, ProbeKind


def metric_catalog(kinds: Iterable[ProbeKind]) -> tuple[frozenset[str], dict[str, str]]:
    """(metrics rules can read, raw counter → its rate metric).

    >>> from ward_core.types import CounterSpec
    >>> kind = ProbeKind(name="k", description="", metrics=("if.in_octets", "if.oper_up"),
    ...                  counters=(CounterSpec(metric="if.in_octets", rate_metric="if.in_bps"),))
    >>> metrics, counters = metric_catalog([kind])
    >>> sorted(metrics), counters  # doctest: +NORMALIZE_WHITESPACE
    (['config.changed', 'if.in_bps', 'if.oper_up', 'lldp.link_lost', 'sys.rebooted'],
     {'if.in_octets': 'if.in_bps'})
    """
    metrics: set[str] = {REBOOTED_METRIC, *EVENT_METRICS}
    counters: dict[str, str] = {}
    for kind in kinds:
        metrics.update(kind.metrics)
        for spec in kind.counters:
            counters[spec.metric] = spec.rate_metric
            metrics.add(spec.rate_metric)
    return frozenset(metrics - set(counters)), counters


def build_vocabulary(
    kinds: Iterable[ProbeKind],
    functions: Mapping[str, AlertFunction],
    groups: frozenset[str] | None = None,
) -> Vocabulary:
    """A vocabulary from probe kinds and plugin functions (``groups`` None: not checked)."""
    metrics, counters = metric_catalog(kinds)
    return Vocabulary(metrics=metrics, counters=counters, functions=function_table(functions), groups=groups)


def vocabulary_of(plugins: WardPlugins, groups: frozenset[str] | None = None) -> Vocabulary:
    """The vocabulary of the loaded plugins."""
    return build_vocabulary(plugins.probe_kinds().values(), plugins.alert_functions(), groups)
