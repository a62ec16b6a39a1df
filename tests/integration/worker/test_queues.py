"""Which queues a worker consumes: ``ward worker --queue`` and ``ward remediation worker`` (the
remediation-only variant) take remediation requests and leave other work on the broker, for a
worker that consumes it; an unknown queue is refused before anything starts."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ward_core.config import Settings
from ward_core.db import session_scope
from ward_core.db.models import AuditRecord
from ward_core.remediation.records import EXECUTION_REFUSED
from ward_core.worker.broker import configure_broker
from ward_core.worker.jobs import BACKUP_QUEUE, JobBatch, JobKind
from ward_core.worker.queues import queue_depth
from ward_core.worker.registry import declare_senders

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]

VARIANTS = {
    "remediation worker": (("remediation", "worker", "--threads", "1"), "remediation worker ready"),
    "worker --queue": (("worker", "--processes", "1", "--queue", "ward.remediation"), "worker process ready"),
}


def _refusals(engine: Engine) -> list[dict[str, Any]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(AuditRecord).where(AuditRecord.kind == EXECUTION_REFUSED))
        return [json.loads(r.payload) for r in rows]


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_remediation_only_worker_takes_remediation_and_leaves_the_rest(
    ward: Any, pg_url: str, pg_engine: Engine, redis_url: str, variant: str
) -> None:
    args, ready = VARIANTS[variant]
    env = ward.env(pg_url, redis_url)
    worker = ward.start(env, *args)
    worker.wait_for_output(ready)
    settings = Settings(database_url=pg_url, broker_url=redis_url)
    broker = configure_broker(settings)
    try:
        senders = declare_senders(broker, settings)
        batch = JobBatch(job_id="j", batch_id="j.0000", device_names=("r1",), options={})
        senders.jobs.send(JobKind.BACKUP, batch, max_age_ms=60_000)
        senders.remediation.send(424242)
        deadline = time.monotonic() + 60
        while not _refusals(pg_engine) and time.monotonic() < deadline:
            time.sleep(0.2)
        [refused] = _refusals(pg_engine)
        assert refused["request"] == 424242, worker.output()
        time.sleep(1.0)
        assert queue_depth(broker, BACKUP_QUEUE).waiting == 1, "the backup batch waits for a full worker"
    finally:
        broker.close()
    assert worker.stop() == 0


def test_an_unknown_queue_is_refused(ward: Any, pg_url: str, redis_url: str) -> None:
    done = ward.run(ward.env(pg_url, redis_url), "worker", "--queue", "ward.nope")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "unknown queue 'ward.nope' (queues: ward.probes, ward.remediation" in done.stderr
