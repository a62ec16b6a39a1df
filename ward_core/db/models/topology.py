"""Topology tables: every collection kept raw, every discovery kept whole, and the overrides.

- ``topology_observations``: one row per device per collection: when, over which transport,
  whether it worked (the error when not), and the neighbour records exactly as the plugin
  returned them (JSON). The newest row per device is what the next discovery builds from.
- ``topology_snapshots``: one row per discovery: the devices, links and one explanation per record
  (JSON), so that any two discoveries can be compared and any old verdict explained again.
- ``topology_overrides``: links declared or ignored by a person, and names that stand for devices.

Device names are kept as text (like ``run_results.device``) so history survives a device being
renamed or removed from the inventory.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ward_core.db.base import Base
from ward_core.db.models.inventory import NAME_LENGTH
from ward_core.db.types import JSONType, UTCDateTime, utcnow

OVERRIDE_KINDS = ("link", "ignore", "alias")


class TopologyObservation(Base):
    """What collecting one device's neighbours gave, once."""

    __tablename__ = "topology_observations"
    __table_args__ = (Index("ix_topology_observations_device_collected_at", "device", "collected_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), index=True)
    device: Mapped[str] = mapped_column(String(NAME_LENGTH))
    transport: Mapped[str] = mapped_column(String(16))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    duration_s: Mapped[float] = mapped_column(Double, default=0.0)
    records: Mapped[list[Any]] = mapped_column(JSONType, default=list)


class TopologySnapshot(Base):
    """One discovery's graph: devices, links, explanations and how each device was read (JSON).

    ``links``, ``one_sided`` and ``unmatched`` repeat the counts so that history lists need not
    read the JSON.
    """

    __tablename__ = "topology_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), index=True)
    transport: Mapped[str | None] = mapped_column(String(16))
    discovered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    devices: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    links: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    explanations: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    collections: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    link_count: Mapped[int] = mapped_column(Integer, default=0)
    one_sided: Mapped[int] = mapped_column(Integer, default=0)
    unmatched: Mapped[int] = mapped_column(Integer, default=0)


class TopologyOverride(Base):
    """A link declared (``link``) or ignored (``ignore``), or a name standing for a device (``alias``)."""

    __tablename__ = "topology_overrides"
    __table_args__ = (CheckConstraint(f"kind IN {OVERRIDE_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    a_device: Mapped[str] = mapped_column(String(NAME_LENGTH))
    a_interface: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    b_device: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    b_interface: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    alias: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
