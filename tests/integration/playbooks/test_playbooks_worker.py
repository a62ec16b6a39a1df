"""The example playbooks on a real ``ward worker`` (Redis, PostgreSQL) against the simulated lab:
``ward run`` queues the run, the worker runs it, the command follows the record and prints the
same report and exit status as in-process. ``--dry-run`` queues nothing; a run no worker takes is
cancelled at its timeout.

Tests run in file order on one lab (discovery before the playbook that reads the topology).
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
import redis
from sqlalchemy import Engine, select

from ward_core.db import get_engine, session_scope
from ward_core.db.models import Run
from ward_core.playbooks.demo import playbooks_root
from ward_core.testing.lab import RunningLab, running_lab
from ward_core.testing.redis_db import claimed_redis_db
from ward_core.testing.workers import WARD, migrated_schema, running_worker

pytestmark = [pytest.mark.lab, pytest.mark.postgres, pytest.mark.timeout(300)]

EXAMPLES = [
    "health_check.yml",
    "nightly_backup.yml",
    "discover_topology.yml",
    "compliance.yml",
    "remediate_down_interfaces.yml",
]
KINDS = "kinds=[icmp, snmp.interfaces]" if os.geteuid() == 0 else "kinds=[snmp.interfaces]"


@dataclass
class World:
    lab: RunningLab
    env: dict[str, str]
    engine: Engine
    folder: Path
    worker_log: Path

    def ward(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*WARD, *args],
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
            cwd=self.folder,
        )

    def run_json(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        done = self.ward("run", *args, "--json", env=env)
        assert done.stdout, done.stderr + self.worker_log.read_text()
        return done.returncode, json.loads(done.stdout)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("playbooks-worker")
    (folder / "roles.yml").write_text("users:\n  alice: {roles: [neteng]}\n", encoding="utf-8")
    (folder / "policy.yml").write_text(
        "rules: []\ndefault: {approvals: 1, roles: [neteng]}\n", encoding="utf-8"
    )
    with (
        running_lab(folder / "lab", devices=10, sites=2, ssh_port=17422, snmp_port=17461) as lab,
        migrated_schema(postgres_url, "p") as url,
        claimed_redis_db() as broker,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
        env.update(
            WARD_CONFIG=os.devnull,
            WARD_DATABASE_URL=url,
            WARD_BROKER_URL=broker,
            WARD_SECRETS_FILE=str(lab.lab_dir / "secrets.yml"),
            WARD_LAB_DIR=str(lab.lab_dir),
            WARD_ROLES_FILE=str(folder / "roles.yml"),
            WARD_APPROVAL_POLICY_FILE=str(folder / "policy.yml"),
            WARD_USER="alice",
        )
        engine = get_engine(url)
        log = folder / "worker.log"
        world = World(lab, env, engine, folder, log)
        inventory = folder / "lab.yml"
        inventory.write_text(lab.ward("lab", "inventory").stdout, encoding="utf-8")
        try:
            done = world.ward("inventory", "import", str(inventory))
            assert done.returncode == 0, done.stdout + done.stderr
            with running_worker(
                env, log, ("worker", "--processes", "1", "--threads", "1", "--job-threads", "1")
            ):
                yield world
        finally:
            engine.dispose()


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_playbook_runs_green_on_a_worker(world: World, name: str) -> None:
    extra = ["--var", KINDS] if name == "health_check.yml" else []
    code, report = world.run_json(str(playbooks_root() / name), *extra)
    assert code == 0, json.dumps(report, indent=1)[:3000] + world.worker_log.read_text()[-3000:]
    assert (report["status"], report["error"]) == ("succeeded", None)
    devices = {d["name"] for d in world.lab.devices}
    assert set(report["devices"]) == devices
    assert report["totals"]["failed"] == 0 and report["stopped"] is None
    if name == "nightly_backup.yml":
        assert report["totals"]["changed"] + report["totals"]["ok"] == len(devices)
    if name == "discover_topology.yml":
        output = next(iter(report["results"].values()))["neighbours"]["output"]
        assert output["links"] >= len(devices) - 1
        svg = world.folder / "topology.svg"
        assert output["svg"] == str(svg.resolve()) and svg.read_text(encoding="utf-8").startswith("<")
    if name == "health_check.yml":
        version = report["results"][world.lab.devices[0]["name"]]["version"]["output"]["outputs"]
        assert "Cisco IOS" in version["show version"]
    assert f"playbook run {report['run_id']}: ran" in world.worker_log.read_text()
    record = json.loads(world.ward("runs", "show", str(report["run_id"]), "--json").stdout)
    assert record["kind"] == "playbook" and record["status"] == "succeeded"
    assert record["requested_by"] == "alice" and record["params"]["queued"]["timeout_s"] > 0
    assert len(record["results"]) == len(devices) * len(record["params"]["steps"])


def test_the_summary_a_person_reads_is_the_in_process_one(world: World) -> None:
    site = str(world.lab.devices[0]["site"])
    in_site = [d["name"] for d in world.lab.devices if d["site"] == site]
    done = world.ward("run", str(playbooks_root() / "nightly_backup.yml"), "--limit", f"site:{site}")
    assert done.returncode == 0, done.stdout + done.stderr
    with session_scope(world.engine) as session:
        run = session.scalars(select(Run).where(Run.kind == "playbook").order_by(Run.id.desc())).first()
    assert run is not None and run.status == "succeeded" and run.params["limit"] == f"site:{site}"
    lines = done.stdout.splitlines()
    assert any(f"run {run.id}: nightly-backup" in line for line in lines), done.stdout
    assert "per step" in done.stdout
    assert lines[-1].startswith(f"{len(in_site)} devices: "), done.stdout


def test_dry_run_queues_nothing(world: World) -> None:
    with session_scope(world.engine) as session:
        before = session.scalars(select(Run.id)).all()
    done = world.ward("run", str(playbooks_root() / "health_check.yml"), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["devices"] == len(world.lab.devices)
    with session_scope(world.engine) as session:
        assert session.scalars(select(Run.id)).all() == before
    client = redis.Redis.from_url(world.env["WARD_BROKER_URL"])
    try:
        assert client.llen("ward:ward.playbooks") == 0
    finally:
        client.close()


def test_a_run_no_worker_takes_is_cancelled_at_its_timeout(world: World) -> None:
    with claimed_redis_db() as idle_broker:
        env = {**world.env, "WARD_BROKER_URL": idle_broker}
        code, report = world.run_json(str(playbooks_root() / "nightly_backup.yml"), "--timeout", "2", env=env)
    assert code == 1
    assert report["status"] == "cancelled"
    assert "no worker started it within 2 s" in report["error"]
    assert report["totals"]["skipped"] == len(world.lab.devices) and report["results"] == {}
