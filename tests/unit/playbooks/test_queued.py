"""Queued playbook runs on SQLite: claimed once, run from the text that was checked, cancelled or
declared lost by whoever follows them, refused by a worker that lacks a step type, read back as
the report the in-process runner returns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import ward_reference.plugin
from sqlalchemy import Engine

from ward_core.config import Settings
from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import Run
from ward_core.db.types import utcnow
from ward_core.inventory.importer import import_inventory
from ward_core.playbooks.queued import (
    GRACE_S,
    claim,
    execute_queued,
    follow_run,
    queue_run,
    read_report,
)
from ward_core.playbooks.service import prepare
from ward_core.plugin_manager import WardPlugins
from ward_core.testing import isolated_plugins

PLAYBOOK = """\
name: greet
vars: {who: world}
waves: {canary: 1, percent: 50}
steps:
  - id: hello
    echo: {message: "hello $who"}
"""


@pytest.fixture
def engine(sqlite_url: str, tmp_path: Path) -> Iterator[Engine]:
    engine = get_engine(sqlite_url)
    upgrade(engine)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "devices:\n"
        + "".join(f"  - {{name: sw{i}, host: 127.0.0.{i}, platform: cisco_ios}}\n" for i in (1, 2, 3)),
        encoding="utf-8",
    )
    with session_scope(engine) as session:
        import_inventory(inventory, session)
    yield engine
    engine.dispose()


@pytest.fixture
def plugins() -> Iterator[WardPlugins]:
    with isolated_plugins(ward_reference.plugin, name="reference") as loaded:
        yield loaded


def _queue(engine: Engine, plugins: WardPlugins, path: Path, *, timeout_s: float = 60.0) -> int:
    prepared = prepare(path, engine=engine, plugins=plugins, given={"who": "ops"})
    with session_scope(engine) as session:
        return queue_run(
            session,
            prepared,
            requested_by="alice",
            limit=None,
            artifacts=None,
            timeout_s=timeout_s,
            now=utcnow(),
        )


@pytest.fixture
def playbook(tmp_path: Path) -> Path:
    path = tmp_path / "greet.yml"
    path.write_text(PLAYBOOK, encoding="utf-8")
    return path


def test_a_queued_run_runs_once_what_was_checked(
    engine: Engine, plugins: WardPlugins, playbook: Path
) -> None:
    run_id = _queue(engine, plugins, playbook)
    playbook.write_text(PLAYBOOK.replace("hello $who", "changed after queueing"), encoding="utf-8")
    assert execute_queued(engine, plugins, Settings(), run_id).status == "ran"
    assert execute_queued(engine, plugins, Settings(), run_id).status == "not-pending"
    seen: list[str] = []
    assert follow_run(engine, run_id, on_progress=lambda status, counts: seen.append(status)) == "succeeded"
    assert seen == ["succeeded"]
    with session_scope(engine) as session:
        recorded = read_report(session, run_id, prepare(playbook, engine=engine, plugins=plugins).playbook)
    assert (recorded.status, recorded.error, recorded.failed) == ("succeeded", None, False)
    report = recorded.report
    assert [(w.name, w.devices) for w in report.waves] == [("canary", ("sw1",)), ("50%", ("sw2", "sw3"))]
    assert report.totals() == {"ok": 3, "changed": 0, "failed": 0, "skipped": 0}
    assert report.results["sw2"]["hello"].output == {"output": "hello ops"}


def test_a_run_whose_worker_died_is_declared_lost_never_run_again(
    engine: Engine, plugins: WardPlugins, playbook: Path
) -> None:
    run_id = _queue(engine, plugins, playbook, timeout_s=30)
    started = utcnow()
    with session_scope(engine) as session:
        assert claim(session, run_id, started)
        assert not claim(session, run_id, started)
    later = started + timedelta(seconds=30 + GRACE_S + 1)
    assert follow_run(engine, run_id, clock=lambda: later) == "failed"
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.summary["error"].startswith("lost: still running")
    assert execute_queued(engine, plugins, Settings(), run_id).status == "not-pending"


def test_a_run_nobody_claims_is_cancelled_by_its_follower(
    engine: Engine, plugins: WardPlugins, playbook: Path
) -> None:
    run_id = _queue(engine, plugins, playbook, timeout_s=5)
    later = utcnow() + timedelta(seconds=6)
    assert follow_run(engine, run_id, clock=lambda: later) == "cancelled"
    assert execute_queued(engine, plugins, Settings(), run_id).status == "not-pending"


def test_a_worker_without_the_step_type_refuses_the_run(
    engine: Engine, plugins: WardPlugins, playbook: Path
) -> None:
    run_id = _queue(engine, plugins, playbook)
    with WardPlugins(Settings(blocked_plugins=[])) as bare:
        outcome = execute_queued(engine, bare, Settings(), run_id)
    assert outcome.status == "refused"
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.status == "failed"
        assert (
            f"refused on the worker: {playbook}:6: steps[0].echo: unknown step type 'echo'"
            in run.summary["error"]
        )
