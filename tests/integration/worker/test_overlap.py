"""Two ``ward scheduler`` processes on one schedule, with cycles slower than the interval: cycles
never overlap, the slots that pass meanwhile are recorded as skipped, ``ward status`` says so."""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from ward_reference.probe import KIND

from ward_core.db import session_scope
from ward_core.db.models import ProbeBatch, Run
from ward_core.testing.network import TcpListener
from ward_core.worker.cycles import CYCLE_KIND

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]


def _cycles(engine: Engine) -> tuple[list[Run], list[Run]]:
    with session_scope(engine) as session:
        rows = list(session.scalars(select(Run).where(Run.kind == CYCLE_KIND).order_by(Run.started_at)))
    return [r for r in rows if r.status != "cancelled"], [r for r in rows if r.status == "cancelled"]


def _commits(engine: Engine, batch_ids: list[str]) -> dict[str, Any]:
    with session_scope(engine) as session:
        return dict(
            session.execute(
                select(ProbeBatch.batch_id, ProbeBatch.committed_at).where(ProbeBatch.batch_id.in_(batch_ids))
            ).all()
        )


def test_cycles_of_one_schedule_never_overlap(
    ward: Any, pg_url: str, pg_engine: Engine, redis_url: str, listener: TcpListener, silent_port: int
) -> None:
    env = ward.env(pg_url, redis_url)
    ward.import_devices(env, [(f"slow{n}", silent_port) for n in range(4)] + [("up1", listener.port)])
    worker = ward.start(env, "worker", "--processes", "1", "--threads", "1")
    worker.wait_for_output("worker process ready")
    args = ("scheduler", "--interval", "1", "--kind", KIND, "--batch-size", "2")
    schedulers = [ward.start(env, *args), ward.start(env, *args)]
    deadline = time.monotonic() + 90
    while len(_cycles(pg_engine)[0]) < 4 and time.monotonic() < deadline:
        time.sleep(0.5)
    for scheduler in schedulers:
        assert scheduler.stop() == 0, scheduler.output()

    started, skipped = _cycles(pg_engine)
    assert len(started) >= 4, [s.output() for s in schedulers]
    every_batch = [b for run in started for b in run.params["batch_ids"]]
    wait_until = time.monotonic() + 60
    while len(_commits(pg_engine, every_batch)) < len(every_batch) and time.monotonic() < wait_until:
        time.sleep(0.5)
    commits = _commits(pg_engine, every_batch)
    assert len(commits) == len(every_batch), "every batch of every cycle was committed"

    for before, after in itertools.pairwise(started):
        finished = max(commits[b] for b in before.params["batch_ids"])
        assert after.started_at >= finished, f"{after.name} started before {before.name} finished"
        assert after.summary["lag_s"] > 0, "cycles slower than the interval start late"

    assert skipped, "slots passing during a cycle are recorded"
    slots = Counter((run.params["slot_at"]) for run in skipped)
    assert max(slots.values()) == 1, "each skipped slot is recorded once, by one of the two schedulers"
    with session_scope(pg_engine) as session:
        runs_per_batch = Counter(
            session.scalars(select(Run.name).where(Run.kind == "probe", Run.name.in_(every_batch))).all()
        )
        assert set(runs_per_batch.values()) == {1}
        assert session.scalar(select(func.count()).select_from(ProbeBatch)) == len(every_batch)

    status = ward.run(env, "status", "--json")
    assert status.returncode == 1, status.stdout + status.stderr
    assert status.stdout, status.stderr
    [probes] = json.loads(status.stdout)["schedules"]
    assert probes["keeping_up"] is False
    assert any("skipped" in problem for problem in probes["problems"])
