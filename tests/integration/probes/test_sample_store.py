"""The sample store on PostgreSQL and SQLite: bulk writes, latest values, series, retention."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from ward_core.db import session_scope
from ward_core.db.models import LatestSample, MetricSample
from ward_core.errors import StorageError
from ward_core.probes.labels import labels_key
from ward_core.probes.queries import latest, prune_samples, series
from ward_core.probes.store import LatestRow, SampleRow, upsert_latest, write_samples

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _sample(device_id: int, metric: str, when: datetime, value: float, **labels: str) -> SampleRow:
    return SampleRow(
        device_id=device_id,
        metric=metric,
        labels_key=labels_key(labels),
        labels=labels,
        time=when,
        value=value,
    )


def _latest(row: SampleRow, prev: tuple[datetime, float] | None = None) -> LatestRow:
    return LatestRow(
        device_id=row.device_id,
        metric=row.metric,
        labels_key=row.labels_key,
        labels=row.labels,
        time=row.time,
        value=row.value,
        prev_time=prev[0] if prev else None,
        prev_value=prev[1] if prev else None,
    )


def _count(engine: Engine, model: Any) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_write_then_read_series_and_latest(
    engine: Engine, add_devices: Callable[..., dict[str, int]]
) -> None:
    ids = add_devices(engine, ["r1", "r2"])
    rows = [
        _sample(ids[device], "if.in_bps", T0 + i * MINUTE, 100.0 * i + n, ifname=ifname)
        for i in range(5)
        for n, (device, ifname) in enumerate([("r1", "Gi0/1"), ("r1", "Gi0/2"), ("r2", "Gi0/1")])
    ] + [_sample(ids["r1"], "ping.loss_pct", T0 + i * MINUTE, 0.0) for i in range(5)]
    with session_scope(engine) as session:
        assert write_samples(session, rows) == len(rows) == 20
        newest = {(r.device_id, r.metric, r.labels_key): r for r in rows}
        assert upsert_latest(session, [_latest(r) for r in newest.values()]) == 4

    with session_scope(engine) as session:
        window = series(session, "r1", "if.in_bps", T0 + MINUTE, T0 + 3 * MINUTE)
        gi1 = series(session, "r1", "if.in_bps", T0, labels={"ifname": "Gi0/1"})
        everything = latest(session)
        r1_loss = latest(session, device="r1", metric="ping.loss_pct")
        nobody = series(session, "nobody", "if.in_bps", T0)
    assert [(p.time, p.labels["ifname"], p.value) for p in window] == [
        (T0 + MINUTE, "Gi0/1", 100.0),
        (T0 + MINUTE, "Gi0/2", 101.0),
        (T0 + 2 * MINUTE, "Gi0/1", 200.0),
        (T0 + 2 * MINUTE, "Gi0/2", 201.0),
    ]
    assert [p.value for p in gi1] == [0.0, 100.0, 200.0, 300.0, 400.0]
    assert all(p.time.tzinfo is not None for p in gi1)
    assert [(v.device, v.metric, dict(v.labels), v.value) for v in everything] == [
        ("r1", "if.in_bps", {"ifname": "Gi0/1"}, 400.0),
        ("r1", "if.in_bps", {"ifname": "Gi0/2"}, 401.0),
        ("r1", "ping.loss_pct", {}, 0.0),
        ("r2", "if.in_bps", {"ifname": "Gi0/1"}, 402.0),
    ]
    assert [(v.time, v.value) for v in r1_loss] == [(T0 + 4 * MINUTE, 0.0)]
    assert nobody == []


def test_latest_keeps_the_previous_counter_reading_and_never_goes_back(
    engine: Engine, add_devices: Callable[..., dict[str, int]]
) -> None:
    ids = add_devices(engine, ["r1"])
    first = _sample(ids["r1"], "if.in_octets", T0, 1_000.0, ifname="Gi0/1", counter_bits="64")
    second = _sample(ids["r1"], "if.in_octets", T0 + MINUTE, 5_000.0, ifname="Gi0/1", counter_bits="64")
    late = _sample(ids["r1"], "if.in_octets", T0 - MINUTE, 1.0, ifname="Gi0/1", counter_bits="64")
    with session_scope(engine) as session:
        upsert_latest(session, [_latest(first)])
    with session_scope(engine) as session:
        upsert_latest(session, [_latest(second, (first.time, first.value))])
    with session_scope(engine) as session:
        upsert_latest(session, [_latest(late)])
    with session_scope(engine) as session:
        [value] = latest(session, device="r1")
    assert (value.time, value.value) == (T0 + MINUTE, 5_000.0)
    assert (value.previous_time, value.previous_value) == (T0, 1_000.0)
    assert _count(engine, LatestSample) == 1


def test_prune_deletes_old_samples_stale_latest_values_and_batch_ids(
    engine: Engine, add_devices: Callable[..., dict[str, int]]
) -> None:
    ids = add_devices(engine, ["r1"])
    old = [_sample(ids["r1"], "ping.loss_pct", T0 - timedelta(days=40) + i * MINUTE, 0.0) for i in range(3)]
    new = [_sample(ids["r1"], "ping.rtt_avg_ms", T0 + i * MINUTE, 1.0) for i in range(4)]
    with session_scope(engine) as session:
        write_samples(session, old + new)
        upsert_latest(session, [_latest(old[-1]), _latest(new[-1])])
    with session_scope(engine) as session:
        report = prune_samples(session, T0 - timedelta(days=30))
    assert (report.samples, report.latest, report.batches) == (3, 1, 0)
    assert _count(engine, MetricSample) == 4
    with session_scope(engine) as session:
        assert [v.metric for v in latest(session)] == ["ping.rtt_avg_ms"]


def test_copy_is_refused_on_sqlite(sqlite_url: str, add_devices: Callable[..., dict[str, int]]) -> None:
    from ward_core.db import get_engine, upgrade

    engine = get_engine(sqlite_url)
    try:
        upgrade(engine)
        ids = add_devices(engine, ["r1"])
        with session_scope(engine) as session, pytest.raises(StorageError, match="COPY is a PostgreSQL"):
            write_samples(session, [_sample(ids["r1"], "m", T0, 1.0)], method="copy")
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_storage_brin_on_time_btree_per_series_and_a_lean_latest_table(pg_engine: Engine) -> None:
    with pg_engine.connect() as conn:
        rows = dict(
            conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes "
                    "WHERE tablename = 'samples' AND schemaname = current_schema()"
                )
            ).all()
        )
        options = conn.execute(
            text(
                "SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relname = 'latest_samples' AND n.nspname = current_schema()"
            )
        ).scalar_one()
        latest_indexes = conn.execute(
            text(
                "SELECT count(*) FROM pg_indexes "
                "WHERE tablename = 'latest_samples' AND schemaname = current_schema()"
            )
        ).scalar_one()
    assert options == ["fillfactor=70"]
    assert latest_indexes == 1  # the primary key only: every poll rewrites every row
    assert "USING brin" in rows["ix_samples_time_brin"]
    assert 'USING btree (device_id, metric, "time")' in rows["ix_samples_device_id_metric_time"]


@pytest.mark.postgres
@pytest.mark.parametrize("method", ["copy", "executemany"])
def test_twenty_thousand_samples_in_one_transaction(
    pg_engine: Engine, add_devices: Callable[..., dict[str, int]], method: str
) -> None:
    """200 devices x 25 interfaces x 4 rates, written by COPY (the default) and by executemany."""
    ids = add_devices(pg_engine, [f"r{n:03d}" for n in range(200)])
    rows = [
        _sample(device_id, metric, T0, float(device_id * 1000 + port), ifname=f"Gi0/{port}")
        for device_id in ids.values()
        for port in range(25)
        for metric in ("if.in_bps", "if.out_bps", "if.in_errors_ps", "if.out_errors_ps")
    ]
    assert len(rows) == 20_000
    with session_scope(pg_engine) as session:
        assert write_samples(session, rows, method=method) == 20_000  # type: ignore[arg-type]
        upsert_latest(session, [_latest(r) for r in rows])
    assert _count(pg_engine, MetricSample) == 20_000
    assert _count(pg_engine, LatestSample) == 20_000
    with session_scope(pg_engine) as session:
        points = series(session, "r007", "if.out_bps", T0, labels={"ifname": "Gi0/24"})
        total = session.scalar(select(func.sum(MetricSample.value)))
    assert [(p.value, dict(p.labels)) for p in points] == [
        (float(ids["r007"] * 1000 + 24), {"ifname": "Gi0/24"})
    ]
    assert total == pytest.approx(sum(r.value for r in rows))


@pytest.mark.postgres
def test_copy_rolls_back_with_the_transaction(
    pg_engine: Engine, add_devices: Callable[..., dict[str, int]]
) -> None:
    ids = add_devices(pg_engine, ["r1"])
    with pytest.raises(RuntimeError), session_scope(pg_engine) as session:
        write_samples(session, [_sample(ids["r1"], "m", T0, 1.0)])
        raise RuntimeError("abort")
    assert _count(pg_engine, MetricSample) == 0
