"""What is retried, how slots and lag are computed, what a schedule accepts: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import redis
import sqlalchemy.exc

from ward_core.errors import BrokerError, ConfigError, InventoryError, PluginError, StorageError, WardError
from ward_core.worker.broker import BrokerKind, BrokerOptions, broker_kind, display_broker_url
from ward_core.worker.cycles import next_slot
from ward_core.worker.messages import batch_ids, batch_messages, check_schedule, new_cycle_id
from ward_core.worker.retry import RetryPolicy, is_transient
from ward_core.worker.scheduler import MIN_TIMEOUT_S, SchedulePlan

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _wrapped(cause: BaseException) -> StorageError:
    try:
        raise cause
    except BaseException as exc:
        try:
            raise StorageError("writing probe batch b1 failed") from exc
        except StorageError as wrapped:
            return wrapped


@pytest.mark.parametrize(
    "exc",
    [
        _wrapped(sqlalchemy.exc.OperationalError("INSERT", {}, psycopg.OperationalError("server closed"))),
        _wrapped(sqlalchemy.exc.InterfaceError("SELECT", {}, Exception("connection already closed"))),
        _wrapped(psycopg.OperationalError("connection refused")),
        redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379"),
        redis.exceptions.TimeoutError("Timeout reading from socket"),
        ConnectionResetError("reset by peer"),
    ],
)
def test_lost_connections_are_transient(exc: BaseException) -> None:
    assert is_transient(exc)
    assert RetryPolicy(max_retries=3)(0, exc)
    assert RetryPolicy(max_retries=3)(2, exc)
    assert not RetryPolicy(max_retries=3)(3, exc)


@pytest.mark.parametrize(
    "exc",
    [
        _wrapped(sqlalchemy.exc.IntegrityError("INSERT", {}, Exception("duplicate key"))),
        _wrapped(sqlalchemy.exc.ProgrammingError("SELECT", {}, Exception("relation does not exist"))),
        PluginError("no plugin declares probe kind 'icmpp'"),
        InventoryError("unknown device(s): r9", source="database"),
        ConfigError("a probe batch needs at least one probe kind"),
        TimeoutError("device r1 did not answer"),
        ValueError("bug"),
    ],
)
def test_everything_else_is_not_retried(exc: BaseException) -> None:
    assert not is_transient(exc)
    assert not RetryPolicy(max_retries=3)(0, exc)


def test_an_invalidated_connection_is_transient() -> None:
    exc = sqlalchemy.exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert is_transient(exc)


def test_cause_cycles_do_not_loop() -> None:
    first, second = ValueError("a"), ValueError("b")
    first.__context__, second.__context__ = second, first
    assert not is_transient(first)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("redis://127.0.0.1:6379/3", BrokerKind.REDIS),
        ("rediss://cache.example:6380/0", BrokerKind.REDIS),
        ("unix:///run/redis.sock", BrokerKind.REDIS),
        ("amqp://guest:guest@127.0.0.1:5672/", BrokerKind.RABBITMQ),
        ("amqps://mq.example/", BrokerKind.RABBITMQ),
        (None, BrokerKind.IN_PROCESS),
        ("", BrokerKind.IN_PROCESS),
    ],
)
def test_broker_kind_by_scheme(url: str | None, kind: BrokerKind) -> None:
    assert broker_kind(url) is kind


def test_an_unknown_scheme_is_refused_without_the_password() -> None:
    with pytest.raises(ConfigError, match=r"'kafka://u:\*\*\*@q:9092/': unknown scheme 'kafka'") as caught:
        broker_kind("kafka://u:s3cret@q:9092/")
    assert "s3cret" not in str(caught.value)


def test_display_keeps_urls_without_password() -> None:
    assert display_broker_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert (
        display_broker_url("amqp://guest:guest@127.0.0.1:5672/%2f") == "amqp://guest:***@127.0.0.1:5672/%2f"
    )


def test_heartbeat_options() -> None:
    assert BrokerOptions().heartbeat_timeout_s == 60.0
    short, long = BrokerOptions(heartbeat_timeout_s=3), BrokerOptions(heartbeat_timeout_s=600)
    assert 0 < long.maintenance_chance < short.maintenance_chance <= 1_000_000
    with pytest.raises(ConfigError, match="heartbeat timeout must be positive"):
        BrokerOptions(heartbeat_timeout_s=0)


def test_slots_on_time_late_and_far_behind() -> None:
    assert next_slot(T0, 60, T0 + timedelta(seconds=59.9)) is None
    on_time = next_slot(T0, 60, T0 + timedelta(seconds=60.2))
    assert on_time is not None
    assert (on_time.slot_at, on_time.due_at, round(on_time.lag_s, 3)) == (
        T0 + timedelta(seconds=60),
        T0 + timedelta(seconds=60),
        0.2,
    )
    # The scheduler was away for ten minutes: the next cycle serves the latest slot, and its lag
    # counts from the first one it missed.
    behind = next_slot(T0, 60, T0 + timedelta(seconds=630))
    assert behind is not None
    assert behind.slot_at == T0 + timedelta(seconds=600)
    assert behind.due_at == T0 + timedelta(seconds=60)
    assert behind.lag_s == 570.0


def test_ids_are_readable_and_ordered() -> None:
    cycle = new_cycle_id("probes", T0, token="abc123")
    assert cycle == "probes-20261201T080000Z-abc123"
    ids = batch_ids(cycle, 12)
    assert ids == sorted(ids)
    assert ids[11] == f"{cycle}.0011"
    messages = batch_messages(cycle, ["icmp"], [["r1", "r2"], ["r3"]])
    assert [(m.batch_id, m.device_names) for m in messages] == [
        (f"{cycle}.0000", ("r1", "r2")),
        (f"{cycle}.0001", ("r3",)),
    ]
    assert messages[1].args() == (cycle, f"{cycle}.0001", ["icmp"], ["r3"])
    assert new_cycle_id("probes", T0) != new_cycle_id("probes", T0)


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "semi;colon"])
def test_bad_schedule_names(name: str) -> None:
    with pytest.raises(ConfigError, match="schedule name"):
        check_schedule(name)


def test_schedule_plans_check_their_fields() -> None:
    plan = SchedulePlan(kinds=("icmp",), batch_size=200, interval_s=60)
    assert plan.cycle_timeout_s == 600
    assert SchedulePlan(kinds=("icmp",), batch_size=1, interval_s=1).cycle_timeout_s == MIN_TIMEOUT_S
    assert SchedulePlan(kinds=("icmp",), batch_size=1, timeout_s=42).cycle_timeout_s == 42
    for bad, message in (
        ({"interval_s": 0}, "interval must be positive"),
        ({"batch_size": 0}, "batch size must be at least 1"),
        ({"kinds": ()}, "at least one probe kind"),
        ({"timeout_s": -1}, "cycle timeout must be positive"),
        ({"name": "a b"}, "schedule name"),
    ):
        fields = {"kinds": ("icmp",), "batch_size": 10, **bad}
        with pytest.raises(ConfigError, match=message):
            SchedulePlan(**fields)  # type: ignore[arg-type]


def test_broker_errors_are_ward_errors() -> None:
    assert issubclass(BrokerError, WardError)
