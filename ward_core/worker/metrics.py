"""Prometheus metrics about polling itself, computed on each scrape from what is recorded.

Nothing is counted in memory: every scrape reads the cycle and batch records in the database and
the queue on the broker, so one ``ward worker --metrics-port`` shows the whole fleet's polling
whatever the number of worker processes and machines. Exported (label ``schedule`` on all but the
queue and ``ward_up`` families):

- ``ward_poll_lag_seconds``: how late the latest cycle started, or how overdue the next one is;
- ``ward_poll_interval_seconds``, ``ward_poll_keeping_up`` (1/0);
- ``ward_poll_cycle_duration_seconds``: the latest finished cycle, start to last batch;
- ``ward_poll_cycle_start_timestamp_seconds`` / ``..._end_timestamp_seconds``;
- ``ward_poll_outstanding_batches``: batches of the running cycle not yet accounted for;
- ``ward_poll_skipped_slots``: slots skipped in the last 24 hours;
- ``ward_poll_batch_duration_seconds{stat="mean"|"max"}``: batches of the latest finished cycle;
- ``ward_poll_devices{state="ok"|"failed"}``: devices of the latest finished cycle;
- ``ward_poll_errors{plugin, kind}``: failed device results of the latest finished cycle;
- ``ward_queue_messages{queue, state}``: waiting, delayed, in flight, dead;
- ``ward_up{component="database"|"broker"}``: whether the scrape could read them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from dramatiq import Broker
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.worker.cycles import schedules
from ward_core.worker.queues import QueueDepth, queue_depth
from ward_core.worker.status import ScheduleStatus, schedule_status

log = logging.getLogger(__name__)

PluginOf = Callable[[str], str]
"""Maps a probe kind to the plugin that declares it."""


def _gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=["schedule", *(labels or [])])


def plugin_by_prefix(kind: str) -> str:
    """The plugin a kind's name suggests, for kinds no loaded plugin declares.

    >>> plugin_by_prefix("snmp.interfaces"), plugin_by_prefix("icmp")
    ('snmp', 'icmp')
    """
    return kind.split(".", 1)[0]


def schedule_metrics(statuses: list[ScheduleStatus], plugin_of: PluginOf) -> Iterator[Metric]:
    """The metric families of the given schedule statuses."""
    lag = _gauge("ward_poll_lag_seconds", "How late the latest poll cycle started, or the next is overdue.")
    interval = _gauge("ward_poll_interval_seconds", "The schedule's poll interval.")
    keeping_up = _gauge("ward_poll_keeping_up", "1 when polling keeps up with its interval, else 0.")
    duration = _gauge("ward_poll_cycle_duration_seconds", "Duration of the latest finished poll cycle.")
    start = _gauge("ward_poll_cycle_start_timestamp_seconds", "Start of the latest poll cycle.")
    end = _gauge("ward_poll_cycle_end_timestamp_seconds", "End of the latest finished poll cycle.")
    outstanding = _gauge("ward_poll_outstanding_batches", "Batches of the running cycle not yet done.")
    skipped = _gauge("ward_poll_skipped_slots", "Poll slots skipped in the last 24 hours.")
    batch = _gauge(
        "ward_poll_batch_duration_seconds", "Probe batch durations in the latest finished cycle.", ["stat"]
    )
    devices = _gauge("ward_poll_devices", "Devices of the latest finished cycle by state.", ["state"])
    errors = _gauge(
        "ward_poll_errors", "Failed device results of the latest finished cycle.", ["plugin", "kind"]
    )
    for status in statuses:
        name = status.schedule
        lag.add_metric([name], status.lag_s)
        keeping_up.add_metric([name], 1.0 if status.keeping_up else 0.0)
        outstanding.add_metric([name], float(status.outstanding))
        skipped.add_metric([name], float(status.skipped_24h))
        if status.interval_s is not None:
            interval.add_metric([name], status.interval_s)
        if status.current is not None:
            start.add_metric([name], status.current.started_at.timestamp())
        finished = status.last_finished
        if finished is None:
            continue
        duration.add_metric([name], finished.duration_s)
        if finished.finished_at is not None:
            end.add_metric([name], finished.finished_at.timestamp())
        if finished.batch_duration_mean_s is not None and finished.batch_duration_max_s is not None:
            batch.add_metric([name, "mean"], finished.batch_duration_mean_s)
            batch.add_metric([name, "max"], finished.batch_duration_max_s)
        devices.add_metric([name, "ok"], float(finished.ok_devices))
        devices.add_metric([name, "failed"], float(finished.failed_devices))
        for kind, count in sorted(finished.errors_by_kind.items()):
            errors.add_metric([name, plugin_of(kind), kind], float(count))
    yield from (lag, interval, keeping_up, duration, start, end, outstanding, skipped, batch, devices, errors)


def queue_metrics(depth: QueueDepth) -> Metric:
    """The queue family of one queue's depth."""
    family = GaugeMetricFamily(
        "ward_queue_messages", "Probe batch messages on the broker by state.", labels=["queue", "state"]
    )
    for state, value in (
        ("waiting", depth.waiting),
        ("delayed", depth.delayed),
        ("in_flight", depth.in_flight),
        ("dead", depth.dead),
    ):
        if value is not None:
            family.add_metric([depth.queue, state], float(value))
    return family


class WardCollector(Collector):
    """Reads the records (and the broker, when given) on every ``collect``."""

    def __init__(self, engine: Engine, broker: Broker | None = None, plugin_of: PluginOf = plugin_by_prefix):
        self.engine = engine
        self.broker = broker
        self.plugin_of = plugin_of

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("ward_up", "Whether the scrape could read a component.", labels=["component"])
        now = utcnow()
        try:
            with session_scope(self.engine) as session:
                statuses = [schedule_status(session, name, now) for name in schedules(session)]
            up.add_metric(["database"], 1.0)
        except Exception as exc:
            log.warning("metrics: cannot read the database: %s", exc)
            statuses = []
            up.add_metric(["database"], 0.0)
        yield from schedule_metrics(statuses, self.plugin_of)
        if self.broker is not None:
            try:
                yield queue_metrics(queue_depth(self.broker))
                up.add_metric(["broker"], 1.0)
            except Exception as exc:
                log.warning("metrics: cannot read the queue: %s", exc)
                up.add_metric(["broker"], 0.0)
        yield up


def serve_metrics(collector: WardCollector, *, port: int, address: str = "127.0.0.1") -> CollectorRegistry:
    """Serve ``collector`` (and nothing else) over HTTP on ``address:port`` from a daemon thread."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    start_http_server(port, addr=address, registry=registry)
    return registry
