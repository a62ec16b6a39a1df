"""Running remediation workers, and handing approved requests to them.

- :func:`start_remediation_worker`: a Dramatiq :class:`~dramatiq.Worker` consuming the remediation
  queue of ``broker`` with the :class:`~ward_core.remediation.execution.Executor` behind the actor
  (what ``ward remediation worker`` runs on Redis or RabbitMQ);
- :func:`enqueue`: send one request id. With a broker configured the message goes to the queue;
  without one (the in-process mode) a StubBroker and a worker in this process run it at once,
  through the very same actor, gate and policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from dramatiq import Broker, Worker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage

from ward_core.errors import ConfigError
from ward_core.remediation.actor import QUEUE, RemediationActor, declare_remediation_actor
from ward_core.remediation.context import RemediationContext
from ward_core.remediation.execution import Executor
from ward_core.worker.broker import configure_broker, display_broker_url

WORKER_TIMEOUT_MS = 100
STOP_TIMEOUT_MS = 60_000


@dataclass(frozen=True, slots=True)
class RunningRemediationWorker:
    """A started worker and the actor it runs."""

    worker: Worker
    actor: RemediationActor

    def stop(self, timeout_ms: int = STOP_TIMEOUT_MS) -> None:
        """Let a running execution finish (up to ``timeout_ms``), hand prefetched messages back."""
        self.worker.stop(timeout=timeout_ms)


def start_remediation_worker(
    broker: Broker, ctx: RemediationContext, *, threads: int
) -> RunningRemediationWorker:
    """Declare the remediation actor on ``broker`` with the executor behind it and start consuming."""
    if threads < 1:
        raise ConfigError(f"a worker needs at least 1 thread, got {threads}")
    if not any(isinstance(m, CurrentMessage) for m in broker.middleware):
        broker.add_middleware(CurrentMessage())
    actor = declare_remediation_actor(
        broker, Executor(ctx), time_limit_s=ctx.settings.remediation_time_limit_s
    )
    broker.emit_after("process_boot")
    worker = Worker(broker, queues={QUEUE}, worker_threads=threads, worker_timeout=WORKER_TIMEOUT_MS)
    worker.queue_prefetch = threads
    worker.start()
    return RunningRemediationWorker(worker, actor)


@contextmanager
def _in_process(ctx: RemediationContext) -> Iterator[RunningRemediationWorker]:
    broker = configure_broker(ctx.settings)
    running = start_remediation_worker(broker, ctx, threads=1)
    try:
        yield running
    finally:
        running.stop()
        broker.close()


def enqueue(ctx: RemediationContext, request_id: int) -> str:
    """Hand request ``request_id`` to a worker (module docstring); says where it went."""
    settings = ctx.settings
    if settings.broker_url:
        broker = configure_broker(settings)
        try:
            actor = declare_remediation_actor(broker, None, time_limit_s=settings.remediation_time_limit_s)
            message_id = actor.send(request_id)
        finally:
            broker.close()
        return f"queued on {display_broker_url(settings.broker_url)} (message {message_id})"
    with _in_process(ctx) as running:
        running.actor.send(request_id)
        broker = running.worker.broker
        if isinstance(broker, StubBroker):
            broker.join(QUEUE, fail_fast=True)
        running.worker.join()
    return "ran in this process (no broker configured)"
