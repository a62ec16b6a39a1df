"""A lab, a PostgreSQL schema, a Redis database and a real remediation worker, shared by a module.

- the lab (6 devices, real SSH) is imported into a migrated PostgreSQL schema of the module's own;
- Redis: a database number of the module's own (claimed among 1-15 with a ``SET NX`` key shared
  with the other suites, so two test runs never share one), ward's keys deleted before and after;
- ``ward worker`` (which runs remediation requests beside backups, discoveries and playbooks) runs
  as a subprocess on that Redis database; ``ward`` commands run as subprocesses with ``WARD_USER``
  set per call, as people would run them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, select

from ward_core.db import get_engine, session_scope
from ward_core.db.models import AuditRecord, RemediationRequest
from ward_core.inventory.importer import import_inventory
from ward_core.lab import control
from ward_core.testing.lab import RunningLab, running_lab
from ward_core.testing.redis_db import claimed_redis_db
from ward_core.testing.workers import migrated_schema

WARD = [sys.executable, "-m", "ward_core.cli"]

ROLES = {
    "users": {
        "alice": {"roles": ["neteng"]},
        "bob": {"roles": ["neteng"]},
        "carol": {"roles": ["neteng", "change-board"]},
        "dave": {"roles": ["viewer"]},
    }
}
POLICY = {
    "rules": [
        {
            "name": "enable-short-ttl",
            "match": {"actions": ["ios.interface_enable"]},
            "approvals": 1,
            "roles": ["neteng"],
            "ttl_s": 3,
        },
        {"name": "read-only", "match": {"destructive": False}, "approvals": 0},
    ],
    "default": {"approvals": 2, "roles": ["neteng"]},
    "concurrency": {"per_site": 2},
}


@pytest.fixture(scope="module")
def redis_db_url() -> Iterator[str]:
    """``redis://127.0.0.1:6379/<n>`` for a database no other test run is using."""
    with claimed_redis_db() as url:
        yield url


@pytest.fixture(scope="module")
def schema_url(postgres_url: str) -> Iterator[str]:
    """A migrated PostgreSQL schema of the module's own (its URL sets ``search_path``)."""
    with migrated_schema(postgres_url, "r") as url:
        yield url


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Setup:
    """The module's lab, database, environment and worker."""

    lab: RunningLab
    url: str
    engine: Engine
    env: dict[str, str]
    folder: Path
    worker: subprocess.Popen[bytes]
    worker_log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def ward(self, user: str | None, *args: str, timeout: float = 120) -> Result:
        env = dict(self.env)
        if user is not None:
            env["WARD_USER"] = user
        done = subprocess.run(
            [*WARD, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def device(self, name: str) -> dict[str, Any]:
        """The lab's live view of a device, from its control socket."""
        reply: dict[str, Any] = control.request(
            self.lab.lab_dir / "control.sock", {"op": "device", "name": name}
        )
        return dict(reply["device"])

    def fault(self, name: str, kind: str, argument: str | None = None) -> None:
        """Apply a lab fault at once, through the control socket."""
        control.request(
            self.lab.lab_dir / "control.sock",
            {"op": "fault", "device": name, "kind": kind, "argument": argument},
        )

    def admin_up(self, name: str, interface: str) -> bool:
        return bool(next(i for i in self.device(name)["interfaces"] if i["name"] == interface)["admin_up"])

    def request(self, request_id: int) -> RemediationRequest:
        with session_scope(self.engine) as session:
            row = session.get(RemediationRequest, request_id)
            assert row is not None
            return row

    def wait_state(self, request_id: int, states: set[str], timeout: float = 90) -> RemediationRequest:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.request(request_id)
            if row.state in states:
                return row
            time.sleep(0.2)
        raise AssertionError(
            f"request {request_id} is {row.state}, not {states}:\n{self.worker_log.read_text()}"
        )

    def audit(self, request_id: int | None = None, kind: str | None = None) -> list[AuditRecord]:
        with session_scope(self.engine) as session:
            query = select(AuditRecord).order_by(AuditRecord.seq)
            if request_id is not None:
                query = query.where(AuditRecord.request_id == request_id)
            if kind is not None:
                query = query.where(AuditRecord.kind == kind)
            return list(session.scalars(query))

    def wait_audit(self, kind: str, predicate: Any, timeout: float = 60) -> AuditRecord:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in self.audit(kind=kind):
                if predicate(json.loads(record.payload), record):
                    return record
            time.sleep(0.2)
        raise AssertionError(f"no {kind} record matched:\n{self.worker_log.read_text()}")


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    process = subprocess.Popen(
        [*WARD, "worker", "--processes", "1", "--threads", "1", "--job-threads", "2"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "worker process ready" in log.read_text(errors="replace"):
            return process
        if process.poll() is not None:
            raise AssertionError(f"the worker exited {process.returncode}:\n{log.read_text()}")
        time.sleep(0.2)
    raise AssertionError(f"the worker did not start:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, schema_url: str, redis_db_url: str) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("remediation")
    with running_lab(folder / "lab", devices=6, sites=1, ssh_port=15522, snmp_port=15561) as lab:
        document = yaml.safe_load(lab.ward("lab", "inventory").stdout)
        document["devices"].append(
            {"name": "edge-junos", "host": "127.0.0.1", "port": 1, "platform": "juniper_junos"}
        )
        inventory = folder / "lab.yml"
        inventory.write_text(yaml.safe_dump(document), encoding="utf-8")
        engine = get_engine(schema_url)
        with session_scope(engine) as session:
            import_inventory(inventory, session)
        roles = folder / "roles.yml"
        roles.write_text(yaml.safe_dump(ROLES), encoding="utf-8")
        policy = folder / "policy.yml"
        policy.write_text(yaml.safe_dump(POLICY, sort_keys=False), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
        env.update(
            WARD_CONFIG=os.devnull,
            WARD_DATABASE_URL=schema_url,
            WARD_BROKER_URL=redis_db_url,
            WARD_SECRETS_FILE=str(lab.lab_dir / "secrets.yml"),
            WARD_ROLES_FILE=str(roles),
            WARD_APPROVAL_POLICY_FILE=str(policy),
            WARD_REMEDIATION_DEVICE_TIMEOUT_S="8",
            WARD_LAB_DIR=str(lab.lab_dir),
        )
        log = folder / "worker.log"
        worker = _start_worker(env, log)
        try:
            yield Setup(lab, schema_url, engine, env, folder, worker, log)
        finally:
            _stop(worker)
            engine.dispose()
