"""Backups and discoveries on a real ``ward worker`` (Redis, PostgreSQL) against the simulated lab
over real SSH, through the ``ward`` command as ops run it: the batches run on the worker, the
command follows them in the database and prints the same summary as the in-process path.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ward_core.db import get_engine, session_scope
from ward_core.db.models import ConfigVersion, Run
from ward_core.testing.lab import RunningLab, running_lab
from ward_core.testing.redis_db import claimed_redis_db
from ward_core.testing.workers import WARD, migrated_schema, running_worker
from ward_core.topology.store import load_snapshot
from ward_core.topology.testing import precision_recall, wired_links

pytestmark = [pytest.mark.lab, pytest.mark.postgres, pytest.mark.timeout(300)]

DEVICES = 10


@dataclass
class World:
    lab: RunningLab
    env: dict[str, str]
    engine: Engine
    worker_log: Path

    def ward(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*WARD, *args], env=env or self.env, capture_output=True, text=True, timeout=240, check=False
        )

    def json(self, *args: str, code: int = 0) -> Any:
        done = self.ward(*args, "--json")
        assert done.returncode == code, done.stdout + done.stderr + self.worker_log.read_text()
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("worker-jobs")
    with (
        running_lab(folder / "lab", devices=DEVICES, sites=2, ssh_port=17322, snmp_port=17361) as lab,
        migrated_schema(postgres_url, "j") as url,
        claimed_redis_db() as broker,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
        env.update(
            WARD_CONFIG=os.devnull,
            WARD_DATABASE_URL=url,
            WARD_BROKER_URL=broker,
            WARD_SECRETS_FILE=str(lab.lab_dir / "secrets.yml"),
            WARD_LAB_DIR=str(lab.lab_dir),
        )
        inventory = folder / "lab.yml"
        inventory.write_text(lab.ward("lab", "inventory").stdout, encoding="utf-8")
        engine = get_engine(url)
        log = folder / "worker.log"
        try:
            world = World(lab, env, engine, log)
            imported = world.ward("inventory", "import", str(inventory))
            assert imported.returncode == 0, imported.stdout + imported.stderr
            with running_worker(
                env, log, ("worker", "--processes", "1", "--threads", "1", "--job-threads", "2")
            ):
                yield world
        finally:
            engine.dispose()


def _versions(engine: Engine) -> list[ConfigVersion]:
    with session_scope(engine) as session:
        return list(session.scalars(select(ConfigVersion)))


def test_a_backup_on_the_workers_makes_one_version_per_device(world: World) -> None:
    first = world.json("configs", "backup", "--batch-size", "4")
    assert (first["devices"], first["changed"], first["unchanged"], first["failed"]) == (
        DEVICES,
        DEVICES,
        0,
        0,
    )
    assert (first["batches"], len(first["run_ids"]), first["missing_batches"]) == (3, 3, [])
    assert first["run_id"] is None
    versions = _versions(world.engine)
    assert sorted(v.device for v in versions) == sorted(d["name"] for d in world.lab.devices)
    assert {v.run_id for v in versions} == set(first["run_ids"])
    log = world.worker_log.read_text()
    assert all(f"backup batch {first['job_id']}.{n:04d}: " in log for n in range(3)), log

    second = world.json("configs", "backup", "--batch-size", "4")
    assert (second["changed"], second["unchanged"], second["failed"]) == (0, DEVICES, 0)
    assert len(_versions(world.engine)) == DEVICES
    with session_scope(world.engine) as session:
        jobs = session.scalars(select(Run).where(Run.kind == "backup_job").order_by(Run.id)).all()
        assert [j.name for j in jobs] == [first["job_id"], second["job_id"]]
        assert all(j.status == "succeeded" and j.summary["committed"] == 3 for j in jobs)
        runs = session.scalar(select(func.count()).select_from(Run).where(Run.kind == "backup"))
    assert runs == 6, "one backup run per batch, each batch run once"

    shown = world.ward("configs", "backup", "--batch-size", "4")
    assert shown.returncode == 0, shown.stderr
    assert f"{DEVICES} devices: 0 changed, {DEVICES} unchanged, 0 failed" in shown.stdout


def test_a_discovery_on_the_workers_finds_exactly_the_wired_links(world: World) -> None:
    truth = wired_links(world.lab)
    outcome = world.json("topology", "discover", "--batch-size", "3")
    assert outcome["failures"] == [] and outcome["collected"] == outcome["devices"] == DEVICES
    assert (outcome["links"], outcome["two_sided"], outcome["one_sided"]) == (len(truth), len(truth), 0)
    with session_scope(world.engine) as session:
        snapshot = load_snapshot(session, outcome["snapshot_id"])
        assert snapshot is not None
        newest = load_snapshot(session)
        assert newest is not None and newest.id == outcome["snapshot_id"]
        batches = session.scalars(select(Run).where(Run.kind == "topology")).all()
    assert precision_recall(snapshot.link_set(), truth) == (1.0, 1.0)
    assert len(batches) == 4 and all(run.params.get("batch_id") for run in batches)
    assert outcome["previous_snapshot_id"] is None and len(outcome["added"]) == len(truth)

    again = world.ward("topology", "discover", "--batch-size", "3")
    assert again.returncode == 0, again.stderr
    assert f"{DEVICES}/{DEVICES} devices collected" in again.stdout
    assert f"{len(truth)} links ({len(truth)} two-sided, 0 one-sided)" in again.stdout


def test_without_a_worker_on_the_broker_the_job_ends_at_its_deadline(world: World) -> None:
    with claimed_redis_db() as idle_broker:
        env = {**world.env, "WARD_BROKER_URL": idle_broker}
        done = world.ward("configs", "backup", "--batch-size", "5", "--deadline", "2", "--json", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert (report["failed"], report["batches"], len(report["missing_batches"])) == (DEVICES, 2, 2)
    assert all("not done within the job's deadline of 2 s" in d["error"] for d in report["results"])
    with session_scope(world.engine) as session:
        job = session.scalars(select(Run).where(Run.kind == "backup_job", Run.name == report["job_id"])).one()
    assert (job.status, job.summary["missing"]) == ("failed", 2)
