"""One discovery batch end to end: device names in; observations, a snapshot, events out.

:func:`discover_batch` is the entry point ``ward topology discover`` calls in-process and a queue
worker calls once per message. It

1. loads the batch's devices from the inventory (one short read transaction);
2. collects their neighbours through the plugins, many devices at once
   (:mod:`ward_core.topology.collect`; no transaction is held meanwhile); failures are data;
3. in ONE transaction: writes a ``runs`` row with one ``run_results`` row per device, one
   observation per device (raw records, time, transport), then, holding the topology lock,
   builds a snapshot from the newest observation of EVERY inventory device (so batches run by
   different workers add up to one picture), applies the overrides, and stores the snapshot;
4. after the commit, tells plugins what changed (``ward_topology_changed``, when links were added
   or lost since the previous snapshot; the very first snapshot has no baseline and fires
   nothing) and that the run finished (``ward_run_finished``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import Engine, insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ward_core.config import Settings
from ward_core.db.models import ResultStatus, Run, RunResult, RunStatus
from ward_core.db.session import display_url, session_scope
from ward_core.db.types import utcnow
from ward_core.errors import ConfigError, InventoryError, StorageError
from ward_core.inventory.queries import load_devices
from ward_core.inventory.targets import load_targets
from ward_core.plugin_manager import WardPlugins
from ward_core.topology.collect import CollectOptions, collect
from ward_core.topology.diff import SnapshotDiff, diff_snapshots
from ward_core.topology.matching import match
from ward_core.topology.model import CollectionState, DeviceInfo, Snapshot, link_key
from ward_core.topology.outcome import CollectionFailure, DiscoveryOutcome
from ward_core.topology.records import Observation
from ward_core.topology.store import (
    latest_observations,
    list_overrides,
    load_snapshot,
    lock_topology,
    save_snapshot,
    write_observations,
)
from ward_core.types import RunSummary, Transport

log = logging.getLogger(__name__)

RUN_KIND = "topology"
"""``runs.kind`` of discovery runs."""

NOT_IN_INVENTORY = "not in the inventory"

UnknownDevices = Literal["raise", "fail"]


def check_transport(transport: str) -> Transport:
    """``transport`` if ward knows it, else ConfigError listing the known ones.

    >>> check_transport("snmp")
    'snmp'
    """
    known: tuple[Transport, ...] = get_args(Transport)
    for name in known:
        if transport == name:
            return name
    raise ConfigError(f"unknown transport {transport!r} (known: {', '.join(known)})")


def build_snapshot(
    devices: Sequence[DeviceInfo],
    observations: Mapping[str, Observation],
    session: Session | None = None,
    *,
    discovered_at: datetime,
    transport: str | None = None,
    run_id: int | None = None,
) -> Snapshot:
    """The snapshot of ``devices`` from their newest ``observations`` (overrides read from ``session``)."""
    overrides = list_overrides(session) if session is not None else []
    matching = match(devices, observations, overrides)
    names = {d.name for d in devices}
    collections = tuple(
        CollectionState(
            device=o.device,
            transport=o.transport,
            collected_at=o.collected_at,
            ok=o.ok,
            records=len(o.records),
            error=o.error,
        )
        for name, o in sorted(observations.items())
        if name in names
    )
    return Snapshot(
        discovered_at=discovered_at,
        devices=tuple(devices),
        links=matching.links,
        explanations=matching.explanations,
        collections=collections,
        transport=transport,
        run_id=run_id,
    )


def discover_batch(
    *,
    engine: Engine,
    plugins: WardPlugins,
    settings: Settings,
    device_names: Sequence[str],
    transport: str,
    unknown_devices: UnknownDevices = "raise",
    now: datetime | None = None,
) -> DiscoveryOutcome:
    """Collect the neighbours of ``device_names`` over ``transport`` and store a new snapshot.

    ``settings`` gives ``topology_workers`` (devices at once) and ``topology_timeout_s`` (per
    device). ``unknown_devices`` says what a name missing from the inventory does: ``"raise"``
    (the CLI) raises InventoryError naming them before anything is collected; ``"fail"`` (a worker:
    the device was removed after the batch was queued) records it as a failed device.
    ``now`` stamps the snapshot (tests).

    Raises ConfigError for an unknown transport and StorageError when the database cannot be read
    or written (nothing is committed then, so the call can be retried as is).
    """
    started = time.perf_counter()
    wanted = check_transport(transport)
    names = list(dict.fromkeys(device_names))
    url = display_url(engine.url)
    try:
        with session_scope(engine) as session:
            targets = load_targets(session, names=names)
    except SQLAlchemyError as exc:
        raise StorageError(f"reading the inventory from {url} failed: {exc}") from exc
    order = {name: position for position, name in enumerate(names)}
    targets.sort(key=lambda t: order[t.name])
    unknown = [n for n in names if n not in {t.name for t in targets}]
    if unknown and unknown_devices == "raise":
        raise InventoryError(f"unknown device(s): {', '.join(unknown)}", source="database")

    run_started = utcnow()
    options = CollectOptions(workers=settings.topology_workers, timeout_s=settings.topology_timeout_s)
    observations = collect(plugins, targets, wanted, options)
    missing = [
        Observation(device=n, transport=wanted, collected_at=run_started, ok=False, error=NOT_IN_INVENTORY)
        for n in unknown
    ]
    try:
        with session_scope(engine) as session:
            run_id, snapshot, diff = _store(
                session, observations, missing, wanted, run_started, now or utcnow()
            )
    except SQLAlchemyError as exc:
        raise StorageError(f"writing topology discovery to {url} failed: {exc}") from exc

    event_failures: tuple[str, ...] = ()
    if diff.old_id is not None and (diff.added or diff.removed):
        event_failures = plugins.topology_changed(diff.change(snapshot.discovered_at))
    failures = tuple(
        CollectionFailure(device=o.device, reason=o.error or "failed")
        for o in [*observations, *missing]
        if not o.ok
    )
    plugins.run_finished(
        RunSummary(
            run_id=str(run_id),
            kind=RUN_KIND,
            name=wanted,
            started_at=run_started,
            finished_at=utcnow(),
            devices=len(names),
            failed=len(failures),
        )
    )
    return DiscoveryOutcome(
        transport=wanted,
        run_id=run_id,
        snapshot_id=snapshot.id or 0,
        previous_snapshot_id=diff.old_id,
        devices=len(names),
        collected=sum(1 for o in observations if o.ok),
        records=sum(len(o.records) for o in observations),
        links=len(snapshot.links),
        two_sided=sum(1 for link in snapshot.links if link.kind == "two_sided"),
        one_sided=sum(1 for link in snapshot.links if link.kind == "one_sided"),
        unmatched=len(snapshot.unmatched()),
        failures=failures,
        added=tuple(link_key(link) for link in diff.added),
        removed=tuple(link_key(link) for link in diff.removed),
        event_failures=event_failures,
        duration_s=time.perf_counter() - started,
    )


def _store(
    session: Session,
    observations: Sequence[Observation],
    missing: Sequence[Observation],
    transport: Transport,
    run_started: datetime,
    discovered_at: datetime,
) -> tuple[int, Snapshot, SnapshotDiff]:
    """Everything of one batch in the session's transaction: run, observations, snapshot."""
    every = [*observations, *missing]
    failed = sum(1 for o in every if not o.ok)
    run = Run(
        kind=RUN_KIND,
        name=transport,
        status=(RunStatus.FAILED if failed else RunStatus.SUCCEEDED).value,
        started_at=run_started,
        finished_at=utcnow(),
        params={"transport": transport, "devices": [o.device for o in every]},
        summary={},
    )
    session.add(run)
    session.flush()
    if every:
        session.execute(
            insert(RunResult),
            [
                {
                    "run_id": run.id,
                    "device": o.device,
                    "task": f"topology.{transport}",
                    "status": (ResultStatus.OK if o.ok else ResultStatus.FAILED).value,
                    "changed": False,
                    "result": {"records": len(o.records)} if o.ok else None,
                    "error": o.error,
                    "started_at": o.collected_at,
                    "finished_at": utcnow(),
                }
                for o in every
            ],
        )
    write_observations(session, observations, run.id)

    lock_topology(session)
    devices = [
        DeviceInfo(name=d.name, host=d.host, site=d.site, role=d.role, platform=d.platform)
        for d in load_devices(session)
    ]
    latest = latest_observations(session, [d.name for d in devices])
    previous = load_snapshot(session)
    snapshot = build_snapshot(
        devices, latest, session, discovered_at=discovered_at, transport=transport, run_id=run.id
    )
    snapshot_id = save_snapshot(session, snapshot)
    stored = Snapshot(
        id=snapshot_id,
        run_id=run.id,
        transport=transport,
        discovered_at=snapshot.discovered_at,
        devices=snapshot.devices,
        links=snapshot.links,
        explanations=snapshot.explanations,
        collections=snapshot.collections,
    )
    diff = diff_snapshots(previous, stored)
    run.summary = {
        "snapshot_id": snapshot_id,
        "collected": len(observations) - sum(1 for o in observations if not o.ok),
        "failed": failed,
        "links": len(stored.links),
        "added": len(diff.added) if previous else 0,
        "removed": len(diff.removed),
    }
    return run.id, stored, diff
