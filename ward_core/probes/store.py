"""Writing samples in bulk, on PostgreSQL and SQLite through one code path.

- :func:`write_samples` appends to ``samples``: PostgreSQL ``COPY ... FROM STDIN`` through the
  session's own psycopg connection (so it is part of the session's transaction), SQLite
  ``executemany``. ``method="executemany"`` forces the portable path (the benchmark compares both).
- :func:`upsert_latest` writes ``latest_samples`` with ``INSERT ... ON CONFLICT DO UPDATE``: on
  PostgreSQL from a COPY-filled temporary table (one statement per batch), on SQLite executemany.
  A row never replaces a newer one, so a late batch cannot move "latest" back in time.
- :func:`previous_readings` reads, in one query, the stored readings a batch derives rates from.

Rows carry integer device ids; the caller resolves names once per batch with :func:`device_ids`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

import psycopg
from psycopg import sql
from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ward_core.db.base import Base
from ward_core.db.models import Device, LatestSample, MetricSample, ProbeBatch
from ward_core.errors import StorageError
from ward_core.probes.rates import Reading

WriteMethod = Literal["auto", "copy", "executemany"]
"""``auto``: COPY on PostgreSQL, executemany elsewhere."""

SAMPLES: Table = Base.metadata.tables[MetricSample.__tablename__]
LATEST: Table = Base.metadata.tables[LatestSample.__tablename__]
SAMPLE_COLUMNS = ("time", "device_id", "metric", "labels_key", "labels", "value")


class SampleRow(NamedTuple):
    """One value to store. ``labels_key`` must be :func:`~ward_core.probes.labels.labels_key` of
    ``labels``; ``time`` must be timezone-aware. (Rows are named tuples: cheap to build by the
    hundred thousand.)"""

    device_id: int
    metric: str
    labels_key: str
    labels: Mapping[str, str]
    time: datetime
    value: float


class LatestRow(NamedTuple):
    """The newest value of a series; ``prev_*`` is the counter reading it replaces (None for gauges)."""

    device_id: int
    metric: str
    labels_key: str
    labels: Mapping[str, str]
    time: datetime
    value: float
    prev_time: datetime | None = None
    prev_value: float | None = None


def dialect_of(session: Session) -> str:
    """``postgresql`` or ``sqlite``: the backend the session writes to."""
    return session.get_bind().dialect.name


def device_ids(session: Session, names: Collection[str]) -> dict[str, int]:
    """Device ids by name, for the names that exist."""
    if not names:
        return {}
    rows = session.execute(select(Device.name, Device.id).where(Device.name.in_(list(names))))
    return {name: device_id for name, device_id in rows}


def _utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value.isoformat()} given; samples need aware datetimes")
    return value.astimezone(UTC)


def _psycopg_connection(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under the session's transaction."""
    raw = session.connection().connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise StorageError(f"COPY needs a psycopg 3 connection, the session uses {type(raw).__name__}")
    return raw


class _LabelsJson:
    """JSON text of each label set, built once per batch: an interface poll repeats each set on
    every metric of the interface, and serialising is the costliest part of a COPY row."""

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def __call__(self, key: str, labels: Mapping[str, str]) -> str:
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = json.dumps(dict(labels), separators=(",", ":"), sort_keys=True)
        return text


def _identifier(table: Table) -> sql.Identifier:
    return sql.Identifier(*(p for p in (table.schema, table.name) if p))


def _columns(names: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(c) for c in names)


def _copy_samples(session: Session, rows: Iterable[SampleRow]) -> int:
    statement = sql.SQL("COPY {table} ({columns}) FROM STDIN").format(
        table=_identifier(SAMPLES), columns=_columns(SAMPLE_COLUMNS)
    )
    labels_json = _LabelsJson()
    written = 0
    with _psycopg_connection(session).cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                (
                    _utc(row.time),
                    row.device_id,
                    row.metric,
                    row.labels_key,
                    labels_json(row.labels_key, row.labels),
                    row.value,
                )
            )
            written += 1
    return written


def _sample_params(row: SampleRow) -> dict[str, Any]:
    return {
        "time": row.time,
        "device_id": row.device_id,
        "metric": row.metric,
        "labels_key": row.labels_key,
        "labels": dict(row.labels),
        "value": row.value,
    }


def write_samples(session: Session, rows: Sequence[SampleRow], *, method: WriteMethod = "auto") -> int:
    """Append ``rows`` to ``samples`` inside the session's transaction; returns how many were written."""
    if not rows:
        return 0
    dialect = dialect_of(session)
    use_copy = method == "copy" or (method == "auto" and dialect == "postgresql")
    if use_copy:
        if dialect != "postgresql":
            raise StorageError(f"COPY is a PostgreSQL command; this database is {dialect}")
        return _copy_samples(session, rows)
    session.execute(SAMPLES.insert(), [_sample_params(r) for r in rows])
    return len(rows)


LATEST_KEY = ("device_id", "metric", "labels_key")
LATEST_UPDATED = ("labels", "time", "value", "prev_time", "prev_value")
LATEST_STAGING = "ward_latest_incoming"


def _copy_latest(session: Session, rows: Sequence[LatestRow]) -> int:
    """COPY into a transaction-scoped temporary table, then one INSERT ... SELECT ... ON CONFLICT."""
    columns = (*LATEST_KEY, *LATEST_UPDATED)
    staging = sql.Identifier(LATEST_STAGING)
    target = _identifier(LATEST)
    labels_json = _LabelsJson()
    upsert = sql.SQL(
        "INSERT INTO {target} ({columns}) SELECT {columns} FROM {staging} "
        "ON CONFLICT ({key}) DO UPDATE SET {updates} WHERE {target}.{time} <= EXCLUDED.{time}"
    ).format(
        target=target,
        columns=_columns(columns),
        staging=staging,
        key=_columns(LATEST_KEY),
        updates=sql.SQL(", ").join(
            sql.SQL("{name} = EXCLUDED.{name}").format(name=sql.Identifier(c)) for c in LATEST_UPDATED
        ),
        time=sql.Identifier("time"),
    )
    with _psycopg_connection(session).cursor() as cursor:
        cursor.execute(
            sql.SQL("CREATE TEMPORARY TABLE {staging} (LIKE {target}) ON COMMIT DROP").format(
                staging=staging, target=target
            )
        )
        copy_in = sql.SQL("COPY {staging} ({columns}) FROM STDIN").format(
            staging=staging, columns=_columns(columns)
        )
        with cursor.copy(copy_in) as copy:
            for r in rows:
                copy.write_row(
                    (
                        r.device_id,
                        r.metric,
                        r.labels_key,
                        labels_json(r.labels_key, r.labels),
                        _utc(r.time),
                        r.value,
                        _utc(r.prev_time) if r.prev_time else None,
                        r.prev_value,
                    )
                )
        cursor.execute(upsert)
        cursor.execute(sql.SQL("DROP TABLE {staging}").format(staging=staging))
    return len(rows)


def upsert_latest(session: Session, rows: Sequence[LatestRow], *, method: WriteMethod = "auto") -> int:
    """Insert or update ``latest_samples``; a series (device, metric, labels key) may appear only
    once in ``rows``. A row older than the stored one leaves it alone.

    PostgreSQL (``auto``/``copy``): COPY into a temporary table and one ``INSERT ... SELECT ... ON
    CONFLICT DO UPDATE``; otherwise ``INSERT ... ON CONFLICT DO UPDATE`` executemany.
    """
    if not rows:
        return 0
    dialect = dialect_of(session)
    if dialect not in ("postgresql", "sqlite"):
        raise StorageError(f"unsupported database {dialect!r}: ward stores samples in PostgreSQL or SQLite")
    if method == "copy" or (method == "auto" and dialect == "postgresql"):
        if dialect != "postgresql":
            raise StorageError(f"COPY is a PostgreSQL command; this database is {dialect}")
        return _copy_latest(session, rows)
    table = LATEST
    stmt = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[name] for name in LATEST_KEY],
        set_={name: stmt.excluded[name] for name in LATEST_UPDATED},
        where=table.c.time <= stmt.excluded.time,
    )
    params = [
        {
            "device_id": r.device_id,
            "metric": r.metric,
            "labels_key": r.labels_key,
            "labels": dict(r.labels),
            "time": r.time,
            "value": r.value,
            "prev_time": r.prev_time,
            "prev_value": r.prev_value,
        }
        for r in rows
    ]
    session.execute(stmt, params)
    return len(rows)


def previous_readings(
    session: Session, device_ids: Collection[int], metrics: Collection[str]
) -> dict[tuple[int, str, str], Reading]:
    """The stored newest reading of every series of ``metrics`` on ``device_ids``, by
    (device id, metric, labels key)."""
    if not device_ids or not metrics:
        return {}
    rows = session.execute(
        select(
            LatestSample.device_id,
            LatestSample.metric,
            LatestSample.labels_key,
            LatestSample.time,
            LatestSample.value,
        ).where(LatestSample.device_id.in_(list(device_ids)), LatestSample.metric.in_(list(metrics)))
    )
    return {(device_id, metric, key): Reading(time, value) for device_id, metric, key, time, value in rows}


def claim_batch(session: Session, batch_id: str, *, devices: int) -> bool:
    """Record ``batch_id`` as committed with this transaction; False when it already was.

    A concurrent transaction claiming the same id waits for this one (PostgreSQL: on the primary
    key; SQLite: on the write lock) and then finds it taken, so of two workers handed the same
    message exactly one writes.
    """
    table = Base.metadata.tables[ProbeBatch.__tablename__]
    dialect = dialect_of(session)
    stmt = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    claimed = session.execute(
        stmt.values(batch_id=batch_id, run_id=None, devices=devices, committed_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=[table.c.batch_id])
        .returning(table.c.batch_id)
    ).first()
    return claimed is not None


def link_batch_run(session: Session, batch_id: str, run_id: int) -> None:
    """Point a claimed batch at the run record it wrote."""
    session.execute(update(ProbeBatch).where(ProbeBatch.batch_id == batch_id).values(run_id=run_id))


def batch_committed(session: Session, batch_id: str) -> bool:
    """True when ``batch_id`` was committed before."""
    found = session.scalar(select(ProbeBatch.batch_id).where(ProbeBatch.batch_id == batch_id))
    return found is not None
