"""The models behave the same on PostgreSQL and SQLite: JSON, aware timestamps, constraints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, StatementError

from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import Device, Group, ResultStatus, Run, RunResult, RunStatus, Site


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = get_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_run_and_results_round_trip(engine: Engine) -> None:
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(engine) as session:
        run = Run(
            kind="probe", name="icmp sweep", requested_by="ops", started_at=started, params={"count": 3}
        )
        run.results = [
            RunResult(device="r1", task="icmp", status=ResultStatus.OK, result={"rtt_ms": [1.5, 2.0]}),
            RunResult(device="r2", task="icmp", status=ResultStatus.FAILED, error="timeout", result=None),
        ]
        session.add(run)
        session.flush()
        run_id = run.id
    with session_scope(engine) as session:
        stored = session.get_one(Run, run_id)
        assert stored.status == RunStatus.PENDING
        assert stored.started_at == started
        assert stored.started_at.tzinfo is not None
        assert stored.started_at.utcoffset() == timedelta(0)
        assert stored.params == {"count": 3}
        assert stored.summary == {}
        by_device = {r.device: r for r in stored.results}
        assert by_device["r1"].result == {"rtt_ms": [1.5, 2.0]}
        assert by_device["r1"].changed is False
        assert by_device["r2"].error == "timeout"
        assert by_device["r1"].started_at.tzinfo == UTC


def test_deleting_a_run_deletes_its_results(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Run(kind="backup", results=[RunResult(device="r1", task="collect", status="ok")]))
    with session_scope(engine) as session:
        session.delete(session.scalars(select(Run)).one())
    with session_scope(engine) as session:
        assert session.scalars(select(RunResult)).all() == []


def test_result_status_is_constrained(engine: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Run(kind="probe", results=[RunResult(device="r1", task="x", status="exploded")]))


def test_group_kind_and_filter_must_agree(engine: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Group(name="g", kind="dynamic", filter=None))
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Group(name="g", kind="static", filter='role == "x"'))


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    """SQLite enforces foreign keys only when asked; ward asks on every connection."""
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Device(name="r1", host="10.0.0.1", platform="cisco_ios", site_id=999, content_hash="x"))


def test_device_names_are_unique(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Site(name="s1"))
        session.add(Device(name="r1", host="10.0.0.1", platform="cisco_ios", content_hash="x"))
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Device(name="r1", host="10.0.0.2", platform="cisco_ios", content_hash="y"))


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), session_scope(engine) as session:
        session.add(Run(kind="probe", started_at=datetime(2026, 1, 1)))
        session.flush()
