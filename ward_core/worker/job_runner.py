"""What a worker process does with a backup or discovery batch: one service call, then the marker.

Devices named in a message but gone from the inventory fail "not in the inventory" (they were
removed after the batch was queued): both services are called with ``unknown_devices="fail"``.
A batch already accounted for (:func:`~ward_core.worker.job_records.batch_recorded`) runs nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from ward_core.backup.options import BackupOptions
from ward_core.backup.service import backup_devices
from ward_core.config import Settings
from ward_core.errors import ConfigError
from ward_core.plugin_manager import WardPlugins
from ward_core.topology.service import discover_batch
from ward_core.worker.job_records import batch_recorded, mark_batch
from ward_core.worker.jobs import BatchDone, JobBatch, JobKind

log = logging.getLogger(__name__)

BACKUP_OPTION_KEYS = ("timeout_s", "workers", "per_site", "retries")


def backup_options(settings: Settings, given: Mapping[str, Any]) -> BackupOptions:
    """The backup options a message asks for, the settings' for those it leaves out; ConfigError
    for a value that is not a number.

    >>> backup_options(Settings(backup_timeout_s=9), {"retries": 0}).timeout_s
    9.0
    """
    base = BackupOptions.from_settings(settings)
    values: dict[str, float | int] = {
        "timeout_s": base.timeout_s,
        "workers": base.workers,
        "per_site": base.per_site,
        "retries": base.retries,
    }
    for key in BACKUP_OPTION_KEYS:
        raw = given.get(key)
        if raw is None:
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ConfigError(f"backup batch option {key!r} must be a number, got {raw!r}")
        values[key] = float(raw) if key == "timeout_s" else int(raw)
    return BackupOptions(
        timeout_s=float(values["timeout_s"]),
        workers=int(values["workers"]),
        per_site=int(values["per_site"]),
        retries=int(values["retries"]),
    )


class JobRunner:
    """The handlers of worker processes for :mod:`ward_core.worker.jobs` (see the module docstring)."""

    def __init__(self, engine: Engine, plugins: WardPlugins, settings: Settings) -> None:
        self._engine = engine
        self._plugins = plugins
        self._settings = settings

    def _recorded(self, kind: JobKind, batch: JobBatch) -> BatchDone | None:
        found = batch_recorded(self._engine, kind, batch.batch_id)
        if found is None:
            return None
        return BatchDone(
            batch_id=batch.batch_id,
            run_id=found.run_id,
            devices=len(batch.device_names),
            failed=0,
            duplicate=True,
        )

    def backup(self, batch: JobBatch) -> BatchDone:
        """Back the batch's devices up and mark the batch."""
        done = self._recorded(JobKind.BACKUP, batch)
        if done is not None:
            return done
        requested = batch.options.get("requested_by")
        outcome = backup_devices(
            engine=self._engine,
            plugins=self._plugins,
            settings=self._settings,
            device_names=batch.device_names,
            options=backup_options(self._settings, batch.options),
            requested_by=str(requested) if requested is not None else None,
            unknown_devices="fail",
        )
        if outcome.run_id is None:
            raise ConfigError(f"backup batch {batch.batch_id}: the backup service recorded no run")
        mark_batch(
            self._engine,
            run_id=outcome.run_id,
            job_id=batch.job_id,
            batch_id=batch.batch_id,
            outcome=outcome.to_dict(),
        )
        return BatchDone(
            batch_id=batch.batch_id,
            run_id=outcome.run_id,
            devices=len(outcome.devices),
            failed=len(outcome.failed),
            duration_s=outcome.duration_s,
        )

    def discovery(self, batch: JobBatch) -> BatchDone:
        """Collect the batch's neighbours, store the snapshot and mark the batch."""
        done = self._recorded(JobKind.DISCOVERY, batch)
        if done is not None:
            return done
        started = time.perf_counter()
        outcome = discover_batch(
            engine=self._engine,
            plugins=self._plugins,
            settings=self._settings,
            device_names=batch.device_names,
            transport=str(batch.options.get("transport", "ssh")),
            unknown_devices="fail",
        )
        mark_batch(
            self._engine,
            run_id=outcome.run_id,
            job_id=batch.job_id,
            batch_id=batch.batch_id,
            outcome=outcome.to_dict(),
        )
        return BatchDone(
            batch_id=batch.batch_id,
            run_id=outcome.run_id,
            devices=outcome.devices,
            failed=len(outcome.failures),
            duration_s=time.perf_counter() - started,
        )
