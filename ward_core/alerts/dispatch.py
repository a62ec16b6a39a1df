"""The dispatcher: a background thread that delivers the outbox, woken as soon as an evaluation
queued notices (so a sample written becomes a webhook call within milliseconds), and otherwise
every ``poll_s`` for retries and for notices another process queued.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping

from sqlalchemy import Engine

from ward_core.alerts.outbox import DeliveryReport, RetryPolicy, deliver_due, pending_count
from ward_core.db.types import utcnow
from ward_core.types import NotifierSpec

log = logging.getLogger(__name__)


class Dispatcher:
    """Delivers due notices in a thread of its own (:meth:`start`), or on demand (:meth:`drain`)."""

    def __init__(
        self,
        engine: Engine,
        notifiers: Mapping[str, NotifierSpec],
        *,
        policy: RetryPolicy | None = None,
        poll_s: float = 1.0,
    ) -> None:
        self.engine = engine
        self.notifiers = dict(notifiers)
        self.policy = policy or RetryPolicy()
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run_once(self) -> DeliveryReport:
        """One delivery pass (serialised with the thread's)."""
        with self._lock:
            return deliver_due(self.engine, self.notifiers, policy=self.policy)

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Deliver until no notice is due (retries scheduled later are left); False on timeout."""
        if not self.notifiers:
            return True
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            report = self.run_once()
            if report.attempted == 0 and pending_count(self.engine, self.notifiers, due_before=utcnow()) == 0:
                return True
        return False

    def start(self) -> None:
        """Start the delivery thread (once)."""
        if self._thread is not None or not self.notifiers:
            return
        self._thread = threading.Thread(target=self._loop, name="ward-alert-dispatch", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Deliver now rather than at the next poll."""
        self._wake.set()

    def close(self, timeout_s: float = 10.0) -> None:
        """Deliver what is due (up to ``timeout_s``), then stop the thread."""
        try:
            self.drain(timeout_s)
        except Exception:
            log.exception("delivering the last alert notices failed")
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                while self.run_once().sent and not self._stop.is_set():
                    continue
            except Exception:
                log.exception("alert notice delivery failed; retrying in %.1f s", self.poll_s)
