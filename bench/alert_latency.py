"""Alert-to-browser latency: from the sample commit that makes a rule fire to the event arriving at
a WebSocket client of a real ``ward api``, against the Redis round trips it is built on.

    .venv/bin/python bench/alert_latency.py [--devices 1000] [--alerts 200] [--batch 100] [--clients 3]

Creates a throw-away database on the server named by ``WARD_BENCH_PG_ADMIN_URL`` (default: the local
test server) with ``--devices`` devices and one rule (``last(bench.flip) > 50``), claims a free
Redis database (1-15, the test suites' ``SET NX`` key), and starts ``ward api`` (uvicorn) on a
loopback port with ``--clients`` WebSocket clients on ``/api/v1/alerts/stream``. Then ``--alerts``
times: one probe batch of ``--batch`` devices through ``run_probe_batch`` (real write path, real
``alerts`` plugin evaluating after the commit, real ``live`` plugin appending to the stream) flips
one device across the threshold, so that exactly one alert fires or resolves.

Measured per alert and client: commit -> message received (what a browser sees), split at the
stream entry's id (Redis' clock, milliseconds): commit -> entry appended (evaluation + XADD), entry
-> client (the API's hub + the WebSocket). Baselines in the same run: a Redis ``PING`` round trip,
and an ``XADD`` reaching a client blocked in ``XREAD`` (the floor of any stream-based delivery).
Goal (issue 10): p99 under 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import redis
import ward_live.plugin
import yaml
from sqlalchemy import Engine
from websockets.sync.client import connect

import ward_core
import ward_core.alerts.plugin
from ward_core.alerts.rulefile import Checks, read_rule_files
from ward_core.alerts.rules_store import store_rules
from ward_core.alerts.vocabulary import vocabulary_of
from ward_core.api.live.events import StreamId
from ward_core.api.tokens import create_token
from ward_core.config import Settings
from ward_core.db import session_scope
from ward_core.db.models import Device, Site
from ward_core.plugin_manager import WardPlugins
from ward_core.probes import run_probe_batch
from ward_core.remediation.identity import parse_directory
from ward_core.testing.workers import scratch_database
from ward_core.types import DeviceTarget, Metric, ProbeBatchResult, ProbeKind, ProbeOptions, ProbeResult

ADMIN_URL = os.environ.get("WARD_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_HOST = os.environ.get("WARD_BENCH_REDIS_HOST", "127.0.0.1")
CLAIM_KEY = "ward-test:claimed"
GOAL_P99_S = 1.0
KIND = "bench.flip"
METRIC = "bench.flip"
RULES = f"rules:\n  - {{name: bench-flip, expr: 'last({METRIC}) > 50', severity: critical}}\n"
ROLES = {"users": {"dashboard": {"roles": ["viewer"]}}}
WARD = [sys.executable, "-m", "ward_core.cli"]


class FlipProbe:
    """One metric per device, set by the benchmark."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    @ward_core.hookimpl
    def ward_probe_kinds(self) -> list[ProbeKind]:
        return [ProbeKind(name=KIND, description="bench flip", metrics=(METRIC,))]

    @ward_core.hookimpl
    def ward_probe_run(
        self, kind: str, devices: Sequence[DeviceTarget], options: ProbeOptions
    ) -> ProbeBatchResult | None:
        if kind != KIND:
            return None
        return ProbeBatchResult(
            kind=kind,
            results=tuple(
                ProbeResult.success(d.name, kind, [Metric(METRIC, self.values.get(d.name, 0.0))])
                for d in devices
            ),
        )


class CommitClock:
    """When each batch's samples were committed (``ward_samples_written``), epoch seconds."""

    def __init__(self) -> None:
        self.committed: dict[str, float] = {}

    @ward_core.hookimpl
    def ward_samples_written(self, batch: Any) -> None:
        self.committed[batch.batch_id] = batch.time.timestamp()


class Client(threading.Thread):
    """A WebSocket client of the stream recording when each alert event arrived."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.url, self.token = url, token
        self.ready = threading.Event()
        self.arrivals: dict[tuple[str, str], list[tuple[float, str]]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        with connect(self.url, additional_headers={"Authorization": f"Bearer {self.token}"}) as conn:
            while not self.stop.is_set():
                try:
                    raw = conn.recv(timeout=0.5)
                except TimeoutError:
                    continue
                at = time.time()
                message = json.loads(raw)
                if message["type"] == "ready":
                    self.ready.set()
                elif message["type"] == "alert":
                    key = (message["alert"]["device"], message["event"])
                    self.arrivals.setdefault(key, []).append((at, message["id"]))


@contextmanager
def scratch_redis() -> Iterator[str]:
    """A Redis database no test run uses (the suites' claim key), ward's keys removed after."""
    mark = uuid.uuid4().hex
    for db in range(1, 16):
        client = redis.Redis(host=REDIS_HOST, port=6379, db=db)
        if not client.set(CLAIM_KEY, mark, nx=True, ex=1800):
            client.close()
            continue
        try:
            yield f"redis://{REDIS_HOST}:6379/{db}"
        finally:
            keys = list(client.scan_iter(match="ward:*", count=1000))
            if keys:
                client.delete(*keys)
            if client.get(CLAIM_KEY) == mark.encode():
                client.delete(CLAIM_KEY)
            client.close()
        return
    raise SystemExit("every Redis database 1-15 is claimed")


def add_fleet(engine: Engine, count: int) -> list[str]:
    with session_scope(engine) as session:
        sites = [Site(name=f"site-{n:04d}", vars={}) for n in range((count + 19) // 20)]
        session.add_all(sites)
        session.add_all(
            Device(
                name=f"dev{n:05d}",
                host=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
                port=22,
                platform="cisco_ios",
                site=sites[n // 20],
                tags=[],
                vars={},
                content_hash="0" * 64,
            )
            for n in range(count)
        )
    return [f"dev{n:05d}" for n in range(count)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def api_server(env: dict[str, str], folder: Path) -> Iterator[str]:
    port = free_port()
    log = (folder / "api.log").open("wb")
    process = subprocess.Popen(
        [*WARD, "api", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"ward api did not start:\n{(folder / 'api.log').read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/ui/login", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.close()


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summary(values: Sequence[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
        f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms (n={len(ms)})"
    )


def ping_baseline(url: str, rounds: int = 1000) -> list[float]:
    client = redis.Redis.from_url(url)
    client.ping()
    found = []
    for _ in range(rounds):
        started = time.perf_counter()
        client.ping()
        found.append(time.perf_counter() - started)
    client.close()
    return found


def stream_baseline(url: str, rounds: int = 200) -> list[float]:
    """XADD in one connection -> XREAD BLOCK returning in another (a thread), per entry."""
    key = f"ward:bench-stream:{uuid.uuid4().hex[:8]}"
    writer, reader = redis.Redis.from_url(url), redis.Redis.from_url(url)
    arrivals: dict[bytes, float] = {}
    done = threading.Event()

    def read() -> None:
        cursor = "$"
        while not done.is_set():
            reply: Any = reader.xread({key: cursor}, block=200, count=100)
            at = time.perf_counter()
            for _, rows in reply or []:
                for entry_id, _fields in rows:
                    arrivals[entry_id] = at
                    cursor = entry_id

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    time.sleep(0.3)
    sent: list[tuple[bytes, float]] = []
    for _ in range(rounds):
        started = time.perf_counter()
        entry: Any = writer.xadd(key, {"x": "1"})
        sent.append((entry, started))
        time.sleep(0.005)
    time.sleep(0.5)
    done.set()
    thread.join(2)
    writer.delete(key)
    writer.close()
    reader.close()
    return [arrivals[e] - t for e, t in sent if e in arrivals]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.05, help="Seconds between alerts.")
    args = parser.parse_args()

    with (
        scratch_database(ADMIN_URL) as (engine, url),
        scratch_redis() as redis_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        folder = Path(tmp)
        names = add_fleet(engine, args.devices)
        roles = folder / "roles.yml"
        roles.write_text(yaml.safe_dump(ROLES), encoding="utf-8")
        with session_scope(engine) as session:
            token = create_token(
                session,
                parse_directory(ROLES, str(roles)),
                user="dashboard",
                scopes=["alerts.view"],
                expires_at=None,
                created_by="bench",
            ).token
        probe, clock = FlipProbe(), CommitClock()
        plugins = WardPlugins(Settings(database_url=url, redis_url=redis_url, blocked_plugins=[]))
        plugins.register(probe, name="bench")
        plugins.register(ward_core.alerts.plugin, name="alerts")
        plugins.register(ward_live.plugin, name="live")
        plugins.register(clock, name="clock")
        plugins.start()
        rules = folder / "rules.yml"
        rules.write_text(RULES, encoding="utf-8")
        with session_scope(engine) as session:
            store_rules(session, read_rule_files([rules], Checks(vocabulary=vocabulary_of(plugins))))

        env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
        env.update(
            WARD_CONFIG=os.devnull,
            WARD_DATABASE_URL=url,
            WARD_REDIS_URL=redis_url,
            WARD_ROLES_FILE=str(roles),
        )
        print(
            f"setup: {args.devices} devices, ward api + {args.clients} WebSocket client(s), "
            f"{args.alerts} alerts in batches of {args.batch}"
        )
        with api_server(env, folder) as base:
            stream_url = base.replace("http://", "ws://") + "/api/v1/alerts/stream"
            clients = [Client(stream_url, token) for _ in range(args.clients)]
            for client in clients:
                client.start()
            for client in clients:
                if not client.ready.wait(15):
                    raise SystemExit("a WebSocket client did not get its ready message")
            rng = random.Random(5)
            expected: list[tuple[str, str, str]] = []
            for _ in range(args.alerts):
                start = rng.randrange(0, max(1, len(names) - args.batch))
                batch = names[start : start + args.batch]
                device = batch[rng.randrange(len(batch))]
                firing = probe.values.get(device, 0.0) <= 50
                probe.values[device] = 100.0 if firing else 0.0
                outcome = run_probe_batch(engine=engine, plugins=plugins, kinds=[KIND], device_names=batch)
                expected.append((outcome.batch_id, device, "fired" if firing else "resolved"))
                time.sleep(args.pause)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and any(
                sum(len(v) for v in c.arrivals.values()) < len(expected) for c in clients
            ):
                time.sleep(0.05)
            for client in clients:
                client.stop.set()
                client.join(5)
        plugins.close()

        total, to_stream, to_client = [], [], []
        missing = 0
        for client in clients:
            pending = {k: list(v) for k, v in client.arrivals.items()}
            for batch_id, device, event in expected:
                committed = clock.committed[batch_id]
                got = [a for a in pending.get((device, event), []) if a[0] >= committed - 0.001]
                if not got:
                    missing += 1
                    continue
                at, entry = min(got)
                pending[(device, event)].remove((at, entry))
                appended = StreamId.parse(entry).ms / 1000
                total.append(at - committed)
                to_stream.append(max(0.0, appended - committed))
                to_client.append(max(0.0, at - appended))

        pings = ping_baseline(redis_url)
        streamed = stream_baseline(redis_url)

    print(f"\nalert -> WebSocket client, {len(total)} deliveries ({missing} missing)")
    print(f"   sample commit -> message received:          {summary(total)}")
    print(f"   commit -> stream entry (evaluate + XADD):   {summary(to_stream)}")
    print(f"   stream entry -> client (hub + WebSocket):   {summary(to_client)}")
    print("baseline, same run:")
    print(f"   Redis PING round trip:                      {summary(pings)}")
    print(f"   XADD -> blocked XREAD in another connection: {summary(streamed)}")
    p50, p99 = percentile(total, 50), percentile(total, 99)
    floor = percentile(streamed, 50)
    print(f"   p50 alert-to-browser is x{p50 / floor:.0f} the XADD -> XREAD floor")
    verdict = (
        f"{GOAL_P99_S / p99:.0f}x under the goal"
        if p99 < GOAL_P99_S
        else f"MISSED by x{p99 / GOAL_P99_S:.2f}"
    )
    print(f"goal p99 < {GOAL_P99_S:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
