"""Running ward's actors: a Dramatiq :class:`~dramatiq.Worker` wired to the probe service.

:func:`start_worker` is what every consuming process does, whether a ``ward worker`` process on
Redis or RabbitMQ or the scheduler's own in-process worker (:func:`in_process_worker`, used when no
broker is configured: a :class:`~dramatiq.brokers.stub.StubBroker` and a Worker in the scheduler's
process, so batches go through the same actor, retries and time limits).

Each worker thread holds at most one message (prefetch = threads): a process never sits on batches
another, idle, process could run, and a process that dies holds at most one batch per thread.
Consumers poll every :data:`WORKER_TIMEOUT_MS` at most, which bounds the pause between two
batches of a busy worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from dramatiq import Broker, Worker
from dramatiq.middleware import Retries
from sqlalchemy import Engine

from ward_core.config import Settings
from ward_core.errors import ConfigError
from ward_core.plugin_manager import WardPlugins
from ward_core.worker.abandoned import AbandonedBatches
from ward_core.worker.actors import WardActors, declare_actors
from ward_core.worker.broker import BrokerKind, configure_broker, kind_of
from ward_core.worker.runner import BatchRunner

WORKER_TIMEOUT_MS = 100
STOP_TIMEOUT_MS = 60_000


@dataclass(frozen=True, slots=True)
class RunningWorker:
    """A started Dramatiq worker and the actors it runs."""

    worker: Worker
    actors: WardActors

    def stop(self, timeout_ms: int = STOP_TIMEOUT_MS) -> None:
        """Let running batches finish (up to ``timeout_ms``) and hand prefetched ones back."""
        self.worker.stop(timeout=timeout_ms)


def start_worker(broker: Broker, engine: Engine, plugins: WardPlugins, *, threads: int) -> RunningWorker:
    """Declare the actors on ``broker`` with the probe service behind them, and start consuming."""
    if threads < 1:
        raise ConfigError(f"a worker needs at least 1 thread, got {threads}")
    broker.add_middleware(AbandonedBatches(engine), before=Retries)
    actors = declare_actors(broker, BatchRunner(engine, plugins))
    broker.emit_after("process_boot")
    worker = Worker(broker, worker_threads=threads, worker_timeout=WORKER_TIMEOUT_MS)
    worker.queue_prefetch = threads
    worker.start()
    return RunningWorker(worker, actors)


@contextmanager
def in_process_worker(
    settings: Settings, engine: Engine, plugins: WardPlugins, *, threads: int = 1
) -> Iterator[RunningWorker]:
    """The in-process mode: a StubBroker and a Worker in this process, stopped on exit."""
    if settings.broker_url:
        raise ConfigError("the in-process worker is for settings without a broker_url")
    broker = configure_broker(settings)
    if kind_of(broker) is not BrokerKind.IN_PROCESS:
        raise ConfigError("the in-process worker needs the in-process broker")
    running = start_worker(broker, engine, plugins, threads=threads)
    try:
        yield running
    finally:
        running.stop()
        broker.close()
