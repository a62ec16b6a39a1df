"""Real PostgreSQL, a real HTTP webhook receiver, a real SMTP server (aiosmtpd) and real Redis for
the alerting tests; plugin managers holding the probes, the alerting engine and the notifiers.

- ``pg_url``/``engine``: a PostgreSQL schema of the test's own, migrated.
- ``webhook``: an ``http.server`` on 127.0.0.1 recording every POST (headers, body, arrival time);
  it can be told to answer 503 to the first N requests.
- ``smtp``: an aiosmtpd server on 127.0.0.1 recording every message.
- ``redis_url``: a Redis database of the test's own (claimed among 1-15 on 127.0.0.1:6379).
- :class:`Harness`: settings, a plugin manager (probe plugin + ``alerts`` + ``notify``), rule
  loading and ``poll`` (one :func:`run_probe_batch`, which fires ``ward_samples_written``).
"""

from __future__ import annotations

import email
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
import ward_notify.plugin
import yaml
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

import ward_core
import ward_core.alerts.plugin
from ward_core.alerts.rulefile import Checks, read_rule_files
from ward_core.alerts.rules_store import store_rules
from ward_core.alerts.vocabulary import vocabulary_of
from ward_core.config import Settings
from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import AlertRow
from ward_core.plugin_manager import WardPlugins
from ward_core.probes import BatchOutcome, run_probe_batch
from ward_core.types import ProbeOptions

WEBHOOK_SECRET = "test-secret"


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty PostgreSQL schema."""
    engine = get_engine(pg_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- webhook receiver


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got."""

    headers: dict[str, str]
    body: bytes
    received: float

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class WebhookReceiver:
    """A real HTTP server recording POSTs; ``fail_next`` requests get 503 first."""

    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    fail_next: int = 0
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert of every notice received, in order."""
        with self.lock:
            return [a for d in self.deliveries for a in d.json["alerts"]]

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 10.0) -> bool:
        """Wait until ``predicate(alerts)`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.alerts()):
                return True
            time.sleep(0.05)
        return predicate(self.alerts())


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver: WebhookReceiver | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            assert receiver is not None
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    receiver.refused += 1
                    status = 503
                else:
                    receiver.deliveries.append(Delivery(dict(self.headers.items()), body, time.time()))
                    status = 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = WebhookReceiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- SMTP server


@dataclass
class SmtpServer:
    """A real aiosmtpd server recording messages."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def wait_for(self, predicate: Callable[[list[Message]], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(list(self.messages)):
                return True
            time.sleep(0.05)
        return predicate(list(self.messages))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer("127.0.0.1", _free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


# --------------------------------------------------------------------------- Redis

REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
CLAIM_KEY = "ward-test:claimed"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """``redis://127.0.0.1:6379/<n>`` for a database no other test run is using."""
    token = uuid.uuid4().hex
    for db in range(1, 16):
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
        try:
            claimed = client.set(CLAIM_KEY, token, nx=True, ex=1800)
        except redis.ConnectionError as exc:
            client.close()
            if os.environ.get("CI") == "true":
                pytest.fail(f"Redis unreachable at {REDIS_HOST}:{REDIS_PORT}: {exc}")
            pytest.skip(f"Redis unreachable at {REDIS_HOST}:{REDIS_PORT}: {exc}")
        if not claimed:
            client.close()
            continue
        try:
            yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
        finally:
            if client.get(CLAIM_KEY) == token.encode():
                client.delete(CLAIM_KEY)
            client.close()
        return
    pytest.fail("every Redis database 1-15 is claimed by another test run")


# --------------------------------------------------------------------------- harness


def write_notify_file(path: Path, webhook: WebhookReceiver | None, smtp: SmtpServer | None) -> Path:
    """A notifiers file for the receivers given (short retries, so failures show quickly)."""
    config: dict[str, Any] = {}
    if webhook is not None:
        config["webhook"] = {
            "url": webhook.url,
            "secret": WEBHOOK_SECRET,
            "timeout_s": 2,
            "attempts": 3,
            "backoff_s": 0.05,
        }
    if smtp is not None:
        config["email"] = {
            "host": smtp.host,
            "port": smtp.port,
            "sender": "ward@example.net",
            "recipients": ["noc@example.net"],
            "timeout_s": 5,
        }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


class Harness:
    """A plugin manager with ``probe`` + ``alerts`` + ``notify``, on one database."""

    def __init__(
        self,
        engine: Engine,
        pg_url: str,
        probe: object,
        probe_name: str,
        settings: Settings,
        extra: Sequence[tuple[object, str]] = (),
    ) -> None:
        self.engine = engine
        self.pg_url = pg_url
        self.settings = settings
        self.plugins = WardPlugins(settings)
        self.plugins.register(probe, name=probe_name)
        self.plugins.register(ward_core.alerts.plugin, name="alerts")
        self.plugins.register(ward_notify.plugin, name="notify")
        for plugin, name in extra:
            self.plugins.register(plugin, name=name)
        self.plugins.start()

    def load_rules(self, path: Path) -> None:
        checks = Checks(
            vocabulary=vocabulary_of(self.plugins), notifiers=frozenset(self.plugins.alert_notifiers())
        )
        rules = read_rule_files([path], checks)
        with session_scope(self.engine) as session:
            store_rules(session, rules)

    def poll(self, kind: str, devices: Sequence[str], options: ProbeOptions | None = None) -> BatchOutcome:
        return run_probe_batch(
            engine=self.engine,
            plugins=self.plugins,
            kinds=[kind],
            device_names=devices,
            options={kind: options} if options is not None else None,
        )

    def alerts(self, rule: str | None = None, device: str | None = None) -> list[AlertRow]:
        with session_scope(self.engine) as session:
            stmt = select(AlertRow).order_by(AlertRow.id)
            if rule is not None:
                stmt = stmt.where(AlertRow.rule == rule)
            if device is not None:
                stmt = stmt.where(AlertRow.device == device)
            return list(session.scalars(stmt))

    def service(self) -> Any:
        return ward_core.alerts.plugin.STATE.get_service()

    def close(self) -> None:
        self.plugins.close()


@pytest.fixture
def make_harness(engine: Engine, pg_url: str, tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    made: list[Harness] = []

    def make(
        probe: object,
        probe_name: str,
        *,
        webhook: WebhookReceiver | None = None,
        smtp: SmtpServer | None = None,
        redis_url: str | None = None,
        extra: Sequence[tuple[object, str]] = (),
    ) -> Harness:
        notify = write_notify_file(tmp_path / f"notify-{len(made)}.yml", webhook, smtp)
        settings = Settings(database_url=pg_url, notify_file=notify, redis_url=redis_url, blocked_plugins=[])
        harness = Harness(engine, pg_url, probe, probe_name, settings, extra)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()


# --------------------------------------------------------------------------- scripted probe and devices

SCRIPT_KIND = "test.gauges"


class ScriptedProbe:
    """A probe plugin reporting the values a test sets, under real metric names (``ping.loss_pct``,
    ``if.oper_up``...): for the behaviours that need exact values (hysteresis thresholds)."""

    def __init__(self, metrics: Sequence[str] = ("ping.loss_pct", "ping.rtt_avg_ms", "if.oper_up")) -> None:
        from ward_core.types import ProbeKind

        self.kind = ProbeKind(name=SCRIPT_KIND, description="values set by the test", metrics=tuple(metrics))
        self.values: dict[str, list[Any]] = {}

    def set(self, device: str, *metrics: Any) -> None:
        """Metrics ``device`` reports from now on (``Metric`` values)."""
        self.values[device] = list(metrics)

    @ward_core.hookimpl
    def ward_probe_kinds(self) -> list[Any]:
        return [self.kind]

    @ward_core.hookimpl
    def ward_probe_run(self, kind: str, devices: Sequence[Any], options: ProbeOptions) -> Any:
        from ward_core.types import ProbeBatchResult, ProbeResult

        if kind != SCRIPT_KIND:
            return None
        return ProbeBatchResult(
            kind=kind,
            results=tuple(
                ProbeResult.success(d.name, kind, self.values[d.name])
                if d.name in self.values
                else ProbeResult.failure(d.name, kind, "TimeoutError: no answer")
                for d in devices
            ),
        )


def add_devices(engine: Engine, devices: dict[str, str | None], role: str = "branch-router") -> None:
    """Store devices by name with their site (created on the way)."""
    from ward_core.db.models import Device, Site

    with session_scope(engine) as session:
        sites: dict[str, Site] = {}
        for name, site in devices.items():
            site_row = None
            if site is not None:
                site_row = sites.get(site)
                if site_row is None:
                    site_row = sites[site] = Site(name=site, vars={})
                    session.add(site_row)
            session.add(
                Device(
                    name=name,
                    host="127.0.0.1",
                    port=22,
                    platform="cisco_ios",
                    role=role,
                    site=site_row,
                    tags=[],
                    vars={},
                    content_hash="0" * 64,
                )
            )


@pytest.fixture
def scripted() -> ScriptedProbe:
    """A fresh scripted probe (kind :data:`SCRIPT_KIND`)."""
    return ScriptedProbe()


@pytest.fixture(name="add_devices")
def add_devices_fixture() -> Callable[..., None]:
    """``add_devices(engine, {"r1": "site-a"})``."""
    return add_devices
