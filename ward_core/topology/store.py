"""Reading and writing topology rows; every function works inside the caller's transaction.

Concurrent discoveries (several worker batches at once) each write their observations, then build
a snapshot from the newest observation of every device. :func:`lock_topology` serialises that
second step on PostgreSQL (a transaction-level advisory lock), so that two batches never build
snapshots from views that miss each other's observations; SQLite serialises writers anyway.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from ward_core.db.models.topology import TopologyObservation, TopologyOverride, TopologySnapshot
from ward_core.topology.model import CollectionState, DeviceInfo, Explanation, LinkInfo, Snapshot
from ward_core.topology.overrides import Override
from ward_core.topology.records import Observation
from ward_core.types import Transport

ADVISORY_LOCK_KEY = 0x77A2D_7090
"""The PostgreSQL advisory lock key of snapshot building ("ward topo")."""


def lock_topology(session: Session) -> None:
    """Hold the topology lock until the transaction ends (PostgreSQL; a no-op elsewhere)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


def write_observations(session: Session, observations: Sequence[Observation], run_id: int | None) -> None:
    """Store ``observations``, records and all."""
    session.add_all(
        TopologyObservation(
            run_id=run_id,
            device=o.device,
            transport=o.transport,
            collected_at=o.collected_at,
            ok=o.ok,
            error=o.error,
            duration_s=o.duration_s,
            records=o.records_json(),
        )
        for o in observations
    )
    session.flush()


def _observation(row: TopologyObservation) -> Observation:
    transport: Transport = "ssh" if row.transport == "ssh" else "snmp"
    return Observation(
        device=row.device,
        transport=transport,
        collected_at=row.collected_at,
        ok=row.ok,
        error=row.error,
        duration_s=row.duration_s,
        records=Observation.records_from_json(row.records),
    )


def latest_observations(session: Session, devices: Collection[str] | None = None) -> dict[str, Observation]:
    """The newest observation of each device (of ``devices`` only, when given), by device."""
    newest = select(func.max(TopologyObservation.id)).group_by(TopologyObservation.device)
    if devices is not None:
        newest = newest.where(TopologyObservation.device.in_(list(devices)))
    rows = session.scalars(select(TopologyObservation).where(TopologyObservation.id.in_(newest))).all()
    return {row.device: _observation(row) for row in rows}


def save_snapshot(session: Session, snapshot: Snapshot) -> int:
    """Store ``snapshot``; its new id."""
    row = TopologySnapshot(
        run_id=snapshot.run_id,
        transport=snapshot.transport,
        discovered_at=snapshot.discovered_at,
        devices=[d.to_dict() for d in snapshot.devices],
        links=[link.to_dict() for link in snapshot.links],
        explanations=[e.to_dict() for e in snapshot.explanations],
        collections=[c.to_dict() for c in snapshot.collections],
        link_count=len(snapshot.links),
        one_sided=sum(1 for link in snapshot.links if link.kind == "one_sided"),
        unmatched=len(snapshot.unmatched()),
    )
    session.add(row)
    session.flush()
    return row.id


def _snapshot(row: TopologySnapshot) -> Snapshot:
    return Snapshot(
        id=row.id,
        run_id=row.run_id,
        transport=row.transport,
        discovered_at=row.discovered_at,
        devices=tuple(DeviceInfo.from_dict(d) for d in row.devices),
        links=tuple(LinkInfo.from_dict(link) for link in row.links),
        explanations=tuple(Explanation.from_dict(e) for e in row.explanations),
        collections=tuple(CollectionState.from_dict(c) for c in row.collections),
    )


def load_snapshot(session: Session, snapshot_id: int | None = None) -> Snapshot | None:
    """Snapshot ``snapshot_id``, or the newest one when None; None when there is no such snapshot."""
    if snapshot_id is not None:
        row = session.get(TopologySnapshot, snapshot_id)
    else:
        row = session.scalars(select(TopologySnapshot).order_by(TopologySnapshot.id.desc()).limit(1)).first()
    return _snapshot(row) if row is not None else None


def previous_snapshot_id(session: Session, snapshot_id: int) -> int | None:
    """The id of the snapshot taken just before ``snapshot_id``."""
    return session.scalar(select(func.max(TopologySnapshot.id)).where(TopologySnapshot.id < snapshot_id))


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One discovery in ``ward topology history``."""

    id: int
    discovered_at: datetime
    transport: str | None
    run_id: int | None
    links: int
    one_sided: int
    unmatched: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "id": self.id,
            "discovered_at": self.discovered_at.isoformat(),
            "transport": self.transport,
            "run_id": self.run_id,
            "links": self.links,
            "one_sided": self.one_sided,
            "unmatched": self.unmatched,
        }


def history(session: Session, limit: int = 20) -> list[HistoryEntry]:
    """The newest ``limit`` discoveries, newest first."""
    rows = session.execute(
        select(
            TopologySnapshot.id,
            TopologySnapshot.discovered_at,
            TopologySnapshot.transport,
            TopologySnapshot.run_id,
            TopologySnapshot.link_count,
            TopologySnapshot.one_sided,
            TopologySnapshot.unmatched,
        )
        .order_by(TopologySnapshot.id.desc())
        .limit(limit)
    ).all()
    return [HistoryEntry(*row) for row in rows]


def add_override(session: Session, override: Override) -> int:
    """Store ``override`` (already checked); its new id."""
    row = TopologyOverride(
        kind=override.kind,
        a_device=override.a_device,
        a_interface=override.a_interface,
        b_device=override.b_device,
        b_interface=override.b_interface,
        alias=override.alias,
        reason=override.reason,
    )
    session.add(row)
    session.flush()
    return row.id


def list_overrides(session: Session) -> list[Override]:
    """Every override, oldest first."""
    rows = session.scalars(select(TopologyOverride).order_by(TopologyOverride.id)).all()
    return [
        Override(
            id=row.id,
            kind="link" if row.kind == "link" else "ignore" if row.kind == "ignore" else "alias",
            a_device=row.a_device,
            a_interface=row.a_interface,
            b_device=row.b_device,
            b_interface=row.b_interface,
            alias=row.alias,
            reason=row.reason,
        )
        for row in rows
    ]


def delete_override(session: Session, override_id: int) -> bool:
    """Delete override ``override_id``; False when there is none."""
    result = session.execute(delete(TopologyOverride).where(TopologyOverride.id == override_id))
    return bool(getattr(result, "rowcount", 0))
