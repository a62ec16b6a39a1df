"""Alerting: one extra rule function and one notifier."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from ward_core import hookimpl
from ward_core.types import Alert, AlertFunction, NotifierSpec, Sample
from ward_reference.events import EVENT_LOG

log = logging.getLogger("ward.reference")


def spread(samples: Sequence[Sample], args: Sequence[float], /) -> float:
    """Highest minus lowest value of the window; NaN for an empty window (no data, no alert).

    >>> spread([Sample(0, 3.0), Sample(1, 7.5), Sample(2, 5.0)], [])
    4.5
    """
    if not samples:
        return math.nan
    values = [s.value for s in samples]
    return max(values) - min(values)


class LogNotifier:
    """Writes each alert to the ``ward.reference`` logger and to the plugin's event log."""

    def send(self, alert: Alert) -> None:
        """Deliver ``alert``; a log line cannot fail to be delivered."""
        state = "FIRING" if alert.firing else "RESOLVED"
        log.warning("%s %s on %s: %s", state, alert.rule, alert.device, alert.summary)
        EVENT_LOG.record("notify", alert)


@hookimpl
def ward_alert_functions() -> list[AlertFunction]:
    """Offer ``spread`` to alert rules."""
    return [
        AlertFunction(
            name="spread",
            signature="spread(series) -> float",
            description="highest minus lowest value in the window (jitter, flapping counters)",
            function=spread,
        )
    ]


@hookimpl
def ward_alert_notifiers() -> list[NotifierSpec]:
    """Offer the ``log`` notifier."""
    return [
        NotifierSpec(
            name="log", description="write alerts to the ward.reference logger", notifier=LogNotifier()
        )
    ]
