"""Remediation tables: requests and their plans, approval decisions, executions, and the audit log.

- ``remediation_requests``: one proposed action on one device: who asked and why, the evidence,
  the plan shown to approvers and its SHA-256 (``plan_hash``), the policy that applies, the state.
- ``remediation_decisions``: one approval or rejection by one person of one plan hash; a person
  decides a given plan once (unique ``request_id, decided_by, plan_hash``).
- ``remediation_executions``: at most one per request (unique ``request_id``): the database refuses
  a second execution whatever the queue delivers.
- ``audit_log``: append-only, hash-chained records (``seq`` 1, 2, ...; each ``prev_hash`` is the
  previous record's ``hash``). On PostgreSQL and SQLite a trigger refuses UPDATE and DELETE.

Device names are kept as text so history survives a device being renamed or removed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ward_core.db.base import Base
from ward_core.db.models.inventory import NAME_LENGTH
from ward_core.db.types import JSONType, UTCDateTime, utcnow

HASH_LENGTH = 64
"""Hex SHA-256."""

REQUEST_STATES = ("pending", "approved", "rejected", "expired", "running", "succeeded", "failed")
"""``remediation_requests.state`` (see :mod:`ward_core.remediation.states`)."""

DECISIONS = ("approve", "reject")
EXECUTION_STATES = ("running", "succeeded", "failed")


class RemediationRequest(Base):
    """One proposed action on one device, its plan and where it stands."""

    __tablename__ = "remediation_requests"
    __table_args__ = (
        CheckConstraint(f"state IN {REQUEST_STATES!r}", name="state"),
        Index("ix_remediation_requests_site_state", "site", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(NAME_LENGTH))
    device: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    site: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType)
    reason: Mapped[str] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(NAME_LENGTH))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    destructive: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16), index=True)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    plan: Mapped[dict[str, Any]] = mapped_column(JSONType)
    plan_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    plan_revision: Mapped[int] = mapped_column(Integer, default=1)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONType)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RemediationDecision(Base):
    """One person's approval or rejection of one plan (by hash) of one request."""

    __tablename__ = "remediation_decisions"
    __table_args__ = (
        CheckConstraint(f"decision IN {DECISIONS!r}", name="decision"),
        UniqueConstraint("request_id", "decided_by", "plan_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("remediation_requests.id", ondelete="RESTRICT"), index=True
    )
    decided_by: Mapped[str] = mapped_column(String(NAME_LENGTH))
    decision: Mapped[str] = mapped_column(String(8))
    roles: Mapped[list[str]] = mapped_column(JSONType)
    plan_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RemediationExecution(Base):
    """The one execution of a request: which plan ran, where, and what came of it."""

    __tablename__ = "remediation_executions"
    __table_args__ = (CheckConstraint(f"status IN {EXECUTION_STATES!r}", name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("remediation_requests.id", ondelete="RESTRICT"), unique=True
    )
    plan_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    worker: Mapped[str] = mapped_column(String(NAME_LENGTH))
    message_id: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    output: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class AuditRecord(Base):
    """One audit record. ``hash`` = SHA-256 over the record's fields and ``prev_hash`` (see
    :mod:`ward_core.audit.chain`); ``payload`` is the exact canonical JSON text that was hashed."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(NAME_LENGTH))
    kind: Mapped[str] = mapped_column(String(64), index=True)
    request_id: Mapped[int | None] = mapped_column(Integer, index=True)
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
