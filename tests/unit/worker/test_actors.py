"""The probe batch actor on Dramatiq's StubBroker and a real Worker: what is retried, what is not.

The handler stands in for the probe service here (its own tests cover it); what is under test is
the actor's failure policy and message shape.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dramatiq import Message, Worker
from dramatiq.brokers.stub import StubBroker

from ward_core.errors import PluginError
from ward_core.probes.outcome import BatchOutcome
from ward_core.worker.actors import MAX_RETRIES, NOT_RETRIED, TIME_LIMIT_MS, WardActors, declare_actors
from ward_core.worker.messages import PROBE_BATCH_ACTOR, QUEUE, BatchMessage
from ward_core.worker.queues import queue_depth

FAST = {"min_backoff": 10, "max_backoff": 40}
"""Message options so that retries in these tests wait milliseconds, not seconds."""


class Handler:
    """Fails with the given exceptions, one per call, then succeeds; remembers every message."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls: list[BatchMessage] = []

    def __call__(self, message: BatchMessage) -> BatchOutcome:
        self.calls.append(message)
        if self.failures:
            raise self.failures.pop(0)
        return BatchOutcome(batch_id=message.batch_id, devices=len(message.device_names))


@pytest.fixture
def broker() -> Iterator[StubBroker]:
    stub = StubBroker()
    stub.emit_after("process_boot")
    yield stub
    stub.close()


def _run(broker: StubBroker, actors: WardActors, message: BatchMessage) -> None:
    worker = Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        actors.probe_batch.send_with_options(args=message.args(), **FAST)
        broker.join(QUEUE, timeout=20_000, fail_fast=False)
        worker.join()
    finally:
        worker.stop()


MESSAGE = BatchMessage(cycle_id="c1", batch_id="c1.0000", kinds=("icmp",), device_names=("r1", "r2"))


def test_the_actor_is_declared_with_an_explicit_policy(broker: StubBroker) -> None:
    actors = declare_actors(broker, Handler())
    actor = broker.get_actor(PROBE_BATCH_ACTOR)
    assert actor is actors.probe_batch
    assert actor.queue_name == QUEUE
    assert actor.options["max_retries"] == MAX_RETRIES
    assert actor.options["time_limit"] == TIME_LIMIT_MS
    assert actor.options["throws"] == NOT_RETRIED
    assert actor.options["retry_when"](0, ConnectionResetError())
    assert not actor.options["retry_when"](MAX_RETRIES, ConnectionResetError())


def test_messages_carry_names_only(broker: StubBroker) -> None:
    actors = declare_actors(broker, None)
    actors.send_batch(MESSAGE, max_age_ms=5000)
    depth = queue_depth(broker)
    assert (depth.waiting, depth.delayed, depth.dead) == (1, 0, 0)
    encoded = broker.queues[QUEUE].get_nowait()
    sent = Message.decode(encoded)
    assert sent.args == ("c1", "c1.0000", ["icmp"], ["r1", "r2"])
    assert sent.options["max_age"] == 5000


def test_a_lost_connection_is_retried_until_the_batch_goes_through(broker: StubBroker) -> None:
    handler = Handler(ConnectionResetError("database went away"), ConnectionRefusedError("still down"))
    _run(broker, declare_actors(broker, handler), MESSAGE)
    assert [m.batch_id for m in handler.calls] == ["c1.0000"] * 3
    assert handler.calls[0] == MESSAGE
    assert broker.dead_letters == []


@pytest.mark.parametrize(
    "error", [PluginError("no plugin declares probe kind 'icmpp'"), ValueError("a bug"), KeyError("x")]
)
def test_other_errors_fail_the_message_at_once(broker: StubBroker, error: Exception) -> None:
    handler = Handler(error)
    _run(broker, declare_actors(broker, handler), MESSAGE)
    assert len(handler.calls) == 1
    [dead] = broker.dead_letters
    assert dead.args[1] == "c1.0000"


def test_retries_stop_at_the_limit(broker: StubBroker) -> None:
    handler = Handler(*(ConnectionResetError(f"attempt {n}") for n in range(MAX_RETRIES + 5)))
    _run(broker, declare_actors(broker, handler), MESSAGE)
    assert len(handler.calls) == MAX_RETRIES + 1
    assert len(broker.dead_letters) == 1


def test_a_send_only_declaration_refuses_to_run_a_batch(broker: StubBroker) -> None:
    _run(broker, declare_actors(broker, None), MESSAGE)
    [dead] = broker.dead_letters
    assert "only sends probe batches" in str(dead._exception)
