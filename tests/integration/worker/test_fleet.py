"""Two worker machines share a 1,000-device poll cycle of the simulated lab; one dies mid-cycle.

Two ``ward worker`` instances (each in its own process group, as on two machines) consume the
batches of one cycle from Redis. One is SIGKILLed while it holds a batch; after its heartbeat
timeout the survivor gets that batch back. Every batch is committed exactly once: one run record
per batch id, one ICMP sample per device.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, distinct, func, select

from ward_core.db import session_scope
from ward_core.db.models import MetricSample, ProbeBatch, Run, RunResult
from ward_core.testing.lab import running_lab
from ward_core.worker.cycles import CYCLE_KIND

pytestmark = [pytest.mark.postgres, pytest.mark.lab, pytest.mark.timeout(600)]

DEVICES = 1000
BATCH = 10
KINDS = ("icmp", "snmp.system", "snmp.interfaces")
CONSUMER = re.compile(r"as consumer ([0-9a-f-]{36})")


def _committed(engine: Engine, batch_ids: list[str]) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).where(ProbeBatch.batch_id.in_(batch_ids))) or 0)


def _held(client: redis.Redis, consumer: str) -> list[str]:
    """Batch ids of the messages ``consumer`` fetched and has not acknowledged."""
    message_ids = client.smembers(f"ward:__acks__.{consumer}.ward.probes")
    held = []
    for message_id in message_ids:
        data = client.hget("ward:ward.probes.msgs", message_id)
        if data is not None:
            held.append(json.loads(data)["args"][1])
    return held


def test_killing_one_of_two_workers_mid_cycle_loses_and_repeats_nothing(
    ward: Any, tmp_path: Path, pg_url: str, pg_engine: Engine, redis_url: str, redis_client: redis.Redis
) -> None:
    with running_lab(tmp_path / "lab", devices=DEVICES) as lab:
        env = ward.env(pg_url, redis_url, WARD_SECRETS_FILE=str(lab.lab_dir / "secrets.yml"))
        inventory = tmp_path / "lab.yml"
        inventory.write_text(lab.ward("lab", "inventory").stdout, encoding="utf-8")
        imported = ward.run(env, "inventory", "import", str(inventory))
        assert imported.returncode == 0, imported.stderr

        worker_args = ("worker", "--processes", "1", "--threads", "1", "--heartbeat-timeout", "2")
        doomed, survivor = ward.start(env, *worker_args), ward.start(env, *worker_args)
        for worker in (doomed, survivor):
            worker.wait_for_output("worker process ready")
        [doomed_id] = CONSUMER.findall(doomed.output())
        kinds = [arg for kind in KINDS for arg in ("--kind", kind)]
        started = ward.run(env, "scheduler", "--once", *kinds, "--batch-size", str(BATCH), "--json")
        assert started.returncode == 0, started.stderr
        cycle = json.loads(started.stdout)
        assert (cycle["devices"], cycle["batches"]) == (DEVICES, DEVICES // BATCH)
        with session_scope(pg_engine) as session:
            batch_ids = session.scalars(select(Run).where(Run.kind == CYCLE_KIND)).one().params["batch_ids"]

        deadline = time.monotonic() + 120
        held: list[str] = []
        while time.monotonic() < deadline:
            done = _committed(pg_engine, batch_ids)
            held = _held(redis_client, doomed_id)
            if held and 10 <= done <= len(batch_ids) - 20:
                break
            time.sleep(0.05)
        doomed.kill()
        held = _held(redis_client, doomed_id)
        assert held, "the killed worker held a batch it had not acknowledged"
        killed_at_done = _committed(pg_engine, batch_ids)
        assert killed_at_done < len(batch_ids), "killed mid-cycle"

        deadline = time.monotonic() + 240
        while _committed(pg_engine, batch_ids) < len(batch_ids) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _committed(pg_engine, batch_ids) == len(batch_ids), survivor.output()[-3000:]

    with session_scope(pg_engine) as session:
        runs = Counter(session.scalars(select(Run.name).where(Run.kind == "probe")).all())
        assert set(runs) == set(batch_ids)
        assert set(runs.values()) == {1}, "no batch written twice"
        results = session.execute(select(RunResult.device, RunResult.task)).all()
        assert len(results) == DEVICES * len(KINDS)
        assert len(set(results)) == len(results)
        loss = session.execute(
            select(func.count(), func.count(distinct(MetricSample.device_id))).where(
                MetricSample.metric == "ping.loss_pct"
            )
        ).one()
        assert tuple(loss) == (DEVICES, DEVICES), "one ICMP sample per device"
    survivor_batches = survivor.output().count(" batch ")
    doomed_batches = doomed.output().count(" batch ")
    assert survivor_batches + doomed_batches >= len(batch_ids)
    assert doomed_batches >= 1, "both workers shared the cycle"
    for batch_id in held:
        assert f"batch {batch_id}:" in survivor.output(), "the survivor ran the dead worker's batch"

    status = ward.run(env, "status", "--json")
    assert status.stdout, status.stderr
    [probes] = json.loads(status.stdout)["schedules"]
    assert probes["current"]["status"] == "succeeded"
    assert probes["current"]["outstanding"] == 0
    assert probes["current"]["ok_devices"] + probes["current"]["failed_devices"] == DEVICES
