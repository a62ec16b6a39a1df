"""Running one probe batch end to end: targets in, samples, latest values and a run record out.

:func:`run_probe_batch` is the one entry point; ``ward poll`` calls it in-process, a queue worker
calls it once per message. It

1. loads the devices from the inventory (one short read transaction);
2. runs each kind on the whole batch through :meth:`WardPlugins.run_probe
   <ward_core.plugin_manager.WardPlugins.run_probe>` (no transaction is held meanwhile); a plugin
   that raises or misbehaves yields failed results for its devices, never an exception;
3. derives counter rates and reboot markers (:mod:`ward_core.probes.derive`) and writes samples,
   latest values, one ``runs`` row with one ``run_results`` row per device and kind, and the batch
   id, all in ONE transaction: either all of it is committed or none;
4. after the commit, fires ``ward_samples_written`` for the devices that got values (the alerting
   engine evaluates its rules there); a failing plugin is logged, the batch stays committed.

Idempotency: with a ``batch_id`` (a queue message id), a batch already committed is not probed
again and is reported as ``duplicate``; two workers racing on the same id both probe, but only the
first to commit writes (the second finds the id taken and rolls back).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ward_core.db.models import ResultStatus, Run, RunResult, RunStatus
from ward_core.db.models.samples import BATCH_ID_LENGTH
from ward_core.db.session import display_url, session_scope
from ward_core.db.types import utcnow
from ward_core.errors import ConfigError, InventoryError, StorageError
from ward_core.inventory.targets import load_targets
from ward_core.plugin_manager import WardPlugins
from ward_core.probes.derive import BatchValues, KindResults, batch_values, lookup_metrics
from ward_core.probes.outcome import BatchOutcome, DeviceFailure, KindOutcome
from ward_core.probes.rates import Reading, SeriesKey
from ward_core.probes.store import (
    LatestRow,
    SampleRow,
    batch_committed,
    claim_batch,
    device_ids,
    link_batch_run,
    previous_readings,
    upsert_latest,
    write_samples,
)
from ward_core.types import (
    DeviceTarget,
    ProbeBatchResult,
    ProbeKind,
    ProbeOptions,
    ProbeResult,
    SamplesWritten,
)

log = logging.getLogger(__name__)

RUN_KIND = "probe"
"""``runs.kind`` of the run records probe batches write."""

NOT_IN_INVENTORY = "not in the inventory"

UnknownDevices = Literal["raise", "fail"]


class _AlreadyCommitted(Exception):
    """Raised inside the write transaction to roll it back when the batch id is taken."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _KindRun:
    results: KindResults
    started_at: datetime
    finished_at: datetime
    duration_s: float


def run_probe_batch(
    *,
    engine: Engine,
    plugins: WardPlugins,
    kinds: Sequence[str],
    device_names: Sequence[str],
    options: Mapping[str, ProbeOptions] | None = None,
    batch_id: str | None = None,
    now: datetime | None = None,
    unknown_devices: UnknownDevices = "raise",
) -> BatchOutcome:
    """Probe ``device_names`` with every kind of ``kinds`` and store the results in one transaction.

    ``options`` maps a kind to its :class:`~ward_core.types.ProbeOptions` (defaults otherwise).
    ``batch_id`` makes the call idempotent (see the module docstring); without one a random id is
    reported and nothing is recorded. ``now`` stamps every value of the batch (tests use it);
    by default each kind's values carry the time its probe run started.

    ``unknown_devices`` says what a name missing from the inventory does: ``"raise"`` (the CLI: the
    user mistyped) raises :class:`~ward_core.errors.InventoryError` naming every such device before
    anything is probed; ``"fail"`` (a worker: the device was removed after the batch was queued)
    gives it a failed result ``"not in the inventory"`` for every kind.

    Raises :class:`~ward_core.errors.PluginError` for a kind no plugin declares,
    :class:`~ward_core.errors.ConfigError` for an empty kind list or an unusable ``batch_id``, and
    :class:`~ward_core.errors.StorageError` when the database cannot be read or written; in every
    case nothing was committed, so the call can be retried as is.
    """
    started = time.perf_counter()
    wanted = _check_kinds(plugins, kinds)
    names = list(dict.fromkeys(device_names))
    reported_id = _check_batch_id(batch_id)
    url = display_url(engine.url)

    try:
        with session_scope(engine) as session:
            if batch_id is not None and batch_committed(session, batch_id):
                log.info("probe batch %s was already committed; nothing to do", batch_id)
                return _duplicate(batch_id, len(names), started)
            targets = load_targets(session, names=names)
    except SQLAlchemyError as exc:
        raise StorageError(f"reading the inventory from {url} failed: {exc}") from exc
    order = {name: position for position, name in enumerate(names)}
    targets.sort(key=lambda t: order[t.name])
    unknown = [n for n in names if n not in {t.name for t in targets}]
    if unknown and unknown_devices == "raise":
        raise InventoryError(f"unknown device(s): {', '.join(unknown)}", source="database")

    runs = [_run_kind(plugins, wanted[name], targets, unknown, options, now) for name in wanted]

    try:
        with session_scope(engine) as session:
            outcome = _store(session, runs, names, batch_id, reported_id, started)
    except _AlreadyCommitted:
        log.info("probe batch %s was committed meanwhile by another worker; discarded", batch_id)
        return _duplicate(reported_id, len(names), started)
    except SQLAlchemyError as exc:
        raise StorageError(f"writing probe batch {reported_id} to {url} failed: {exc}") from exc
    _announce(plugins, outcome, runs)
    return outcome


def _announce(plugins: WardPlugins, outcome: BatchOutcome, runs: Sequence[_KindRun]) -> None:
    """Fire ``ward_samples_written`` for the devices that got values; a failing plugin is logged
    by the event helper and never fails the (committed) batch."""
    devices = tuple(
        dict.fromkeys(r.device for run in runs for r in run.results.batch.results if r.ok and r.metrics)
    )
    if devices:
        plugins.samples_written(
            SamplesWritten(
                batch_id=outcome.batch_id,
                devices=devices,
                time=utcnow(),
                kinds=tuple(run.results.kind.name for run in runs),
            )
        )


def _check_kinds(plugins: WardPlugins, kinds: Sequence[str]) -> dict[str, ProbeKind]:
    if not kinds:
        raise ConfigError("a probe batch needs at least one probe kind")
    declared = plugins.probe_kinds()
    for kind in kinds:
        plugins.probe_kind_owner(kind)
    return {kind: declared[kind] for kind in dict.fromkeys(kinds)}


def _check_batch_id(batch_id: str | None) -> str:
    if batch_id is None:
        return uuid.uuid4().hex
    if not batch_id or len(batch_id) > BATCH_ID_LENGTH:
        raise ConfigError(f"a batch id has 1-{BATCH_ID_LENGTH} characters, got {batch_id!r:.300}")
    return batch_id


def _duplicate(batch_id: str, devices: int, started: float) -> BatchOutcome:
    return BatchOutcome(
        batch_id=batch_id, duplicate=True, devices=devices, duration_s=time.perf_counter() - started
    )


def _run_kind(
    plugins: WardPlugins,
    kind: ProbeKind,
    targets: Sequence[DeviceTarget],
    unknown: Sequence[str],
    options: Mapping[str, ProbeOptions] | None,
    now: datetime | None,
) -> _KindRun:
    """One kind over the whole batch; whatever the plugin does, one result per device comes back."""
    started_at = utcnow()
    clock = time.perf_counter()
    try:
        batch = plugins.run_probe(kind.name, targets, (options or {}).get(kind.name))
    except Exception as exc:
        log.exception("probe kind %s failed on a batch of %d devices", kind.name, len(targets))
        reason = f"{type(exc).__name__}: {exc}"
        batch = ProbeBatchResult(
            kind=kind.name, results=tuple(ProbeResult.failure(t.name, kind.name, reason) for t in targets)
        )
    duration = time.perf_counter() - clock
    missing = tuple(ProbeResult.failure(name, kind.name, NOT_IN_INVENTORY) for name in unknown)
    return _KindRun(
        results=KindResults(
            kind=kind,
            batch=ProbeBatchResult(kind=kind.name, results=batch.results + missing),
            time=now or started_at,
        ),
        started_at=started_at,
        finished_at=utcnow(),
        duration_s=duration,
    )


def _store(
    session: Session,
    runs: Sequence[_KindRun],
    names: Sequence[str],
    batch_id: str | None,
    reported_id: str,
    started: float,
) -> BatchOutcome:
    """Write everything of the batch in the session's transaction and describe it.

    The first statement is a write (the batch claim, else the run record), so that on SQLite the
    transaction takes the write lock before it reads the previous readings, and waits for a
    concurrent writer instead of failing to upgrade a stale read snapshot.
    """
    if batch_id is not None and not claim_batch(session, batch_id, devices=len(names)):
        raise _AlreadyCommitted(batch_id)
    failures = tuple(
        DeviceFailure(device=r.device, kind=r.kind, reason=r.exception or "failed")
        for run in runs
        for r in run.results.batch.results
        if not r.ok
    )
    run_row = Run(
        kind=RUN_KIND,
        name=reported_id,
        status=(RunStatus.FAILED if failures else RunStatus.SUCCEEDED).value,
        started_at=min((r.started_at for r in runs), default=utcnow()),
        finished_at=utcnow(),
        params={"batch_id": batch_id, "kinds": [r.results.kind.name for r in runs], "devices": list(names)},
        summary={},
    )
    session.add(run_row)
    session.flush()
    if batch_id is not None:
        link_batch_run(session, batch_id, run_row.id)

    ids = device_ids(session, names)
    results = [run.results for run in runs]
    stored = previous_readings(session, list(ids.values()), lookup_metrics(results))
    names_by_id = {device_id: name for name, device_id in ids.items()}
    previous: dict[SeriesKey, Reading] = {
        (names_by_id[device_id], metric, key): reading for (device_id, metric, key), reading in stored.items()
    }
    values = batch_values(results, previous)
    samples, latest = _rows(values, ids)
    samples_written = write_samples(session, samples)
    latest_written = upsert_latest(session, latest)
    run_results = _run_results(run_row.id, runs)
    if run_results:
        session.execute(insert(RunResult), run_results)

    per_kind = values.samples_per_kind()
    outcome = BatchOutcome(
        batch_id=reported_id,
        run_id=run_row.id,
        devices=len(names),
        kinds=tuple(
            KindOutcome(
                kind=run.results.kind.name,
                ok=sum(1 for r in run.results.batch.results if r.ok),
                failed=sum(1 for r in run.results.batch.results if not r.ok),
                samples=per_kind.get(run.results.kind.name, 0),
                duration_s=run.duration_s,
            )
            for run in runs
        ),
        failures=failures,
        rebooted=tuple(sorted(values.rebooted)),
        samples_written=samples_written,
        latest_written=latest_written,
        duration_s=time.perf_counter() - started,
    )
    run_row.summary = {**outcome.to_dict(), "failures": len(failures)}
    return outcome


def _rows(values: BatchValues, ids: Mapping[str, int]) -> tuple[list[SampleRow], list[LatestRow]]:
    """Values as table rows; a device deleted since its targets were read has nowhere to go."""
    samples: list[SampleRow] = []
    latest: list[LatestRow] = []
    for v in values.values:
        device_id = ids.get(v.device)
        if device_id is None:
            continue
        if not v.counter:
            samples.append(SampleRow(device_id, v.metric, v.labels_key, v.labels, v.time, v.value))
        before = v.previous
        latest.append(
            LatestRow(
                device_id,
                v.metric,
                v.labels_key,
                v.labels,
                v.time,
                v.value,
                before.time if before else None,
                before.value if before else None,
            )
        )
    return samples, latest


def _run_results(run_id: int, runs: Sequence[_KindRun]) -> list[dict[str, Any]]:
    return [
        {
            "run_id": run_id,
            "device": result.device,
            "task": run.results.kind.name,
            "status": (ResultStatus.OK if result.ok else ResultStatus.FAILED).value,
            "changed": False,
            "result": {"metrics": len(result.metrics)} if result.ok else None,
            "error": result.exception,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
        }
        for run in runs
        for result in run.results.batch.results
    ]
