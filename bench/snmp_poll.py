"""SNMP interface polling: ward's ``snmp.interfaces`` probe against the net-snmp CLI, same agents, same run.

    .venv/bin/python bench/snmp_poll.py [--agents 20] [--seconds 5] [--cli-workers 4] [--v3]

``--agents`` real net-snmp ``snmpd`` processes are started on random 127.x addresses (each its
own config and state, ``ward_snmp.testing.NetSnmpAgent``), serving this host's interfaces. Then,
for ``--seconds`` each, the same devices are polled over and over:

- ward: the plugin's ``ward_probe_run`` for the whole batch (one asyncio loop, one gufo-snmp
  session per device, concurrency ``--concurrency``): a GET of sysUpTime.0 and ifNumber.0, then a
  GETBULK walk of each of the ten columns (ifName, ifHCIn/OutOctets, ifHighSpeed, ifAdmin/OperStatus,
  ifIn/OutErrors, ifIn/OutDiscards), metrics built;
- the CLI, as LibreNMS polls: per device ``snmpget`` of the same two scalars and one
  ``snmpbulkwalk -Cr<rows+1>`` per column (net-snmp walks one subtree per process), devices spread
  over ``--cli-workers`` threads, outputs parsed.

- ward + PostgreSQL: the same devices stored in a fresh PostgreSQL database and polled through
  ``run_probe_batch``, the path workers take: targets loaded, the plugin run, rates derived, samples,
  latest values and run records written in one transaction (``--database`` names the server's
  admin URL; the bench database is created and dropped).

Printed: devices polled per second each way, client CPU per device poll, and the ratios (goal:
ward with its writes at least 5x the CLI). The agents and PostgreSQL run on the same 2 cores, so
every rate includes their CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ward_snmp.plugin
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from ward_snmp.interface_table import PRIMARY_COLUMNS
from ward_snmp.oids import IF_NUMBER, SYS_UPTIME
from ward_snmp.testing import QUIET_MIBS, NetSnmpAgent, SnmpdUser, random_loopback

from ward_core.config import load_settings
from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import Device
from ward_core.inventory.credentials import env_var
from ward_core.plugin_manager import load_plugins
from ward_core.probes.service import run_probe_batch
from ward_core.types import DeviceTarget, ProbeOptions, SnmpTarget

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

COMMUNITY = "bench-ro"
USER = SnmpdUser("bench-v3", "bench-auth-pass", "bench-priv-pass", "SHA", "AES")


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def targets(agents: list[NetSnmpAgent], v3: bool) -> list[DeviceTarget]:
    """One device per agent, v2c with the bench community or v3 with the bench user."""
    devices = []
    for n, agent in enumerate(agents):
        if v3:
            snmp = SnmpTarget(
                version="3",
                credentials=USER.name,
                port=agent.port,
                user=USER.name,
                auth_protocol="sha",
                priv_protocol="aes128",
            )
        else:
            snmp = SnmpTarget(version="2c", credentials="bench", port=agent.port)
        devices.append(DeviceTarget(name=f"snmpd{n}", host=agent.address, platform="linux", snmp=snmp))
    return devices


def poll_ward(
    devices: list[DeviceTarget], seconds: float, concurrency: int
) -> tuple[int, int, float, float, int]:
    """(polls, failures, wall s, CPU s, interfaces seen in the last round)."""
    options = ProbeOptions(timeout=2.0, retries=1, concurrency=concurrency)
    polls = failures = interfaces = 0
    cpu0, started = cpu_seconds(), time.perf_counter()
    while time.perf_counter() - started < seconds:
        batch = ward_snmp.plugin.ward_probe_run(kind="snmp.interfaces", devices=devices, options=options)
        assert batch is not None
        polls += len(batch.results)
        failures += len(batch.failed)
        interfaces = sum(1 for r in batch.results for m in r.metrics if m.name == "if.oper_up")
    return polls, failures, time.perf_counter() - started, cpu_seconds() - cpu0, interfaces


def poll_ward_stored(
    devices: list[DeviceTarget], seconds: float, concurrency: int, admin_url: str
) -> tuple[int, int, float, float, int]:
    """Like :func:`poll_ward`, through ``run_probe_batch`` into a fresh PostgreSQL database."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"ward_bench_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = get_engine(url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            for device in devices:
                assert device.snmp is not None
                snmp = {
                    field: getattr(device.snmp, field)
                    for field in ("version", "credentials", "port", "user", "auth_protocol", "priv_protocol")
                    if getattr(device.snmp, field) is not None
                }
                session.add(
                    Device(
                        name=device.name,
                        host=device.host,
                        port=22,
                        platform=device.platform,
                        tags=[],
                        vars={},
                        snmp=snmp,
                        content_hash="0" * 64,
                    )
                )
        options = {"snmp.interfaces": ProbeOptions(timeout=2.0, retries=1, concurrency=concurrency)}
        names = [d.name for d in devices]
        polls = failures = 0
        with load_plugins(load_settings(database_url=url)) as plugins:
            run_probe_batch(engine=engine, plugins=plugins, kinds=["snmp.interfaces"], device_names=names)
            cpu0, started = cpu_seconds(), time.perf_counter()
            while time.perf_counter() - started < seconds:
                outcome = run_probe_batch(
                    engine=engine,
                    plugins=plugins,
                    kinds=["snmp.interfaces"],
                    device_names=names,
                    options=options,
                )
                polls += outcome.devices
                failures += len(outcome.failures)
            wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu0
            written = outcome.samples_written
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return polls, failures, wall, cpu, written


def cli_poll(agent: NetSnmpAgent, auth: list[str]) -> int:
    """One device poll with the net-snmp CLI; the number of interfaces read."""
    env = {**os.environ, **QUIET_MIBS}
    base = [*auth, "-OnqetU", "-t", "2", "-r", "1"]
    scalars = subprocess.run(
        ["snmpget", *base, agent.endpoint, SYS_UPTIME, IF_NUMBER],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.split()
    rows = int(scalars[3]) + 1
    names = 0
    for column in PRIMARY_COLUMNS:
        out = subprocess.run(
            ["snmpbulkwalk", *base, f"-Cr{rows}", agent.endpoint, column.oid],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        values = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
        if column.name == "ifName":
            names = len(values)
    return names


def poll_cli(
    agents: list[NetSnmpAgent], auth: list[str], seconds: float, workers: int
) -> tuple[int, int, float, float, int]:
    """(polls, failures, wall s, CPU s incl. the CLI processes, interfaces seen in the last round)."""
    polls = failures = interfaces = 0
    cpu0, started = cpu_seconds(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while time.perf_counter() - started < seconds:
            counts = []
            for future in [pool.submit(cli_poll, a, auth) for a in agents]:
                try:
                    counts.append(future.result())
                except subprocess.CalledProcessError:
                    failures += 1
            polls += len(agents)
            interfaces = sum(counts)
    return polls, failures, time.perf_counter() - started, cpu_seconds() - cpu0, interfaces


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--agents", type=int, default=20, help="snmpd processes (devices), default 20")
    parser.add_argument("--seconds", type=float, default=5.0, help="polling time per side, default 5")
    parser.add_argument("--concurrency", type=int, default=20, help="ward: devices in flight, default 20")
    parser.add_argument(
        "--cli-workers", type=int, default=4, help="CLI: devices polled in parallel, default 4"
    )
    parser.add_argument("--v3", action="store_true", help="poll over SNMPv3 authPriv (SHA, AES-128)")
    parser.add_argument(
        "--database", default=ADMIN_URL, help=f"PostgreSQL admin URL for the stored run, default {ADMIN_URL}"
    )
    args = parser.parse_args()
    for tool in ("snmpget", "snmpbulkwalk"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install snmp")
    os.environ[env_var("bench", "community")] = COMMUNITY
    os.environ[env_var(USER.name, "auth_key")] = USER.auth_password
    os.environ[env_var(USER.name, "priv_key")] = USER.priv_password
    auth = USER.cli_auth() if args.v3 else ["-v2c", "-c", COMMUNITY]
    with tempfile.TemporaryDirectory(prefix="ward-snmp-bench-") as folder:
        agents = [
            NetSnmpAgent(
                Path(folder) / f"agent{n}", address=random_loopback(), community=COMMUNITY, users=[USER]
            )
            for n in range(args.agents)
        ]
        started = time.perf_counter()
        try:
            for agent in agents:
                agent.start()
            mode = "v3 authPriv" if args.v3 else "v2c"
            print(f"{len(agents)} snmpd agents up in {time.perf_counter() - started:.1f} s ({mode})")
            devices = targets(agents, args.v3)
            poll_ward(devices, 0.5, args.concurrency)  # warm-up: imports, master keys, agent caches
            ward = poll_ward(devices, args.seconds, args.concurrency)
            stored = poll_ward_stored(devices, args.seconds, args.concurrency, args.database)
            cli = poll_cli(agents, auth, args.seconds, args.cli_workers)
        finally:
            for agent in agents:
                agent.stop()
    rates = {}
    for name, (polls, failures, wall, cpu, count) in (("ward", ward), ("ward+pg", stored), ("cli", cli)):
        rates[name] = polls / wall
        what = "samples per batch" if name == "ward+pg" else "interfaces per round"
        print(
            f"{name:>7}: {polls} device polls in {wall:.1f} s = {rates[name]:,.0f} devices/s, "
            f"client CPU {1000 * cpu / polls:.2f} ms per poll, {failures} failed, {count} {what}"
        )
    ratio = rates["ward"] / rates["cli"]
    stored_ratio = rates["ward+pg"] / rates["cli"]
    print(f"ratio: the plugin alone polls {ratio:.1f}x the devices per second of the net-snmp CLI")
    print(f"ratio: with samples written to PostgreSQL {stored_ratio:.1f}x the CLI (goal >= 5x)")
    print(
        json.dumps(
            {
                "ward_devices_per_s": round(rates["ward"], 1),
                "ward_pg_devices_per_s": round(rates["ward+pg"], 1),
                "cli_devices_per_s": round(rates["cli"], 1),
                "ratio": round(ratio, 2),
                "ratio_with_writes": round(stored_ratio, 2),
            }
        )
    )
    return 0 if ward[1] == 0 and stored[1] == 0 and cli[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
