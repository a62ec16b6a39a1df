"""Event hooks: the reference plugin records every event it hears of, in memory.

Tests (and curious plugin authors) read :data:`EVENT_LOG`; ``ward_configure`` starts it afresh.
"""

from __future__ import annotations

from dataclasses import dataclass

from ward_core import hookimpl
from ward_core.types import Alert, ApprovalDecision, ConfigChange, RunSummary, SamplesWritten, TopologyChange


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """One event: the hook (or notifier) that saw it and its payload."""

    hook: str
    payload: object


class EventLog:
    """The events heard since the plugin was last configured, oldest first."""

    def __init__(self) -> None:
        self._events: list[RecordedEvent] = []

    def record(self, hook: str, payload: object) -> None:
        """Append one event."""
        self._events.append(RecordedEvent(hook, payload))

    def clear(self) -> None:
        """Forget every event."""
        self._events.clear()

    @property
    def events(self) -> tuple[RecordedEvent, ...]:
        """A snapshot of the events, oldest first."""
        return tuple(self._events)

    def hooks(self) -> list[str]:
        """The hook names of the events, oldest first."""
        return [e.hook for e in self._events]


EVENT_LOG = EventLog()
"""The plugin's one event log (a plugin module is loaded once per process)."""


@hookimpl
def ward_samples_written(batch: SamplesWritten) -> None:
    """Record a committed probe batch."""
    EVENT_LOG.record("ward_samples_written", batch)


@hookimpl
def ward_alert_fired(alert: Alert) -> None:
    """Record a firing alert."""
    EVENT_LOG.record("ward_alert_fired", alert)


@hookimpl
def ward_alert_resolved(alert: Alert) -> None:
    """Record a resolved alert."""
    EVENT_LOG.record("ward_alert_resolved", alert)


@hookimpl
def ward_config_changed(change: ConfigChange) -> None:
    """Record a configuration change."""
    EVENT_LOG.record("ward_config_changed", change)


@hookimpl
def ward_approval_decided(decision: ApprovalDecision) -> None:
    """Record an approval decision."""
    EVENT_LOG.record("ward_approval_decided", decision)


@hookimpl
def ward_topology_changed(change: TopologyChange) -> None:
    """Record a topology change."""
    EVENT_LOG.record("ward_topology_changed", change)


@hookimpl
def ward_run_finished(run: RunSummary) -> None:
    """Record a finished run."""
    EVENT_LOG.record("ward_run_finished", run)
