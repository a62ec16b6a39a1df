"""The ``icmp`` probe kind's metrics, computed from what one host answered."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from ward_core.types import Metric

LOSS_PCT = "ping.loss_pct"
RTT_MIN_MS = "ping.rtt_min_ms"
RTT_AVG_MS = "ping.rtt_avg_ms"
RTT_MAX_MS = "ping.rtt_max_ms"
JITTER_MS = "ping.jitter_ms"
SENT = "ping.sent"
RECEIVED = "ping.received"
ALL = (LOSS_PCT, RTT_MIN_MS, RTT_AVG_MS, RTT_MAX_MS, JITTER_MS, SENT, RECEIVED)


def jitter_ms(rtts_ms: Sequence[float]) -> float | None:
    """Mean absolute difference between consecutive RTTs (the replies received, in send order).

    It is what RFC 3550's interarrival jitter estimates, without the smoothing, and what
    ``ping`` does not show (its ``mdev`` is a standard deviation). None under two replies.

    >>> jitter_ms([10.0, 12.0, 11.0, 15.0])
    2.3333333333333335
    >>> jitter_ms([10.0]) is None
    True
    """
    if len(rtts_ms) < 2:
        return None
    total = 0.0
    previous = rtts_ms[0]
    for rtt in rtts_ms[1:]:
        total += abs(rtt - previous)
        previous = rtt
    return total / (len(rtts_ms) - 1)


@functools.lru_cache(maxsize=4096)
def _shared(name: str, value: float) -> Metric:
    """One Metric instance per (name, value) for the values most hosts share (sent, received,
    loss): a sweep of thousands of hosts builds a few of them instead of one per host. Metrics
    are frozen, so sharing them is safe."""
    return Metric(name, value)


def echo_metrics(rtts_ms: Sequence[float | None]) -> list[Metric]:
    """Metrics for one host: one entry per request sent, its RTT or None when no reply came in time.

    Loss, sent and received always; RTTs when at least one reply came; jitter from two replies.

    >>> metrics = echo_metrics([1.0, None, 3.0, 2.0])
    >>> [(m.name, round(m.value, 2)) for m in metrics]  # doctest: +NORMALIZE_WHITESPACE
    [('ping.loss_pct', 25.0), ('ping.sent', 4.0), ('ping.received', 3.0), ('ping.rtt_min_ms', 1.0),
     ('ping.rtt_avg_ms', 2.0), ('ping.rtt_max_ms', 3.0), ('ping.jitter_ms', 1.5)]
    >>> [(m.name, m.value) for m in echo_metrics([None, None])]
    [('ping.loss_pct', 100.0), ('ping.sent', 2.0), ('ping.received', 0.0)]
    """
    sent = len(rtts_ms)
    replies = [rtt for rtt in rtts_ms if rtt is not None]
    metrics = [
        _shared(LOSS_PCT, 100.0 * (sent - len(replies)) / sent if sent else 100.0),
        _shared(SENT, float(sent)),
        _shared(RECEIVED, float(len(replies))),
    ]
    if replies:
        metrics += (
            Metric(RTT_MIN_MS, min(replies)),
            Metric(RTT_AVG_MS, sum(replies) / len(replies)),
            Metric(RTT_MAX_MS, max(replies)),
        )
        if len(replies) > 1:
            metrics.append(Metric(JITTER_MS, jitter_ms(replies) or 0.0))
    return metrics
