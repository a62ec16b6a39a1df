"""Retention of topology history: old discoveries and old raw observations are deleted, never
what the current picture or the kept history needs.

Two rules, applied by :func:`prune_topology` in the caller's transaction (``ward topology prune``;
the defaults are ``Settings.topology_snapshot_keep`` and ``topology_observation_retention_days``):

- **snapshots**: the newest ``keep_snapshots`` are kept, the older ones deleted. A snapshot holds
  its devices, links, explanations and collection states whole (JSON), so ``show``, ``path``,
  ``explain`` and ``diff`` between any two kept snapshots read nothing else and keep working;
  ``diff`` without an older id compares with the newest kept snapshot before it. The latest
  snapshot is always kept (``keep_snapshots`` is at least 1).
- **observations** collected before ``observations_before`` are deleted, except those the graph
  rests on: the newest observation of every device (the next discovery builds its snapshot from
  the newest observation of *every* inventory device, so deleting one would make a device that
  was not in the batch look never collected and drop its links) and the observations the latest
  snapshot was built from (its collection states, matched by device and collection time). A
  device's newest observation is kept even after the device left the inventory: it costs one row
  and still says when and what the device last reported.

Runs and run results are not touched: they belong to every kind of job, not to topology alone.

On PostgreSQL the topology lock (:func:`~ward_core.topology.store.lock_topology`) is held, so a
discovery building a snapshot at the same moment sees either everything before the prune or
everything after it. ``dry_run`` counts what would go and deletes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Delete, and_, delete, func, not_, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from ward_core.db.models.topology import TopologyObservation, TopologySnapshot
from ward_core.topology.model import CollectionState
from ward_core.topology.store import lock_topology

CHUNK = 500
"""Most devices per query when looking up the latest snapshot's observations (each query binds
the chunk's names and their collection times)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneReport:
    """What a prune deleted (or, with ``dry_run``, would delete) and what it kept."""

    dry_run: bool
    keep_snapshots: int
    observations_before: datetime
    snapshots_deleted: int
    snapshots_kept: int
    oldest_kept_snapshot: int | None
    observations_deleted: int
    observations_kept: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "dry_run": self.dry_run,
            "keep_snapshots": self.keep_snapshots,
            "observations_before": self.observations_before.isoformat(),
            "snapshots_deleted": self.snapshots_deleted,
            "snapshots_kept": self.snapshots_kept,
            "oldest_kept_snapshot": self.oldest_kept_snapshot,
            "observations_deleted": self.observations_deleted,
            "observations_kept": self.observations_kept,
        }


def oldest_kept_snapshot(session: Session, keep_snapshots: int) -> int | None:
    """The id of the oldest of the newest ``keep_snapshots`` snapshots; None when there is none."""
    found = session.scalar(
        select(TopologySnapshot.id).order_by(TopologySnapshot.id.desc()).offset(keep_snapshots - 1).limit(1)
    )
    if found is not None:
        return found
    return session.scalar(select(func.min(TopologySnapshot.id)))


def resting_observations(session: Session, collections: Sequence[CollectionState]) -> set[int]:
    """Ids of the observations ``collections`` (a snapshot's collection states) were read from."""
    wanted = {(c.device, c.collected_at) for c in collections}
    names = sorted({device for device, _ in wanted})
    found: set[int] = set()
    for start in range(0, len(names), CHUNK):
        chunk = set(names[start : start + CHUNK])
        times = sorted({when for device, when in wanted if device in chunk})
        rows = session.execute(
            select(
                TopologyObservation.id, TopologyObservation.device, TopologyObservation.collected_at
            ).where(
                TopologyObservation.device.in_(sorted(chunk)), TopologyObservation.collected_at.in_(times)
            )
        )
        found.update(row.id for row in rows if (row.device, row.collected_at) in wanted)
    return found


def latest_collections(session: Session) -> list[CollectionState]:
    """The collection states of the latest snapshot (empty when there is none), read alone."""
    stored = session.scalar(
        select(TopologySnapshot.collections).order_by(TopologySnapshot.id.desc()).limit(1)
    )
    return [CollectionState.from_dict(c) for c in stored or ()]


def _prunable_observations(session: Session, before: datetime) -> ColumnElement[bool]:
    newest = select(func.max(TopologyObservation.id)).group_by(TopologyObservation.device)
    resting = resting_observations(session, latest_collections(session))
    condition = and_(TopologyObservation.collected_at < before, not_(TopologyObservation.id.in_(newest)))
    if resting:
        condition = and_(condition, not_(TopologyObservation.id.in_(sorted(resting))))
    return condition


def _count(session: Session, model: type[TopologySnapshot] | type[TopologyObservation], where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(where)) or 0)


def _delete(session: Session, stmt: Delete) -> int:
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return result.rowcount if isinstance(result, CursorResult) else 0


def prune_topology(
    session: Session, *, keep_snapshots: int, observations_before: datetime, dry_run: bool = False
) -> PruneReport:
    """Delete snapshots older than the newest ``keep_snapshots`` and observations collected before
    ``observations_before`` that nothing rests on (see the module docstring).

    Raises ValueError when ``keep_snapshots`` is less than 1: the latest snapshot is never deleted.
    """
    if keep_snapshots < 1:
        raise ValueError(
            f"keep_snapshots must be at least 1 (the latest snapshot is kept), got {keep_snapshots}"
        )
    lock_topology(session)
    cutoff = oldest_kept_snapshot(session, keep_snapshots)
    old_snapshots = TopologySnapshot.id < cutoff if cutoff is not None else TopologySnapshot.id.is_(None)
    old_observations = _prunable_observations(session, observations_before)
    total_snapshots = _count(session, TopologySnapshot, TopologySnapshot.id.is_not(None))
    total_observations = _count(session, TopologyObservation, TopologyObservation.id.is_not(None))
    if dry_run:
        snapshots = _count(session, TopologySnapshot, old_snapshots)
        observations = _count(session, TopologyObservation, old_observations)
    else:
        snapshots = _delete(session, delete(TopologySnapshot).where(old_snapshots))
        observations = _delete(session, delete(TopologyObservation).where(old_observations))
    return PruneReport(
        dry_run=dry_run,
        keep_snapshots=keep_snapshots,
        observations_before=observations_before,
        snapshots_deleted=snapshots,
        snapshots_kept=total_snapshots - snapshots,
        oldest_kept_snapshot=cutoff,
        observations_deleted=observations,
        observations_kept=total_observations - observations,
    )
