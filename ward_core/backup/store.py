"""Writing backups: blobs, versions, freshness and expected changes, inside the caller's transaction.

Two runs backing up the same device at once must not both add "the" new version: the service
first locks the devices' ``backup_status`` rows (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
serialises writers anyway), in name order so two runs never deadlock, and only then reads each
device's latest version.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ward_core.db.models import BackupStatus, ConfigBlob, ConfigVersion, ExpectedChange
from ward_core.errors import StorageError


def _insert_ignoring(session: Session, table: Table, rows: Sequence[dict[str, Any]], key: str) -> None:
    """Insert ``rows``, skipping those whose ``key`` already exists."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(
            postgresql.insert(table).values(list(rows)).on_conflict_do_nothing(index_elements=[key])
        )
    elif dialect == "sqlite":
        session.execute(sqlite.insert(table).values(list(rows)).on_conflict_do_nothing(index_elements=[key]))
    else:
        raise StorageError(f"unsupported database {dialect!r}: ward stores backups in PostgreSQL or SQLite")


def lock_devices(session: Session, devices: Collection[str]) -> dict[str, BackupStatus]:
    """The ``backup_status`` rows of ``devices`` (created when missing), locked for this transaction."""
    names = sorted(set(devices))
    table = BackupStatus.__table__
    assert isinstance(table, Table)
    _insert_ignoring(session, table, [{"device": n, "consecutive_failures": 0} for n in names], "device")
    rows = session.scalars(
        select(BackupStatus)
        .where(BackupStatus.device.in_(names))
        .order_by(BackupStatus.device)
        .with_for_update()
    ).all()
    return {row.device: row for row in rows}


def latest_versions(session: Session, devices: Collection[str]) -> dict[str, ConfigVersion]:
    """Each device's newest version (the highest id: versions are only ever appended)."""
    newest = (
        select(func.max(ConfigVersion.id))
        .where(ConfigVersion.device.in_(list(devices)))
        .group_by(ConfigVersion.device)
        .scalar_subquery()
    )
    rows = session.scalars(select(ConfigVersion).where(ConfigVersion.id.in_(newest))).all()
    return {row.device: row for row in rows}


def blob_texts(session: Session, digests: Collection[str]) -> dict[str, str]:
    """The stored texts of ``digests``."""
    if not digests:
        return {}
    rows = session.execute(
        select(ConfigBlob.digest, ConfigBlob.text).where(ConfigBlob.digest.in_(list(digests)))
    )
    return {digest: text for digest, text in rows}


def store_blobs(session: Session, texts: dict[str, str], now: datetime) -> None:
    """Store every ``digest: text`` not stored yet."""
    table = ConfigBlob.__table__
    assert isinstance(table, Table)
    rows = [
        {"digest": d, "text": t, "size": len(t.encode("utf-8")), "created_at": now}
        for d, t in sorted(texts.items())
    ]
    for start in range(0, len(rows), 500):
        _insert_ignoring(session, table, rows[start : start + 500], "digest")


def claim_expected(session: Session, device: str, at: datetime) -> ExpectedChange | None:
    """The oldest open expected change of ``device`` whose window holds ``at``, or None."""
    return session.scalars(
        select(ExpectedChange)
        .where(
            ExpectedChange.device == device,
            ExpectedChange.consumed_by_version_id.is_(None),
            ExpectedChange.created_at <= at,
            ExpectedChange.expires_at >= at,
        )
        .order_by(ExpectedChange.created_at, ExpectedChange.id)
        .limit(1)
        .with_for_update()
    ).first()


def consume_expected(session: Session, expected: ExpectedChange, version_id: int) -> None:
    """Mark ``expected`` as explained by version ``version_id``."""
    session.execute(
        update(ExpectedChange)
        .where(ExpectedChange.id == expected.id)
        .values(consumed_by_version_id=version_id)
    )
