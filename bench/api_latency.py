"""Device-list latency of the HTTP API: ``ward api`` (uvicorn) on PostgreSQL and Redis, httpx client.

    .venv/bin/python bench/api_latency.py [--sizes 875 10000] [--requests 400] [--warmup 40]

For each fleet size, creates a throw-away database on the server named by
``WARD_BENCH_PG_ADMIN_URL`` (default: the local test server), stores the devices over sites of 5
(two regions, tags, vars, credential names, SNMP settings, a static and two dynamic groups), issues
an API token, starts ``ward api`` in a process of its own on a free loopback port (Redis database
``WARD_BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/15``, flushed of ward's keys), and times
sequential requests from one keep-alive httpx client (gzip accepted, as browsers do):

- ``list, cached``: ``GET /api/v1/devices?limit=<all>``, served from the Redis cache (the normal case);
- ``list, uncached``: the same with the cache switched off (a second server, ``api_device_cache_ttl_s=0``):
  the inventory read, group memberships, JSON and gzip on every request;
- ``list, 304``: the cached list with ``If-None-Match``;
- ``page of 100``: the default page (cached);

against two baselines measured in the same run: ``HTTP floor``, ``GET /docs`` through the same
server (token-less static page: the cost of HTTP, uvicorn and the middleware stack), and ``raw SQL``,
the device query alone (``select_devices``) fetched by psycopg in this process. Also prints the
server process's CPU time per request (``/proc``), which does not stretch with the machine's load
the way wall-clock percentiles do, and the load average before and after.

Goal (issue 10): p50 under 10 ms for the 875-device list. Prints p50/p99 and ratios to both baselines.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import redis
import yaml
from sqlalchemy import Engine

from ward_core.api.tokens import create_token
from ward_core.config import load_settings
from ward_core.db import session_scope
from ward_core.db.models import CredentialRef, Device, Group, GroupMember, Region, Site
from ward_core.inventory.queries import select_devices
from ward_core.remediation.identity import load_directory
from ward_core.testing.redis_db import delete_ward_keys
from ward_core.testing.workers import scratch_database

ADMIN_URL = os.environ.get("WARD_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("WARD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
GOAL_P50_MS = 10.0


def add_fleet(engine: Engine, count: int) -> None:
    """``count`` devices over sites of 5, like a branch network; a static and two dynamic groups."""
    with session_scope(engine) as session:
        regions = [Region(name="west"), Region(name="east")]
        ssh, snmp = CredentialRef(name="branch-ssh"), CredentialRef(name="branch-snmp")
        session.add_all([*regions, ssh, snmp])
        sites = [Site(name=f"br{n:05d}", region=regions[n % 2], vars={}) for n in range((count + 4) // 5)]
        session.add_all(sites)
        devices = [
            Device(
                name=f"br{n // 5:05d}-{('rtr1', 'sw1', 'sw2', 'ap1', 'fw1')[n % 5]}",
                host=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}",
                port=22,
                platform="cisco_ios",
                role=("branch-router", "access-switch", "access-switch", "access-point", "firewall")[n % 5],
                site=sites[n // 5],
                tags=["branch", "pilot"] if n % 7 == 0 else ["branch"],
                vars={"asn": 65000 + n // 5, "circuit": f"WC-{n:05d}"},
                snmp={"version": "2c", "credentials": "branch-snmp", "port": 161},
                credential_ref=ssh,
                content_hash="0" * 64,
            )
            for n in range(count)
        ]
        session.add_all(devices)
        core = Group(name="core", kind="static")
        session.add_all(
            [
                core,
                Group(name="routers", kind="dynamic", filter='role == "branch-router"'),
                Group(name="pilot", kind="dynamic", filter='"pilot" in tags'),
            ]
        )
        session.flush()
        session.add_all(GroupMember(group_id=core.id, device_id=d.id) for d in devices[:20])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def ward_api(env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """``ward api`` in its own process group; its base URL and pid."""
    port = free_port()
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ward_core.cli",
                "api",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/docs", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"ward api did not start:\n{log.read_text(encoding='utf-8')}") from None
                time.sleep(0.1)
        yield base, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


Row = tuple[str, float, float, float | None]
"""case, p50 ms, p99 ms, server CPU ms per request (None: not an API request)."""


def timed(
    call: Callable[[], object], requests: int, warmup: int, pid: int | None = None
) -> tuple[float, float, float | None]:
    """p50 and p99 of ``requests`` calls after ``warmup``, and the server's CPU ms per call."""
    for _ in range(warmup):
        call()
    samples = []
    cpu_before = cpu_seconds(pid) if pid else 0.0
    for _ in range(requests):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000.0)
    cpu = (cpu_seconds(pid) - cpu_before) * 1000.0 / requests if pid else None
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), cuts[98], cpu


def measure(size: int, requests: int, warmup: int) -> list[Row]:
    rows: list[Row] = []
    with scratch_database(ADMIN_URL) as (engine, url), tempfile.TemporaryDirectory() as folder:
        add_fleet(engine, size)
        roles = Path(folder) / "roles.yml"
        roles.write_text(yaml.safe_dump({"users": {"dash": {"roles": ["viewer"]}}}), encoding="utf-8")
        settings = load_settings(database_url=url, roles_file=roles)
        with session_scope(engine) as session:
            token = create_token(
                session,
                load_directory(settings),
                user="dash",
                scopes=None,
                expires_at=None,
                created_by="bench",
            ).token
        client_redis = redis.Redis.from_url(REDIS_URL)
        delete_ward_keys(client_redis)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
        env.update(
            WARD_CONFIG=os.devnull,
            WARD_DATABASE_URL=url,
            WARD_REDIS_URL=REDIS_URL,
            WARD_ROLES_FILE=str(roles),
            WARD_API_RATE_LIMIT_PER_TOKEN=str(10**9),
            WARD_API_RATE_LIMIT_PER_ADDRESS=str(10**9),
        )
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
        everything = {"limit": str(size)}

        raw = engine.raw_connection()
        statement = str(select_devices().compile(engine, compile_kwargs={"literal_binds": True}))

        def raw_sql() -> None:
            cursor = raw.cursor()
            cursor.execute(statement)
            cursor.fetchall()
            cursor.close()

        rows.append(("raw SQL (device query)", *timed(raw_sql, requests, warmup)))
        raw.close()

        with (
            ward_api(env, Path(folder) / "api.log") as (base, pid),
            httpx.Client(base_url=base, timeout=60) as http,
        ):
            rows.append(("HTTP floor (GET /docs)", *timed(lambda: http.get("/docs"), requests, warmup, pid)))
            first = http.get("/api/v1/devices", params=everything, headers=headers)
            assert first.status_code == 200 and first.json()["total"] == size, first.text[:200]
            etag = first.headers["etag"]

            def cached() -> None:
                answer = http.get("/api/v1/devices", params=everything, headers=headers)
                assert answer.status_code == 200

            def conditional() -> None:
                answer = http.get(
                    "/api/v1/devices", params=everything, headers={**headers, "If-None-Match": etag}
                )
                assert answer.status_code == 304

            def page() -> None:
                assert http.get("/api/v1/devices", headers=headers).status_code == 200

            rows.append((f"list of {size}, cached", *timed(cached, requests, warmup, pid)))
            rows.append((f"list of {size}, 304", *timed(conditional, requests, warmup, pid)))
            rows.append(("page of 100, cached", *timed(page, requests, warmup, pid)))
        env["WARD_API_DEVICE_CACHE_TTL_S"] = "0"
        uncached_requests = max(20, requests // (4 if size > 2000 else 1))
        with (
            ward_api(env, Path(folder) / "api-nocache.log") as (base, pid),
            httpx.Client(base_url=base, timeout=60) as http,
        ):

            def uncached() -> None:
                assert http.get("/api/v1/devices", params=everything, headers=headers).status_code == 200

            rows.append((f"list of {size}, uncached", *timed(uncached, uncached_requests, warmup // 4, pid)))
        delete_ward_keys(client_redis)
        client_redis.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[875, 10_000])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=40)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    for size in args.sizes:
        rows = measure(size, args.requests, args.warmup)
        floor = next(p50 for name, p50, _, _ in rows if name.startswith("HTTP floor"))
        sql = next(p50 for name, p50, _, _ in rows if name.startswith("raw SQL"))
        print(f"\n{size} devices ({args.requests} sequential requests each, one keep-alive client, gzip)")
        print(f"  {'case':32} {'p50 ms':>8} {'p99 ms':>8} {'x floor':>8} {'x SQL':>7} {'server CPU ms':>14}")
        for name, p50, p99, cpu in rows:
            shown = f"{cpu:14.2f}" if cpu is not None else f"{'-':>14}"
            print(f"  {name:32} {p50:8.2f} {p99:8.2f} {p50 / floor:8.1f} {p50 / sql:7.1f} {shown}")
        if size == 875:
            cached_p50 = next(p50 for name, p50, _, _ in rows if name.endswith(", cached") and "list" in name)
            verdict = "met" if cached_p50 < GOAL_P50_MS else "MISSED"
            print(f"  goal p50 < {GOAL_P50_MS:g} ms for the 875-device list: {verdict} ({cached_p50:.2f} ms)")

    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
