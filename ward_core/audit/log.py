"""Writing and reading the audit log in the database.

:func:`append` adds one record inside the caller's transaction, so a state change and the record
that describes it commit together or not at all. Writers are serialised: on PostgreSQL by a
transaction-scoped advisory lock, everywhere by the primary key on ``seq`` and the unique
``prev_hash`` (two writers chaining from the same record cannot both commit).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from ward_core.audit.chain import GENESIS, ChainedRecord, ChainVerdict, chain_record, verify_chain
from ward_core.db.models import AuditRecord
from ward_core.db.types import utcnow

LOCK_KEY = 0x77617264_61756474 & 0x7FFFFFFFFFFFFFFF
"""The PostgreSQL advisory lock that serialises audit writers (and remediation state changes)."""

BATCH = 1000


def lock_audit(session: Session) -> None:
    """Take the audit writers' lock for the rest of the transaction (PostgreSQL; a no-op elsewhere).

    Remediation services take it first in every transaction that changes a request, so that state
    changes and their audit records are ordered the same way.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def append(
    session: Session,
    *,
    actor: str,
    kind: str,
    payload: Mapping[str, Any],
    request_id: int | None = None,
    now: datetime | None = None,
) -> AuditRecord:
    """Chain one record after the current head, in the caller's transaction; returns it (flushed)."""
    lock_audit(session)
    head = session.execute(
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (head[0] + 1, head[1]) if head is not None else (1, GENESIS)
    record = chain_record(
        seq=seq,
        recorded_at=now or utcnow(),
        actor=actor,
        kind=kind,
        request_id=request_id,
        payload=payload,
        prev_hash=prev_hash,
    )
    row = AuditRecord(
        seq=record.seq,
        recorded_at=record.recorded_at,
        actor=record.actor,
        kind=record.kind,
        request_id=record.request_id,
        payload=record.payload,
        prev_hash=record.prev_hash,
        hash=record.hash,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One record as ``ward audit list`` shows it."""

    seq: int
    recorded_at: datetime
    actor: str
    kind: str
    request_id: int | None
    payload: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view (the payload as stored text)."""
        return {
            "seq": self.seq,
            "recorded_at": self.recorded_at.isoformat(),
            "actor": self.actor,
            "kind": self.kind,
            "request_id": self.request_id,
            "payload": self.payload,
            "hash": self.hash,
        }


def select_entries(
    *, request_id: int | None = None, kind: str | None = None, limit: int | None = None
) -> Select[AuditRecord]:
    """Records in ``seq`` order, optionally of one request or kind, the last ``limit`` of them."""
    query = select(AuditRecord)
    if request_id is not None:
        query = query.where(AuditRecord.request_id == request_id)
    if kind is not None:
        query = query.where(AuditRecord.kind == kind)
    if limit is not None:
        inner = query.order_by(AuditRecord.seq.desc()).limit(limit).subquery()
        return select(AuditRecord).join(inner, AuditRecord.seq == inner.c.seq).order_by(AuditRecord.seq)
    return query.order_by(AuditRecord.seq)


def entries(
    session: Session, *, request_id: int | None = None, kind: str | None = None, limit: int | None = None
) -> list[AuditEntry]:
    """The records :func:`select_entries` selects."""
    return [
        AuditEntry(
            seq=row.seq,
            recorded_at=row.recorded_at,
            actor=row.actor,
            kind=row.kind,
            request_id=row.request_id,
            payload=row.payload,
            hash=row.hash,
        )
        for row in session.scalars(select_entries(request_id=request_id, kind=kind, limit=limit))
    ]


def _stream(session: Session) -> Iterator[ChainedRecord]:
    columns = (
        AuditRecord.seq,
        AuditRecord.recorded_at,
        AuditRecord.actor,
        AuditRecord.kind,
        AuditRecord.request_id,
        AuditRecord.payload,
        AuditRecord.prev_hash,
        AuditRecord.hash,
    )
    last = 0
    while True:
        rows = session.execute(
            select(*columns).where(AuditRecord.seq > last).order_by(AuditRecord.seq).limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            yield ChainedRecord(
                seq=row.seq,
                recorded_at=row.recorded_at,
                actor=row.actor,
                kind=row.kind,
                request_id=row.request_id,
                payload=row.payload,
                prev_hash=row.prev_hash,
                hash=row.hash,
            )
        last = rows[-1].seq


def verify(session: Session) -> ChainVerdict:
    """Recompute the whole chain from the database (in batches); the verdict names the first bad record."""
    return verify_chain(_stream(session))
