"""Probes: running probe batches and storing what they measure.

- :func:`run_probe_batch` (:mod:`.service`): one batch end to end, idempotent by batch id; what
  workers and ``ward poll`` call. Returns a JSON-ready :class:`BatchOutcome`.
- :func:`poll_once` (:mod:`.poll`): a whole cycle in-process, batch after batch.
- :mod:`.rates` and :mod:`.derive`: counters to rates, reboots (pure functions).
- :mod:`.store`: bulk writes (COPY on PostgreSQL, executemany on SQLite).
- :mod:`.queries`: :func:`latest`, :func:`series`, :func:`prune_samples`.
- :mod:`.selection`: ``--limit`` selectors and batches.
"""

from __future__ import annotations

from ward_core.probes.outcome import BatchOutcome, DeviceFailure, KindOutcome
from ward_core.probes.poll import PollReport, default_kinds, poll_once
from ward_core.probes.queries import LatestValue, PruneReport, SamplePoint, latest, prune_samples, series
from ward_core.probes.rates import REBOOTED_METRIC, SPEED_METRIC
from ward_core.probes.selection import select_devices, split_batches
from ward_core.probes.service import run_probe_batch

__all__ = [
    "REBOOTED_METRIC",
    "SPEED_METRIC",
    "BatchOutcome",
    "DeviceFailure",
    "KindOutcome",
    "LatestValue",
    "PollReport",
    "PruneReport",
    "SamplePoint",
    "default_kinds",
    "latest",
    "poll_once",
    "prune_samples",
    "run_probe_batch",
    "select_devices",
    "series",
    "split_batches",
]
