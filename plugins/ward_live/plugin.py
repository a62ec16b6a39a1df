"""The module ward loads for the ``live`` entry point: ``ward_alert_fired``/``ward_alert_resolved``
append a ``fired``/``resolved`` event to the alert stream.

The hooks run after the evaluation's transaction committed, so a stored event always describes a
committed transition. The Redis connection is opened at the first event, not at start-up, so
commands that never evaluate alerts never touch Redis. A Redis failure is logged with the URL
(password masked) and the alert; it never fails the evaluation, and the event is not retried
(the alert stays in the database and on the status page).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from ward_core import hookimpl
from ward_core.alerts.publish import redis_url_of
from ward_core.config import Settings
from ward_core.db.types import utcnow
from ward_core.types import Alert

if TYPE_CHECKING:
    from ward_core.api.live.writer import StreamWriter

log = logging.getLogger(__name__)


class LiveState:
    """The Redis URL from ``ward_configure`` and the writer opened at the first event."""

    def __init__(self) -> None:
        self.url: str | None = None
        self._writer: StreamWriter | None = None
        self._lock = threading.Lock()

    def configure(self, settings: Settings) -> None:
        """Remember where to write; close the writer of a previous configuration."""
        self.close()
        self.url = redis_url_of(settings)

    def writer(self) -> StreamWriter | None:
        """The writer (opened on first use), or None when no Redis URL is configured."""
        with self._lock:
            if self._writer is None and self.url is not None:
                from ward_core.api.live.writer import StreamWriter

                self._writer = StreamWriter(self.url)
            return self._writer

    def publish(self, kind: str, alert: Alert) -> None:
        """Append one event; log (never raise) when Redis refuses."""
        writer = self.writer()
        if writer is None:
            return
        from ward_core.api.live.events import AlertEvent, alert_payload

        event = AlertEvent(event=kind, time=utcnow(), alert=alert_payload(alert))
        try:
            writer.append(event)
        except Exception as exc:
            from ward_core.worker.broker import display_broker_url

            log.warning(
                "alert stream at %s: could not append %s of %s: %s",
                display_broker_url(writer.url),
                kind,
                alert.fingerprint,
                exc,
            )

    def close(self) -> None:
        """Close the writer's connections and forget the URL (nothing is written until configured)."""
        with self._lock:
            writer, self._writer = self._writer, None
            self.url = None
        if writer is not None:
            writer.close()


STATE = LiveState()
"""The plugin's state (a plugin module is loaded once per process)."""


@hookimpl
def ward_configure(settings: Settings) -> None:
    """Remember the Redis URL; nothing is opened yet."""
    STATE.configure(settings)


@hookimpl
def ward_alert_fired(alert: Alert) -> None:
    """Append a ``fired`` event."""
    STATE.publish("fired", alert)


@hookimpl
def ward_alert_resolved(alert: Alert) -> None:
    """Append a ``resolved`` event."""
    STATE.publish("resolved", alert)


@hookimpl
def ward_unconfigure() -> None:
    """Close the Redis connections."""
    STATE.close()
