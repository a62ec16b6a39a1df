"""The pipeline as ops run it: ``ward worker`` processes on Redis, ``ward scheduler``, ``ward status``,
the metrics endpoint, on PostgreSQL, with the reference TCP probe against loopback sockets.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, func, select, text
from ward_reference.probe import CONNECT_MS, KIND

from ward_core.db import session_scope
from ward_core.db.models import LatestSample, ProbeBatch, Run, RunResult
from ward_core.testing.network import TcpListener, closed_tcp_port
from ward_core.worker.cycles import CYCLE_KIND

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]

READY = "worker process ready"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape(port: int) -> dict[str, float]:
    """The metrics endpoint's samples, by their full name with labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        body = response.read().decode()
    values: dict[str, float] = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def run_json(ward: Any, env: dict[str, str], *args: str, code: int = 0) -> Any:
    result = ward.run(env, *args, "--json")
    assert result.returncode == code, result.stdout + result.stderr
    return json.loads(result.stdout)


def cycle_once(ward: Any, env: dict[str, str], *extra: str, code: int = 0) -> Any:
    return run_json(
        ward,
        env,
        "scheduler",
        "--once",
        "--wait",
        "--kind",
        KIND,
        "--log-level",
        "WARNING",
        *extra,
        code=code,
    )


def test_a_cycle_through_a_worker_process_measures_every_device(
    ward: Any, pg_url: str, pg_engine: Engine, redis_url: str, listener: TcpListener, silent_port: int
) -> None:
    env = ward.env(pg_url, redis_url)
    closed = closed_tcp_port()
    devices = [(f"up{n:02d}", listener.port) for n in range(24)]
    devices += [(f"refused{n}", closed) for n in range(3)] + [(f"silent{n}", silent_port) for n in range(3)]
    ward.import_devices(env, devices)
    metrics_port = free_port()
    worker = ward.start(
        env, "worker", "--processes", "1", "--threads", "2", "--metrics-port", str(metrics_port)
    )
    worker.wait_for_output(READY)

    outcome = cycle_once(ward, env, "--batch-size", "7")
    assert (outcome["action"], outcome["status"]) == ("started", "succeeded")
    assert (outcome["devices"], outcome["batches"]) == (30, 5)

    with session_scope(pg_engine) as session:
        [cycle] = session.scalars(select(Run).where(Run.kind == CYCLE_KIND)).all()
        batch_ids = cycle.params["batch_ids"]
        assert session.scalar(select(func.count()).where(ProbeBatch.batch_id.in_(batch_ids))) == 5
        results = session.execute(select(RunResult.device, RunResult.status, RunResult.task)).all()
        latest = set(session.scalars(select(LatestSample.metric)).all())
    assert sorted(device for device, _, _ in results) == sorted(name for name, _ in devices)
    assert {task for _, _, task in results} == {KIND}
    failed = sorted(device for device, status, _ in results if status == "failed")
    assert failed == sorted([f"refused{n}" for n in range(3)] + [f"silent{n}" for n in range(3)])
    assert CONNECT_MS in latest

    status = run_json(ward, env, "status")
    [probes] = status["schedules"]
    assert probes["keeping_up"] is True, probes["problems"]
    assert probes["current"]["status"] == "succeeded"
    assert (probes["current"]["ok_devices"], probes["current"]["failed_devices"]) == (24, 6)
    assert probes["current"]["errors_by_kind"] == {KIND: 6}
    assert probes["outstanding_batches"] == 0
    assert status["queue"] == {"queue": "ward.probes", "waiting": 0, "delayed": 0, "in_flight": 0, "dead": 0}

    metrics = scrape(metrics_port)
    assert metrics['ward_poll_devices{schedule="probes",state="ok"}'] == 24
    assert metrics['ward_poll_devices{schedule="probes",state="failed"}'] == 6
    assert metrics[f'ward_poll_errors{{kind="{KIND}",plugin="reference",schedule="probes"}}'] == 6
    assert metrics['ward_poll_outstanding_batches{schedule="probes"}'] == 0
    assert metrics['ward_poll_keeping_up{schedule="probes"}'] == 1
    assert metrics['ward_queue_messages{queue="ward.probes",state="waiting"}'] == 0
    assert metrics['ward_up{component="database"}'] == 1
    assert metrics['ward_up{component="broker"}'] == 1
    assert 0 < metrics['ward_poll_batch_duration_seconds{schedule="probes",stat="max"}'] < 60

    assert worker.stop() == 0
    assert "all worker processes stopped" in worker.output()


def test_a_cycle_through_rabbitmq(ward: Any, pg_url: str, rabbitmq_url: str, listener: TcpListener) -> None:
    env = ward.env(pg_url, rabbitmq_url)
    ward.import_devices(env, [(f"r{n}", listener.port) for n in range(9)])
    worker = ward.start(env, "worker", "--processes", "1", "--threads", "2")
    worker.wait_for_output(READY)
    outcome = cycle_once(ward, env, "--batch-size", "4")
    assert (outcome["status"], outcome["batches"], outcome["devices"]) == ("succeeded", 3, 9)
    status = run_json(ward, env, "status")
    assert status["schedules"][0]["current"]["ok_devices"] == 9
    assert status["queue"] == {
        "queue": "ward.probes",
        "waiting": 0,
        "delayed": 0,
        "in_flight": None,
        "dead": 0,
    }
    assert worker.stop() == 0


def test_workers_ride_out_lost_database_and_redis_connections(
    ward: Any,
    pg_url: str,
    pg_engine: Engine,
    redis_url: str,
    redis_client: redis.Redis,
    listener: TcpListener,
) -> None:
    env = ward.env(pg_url, redis_url)
    ward.import_devices(env, [(f"r{n}", listener.port) for n in range(10)])
    worker = ward.start(env, "worker", "--processes", "1", "--threads", "2")
    worker.wait_for_output(READY)
    assert cycle_once(ward, env, "--batch-size", "3")["status"] == "succeeded"

    with pg_engine.connect() as conn:
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid() AND application_name <> 'pytest-admin'"
            ),
            {"db": database},
        ).scalar_one()
    assert killed >= 1, "the worker held database connections"
    assert cycle_once(ward, env, "--batch-size", "3")["status"] == "succeeded"

    db = redis_client.connection_pool.connection_kwargs["db"]
    own = redis_client.client_id()
    victims = [c["id"] for c in redis_client.client_list() if int(c["db"]) == db and int(c["id"]) != own]
    assert victims, "the worker held Redis connections"
    for client_id in victims:
        redis_client.client_kill_filter(_id=client_id)
    time.sleep(1)
    assert cycle_once(ward, env, "--batch-size", "3")["status"] == "succeeded"

    with session_scope(pg_engine) as session:
        assert session.scalar(select(func.count()).select_from(RunResult)) == 30
        cycles = session.scalars(select(Run.status).where(Run.kind == CYCLE_KIND)).all()
    assert cycles == ["succeeded"] * 3


def test_without_a_broker_the_scheduler_runs_batches_itself(
    ward: Any, tmp_path: Any, listener: TcpListener
) -> None:
    env = ward.env(f"sqlite:///{tmp_path / 'ward.db'}")
    assert ward.run(env, "db", "upgrade").returncode == 0
    ward.import_devices(env, [(f"r{n}", listener.port) for n in range(7)])
    outcome = run_json(
        ward, env, "scheduler", "--once", "--kind", KIND, "--batch-size", "3", "--log-level", "ERROR"
    )
    assert (outcome["status"], outcome["batches"], outcome["devices"]) == ("succeeded", 3, 7)
    status = run_json(ward, env, "status")
    assert status["queue"] is None
    assert status["schedules"][0]["current"]["ok_devices"] == 7

    worker = ward.run(env, "worker")
    assert worker.returncode == 2
    assert "ward worker needs a broker: set WARD_BROKER_URL" in worker.stderr


@pytest.mark.parametrize(
    ("broker_url", "shown"),
    [
        ("redis://127.0.0.1:1/0", "cannot reach the Redis broker at redis://127.0.0.1:1/0"),
        ("redis://:s3cret@127.0.0.1:1/0", "cannot reach the Redis broker at redis://:***@127.0.0.1:1/0"),
        (
            "amqp://ward:s3cret@127.0.0.1:1/",
            "cannot reach the RabbitMQ broker at amqp://ward:***@127.0.0.1:1/",
        ),
    ],
)
def test_an_unreachable_broker_stops_start_up(ward: Any, pg_url: str, broker_url: str, shown: str) -> None:
    env = ward.env(pg_url, broker_url)
    for command in (["worker"], ["scheduler", "--once", "--kind", KIND]):
        result = ward.run(env, *command, timeout=60)
        assert result.returncode == 1, result.stdout + result.stderr
        assert shown in result.stderr
        assert "s3cret" not in result.stderr


def test_an_unreachable_database_stops_start_up(ward: Any, redis_url: str) -> None:
    env = ward.env("postgresql://nobody:s3cret@127.0.0.1:1/none", redis_url)
    for command in (["worker"], ["scheduler", "--once", "--kind", KIND], ["status"]):
        result = ward.run(env, *command, timeout=60)
        assert result.returncode == 1, result.stdout + result.stderr
        assert (
            "cannot read the schema revision of postgresql+psycopg://nobody:***@127.0.0.1:1/none"
            in result.stderr
        )
        assert "s3cret" not in result.stderr


def test_bad_input_is_refused_before_anything_is_queued(
    ward: Any, pg_url: str, redis_url: str, redis_client: redis.Redis, listener: TcpListener
) -> None:
    env = ward.env(pg_url, redis_url)
    ward.import_devices(env, [("r1", listener.port)])
    for args, message in (
        (["--kind", "no.such.kind"], "no.such.kind"),
        (["--kind", KIND, "--limit", "site:nowhere"], "site 'nowhere' has no devices"),
        (["--kind", KIND, "--schedule", "bad name"], "schedule name 'bad name'"),
    ):
        result = ward.run(env, "scheduler", "--once", *args)
        assert result.returncode == 2, result.stdout + result.stderr
        assert message in result.stderr
    assert list(redis_client.scan_iter(match="ward:*")) == []
