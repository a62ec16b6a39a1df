"""The scheduler's loop: several schedulers (poll cycles, playbook schedules) ticked in turn.

Each one ticks about once per ``tick_s``. A database or broker failure of one is logged and that
one alone backs off (doubling, up to its own ``max_backoff_s``), so the scheduler rides out a
restart of either and one failing schedule never holds the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Protocol

from ward_core.worker.scheduler import RECOVERABLE, TICK_S
from ward_core.worker.stopping import Stopper

log = logging.getLogger(__name__)


class Ticking(Protocol):
    """Something the loop ticks: a :class:`~ward_core.worker.scheduler.Scheduler` adapter or a
    :class:`~ward_core.worker.playbook_schedule.PlaybookScheduler`."""

    @property
    def label(self) -> str: ...

    @property
    def max_backoff_s(self) -> float: ...

    def tick(self) -> object: ...


def run_tickers(stop: Stopper, tickers: Sequence[Ticking], *, tick_s: float = TICK_S) -> None:
    """Tick every one of ``tickers`` until ``stop`` is set (module docstring)."""
    failures = [0] * len(tickers)
    due = [0.0] * len(tickers)
    while not stop.is_set():
        for index, ticker in enumerate(tickers):
            if time.monotonic() < due[index]:
                continue
            try:
                ticker.tick()
                failures[index] = 0
                due[index] = time.monotonic() + tick_s
            except RECOVERABLE as exc:
                failures[index] += 1
                delay = min(ticker.max_backoff_s, tick_s * 2 ** min(failures[index], 10))
                due[index] = time.monotonic() + delay
                log.error("%s: %s; next attempt in %.1f s", ticker.label, exc, delay)
        wait = min(due) - time.monotonic() if due else tick_s
        stop.wait(max(0.05, min(tick_s, wait)))
