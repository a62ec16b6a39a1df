"""Playbook schedules decided on real databases (SQLite and PostgreSQL) with a clock the test moves.

Runs are sent on Dramatiq's StubBroker and executed, when the test says so, by the worker's own
handler (:func:`~ward_core.playbooks.queued.execute_queued`) with the reference plugin's ``echo``
step; what is checked is what the scheduler decides and records: one run per due slot, none while
one is pending or running (the slot recorded skipped, once), no burst after downtime, a run nobody
took cancelled at its timeout, a refused playbook recorded, one decision at a time across
schedulers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import ward_reference.plugin
import yaml
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine, select

from ward_core.config import Settings
from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import Run, RunResult
from ward_core.inventory.importer import import_inventory
from ward_core.playbooks.queued import execute_queued
from ward_core.plugin_manager import WardPlugins
from ward_core.testing import isolated_plugins
from ward_core.worker.lock import locked_session
from ward_core.worker.playbook_actor import PLAYBOOK_QUEUE, PlaybookActor, declare_playbook_actor
from ward_core.worker.playbook_schedule import PlaybookAction, PlaybookScheduler, schedule_key
from ward_core.worker.queues import queue_depth

T0 = datetime(2026, 12, 1, 8, 1, tzinfo=UTC)
PLAYBOOK = """\
name: echoes
description: says hello every five minutes
schedule: "*/5 * * * *"
vars: {who: world}
steps:
  - id: hello
    echo: {message: "hello $who"}
"""


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def at(self, when: str) -> None:
        self.now = datetime.fromisoformat(when).replace(tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = get_engine(f"sqlite:///{tmp_path / 'ward.db'}")
        upgrade(engine)
    else:
        engine = get_engine(str(request.getfixturevalue("pg_url")))
    path = tmp_path / "inventory.yml"
    devices = [{"name": f"r{n}", "host": f"127.0.0.{n}", "platform": "cisco_ios"} for n in (1, 2, 3)]
    path.write_text(yaml.safe_dump({"devices": devices}), encoding="utf-8")
    with session_scope(engine) as session:
        import_inventory(path, session)
    yield engine
    engine.dispose()


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
def actor(broker: StubBroker) -> PlaybookActor:
    return declare_playbook_actor(broker, None)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "playbooks"
    path.mkdir()
    (path / "echoes.yml").write_text(PLAYBOOK, encoding="utf-8")
    (path / "unscheduled.yml").write_text(PLAYBOOK.replace('schedule: "*/5 * * * *"\n', ""), encoding="utf-8")
    return path


def records(engine: Engine) -> list[Run]:
    with session_scope(engine) as session:
        return list(session.scalars(select(Run).where(Run.kind == "playbook").order_by(Run.id)))


def waiting(broker: StubBroker) -> int:
    return queue_depth(broker, PLAYBOOK_QUEUE).waiting


def test_one_run_per_due_slot_never_two_at_once_and_no_burst_after_downtime(
    engine: Engine, plugins: WardPlugins, broker: StubBroker, actor: PlaybookActor, folder: Path
) -> None:
    clock = Clock()
    scheduler = PlaybookScheduler(engine, plugins, actor, folder, clock=clock)
    assert [s.name for s in scheduler.scheduled()] == ["echoes"]

    [tick] = scheduler.tick()
    assert tick.action is PlaybookAction.WAITING
    assert tick.next_at == datetime(2026, 12, 1, 8, 5, tzinfo=UTC), "a new schedule waits for its slot"

    clock.at("2026-12-01T08:05:03")
    [tick] = scheduler.tick()
    assert tick.action is PlaybookAction.QUEUED and tick.run_id is not None
    assert tick.slot_at == datetime(2026, 12, 1, 8, 5, tzinfo=UTC) and tick.lag_s == 3.0
    first = tick.run_id
    assert waiting(broker) == 1
    clock.at("2026-12-01T08:07:00")
    assert scheduler.tick()[0].action is PlaybookAction.WAITING

    clock.at("2026-12-01T08:10:01")
    [tick] = scheduler.tick()
    assert (tick.action, tick.run_id) == (PlaybookAction.SKIPPED, first), "the first run is still pending"
    clock.at("2026-12-01T08:10:30")
    assert scheduler.tick()[0].action is PlaybookAction.WAITING, "a skipped slot is recorded once"
    assert waiting(broker) == 1

    outcome = execute_queued(engine, plugins, Settings(), first)
    assert outcome.status == "ran"
    assert execute_queued(engine, plugins, Settings(), first).status == "not-pending", "never run twice"
    clock.at("2026-12-01T08:15:00")
    [tick] = scheduler.tick()
    assert tick.action is PlaybookAction.QUEUED
    second = tick.run_id
    assert second is not None and execute_queued(engine, plugins, Settings(), second).status == "ran"

    clock.at("2026-12-04T09:32:00")
    [tick] = scheduler.tick()
    assert tick.action is PlaybookAction.QUEUED
    assert tick.slot_at == datetime(2026, 12, 4, 9, 30, tzinfo=UTC), "only the latest missed slot is served"
    assert (
        tick.lag_s
        == (
            datetime(2026, 12, 4, 9, 32, tzinfo=UTC) - datetime(2026, 12, 1, 8, 20, tzinfo=UTC)
        ).total_seconds()
    )
    assert scheduler.tick()[0].action is PlaybookAction.WAITING

    rows = records(engine)
    assert [(r.status, r.params["slot_at"][11:16]) for r in rows] == [
        ("succeeded", "08:05"),
        ("cancelled", "08:10"),
        ("succeeded", "08:15"),
        ("pending", "09:30"),
    ]
    skip = rows[1]
    assert skip.summary == {"skipped": True, "reason": f"run {first} of this schedule is still pending"}
    assert all(r.params["schedule_key"] == schedule_key("echoes") for r in rows)
    assert rows[0].requested_by == "scheduler:echoes"
    with session_scope(engine) as session:
        outputs = session.scalars(select(RunResult.result).where(RunResult.run_id == first)).all()
    assert outputs == [{"output": "hello world"}] * 3
    assert waiting(broker) == 3


def test_a_run_nobody_takes_is_cancelled_and_the_next_slot_runs(
    engine: Engine, plugins: WardPlugins, actor: PlaybookActor, folder: Path
) -> None:
    clock = Clock()
    scheduler = PlaybookScheduler(engine, plugins, actor, folder, clock=clock, timeout_s=120)
    scheduler.tick()
    clock.at("2026-12-01T08:05:00")
    [tick] = scheduler.tick()
    assert tick.action is PlaybookAction.QUEUED
    clock.at("2026-12-01T08:10:00")
    [tick] = scheduler.tick()
    assert tick.action is PlaybookAction.QUEUED, "the run past its timeout no longer blocks the schedule"
    first, second = records(engine)
    assert first.status == "cancelled"
    assert "no worker started it within 120 s" in first.summary["error"]
    assert second.status == "pending"
    assert execute_queued(engine, plugins, Settings(), first.id).status == "not-pending"


def test_a_refused_playbook_is_recorded_and_one_scheduler_decides_at_a_time(
    engine: Engine, plugins: WardPlugins, actor: PlaybookActor, folder: Path
) -> None:
    clock = Clock()
    scheduler = PlaybookScheduler(engine, plugins, actor, folder, clock=clock)
    scheduler.tick()
    clock.at("2026-12-01T08:05:00")
    if engine.dialect.name == "postgresql":
        with locked_session(engine, schedule_key("echoes")) as held:
            assert held is not None
            [tick] = scheduler.tick()
        assert tick.action is PlaybookAction.BUSY
    (folder / "echoes.yml").write_text(
        PLAYBOOK.replace("vars:", "targets: site:nowhere\nvars:"), encoding="utf-8"
    )
    [tick] = scheduler.tick()
    assert tick.action is PlaybookAction.REFUSED
    assert f"{folder / 'echoes.yml'}:4: targets: site 'nowhere' has no devices" in tick.reason
    [row] = records(engine)
    assert (row.status, row.summary["refused"]) == ("failed", True)
    clock.at("2026-12-01T08:06:00")
    assert scheduler.tick()[0].action is PlaybookAction.WAITING, "the refused slot is served"


def test_files_that_do_not_check_are_not_scheduled(
    engine: Engine, plugins: WardPlugins, actor: PlaybookActor, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (folder / "broken.yml").write_text(
        "name: broken\nschedule: '61 * * * *'\nsteps:\n  - echo: {message: hi}\n"
    )
    (folder / "twin.yaml").write_text(PLAYBOOK, encoding="utf-8")
    scheduler = PlaybookScheduler(engine, plugins, actor, folder)
    assert [(s.name, s.path.name) for s in scheduler.scheduled()] == [("echoes", "echoes.yml")]
    assert "broken.yml:2: schedule: '61 * * * *' is not a valid cron schedule" in caplog.text
    assert "playbook 'echoes' is also in" in caplog.text
    (folder / "echoes.yml").unlink()
    assert [s.path.name for s in scheduler.scheduled()] == ["twin.yaml"]
