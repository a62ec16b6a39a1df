"""Real ``ward worker`` processes and migrated PostgreSQL schemas, for tests of queued work.

- :func:`running_worker` starts ``ward worker`` (or ``ward remediation worker``...) as a subprocess
  in its own process group with the given environment, waits until it says it is ready, and always
  stops it (SIGTERM to the group, then SIGKILL);
- :func:`migrated_schema` gives the URL of a new PostgreSQL schema (``search_path`` set in the
  URL), migrated to the latest revision, dropped afterwards.

Together with :func:`~ward_core.testing.redis_db.claimed_redis_db` and
:func:`~ward_core.testing.lab.running_lab` they make the world a worker test needs::

    with migrated_schema(postgres_url) as url, claimed_redis_db() as broker:
        env = {..., "WARD_DATABASE_URL": url, "WARD_BROKER_URL": broker}
        with running_worker(env, tmp_path / "worker.log") as worker:
            ...
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from ward_core.db import get_engine, upgrade

WARD = [sys.executable, "-m", "ward_core.cli"]
READY = "worker process ready"


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> int:
    """SIGTERM ``process``'s group, wait, then SIGKILL what is left; its exit status."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait(10)


@contextmanager
def running_worker(
    env: Mapping[str, str],
    log: Path,
    args: Sequence[str] = ("worker", "--processes", "1"),
    *,
    ready: str = READY,
    timeout_s: float = 90.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """``ward ARGS`` running with ``env``, its output in ``log``, once ``ready`` appeared there."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*WARD, *args], env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + timeout_s
            while ready not in log.read_text(errors="replace"):
                if process.poll() is not None:
                    raise AssertionError(
                        f"ward {' '.join(args)} exited {process.returncode}:\n{log.read_text()}"
                    )
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"ward {' '.join(args)} not ready in {timeout_s:g} s:\n{log.read_text()}"
                    )
                time.sleep(0.2)
            yield process
        finally:
            stop_process(process)


@contextmanager
def migrated_schema(postgres_url: str, prefix: str = "s") -> Iterator[str]:
    """The URL of a new schema of ``postgres_url``'s database, migrated; dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    engine = get_engine(rendered, poolclass=NullPool)
    upgrade(engine)
    engine.dispose()
    try:
        yield rendered
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def scratch_database(admin_url: str, prefix: str = "ward_bench") -> Iterator[tuple[Engine, str]]:
    """A new, migrated database on ``admin_url``'s server, its engine and URL; dropped afterwards
    (its remaining connections terminated first). For benchmarks that need a database of their own."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = get_engine(url)
    try:
        upgrade(engine)
        yield engine, url
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
