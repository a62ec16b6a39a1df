"""Samples per second written to PostgreSQL: COPY (what ward uses) against executemany, same run.

    .venv/bin/python bench/sample_write.py [--samples 100000] [--batch 20000] [--rounds 3]

Creates a throw-away database on the server named by ``WARD_BENCH_PG_ADMIN_URL`` (default: the
local test server), migrates it, stores 200 devices, then writes ``--samples`` interface rates in
transactions of ``--batch`` rows (one probe batch of 200 devices x 25 interfaces x 4 rates is
20,000) with each method, alternating methods over ``--rounds`` rounds and keeping each method's
best round; then the same for the ``latest_samples`` upsert of one batch (COPY into a temporary
table + one INSERT ... SELECT ... ON CONFLICT, against executemany of INSERT ... ON CONFLICT).
Prints rows/s and the ratios.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, create_engine, func, make_url, select, text

from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import Device, MetricSample
from ward_core.probes.labels import labels_key
from ward_core.probes.store import LatestRow, SampleRow, WriteMethod, upsert_latest, write_samples

ADMIN_URL = os.environ.get("WARD_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
METRICS = ("if.in_bps", "if.out_bps", "if.in_errors_ps", "if.out_errors_ps")


@contextmanager
def scratch_database() -> Iterator[Engine]:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"ward_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = get_engine(make_url(ADMIN_URL).set(database=name))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def add_devices(engine: Engine, count: int) -> list[int]:
    with session_scope(engine) as session:
        devices = [
            Device(
                name=f"r{n:04d}",
                host="127.0.0.1",
                port=22,
                platform="cisco_ios",
                tags=[],
                vars={},
                content_hash="0" * 64,
            )
            for n in range(count)
        ]
        session.add_all(devices)
        session.flush()
        return [d.id for d in devices]


def make_rows(device_ids: Sequence[int], count: int, start: datetime) -> list[SampleRow]:
    """``count`` interface rates: every device, interface and metric, then the next minute."""
    rows: list[SampleRow] = []
    minute = 0
    while len(rows) < count:
        when = start + timedelta(minutes=minute)
        for device_id in device_ids:
            for port in range(25):
                labels = {"ifname": f"Gi0/{port}"}
                key = labels_key(labels)
                for metric in METRICS:
                    value = float(device_id * 1_000_003 + port * 7 + minute)
                    rows.append(
                        SampleRow(
                            device_id=device_id,
                            metric=metric,
                            labels_key=key,
                            labels=labels,
                            time=when,
                            value=value,
                        )
                    )
        minute += 1
    return rows[:count]


def timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def write_all(engine: Engine, rows: Sequence[SampleRow], batch: int, method: WriteMethod) -> None:
    for start in range(0, len(rows), batch):
        with session_scope(engine) as session:
            write_samples(session, rows[start : start + batch], method=method)


def latest_rows(rows: Sequence[SampleRow], shift: int) -> list[LatestRow]:
    """The latest values of ``rows``, ``shift`` minutes later (so every upsert updates)."""
    return [
        LatestRow(
            device_id=r.device_id,
            metric=r.metric,
            labels_key=r.labels_key,
            labels=r.labels,
            time=r.time + timedelta(minutes=shift + 1),
            value=r.value,
            prev_time=r.time,
            prev_value=r.value,
        )
        for r in rows
    ]


def upsert(engine: Engine, rows: Sequence[LatestRow], method: WriteMethod) -> None:
    with session_scope(engine) as session:
        upsert_latest(session, rows, method=method)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with scratch_database() as engine:
        device_ids = add_devices(engine, 200)
        rows = make_rows(device_ids, args.samples, datetime(2026, 1, 1, tzinfo=UTC))
        best: dict[str, float] = {}
        for _ in range(args.rounds):
            for method in ("copy", "executemany"):
                seconds = timed(lambda m=method: write_all(engine, rows, args.batch, m))  # type: ignore[misc]
                best[method] = min(best.get(method, float("inf")), seconds)
        with session_scope(engine) as session:
            stored = session.scalar(select(func.count()).select_from(MetricSample))
        expected = args.samples * 2 * args.rounds
        if stored != expected:
            raise SystemExit(f"stored {stored} samples, expected {expected}")
        upsert(engine, latest_rows(rows[: args.batch], -1), "executemany")
        latest_best: dict[str, float] = {}
        for shift in range(args.rounds):
            for method in ("copy", "executemany"):
                rows_now = latest_rows(rows[: args.batch], shift)
                seconds = timed(lambda m=method, r=rows_now: upsert(engine, r, m))  # type: ignore[misc]
                latest_best[method] = min(latest_best.get(method, float("inf")), seconds)
    print(f"{args.samples} samples in transactions of {args.batch}, best of {args.rounds} rounds")
    print(f"{'method':<12} {'seconds':>8} {'samples/s':>11}")
    for method, seconds in best.items():
        print(f"{method:<12} {seconds:>8.2f} {args.samples / seconds:>11,.0f}")
    print(f"ratio COPY / executemany: x{best['executemany'] / best['copy']:.1f}")
    print(f"latest_samples upsert of {args.batch} series per transaction (existing rows updated)")
    for method, seconds in latest_best.items():
        print(f"{method:<12} {seconds:>8.2f} {args.batch / seconds:>11,.0f}")
    print(f"ratio COPY+INSERT SELECT / executemany: x{latest_best['executemany'] / latest_best['copy']:.1f}")


if __name__ == "__main__":
    main()
