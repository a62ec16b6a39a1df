"""A playbook message can reach an idle worker before the transaction that records its run commits
(the sender sends inside that transaction); the worker waits for the record and runs it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ward_reference.plugin
from sqlalchemy import Engine

from ward_core.config import Settings
from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.types import utcnow
from ward_core.inventory.importer import import_inventory
from ward_core.playbooks.queued import QueuedOutcome, execute_queued, queue_run
from ward_core.playbooks.service import prepare
from ward_core.plugin_manager import WardPlugins
from ward_core.testing import isolated_plugins

PLAYBOOK = """\
name: greet
steps:
  - id: hello
    echo: {message: "hello"}
"""


@pytest.fixture
def engine(pg_url: str, tmp_path: Path) -> Iterator[Engine]:
    engine = get_engine(pg_url)
    upgrade(engine)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "devices:\n  - {name: sw1, host: 127.0.0.1, platform: cisco_ios}\n", encoding="utf-8"
    )
    with session_scope(engine) as session:
        import_inventory(inventory, session)
    yield engine
    engine.dispose()


def test_a_message_that_arrives_before_its_run_commits_still_runs_it(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "greet.yml"
    path.write_text(PLAYBOOK, encoding="utf-8")
    outcomes: list[QueuedOutcome] = []
    with isolated_plugins(ward_reference.plugin, name="reference") as plugins:
        prepared = prepare(path, engine=engine, plugins=plugins)
        with session_scope(engine) as session:
            run_id = queue_run(
                session,
                prepared,
                requested_by="alice",
                limit=None,
                artifacts=None,
                timeout_s=60,
                now=utcnow(),
            )
            worker = threading.Thread(target=lambda: outcomes.append(_execute(engine, plugins, run_id)))
            worker.start()
            time.sleep(1.0)
            assert worker.is_alive(), "the worker gave up on a run whose record is not committed yet"
        worker.join(60)
    assert [o.status for o in outcomes] == ["ran"]


def _execute(engine: Engine, plugins: WardPlugins, run_id: int) -> QueuedOutcome:
    return execute_queued(engine, plugins, Settings(), run_id)
