"""Inventory tables: regions, sites, devices, groups and credential references.

Credential references carry a name and a description only. The secrets they stand for are resolved
at run time (:mod:`ward_core.inventory.credentials`) and never reach the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ward_core.db.base import Base
from ward_core.db.types import JSONType, UTCDateTime, utcnow

NAME_LENGTH = 255


class Region(Base):
    """A region groups sites (``west``, ``emea``...)."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    description: Mapped[str | None] = mapped_column(Text)

    sites: Mapped[list[Site]] = relationship(back_populates="region")


class Site(Base):
    """A place devices live in; ``vars`` are custom values shared by its devices."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    vars: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    region: Mapped[Region | None] = relationship(back_populates="sites")
    devices: Mapped[list[Device]] = relationship(back_populates="site")


class CredentialRef(Base):
    """The name of a set of credentials. Never a secret value: those are resolved at run time."""

    __tablename__ = "credential_refs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    description: Mapped[str | None] = mapped_column(Text)


class Device(Base):
    """A managed device.

    ``platform`` is a netmiko ``device_type``. ``snmp`` holds the SNMP settings (version, port, v3
    user and protocols, and the *name* of the credential holding community or keys).
    ``content_hash`` fingerprints everything an inventory file sets, so that re-importing an
    unchanged file writes nothing.
    """

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    host: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    port: Mapped[int] = mapped_column(Integer, default=22)
    platform: Mapped[str] = mapped_column(String(64), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str | None] = mapped_column(String(NAME_LENGTH), index=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    vars: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    snmp: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    credential_ref_id: Mapped[int | None] = mapped_column(
        ForeignKey("credential_refs.id", ondelete="RESTRICT"), index=True
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    site: Mapped[Site | None] = relationship(back_populates="devices")
    credential_ref: Mapped[CredentialRef | None] = relationship()


class Group(Base):
    """A named set of devices: ``static`` (listed members) or ``dynamic`` (a filter expression)."""

    __tablename__ = "groups"
    __table_args__ = (
        CheckConstraint("kind IN ('static', 'dynamic')", name="kind"),
        CheckConstraint(
            "(kind = 'static' AND filter IS NULL) OR (kind = 'dynamic' AND filter IS NOT NULL)",
            name="filter_matches_kind",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    filter: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class GroupMember(Base):
    """Membership of a device in a static group."""

    __tablename__ = "group_members"
    __table_args__ = (Index("ix_group_members_device_id", "device_id"),)

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
