"""The scheduler's decisions on real databases (SQLite and PostgreSQL), with a clock the test moves.

Batches are sent on Dramatiq's StubBroker and run, when the test says so, by the real probe service
with the reference TCP probe against loopback sockets; what is checked is what the scheduler and
``ward status`` make of the records.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import ward_reference.plugin
import yaml
from dramatiq import Message
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine, func, select
from ward_reference.probe import KIND

from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import ProbeBatch, Run
from ward_core.inventory.importer import import_inventory
from ward_core.plugin_manager import WardPlugins
from ward_core.probes.service import run_probe_batch
from ward_core.testing import isolated_plugins
from ward_core.testing.network import TcpListener
from ward_core.worker.abandoned import record_abandoned
from ward_core.worker.actors import WardActors, declare_actors
from ward_core.worker.cycles import CYCLE_KIND, cycle_by_id
from ward_core.worker.lock import locked_session
from ward_core.worker.messages import QUEUE
from ward_core.worker.queues import queue_depth
from ward_core.worker.scheduler import SchedulePlan, Scheduler, TickAction
from ward_core.worker.status import schedule_status

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
PLAN = SchedulePlan(name="probes", interval_s=60, kinds=(KIND,), batch_size=2, timeout_s=300)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> None:
        self.now = T0 + timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = get_engine(f"sqlite:///{tmp_path / 'ward.db'}")
        upgrade(engine)
    else:
        engine = get_engine(str(request.getfixturevalue("pg_url")))
    yield engine
    engine.dispose()


@pytest.fixture
def devices(engine: Engine, tmp_path: Path) -> Iterator[list[str]]:
    """Five devices answering on a loopback listener."""
    with TcpListener() as server:
        names = [f"r{n}" for n in range(1, 6)]
        path = tmp_path / "inventory.yml"
        devices = [
            {"name": n, "host": "127.0.0.1", "port": server.port, "platform": "cisco_ios"} for n in names
        ]
        path.write_text(yaml.safe_dump({"devices": devices}), encoding="utf-8")
        with session_scope(engine) as session:
            import_inventory(path, session)
        yield names


@pytest.fixture
def plugins() -> Iterator[WardPlugins]:
    with isolated_plugins(ward_reference.plugin, name="reference") as loaded:
        yield loaded


@pytest.fixture
def broker() -> Iterator[StubBroker]:
    stub = StubBroker()
    yield stub
    stub.close()


@pytest.fixture
def actors(broker: StubBroker) -> WardActors:
    return declare_actors(broker, None)


def run_queued(
    broker: StubBroker, engine: Engine, plugins: WardPlugins, limit: int | None = None
) -> list[str]:
    """Run up to ``limit`` queued batches through the probe service, as a worker would."""
    done: list[str] = []
    queue = broker.queues[QUEUE]
    while not queue.empty() and (limit is None or len(done) < limit):
        message = Message.decode(queue.get_nowait())
        _cycle, batch_id, kinds, names = message.args
        run_probe_batch(
            engine=engine,
            plugins=plugins,
            kinds=kinds,
            device_names=names,
            batch_id=batch_id,
            unknown_devices="fail",
        )
        done.append(batch_id)
    return done


def cycles(engine: Engine) -> list[Run]:
    with session_scope(engine) as session:
        return list(session.scalars(select(Run).where(Run.kind == CYCLE_KIND).order_by(Run.id)))


def test_one_cycle_per_slot_and_none_while_one_runs(
    engine: Engine, devices: list[str], plugins: WardPlugins, broker: StubBroker, actors: WardActors
) -> None:
    clock = Clock()
    scheduler = Scheduler(engine, actors, PLAN, clock=clock)

    first = scheduler.tick()
    assert (first.action, first.devices, first.batches, first.lag_s) == (TickAction.STARTED, 5, 3, 0.0)
    assert queue_depth(broker).waiting == 3

    clock.at(10)
    waiting = scheduler.tick()
    assert waiting.action is TickAction.WAITING
    assert waiting.next_at == T0 + timedelta(seconds=60)

    run_queued(broker, engine, plugins, limit=2)
    clock.at(61)
    skipped = scheduler.tick()
    assert skipped.action is TickAction.SKIPPED
    assert skipped.cycle_id == first.cycle_id
    assert "1 outstanding batch" in skipped.reason
    clock.at(62)
    assert scheduler.tick().action is TickAction.SKIPPED
    assert queue_depth(broker).waiting == 1, "no batch of a second cycle was sent"
    records = cycles(engine)
    assert [r.status for r in records] == ["running", "cancelled"], "one skip recorded per slot"
    assert records[1].summary["skipped"] is True

    with session_scope(engine) as session:
        status = schedule_status(session, "probes", clock())
    assert status.outstanding == 1
    assert not status.keeping_up
    assert any("skipped" in p for p in status.problems)

    run_queued(broker, engine, plugins)
    clock.at(70)
    second = scheduler.tick()
    assert second.action is TickAction.STARTED
    assert second.lag_s == 10.0, "late by the time since the slot it serves was due"
    first_record = cycles(engine)[0]
    assert first_record.status == "succeeded"
    with session_scope(engine) as session:
        last_commit = session.scalar(
            select(func.max(ProbeBatch.committed_at)).where(
                ProbeBatch.batch_id.in_(first_record.params["batch_ids"])
            )
        )
    assert first_record.finished_at == last_commit
    assert first_record.finished_at is not None
    assert first_record.finished_at <= cycles(engine)[-1].started_at

    run_queued(broker, engine, plugins)
    clock.at(125)
    with session_scope(engine) as session:
        status = schedule_status(session, "probes", clock())
    assert status.current is not None
    assert status.current.status == "succeeded", "shown finished before any scheduler settles it"
    assert (status.current.ok_devices, status.current.failed_devices, status.current.outstanding) == (5, 0, 0)
    assert status.current.batch_duration_max_s is not None
    third = scheduler.tick()
    assert third.action is TickAction.STARTED
    assert third.lag_s == 5.0


def test_a_cycle_past_its_deadline_is_given_up(
    engine: Engine, devices: list[str], plugins: WardPlugins, broker: StubBroker, actors: WardActors
) -> None:
    clock = Clock()
    scheduler = Scheduler(engine, actors, PLAN, clock=clock)
    first = scheduler.tick()
    assert first.cycle_id is not None
    run_queued(broker, engine, plugins, limit=1)
    clock.at(299)
    assert scheduler.tick().action is TickAction.SKIPPED
    clock.at(301)
    after = scheduler.tick()
    assert after.action is TickAction.STARTED
    with session_scope(engine) as session:
        record = cycle_by_id(session, first.cycle_id)
        assert record is not None
        assert record.status == "failed"
        assert record.summary["expired"] is True
        assert record.summary["missing"] == 2
        status = schedule_status(session, "probes", clock())
    assert status.last_finished is not None
    assert status.last_finished.expired
    assert any("deadline" in p for p in status.problems)


def test_an_abandoned_batch_ends_its_cycle_failed_without_waiting(
    engine: Engine, devices: list[str], plugins: WardPlugins, broker: StubBroker, actors: WardActors
) -> None:
    clock = Clock()
    scheduler = Scheduler(engine, actors, PLAN, clock=clock)
    first = scheduler.tick()
    run_queued(broker, engine, plugins, limit=2)
    message = Message.decode(broker.queues[QUEUE].get_nowait())
    cycle_id, batch_id, kinds, names = message.args
    record_abandoned(
        engine, cycle_id=cycle_id, batch_id=batch_id, kinds=kinds, device_names=names, reason="KeyError: 'x'"
    )
    clock.at(61)
    assert scheduler.tick().action is TickAction.STARTED
    with session_scope(engine) as session:
        record = cycle_by_id(session, str(first.cycle_id))
        assert record is not None
        assert record.status == "failed"
        assert record.summary["abandoned"] == 1
        status = schedule_status(session, "probes", clock())
    assert status.last_finished is not None
    assert status.last_finished.failed_devices == len(names)
    assert status.last_finished.errors_by_kind == {KIND: len(names)}


def test_force_starts_now_but_never_over_a_running_cycle(
    engine: Engine, devices: list[str], plugins: WardPlugins, actors: WardActors
) -> None:
    clock = Clock()
    scheduler = Scheduler(engine, actors, PLAN, clock=clock)
    assert scheduler.tick(force=True).action is TickAction.STARTED
    clock.at(1)
    again = scheduler.tick(force=True)
    assert again.action is TickAction.SKIPPED
    assert [r.status for r in cycles(engine)] == ["running"], "a refused --once is not a skipped slot"


def test_a_selector_limits_the_cycle(
    engine: Engine, devices: list[str], broker: StubBroker, actors: WardActors
) -> None:
    plan = SchedulePlan(name="one", interval_s=60, kinds=(KIND,), batch_size=2, selector="r3")
    tick = Scheduler(engine, actors, plan, clock=Clock()).tick()
    assert (tick.devices, tick.batches) == (1, 1)
    message = Message.decode(broker.queues[QUEUE].get_nowait())
    assert message.args[3] == ["r3"]


def test_another_scheduler_deciding_makes_a_tick_wait(
    engine: Engine, devices: list[str], actors: WardActors
) -> None:
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with locked_session(engine, "probes") as session:
            assert session is not None
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        busy = Scheduler(engine, actors, PLAN, clock=Clock()).tick()
        assert busy.action is TickAction.BUSY
        other = SchedulePlan(name="other", interval_s=60, kinds=(KIND,), batch_size=2)
        assert Scheduler(engine, actors, other, clock=Clock()).tick().action is TickAction.STARTED
    finally:
        release.set()
        holder.join(10)
    assert Scheduler(engine, actors, PLAN, clock=Clock()).tick().action is TickAction.STARTED
