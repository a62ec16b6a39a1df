"""The metric families built from schedule statuses, rendered as Prometheus text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from ward_core.worker.metrics import plugin_by_prefix, queue_metrics, schedule_metrics
from ward_core.worker.queues import QueueDepth
from ward_core.worker.status import CycleView, ScheduleStatus

NOW = datetime(2026, 12, 1, 8, 1, tzinfo=UTC)


def _cycle(**fields: object) -> CycleView:
    base: dict[str, object] = {
        "cycle_id": "probes-20261201T080000Z-abc123",
        "status": "succeeded",
        "slot_at": NOW - timedelta(seconds=60),
        "started_at": NOW - timedelta(seconds=60),
        "finished_at": NOW - timedelta(seconds=45),
        "duration_s": 15.0,
        "lag_s": 0.25,
        "devices": 1000,
        "batches": 40,
        "committed": 40,
        "abandoned": 0,
        "outstanding": 0,
        "expired": False,
        "ok_devices": 990,
        "failed_devices": 10,
        "errors_by_kind": {"icmp": 4, "snmp.interfaces": 10},
        "batch_duration_mean_s": 0.7,
        "batch_duration_max_s": 1.5,
    }
    base.update(fields)
    return CycleView(**base)  # type: ignore[arg-type]


class _Fixed(Collector):
    def __init__(self, metrics: list[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self.metrics


def _render(metrics: list[Metric]) -> str:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(metrics))
    return generate_latest(registry).decode()


def test_a_keeping_up_schedule() -> None:
    running = _cycle(status="running", finished_at=None, committed=12, outstanding=28, duration_s=3.0)
    status = ScheduleStatus(
        schedule="probes",
        now=NOW,
        interval_s=60.0,
        current=running,
        last_finished=_cycle(),
        lag_s=0.25,
        skipped_recent=0,
        skipped_24h=2,
        problems=(),
    )
    text = _render(list(schedule_metrics([status], plugin_by_prefix)))
    for line in (
        'ward_poll_lag_seconds{schedule="probes"} 0.25',
        'ward_poll_interval_seconds{schedule="probes"} 60.0',
        'ward_poll_keeping_up{schedule="probes"} 1.0',
        'ward_poll_cycle_duration_seconds{schedule="probes"} 15.0',
        'ward_poll_outstanding_batches{schedule="probes"} 28.0',
        'ward_poll_skipped_slots{schedule="probes"} 2.0',
        'ward_poll_batch_duration_seconds{schedule="probes",stat="mean"} 0.7',
        'ward_poll_batch_duration_seconds{schedule="probes",stat="max"} 1.5',
        'ward_poll_devices{schedule="probes",state="ok"} 990.0',
        'ward_poll_devices{schedule="probes",state="failed"} 10.0',
        'ward_poll_errors{kind="icmp",plugin="icmp",schedule="probes"} 4.0',
        'ward_poll_errors{kind="snmp.interfaces",plugin="snmp",schedule="probes"} 10.0',
    ):
        assert line in text, line
    [start] = [v for v in text.splitlines() if v.startswith("ward_poll_cycle_start_timestamp_seconds{")]
    assert float(start.rpartition(" ")[2]) == running.started_at.timestamp()


def test_a_schedule_never_run_exports_no_cycle_figures() -> None:
    status = ScheduleStatus(
        schedule="probes",
        now=NOW,
        interval_s=None,
        current=None,
        last_finished=None,
        lag_s=0.0,
        skipped_recent=0,
        skipped_24h=0,
        problems=("no poll cycle recorded",),
    )
    text = _render(list(schedule_metrics([status], plugin_by_prefix)))
    assert 'ward_poll_keeping_up{schedule="probes"} 0.0' in text
    assert "ward_poll_cycle_duration_seconds{" not in text
    assert "ward_poll_devices{" not in text


def test_queue_states_the_broker_cannot_tell_are_left_out() -> None:
    depth = QueueDepth(queue="ward.probes", waiting=3, delayed=1, in_flight=None, dead=0)
    text = _render([queue_metrics(depth)])
    assert 'ward_queue_messages{queue="ward.probes",state="waiting"} 3.0' in text
    assert 'ward_queue_messages{queue="ward.probes",state="delayed"} 1.0' in text
    assert "in_flight" not in text
