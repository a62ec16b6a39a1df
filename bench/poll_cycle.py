"""A full poll cycle of the simulated lab through Dramatiq on Redis: 1 worker process against 2.

    .venv/bin/python bench/poll_cycle.py [--devices 1000] [--batch-size 25] [--threads 2] [--rounds 2]

Starts a lab of ``--devices`` devices, a fresh PostgreSQL database (on ``WARD_BENCH_PG_ADMIN_URL``,
default the local ``postgres`` server) with the lab's inventory, and a Redis database of its own.
After one warm-up cycle (so that counters have a previous reading and every measured cycle
derives rates, as in steady state), it times cycles with ``ward worker --processes 1`` and
``--processes 2`` (same threads per process), alternating 1, 2, 2, 1... A cycle's time is its
record's start (batches enqueued) to its last batch committed. Prints each cycle with the CPU
seconds its workers, the lab daemon and the database backends used (the lab and PostgreSQL share
the machine with the workers, which bounds what a second worker process can add), the best time
per configuration and the ratio; the issue's goal is 2 processes >= 1.7x one. The machine's load
average is printed too: other work on it skews the ratio.

Every kind the installed plugins declare is polled (ICMP and SNMP), as ``ward poll`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, make_url, text

from ward_core.testing.lab import running_lab

WARD = [sys.executable, "-m", "ward_core.cli"]
ADMIN_URL = os.environ.get("WARD_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CLAIM_KEY = "ward-bench:claimed"


def run(env: dict[str, str], *args: str, timeout: float = 900) -> str:
    result = subprocess.run(
        [*WARD, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise SystemExit(
            f"ward {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


def claim_redis_db() -> tuple[redis.Redis, str]:
    """A Redis database no test or other bench uses right now (claimed with SET NX)."""
    for db in range(15, 0, -1):
        client = redis.Redis(host="127.0.0.1", port=6379, db=db)
        if client.set(CLAIM_KEY, "1", nx=True, ex=3600):
            for key in client.scan_iter(match="ward:*"):
                client.delete(key)
            return client, f"redis://127.0.0.1:6379/{db}"
        client.close()
    raise SystemExit("every Redis database 1-15 is claimed")


def create_database() -> tuple[str, str]:
    name = f"ward_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def group_pids(pgid: int) -> list[int]:
    """Processes of process group ``pgid``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rpartition(")")[2].split()[2]) == pgid:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def backend_pids(database: str) -> list[int]:
    """PostgreSQL backends serving ``database`` now."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
            {"d": database},
        ).scalars()
        found = [int(p) for p in pids]
    admin.dispose()
    return found


class Workers:
    """``ward worker --processes N`` in the background, in its own process group."""

    def __init__(self, env: dict[str, str], processes: int, threads: int, log: Path) -> None:
        self.log = log
        self._out = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [*WARD, "worker", "--processes", str(processes), "--threads", str(threads)],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while self.log.read_text(encoding="utf-8").count("worker process ready") < processes:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"workers did not start:\n{self.log.read_text(encoding='utf-8')}")
            time.sleep(0.2)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._out.close()


def one_cycle(
    env: dict[str, str], batch_size: int, *, workers: Workers, lab_pid: int, database: str
) -> dict[str, Any]:
    """Run one cycle to its end; its record's duration, failures, and CPU seconds by component.

    CPU is read from /proc for the worker processes, the lab daemon and the database's backends
    (those connected before the cycle, i.e. the workers' pooled connections and new ones missed).
    """
    pids = {
        "workers": group_pids(workers.process.pid),
        "lab": [lab_pid],
        "database": backend_pids(database),
    }
    before = {name: sum(cpu_seconds(p) for p in group) for name, group in pids.items()}
    started = json.loads(
        run(
            env,
            "scheduler",
            "--once",
            "--wait",
            "--batch-size",
            str(batch_size),
            "--json",
            "--log-level",
            "ERROR",
        )
    )
    if started.get("status") != "succeeded":
        raise SystemExit(f"cycle did not succeed: {started}")
    pids["database"] = sorted(set(pids["database"]) | set(backend_pids(database)))
    cpu = {name: sum(cpu_seconds(p) for p in group) - before.get(name, 0.0) for name, group in pids.items()}
    result = subprocess.run([*WARD, "status", "--json"], env=env, capture_output=True, text=True, check=False)
    [schedule] = json.loads(result.stdout)["schedules"]
    current = schedule["current"]
    return {
        "seconds": current["duration_s"],
        "devices": current["devices"],
        "batches": current["batches"],
        "failed_devices": current["failed_devices"],
        "batch_mean_s": current["batch_duration_mean_s"],
        "cpu": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=25)
    parser.add_argument("--threads", type=int, default=2, help="threads per worker process")
    parser.add_argument("--rounds", type=int, default=2, help="cycles per configuration")
    args = parser.parse_args()

    client, redis_url = claim_redis_db()
    database, database_url = create_database()
    times: dict[int, list[float]] = {1: [], 2: []}
    try:
        with tempfile.TemporaryDirectory(prefix="ward-bench-cycle-") as folder:
            work = Path(folder)
            with running_lab(work / "lab", devices=args.devices) as lab:
                env = dict(os.environ)
                env.update(
                    WARD_DATABASE_URL=database_url,
                    WARD_BROKER_URL=redis_url,
                    WARD_SECRETS_FILE=str(lab.lab_dir / "secrets.yml"),
                    WARD_CONFIG=os.devnull,
                )
                run(env, "db", "upgrade")
                inventory = work / "lab.yml"
                inventory.write_text(lab.ward("lab", "inventory").stdout, encoding="utf-8")
                run(env, "inventory", "import", str(inventory))
                print(
                    f"lab of {args.devices} devices, batches of {args.batch_size}, "
                    f"{args.threads} thread(s) per worker process, {os.cpu_count()} CPUs"
                )
                lab_pid = int((lab.lab_dir / "lab.pid").read_text().split()[0])
                workers = Workers(env, 2, args.threads, work / "warmup.log")
                warm = one_cycle(env, args.batch_size, workers=workers, lab_pid=lab_pid, database=database)
                workers.stop()
                print(f"warm-up (2 processes): {warm['seconds']:.2f} s")
                order = [1, 2, 2, 1] * ((args.rounds + 1) // 2)
                for processes in order[: 2 * args.rounds]:
                    workers = Workers(env, processes, args.threads, work / f"w{processes}.log")
                    try:
                        cycle = one_cycle(
                            env, args.batch_size, workers=workers, lab_pid=lab_pid, database=database
                        )
                    finally:
                        workers.stop()
                    times[processes].append(cycle["seconds"])
                    cpu = ", ".join(f"{name} {seconds:.1f}" for name, seconds in cycle["cpu"].items())
                    print(
                        f"{processes} process(es): {cycle['seconds']:6.2f} s for {cycle['devices']} devices "
                        f"in {cycle['batches']} batches (batch mean {cycle['batch_mean_s']:.2f} s, "
                        f"{cycle['failed_devices']} device(s) failed a kind); CPU s: {cpu}; "
                        f"load {os.getloadavg()[0]:.2f}"
                    )
    finally:
        drop_database(database)
        for key in client.scan_iter(match="ward:*"):
            client.delete(key)
        client.delete(CLAIM_KEY)
        client.close()
    one, two = min(times[1]), min(times[2])
    print(
        f"best: 1 process {one:.2f} s, 2 processes {two:.2f} s; ratio {one / two:.2f}x "
        f"(median {statistics.median(times[1]) / statistics.median(times[2]):.2f}x; goal >= 1.7x)"
    )


if __name__ == "__main__":
    main()
