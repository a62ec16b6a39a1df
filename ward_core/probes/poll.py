"""One poll cycle in-process: the devices split into batches, each run by
:func:`~ward_core.probes.service.run_probe_batch`, one after the other. ``ward poll`` uses it; the
queue workers run the same service per batch instead.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from ward_core.plugin_manager import WardPlugins
from ward_core.probes.outcome import BatchOutcome, DeviceFailure, KindOutcome
from ward_core.probes.selection import split_batches
from ward_core.probes.service import run_probe_batch
from ward_core.types import ProbeOptions

DEMO_PLUGINS = frozenset({"reference"})
"""Plugins whose probe kinds are examples: not polled unless asked for by name."""


def default_kinds(plugins: WardPlugins, configured: Sequence[str] = ()) -> list[str]:
    """The kinds a poll runs: ``configured`` (``Settings.poll_kinds``) when set, else every
    declared kind except those of :data:`DEMO_PLUGINS`, sorted."""
    if configured:
        return list(dict.fromkeys(configured))
    return sorted(k for k in plugins.probe_kinds() if plugins.probe_kind_owner(k) not in DEMO_PLUGINS)


@dataclass(frozen=True, slots=True, kw_only=True)
class PollReport:
    """Every batch of one poll cycle."""

    devices: int
    kinds: tuple[str, ...]
    batches: tuple[BatchOutcome, ...]
    duration_s: float

    @property
    def failures(self) -> tuple[DeviceFailure, ...]:
        """Every device a kind could not measure, batch after batch."""
        return tuple(f for b in self.batches for f in b.failures)

    @property
    def samples_written(self) -> int:
        """Values added to the time series over the cycle."""
        return sum(b.samples_written for b in self.batches)

    def per_kind(self) -> tuple[KindOutcome, ...]:
        """Totals per kind over all batches (durations added up)."""
        totals: dict[str, KindOutcome] = {
            k: KindOutcome(kind=k, ok=0, failed=0, samples=0, duration_s=0.0) for k in self.kinds
        }
        for batch in self.batches:
            for k in batch.kinds:
                t = totals[k.kind]
                totals[k.kind] = KindOutcome(
                    kind=k.kind,
                    ok=t.ok + k.ok,
                    failed=t.failed + k.failed,
                    samples=t.samples + k.samples,
                    duration_s=t.duration_s + k.duration_s,
                )
        return tuple(totals.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view: totals, per kind, failures and every batch's outcome."""
        return {
            "devices": self.devices,
            "kinds": [k.to_dict() for k in self.per_kind()],
            "failures": [f.to_dict() for f in self.failures],
            "samples_written": self.samples_written,
            "duration_s": round(self.duration_s, 6),
            "batches": [b.to_dict() for b in self.batches],
        }


def poll_once(
    *,
    engine: Engine,
    plugins: WardPlugins,
    device_names: Sequence[str],
    kinds: Sequence[str],
    batch_size: int,
    options: Mapping[str, ProbeOptions] | None = None,
) -> PollReport:
    """Probe ``device_names`` with ``kinds`` now, ``batch_size`` devices per batch."""
    started = time.perf_counter()
    batches = split_batches(device_names, batch_size)
    outcomes = tuple(
        run_probe_batch(engine=engine, plugins=plugins, kinds=kinds, device_names=batch, options=options)
        for batch in batches
    )
    return PollReport(
        devices=len(device_names),
        kinds=tuple(dict.fromkeys(kinds)),
        batches=outcomes,
        duration_s=time.perf_counter() - started,
    )
