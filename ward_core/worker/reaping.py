"""The scheduler's remediation reaper: requests left ``running`` by a lost worker, failed on time.

``ward scheduler`` ticks a :class:`ReaperTicker` with its other schedules; it calls
:func:`~ward_core.remediation.reaper.reap_stale_executions` at most once per
:data:`REAP_EVERY_S` (the query is one indexed lookup, but a second is far finer than a time limit
counted in minutes needs). Several schedulers may run it at once: the reaper takes each request once.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import Engine

from ward_core.config import Settings
from ward_core.plugin_manager import WardPlugins
from ward_core.remediation.reaper import reap_stale_executions

log = logging.getLogger(__name__)

REAP_EVERY_S = 30.0
MAX_BACKOFF_S = 300.0


class ReaperTicker:
    """A :class:`~ward_core.worker.loop.Ticking` that reaps lost remediation executions."""

    label = "remediation reaper"
    max_backoff_s = MAX_BACKOFF_S

    def __init__(
        self, engine: Engine, settings: Settings, plugins: WardPlugins, *, every_s: float = REAP_EVERY_S
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._plugins = plugins
        self._every_s = every_s
        self._next = 0.0

    def tick(self) -> list[int]:
        """Reap when due; the ids of the requests reaped now (none when not due)."""
        if time.monotonic() < self._next:
            return []
        reaped = reap_stale_executions(self._engine, self._settings, plugins=self._plugins)
        self._next = time.monotonic() + self._every_s
        if reaped:
            log.warning("remediation requests %s: worker lost, marked failed", reaped)
        return reaped
