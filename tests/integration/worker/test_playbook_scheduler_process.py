"""``ward scheduler`` as ops run it, with ``playbooks_dir`` set: two scheduler processes and one
``ward worker`` on Redis and PostgreSQL; a playbook scheduled every minute is queued once when its
slot comes and run green by the worker."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ward_core.db import session_scope
from ward_core.db.models import Run, RunResult
from ward_core.testing.network import TcpListener

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]

PLAYBOOK = """\
name: every-minute
schedule: "* * * * *"
steps:
  - id: hello
    echo: {message: "hello from $devices devices"}
"""


def _scheduled_runs(engine: Engine) -> list[Run]:
    with session_scope(engine) as session:
        return list(session.scalars(select(Run).where(Run.kind == "playbook").order_by(Run.id)))


def test_a_scheduled_playbook_is_queued_once_per_slot_and_run_by_the_worker(
    ward: Any, pg_url: str, pg_engine: Engine, redis_url: str, listener: TcpListener, tmp_path: Path
) -> None:
    folder = tmp_path / "playbooks"
    folder.mkdir()
    (folder / "every_minute.yml").write_text(PLAYBOOK, encoding="utf-8")
    env = ward.env(pg_url, redis_url, WARD_PLAYBOOKS_DIR=str(folder))
    ward.import_devices(env, [("r1", listener.port), ("r2", listener.port)])
    worker = ward.start(env, "worker", "--processes", "1", "--threads", "1", "--job-threads", "1")
    worker.wait_for_output("worker process ready")
    schedulers = [ward.start(env, "scheduler", "--no-probes"), ward.start(env, "scheduler", "--no-probes")]
    for scheduler in schedulers:
        scheduler.wait_for_output("playbook every-minute")

    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        if any(r.status == "succeeded" for r in _scheduled_runs(pg_engine)):
            break
        time.sleep(0.5)
    for scheduler in schedulers:
        assert scheduler.stop() == 0, scheduler.output()

    runs = _scheduled_runs(pg_engine)
    done = [r for r in runs if r.status == "succeeded"]
    assert done, worker.output() + "\n".join(s.output() for s in schedulers)
    started = [r for r in runs if r.status != "cancelled"]
    slots = Counter(r.params["slot_at"] for r in started)
    assert max(slots.values()) == 1, "two schedulers queue one run per slot"
    run = done[0]
    assert run.requested_by == "scheduler:every-minute" and run.name == "every-minute"
    assert run.params["slot_at"].endswith(":00+00:00")
    assert run.started_at >= datetime.fromisoformat(run.params["queued"]["queued_at"])
    with session_scope(pg_engine) as session:
        outputs = session.scalars(select(RunResult.result).where(RunResult.run_id == run.id)).all()
    assert outputs == [{"output": "hello from 2 devices"}] * 2
    assert f"playbook run {run.id}: ran" in worker.output()
