"""A lab, PostgreSQL, Redis, a real ``ward api`` (uvicorn) and a real ``ward remediation worker``,
one of each per run, shared by every test of this folder; people act through the ``ward`` command
and a headless Chromium.

- the lab (6 devices, real SSH) is imported into a migrated PostgreSQL schema of its own;
- Redis: a database number of its own (claimed among 1-15 with the ``SET NX`` key the
  other suites use), ward's keys deleted before and after;
- ``ward api`` and ``ward remediation worker`` run as subprocesses on that database and Redis;
- tokens are made with ``ward tokens create`` for the users of the roles file below;
- :class:`AlertFirer` makes alerts fire the way a poll does: a scripted probe's batch through
  ``run_probe_batch`` (real write path), the real ``alerts`` plugin evaluating after the commit, and
  the real ``live`` plugin appending to the stream;
- Chromium is Debian's (``apt-get install chromium``), driven by Playwright through its executable
  path: no browser is ever downloaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import Engine, select
from sqlalchemy.pool import NullPool

import ward_core
import ward_core.alerts.plugin
from ward_core.alerts.rulefile import Checks, read_rule_files
from ward_core.alerts.rules_store import store_rules
from ward_core.alerts.vocabulary import vocabulary_of
from ward_core.config import Settings
from ward_core.db import get_engine, session_scope
from ward_core.db.models import AuditRecord, Device, RemediationRequest
from ward_core.db.types import utcnow
from ward_core.inventory.importer import import_inventory
from ward_core.lab import control
from ward_core.plugin_manager import WardPlugins
from ward_core.probes import run_probe_batch
from ward_core.probes.store import LatestRow, upsert_latest
from ward_core.testing.lab import RunningLab, running_lab
from ward_core.testing.redis_db import claimed_redis_db
from ward_core.testing.workers import migrated_schema
from ward_core.types import DeviceTarget, Metric, ProbeBatchResult, ProbeKind, ProbeOptions, ProbeResult

WARD = [sys.executable, "-m", "ward_core.cli"]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")
SSH_PORT = 15722
SNMP_PORT = 15761

ROLES = {
    "users": {
        "alice": {"roles": ["neteng"]},
        "bob": {"roles": ["neteng"]},
        "carol": {"roles": ["neteng"]},
        "vera": {"roles": ["viewer"]},
    }
}
POLICY = {
    "rules": [
        {
            "name": "bounce-one",
            "match": {"actions": ["ios.interface_bounce"]},
            "approvals": 1,
            "roles": ["neteng"],
        },
        {
            "name": "clear-short-ttl",
            "match": {"actions": ["ios.clear_counters"]},
            "approvals": 1,
            "roles": ["neteng"],
            "ttl_s": 2,
        },
    ],
    "default": {"approvals": 2, "roles": ["neteng"]},
    "concurrency": {"per_site": 2},
}

FLIP_KIND = "webtest.gauge"
FLIP_METRIC = "webtest.errors"
RULES = f"rules:\n  - {{name: web-errors, expr: 'last({FLIP_METRIC}) > 50', severity: critical}}\n"


def chromium_path() -> str:
    """Debian's Chromium; the test fails (under CI) or is skipped when it is not installed."""
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    message = "Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_db_url() -> Iterator[str]:
    """``redis://127.0.0.1:6379/<n>`` for a database no other test run is using."""
    with claimed_redis_db() as url:
        yield url


@pytest.fixture(scope="session")
def schema_url(postgres_url: str) -> Iterator[str]:
    """A migrated PostgreSQL schema of its own (its URL sets ``search_path``)."""
    with migrated_schema(postgres_url, "web") as url:
        yield url


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Background:
    """A ``ward`` command running in its own process group, its output in a log file."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [*WARD, *args], env=env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_for(self, ready: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready in self.log.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                raise AssertionError(f"exited {self.process.returncode}:\n{self.text()}")
            time.sleep(0.1)
        raise AssertionError(f"{ready!r} did not appear:\n{self.text()}")

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._out.close()


class FlipProbe:
    """A probe kind whose one metric the test sets per device (what makes a rule fire)."""

    kind = ProbeKind(name=FLIP_KIND, description="web test gauge", metrics=(FLIP_METRIC,))

    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    @ward_core.hookimpl
    def ward_probe_kinds(self) -> list[ProbeKind]:
        return [self.kind]

    @ward_core.hookimpl
    def ward_probe_run(
        self, kind: str, devices: Sequence[DeviceTarget], options: ProbeOptions
    ) -> ProbeBatchResult | None:
        if kind != FLIP_KIND:
            return None
        return ProbeBatchResult(
            kind=kind,
            results=tuple(
                ProbeResult.success(d.name, kind, [Metric(FLIP_METRIC, self.values.get(d.name, 0.0))])
                for d in devices
            ),
        )


class AlertFirer:
    """Fires and resolves ``web-errors`` alerts through the poll path (module docstring)."""

    def __init__(self, database_url: str, redis_url: str, folder: Path) -> None:
        import ward_live.plugin

        self.engine = get_engine(database_url, poolclass=NullPool)
        self.probe = FlipProbe()
        self.plugins = WardPlugins(
            Settings(database_url=database_url, redis_url=redis_url, blocked_plugins=[])
        )
        self.plugins.register(self.probe, name="webtest")
        self.plugins.register(ward_core.alerts.plugin, name="alerts")
        self.plugins.register(ward_live.plugin, name="live")
        self.plugins.start()
        rules = folder / "web-rules.yml"
        rules.write_text(RULES, encoding="utf-8")
        checks = Checks(
            vocabulary=vocabulary_of(self.plugins), notifiers=frozenset(self.plugins.alert_notifiers())
        )
        with session_scope(self.engine) as session:
            store_rules(session, read_rule_files([rules], checks))

    def set(self, device: str, value: float) -> float:
        """Write ``value`` for ``device`` in one committed batch; the commit's time (epoch seconds)."""
        self.probe.values[device] = value
        run_probe_batch(engine=self.engine, plugins=self.plugins, kinds=[FLIP_KIND], device_names=[device])
        return time.time()

    def fire(self, device: str) -> float:
        return self.set(device, 100.0)

    def resolve(self, device: str) -> float:
        return self.set(device, 0.0)

    def close(self) -> None:
        self.plugins.close()
        self.engine.dispose()


@dataclass
class Web:
    """The module's lab, database, Redis, API server, worker and tokens."""

    lab: RunningLab
    url: str
    redis_url: str
    engine: Engine
    env: dict[str, str]
    folder: Path
    base: str
    api: Background
    worker: Background
    tokens: dict[str, str] = field(default_factory=dict)

    def ward(self, user: str | None, *args: str, timeout: float = 120) -> Result:
        env = dict(self.env)
        if user is not None:
            env["WARD_USER"] = user
        done = subprocess.run(
            [*WARD, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def token(self, user: str, *scopes: str) -> str:
        args = ["tokens", "create", "--user", user, "--expires", "1h", "--json"]
        for scope in scopes:
            args += ["--scope", scope]
        made = self.ward(None, *args)
        assert made.code == 0, made.out + made.err
        return str(made.json()["token"])

    def propose(
        self, user: str, action: str, device: str, *params: str, reason: str = "uplink errors"
    ) -> int:
        args = ["remediation", "propose", action, "--device", device, "--reason", reason, "--json"]
        for param in params:
            args += ["--param", param]
        result = self.ward(user, *args)
        assert result.code == 0, result.out + result.err
        return int(result.json()["request_id"])

    def http(self, user: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30, follow_redirects=False)

    def device(self, name: str) -> dict[str, Any]:
        reply: dict[str, Any] = control.request(
            self.lab.lab_dir / "control.sock", {"op": "device", "name": name}
        )
        return dict(reply["device"])

    def admin_up(self, name: str, interface: str) -> bool:
        return bool(next(i for i in self.device(name)["interfaces"] if i["name"] == interface)["admin_up"])

    def request(self, request_id: int) -> RemediationRequest:
        with session_scope(self.engine) as session:
            row = session.get(RemediationRequest, request_id)
            assert row is not None
            return row

    def audit(self, request_id: int | None = None, kind: str | None = None) -> list[AuditRecord]:
        with session_scope(self.engine) as session:
            query = select(AuditRecord).order_by(AuditRecord.seq)
            if request_id is not None:
                query = query.where(AuditRecord.request_id == request_id)
            if kind is not None:
                query = query.where(AuditRecord.kind == kind)
            return list(session.scalars(query))

    def ping_loss(self, losses: dict[str, float]) -> None:
        """Store the latest ``ping.loss_pct`` of devices (what the icmp probe writes), now."""
        now = utcnow()
        with session_scope(self.engine) as session:
            query = select(Device.name, Device.id).where(Device.name.in_(list(losses)))
            ids = {name: device_id for name, device_id in session.execute(query)}
            upsert_latest(
                session, [LatestRow(ids[d], "ping.loss_pct", "", {}, now, v) for d, v in losses.items()]
            )

    def logs(self) -> str:
        return f"--- api:\n{self.api.text()}\n--- worker:\n{self.worker.text()}"


def _wait_http(base: str, api: Background, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.process.poll() is not None:
            raise AssertionError(f"ward api exited {api.process.returncode}:\n{api.text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/ui/login", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"ward api did not answer:\n{api.text()}")


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory, schema_url: str, redis_db_url: str) -> Iterator[Web]:
    folder = tmp_path_factory.mktemp("web")
    with running_lab(folder / "lab", devices=6, sites=1, ssh_port=SSH_PORT, snmp_port=SNMP_PORT) as lab:
        inventory = folder / "lab.yml"
        inventory.write_text(lab.ward("lab", "inventory").stdout, encoding="utf-8")
        engine = get_engine(schema_url, poolclass=NullPool)
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
            WARD_API_STREAM_RECHECK_S="1",
        )
        port = free_port()
        api = Background(
            ["api", "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
            env,
            folder / "api.log",
        )
        worker = Background(["remediation", "worker", "--threads", "1"], env, folder / "worker.log")
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_http(base, api)
            worker.wait_for("remediation worker ready")
            setup = Web(lab, schema_url, redis_db_url, engine, env, folder, base, api, worker)
            for user in ("alice", "bob", "carol"):
                setup.tokens[user] = setup.token(user)
            setup.tokens["vera-devices"] = setup.token("vera", "devices.view")
            yield setup
        finally:
            worker.stop()
            api.stop()
            engine.dispose()


@pytest.fixture(scope="session")
def firer(web: Web) -> Iterator[AlertFirer]:
    made = AlertFirer(web.url, web.redis_url, web.folder)
    yield made
    made.close()
