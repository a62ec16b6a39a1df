"""The backup, discovery and playbook actors on Dramatiq's StubBroker with a real Worker and a SQLite
database: their explicit policy, what is retried, and what a message that failed for good leaves
behind (an abandoned batch the waiting command can count, a queued run cancelled).

The batch handlers stand in for the services here (their own tests cover them, and the worker
integration tests run them for real); what is under test is the actors and the middleware.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ward_reference.plugin
from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries
from sqlalchemy import Engine, select

from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import Run, RunResult
from ward_core.db.types import utcnow
from ward_core.errors import InventoryError
from ward_core.playbooks.loader import parse_playbook
from ward_core.playbooks.queued import QueuedOutcome, queue_run
from ward_core.playbooks.runner import step_schemas
from ward_core.playbooks.service import Prepared
from ward_core.testing import isolated_plugins
from ward_core.worker.abandoned import AbandonedBatches
from ward_core.worker.actors import NOT_RETRIED
from ward_core.worker.job_records import batch_records, mark_batch
from ward_core.worker.jobs import (
    BACKUP_BATCH_ACTOR,
    BACKUP_QUEUE,
    DISCOVERY_QUEUE,
    MAX_RETRIES,
    TIME_LIMIT_MS,
    BatchDone,
    JobBatch,
    JobHandlers,
    JobKind,
    declare_job_actors,
)
from ward_core.worker.playbook_actor import PLAYBOOK_QUEUE, declare_playbook_actor

FAST = {"min_backoff": 10, "max_backoff": 40}
BATCH = JobBatch(job_id="j1", batch_id="j1.0000", device_names=("r1", "r2"), options={"retries": 0})


class Handler:
    """Fails with the given exceptions, one per call, then records the batch as the runner would."""

    def __init__(self, engine: Engine, *failures: BaseException) -> None:
        self.engine = engine
        self.failures = list(failures)
        self.calls: list[JobBatch] = []

    def __call__(self, batch: JobBatch) -> BatchDone:
        self.calls.append(batch)
        if self.failures:
            raise self.failures.pop(0)
        with session_scope(self.engine) as session:
            run = Run(kind="backup", name="config-backup", status="succeeded", params={}, summary={})
            session.add(run)
            session.flush()
            run_id = run.id
        mark_batch(
            self.engine, run_id=run_id, job_id=batch.job_id, batch_id=batch.batch_id, outcome={"results": []}
        )
        return BatchDone(batch_id=batch.batch_id, run_id=run_id, devices=len(batch.device_names), failed=0)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = get_engine(f"sqlite:///{tmp_path / 'ward.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def broker(engine: Engine) -> Iterator[StubBroker]:
    stub = StubBroker()
    stub.add_middleware(AbandonedBatches(engine), before=Retries)
    stub.emit_after("process_boot")
    yield stub
    stub.close()


def _drain(broker: StubBroker, queue: str) -> None:
    worker = Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        broker.join(queue, timeout=20_000, fail_fast=False)
        worker.join()
    finally:
        worker.stop()


def _handlers(handler: Handler) -> JobHandlers:
    return JobHandlers(backup=handler, discovery=handler)


def test_the_job_actors_are_declared_with_an_explicit_policy(broker: StubBroker, engine: Engine) -> None:
    declare_job_actors(broker, _handlers(Handler(engine)))
    for name, queue in ((BACKUP_BATCH_ACTOR, BACKUP_QUEUE), ("ward.discovery_batch", DISCOVERY_QUEUE)):
        actor = broker.get_actor(name)
        assert actor.queue_name == queue
        assert (actor.options["max_retries"], actor.options["time_limit"]) == (MAX_RETRIES, TIME_LIMIT_MS)
        assert actor.options["throws"] == NOT_RETRIED
        assert actor.options["retry_when"](0, ConnectionResetError())
        assert not actor.options["retry_when"](0, InventoryError("bad"))


def test_a_lost_connection_is_retried_and_the_batch_recorded_once(broker: StubBroker, engine: Engine) -> None:
    handler = Handler(engine, ConnectionResetError("database went away"))
    actors = declare_job_actors(broker, _handlers(handler))
    actors.backup_batch.send_with_options(args=BATCH.args(), **FAST)
    _drain(broker, BACKUP_QUEUE)
    assert [c.batch_id for c in handler.calls] == ["j1.0000"] * 2
    assert handler.calls[0] == BATCH
    with session_scope(engine) as session:
        [record] = batch_records(session, JobKind.BACKUP, ["j1.0000"]).values()
    assert not record.abandoned and broker.dead_letters == []


def test_a_batch_that_fails_for_good_is_recorded_abandoned_for_each_device(
    broker: StubBroker, engine: Engine
) -> None:
    handler = Handler(engine, InventoryError("inventory unreadable"))
    actors = declare_job_actors(broker, _handlers(handler))
    actors.send(JobKind.DISCOVERY, BATCH, max_age_ms=60_000)
    _drain(broker, DISCOVERY_QUEUE)
    assert len(handler.calls) == 1 and len(broker.dead_letters) == 1
    with session_scope(engine) as session:
        [record] = batch_records(session, JobKind.DISCOVERY, ["j1.0000"]).values()
        results = session.execute(select(RunResult.device, RunResult.status, RunResult.error)).all()
    assert record.abandoned
    assert [f["device"] for f in record.outcome["failures"]] == ["r1", "r2"]
    assert "InventoryError: inventory unreadable" in record.outcome["failures"][0]["reason"]
    assert sorted(results) == [
        ("r1", "failed", "batch abandoned: InventoryError: inventory unreadable"),
        ("r2", "failed", "batch abandoned: InventoryError: inventory unreadable"),
    ]


def test_a_batch_past_its_deadline_is_dropped_not_run(broker: StubBroker, engine: Engine) -> None:
    handler = Handler(engine)
    actors = declare_job_actors(broker, _handlers(handler))
    actors.send(JobKind.BACKUP, BATCH, max_age_ms=1)
    time.sleep(0.05)
    _drain(broker, BACKUP_QUEUE)
    assert handler.calls == []
    with session_scope(engine) as session:
        [record] = batch_records(session, JobKind.BACKUP, ["j1.0000"]).values()
    assert record.abandoned
    assert [d["error"] for d in record.outcome["results"]] == [
        "batch abandoned: expired: not run before its job's deadline"
    ] * 2


def test_a_queued_playbook_run_nobody_started_in_time_is_cancelled(
    broker: StubBroker, engine: Engine
) -> None:
    with isolated_plugins(ward_reference.plugin, name="reference") as plugins:
        text = "name: hi\nsteps:\n  - echo: {message: hi}\n"
        playbook = parse_playbook(text, "hi.yml", step_schemas(plugins))
    with session_scope(engine) as session:
        run_id = queue_run(
            session,
            Prepared(playbook, ("r1",), text),
            requested_by="alice",
            limit=None,
            artifacts=None,
            timeout_s=0.001,
            now=utcnow(),
        )
    calls: list[int] = []

    def handler(run: int) -> QueuedOutcome:
        calls.append(run)
        return QueuedOutcome(run_id=run, status="ran")

    declare_playbook_actor(broker, handler).send(run_id, timeout_s=0.001)
    time.sleep(0.05)
    _drain(broker, PLAYBOOK_QUEUE)
    assert calls == []
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        assert (run.status, run.summary["error"]) == (
            "cancelled",
            "not run: expired: not run before its job's deadline",
        )
