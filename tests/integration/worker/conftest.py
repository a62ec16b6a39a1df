"""Real Redis, real PostgreSQL, real ``ward`` processes for the worker pipeline tests.

- ``redis_url``: a Redis database of its own (claimed among 1-15 with a ``SET NX`` key, so two test
  runs never share one); ward's keys in it are deleted before and after the test.
- ``pg_url``: a migrated PostgreSQL schema of its own on the run's fresh database.
- :class:`WardProcess`: a ``ward`` command running in the background in its own process group,
  always stopped (SIGTERM, then SIGKILL) at teardown.
- devices on loopback for the reference TCP probe: a listener that answers, and a "silent" port
  whose accept queue is full, so connecting there times out (a slow, dead device).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from sqlalchemy import Engine

from ward_core.db import get_engine
from ward_core.testing.network import TcpListener
from ward_core.testing.redis_db import claimed_redis_db
from ward_core.testing.workers import migrated_schema

WARD = [sys.executable, "-m", "ward_core.cli"]


@pytest.fixture
def redis_url() -> Iterator[str]:
    """``redis://127.0.0.1:6379/<n>`` for a database no other test run is using."""
    with claimed_redis_db() as url:
        yield url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client on the test's Redis database."""
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def rabbitmq_url() -> Iterator[str]:
    """``amqp://`` URL of a RabbitMQ virtual host of the test's own, deleted afterwards."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        if os.environ.get("CI") == "true":
            pytest.fail("rabbitmqctl not found")
        pytest.skip("rabbitmqctl not found")
    vhost = f"ward-test-{uuid.uuid4().hex[:8]}"

    def ctl(*args: str) -> None:
        subprocess.run([rabbitmqctl, *args], capture_output=True, check=True, timeout=60)

    ctl("add_vhost", vhost)
    try:
        ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        ctl("delete_vhost", vhost)


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose ``search_path`` is a new schema, dropped after the test.

    Unlike the root fixture of the same name, the schema is already migrated (workers and the
    scheduler refuse an unmigrated database), and no connection is kept open meanwhile, so a test
    may terminate every backend of the database.
    """
    with migrated_schema(postgres_url, "w") as url:
        yield url


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """An engine on the test's migrated schema."""
    engine = get_engine(pg_url)
    yield engine
    engine.dispose()


class WardProcess:
    """A ``ward`` command running in the background, in its own session (process group)."""

    def __init__(self, env: dict[str, str], args: Sequence[str], log: Path) -> None:
        self.args = list(args)
        self.log = log
        self._out = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [*WARD, *args], env=env, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(encoding="utf-8")

    def wait_for_output(self, needle: str, count: int = 1, timeout: float = 60) -> None:
        """Wait until ``needle`` appears ``count`` times in the output (AssertionError otherwise)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.output().count(needle) >= count:
                return
            if self.process.poll() is not None:
                raise AssertionError(
                    f"ward {' '.join(self.args)} exited {self.process.returncode}:\n{self.output()}"
                )
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} not seen {count}x within {timeout} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL the whole process group, as a machine losing power would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM the process group, wait, then SIGKILL whatever is left; the exit status."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        code = self.process.wait(10)
        self._out.close()
        return code


class Ward:
    """Runs ``ward`` as a user would: in the foreground, in the background, with an environment."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[WardProcess] = []

    def env(self, database_url: str, broker_url: str | None = None, **extra: str) -> dict[str, str]:
        """The environment of a ``ward`` subprocess: this database, this broker, no stray settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARD_")}
        env["WARD_DATABASE_URL"] = database_url
        if broker_url:
            env["WARD_BROKER_URL"] = broker_url
        env["WARD_CONFIG"] = os.devnull
        env.update(extra)
        return env

    def run(self, env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``ward`` to completion."""
        return subprocess.run(
            [*WARD, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def start(self, env: dict[str, str], *args: str) -> WardProcess:
        """Start ``ward`` in the background; stopped at teardown."""
        process = WardProcess(env, args, self.folder / f"ward-{len(self.started)}-{args[0]}.log")
        self.started.append(process)
        return process

    def import_devices(self, env: dict[str, str], devices: Sequence[tuple[str, int]]) -> None:
        """Import devices on 127.0.0.1, ``(name, port)`` each, with ``ward inventory import``."""
        path = self.folder / f"inventory-{uuid.uuid4().hex[:6]}.yml"
        write_inventory(path, devices)
        result = self.run(env, "inventory", "import", str(path))
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def ward(tmp_path: Path) -> Iterator[Ward]:
    """``ward`` commands for the test; background ones are stopped at teardown."""
    runner = Ward(tmp_path)
    yield runner
    for process in reversed(runner.started):
        process.stop()


def write_inventory(path: Path, devices: Sequence[tuple[str, int]]) -> Path:
    """An inventory file of devices on 127.0.0.1, ``(name, port)`` each."""
    document: dict[str, Any] = {
        "devices": [
            {"name": name, "host": "127.0.0.1", "port": port, "platform": "cisco_ios"}
            for name, port in devices
        ]
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


class SilentPort:
    """A loopback port whose accept queue is full: connecting there times out."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0), backlog=0)
        self.port: int = self._server.getsockname()[1]
        self._fill: list[socket.socket] = []
        for _ in range(3):
            sock = socket.socket()
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                sock.connect(("127.0.0.1", self.port))
            self._fill.append(sock)
        time.sleep(0.1)

    def close(self) -> None:
        for sock in self._fill:
            sock.close()
        self._server.close()


@pytest.fixture
def listener() -> Iterator[TcpListener]:
    """A loopback TCP listener that answers every connection."""
    with TcpListener(backlog=4096) as server:
        yield server


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port where connecting times out."""
    port = SilentPort()
    yield port.port
    port.close()
