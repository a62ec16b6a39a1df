"""Running remediation workers, and handing approved requests to them.

- :func:`declare_remediation`: the actor with the :class:`~ward_core.remediation.execution.Executor`
  behind it, declared by every ``ward worker`` process beside ward's other actors;
- :func:`start_remediation_worker`: a Dramatiq :class:`~dramatiq.Worker` consuming the remediation
  queue only (what ``ward remediation worker`` runs on Redis or RabbitMQ: ``ward worker`` restricted
  to that queue, kept for deployments that run remediation on separate hosts);
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


def declare_remediation(broker: Broker, ctx: RemediationContext) -> RemediationActor:
    """Declare the remediation actor on ``broker`` with the executor behind it (and the middleware
    that tells it the message id). ``ward worker`` processes call this beside ward's other actors
    (:func:`ward_core.worker.runtime.start_worker`); :func:`start_remediation_worker` is the
    variant that consumes the remediation queue only."""
    if not any(isinstance(m, CurrentMessage) for m in broker.middleware):
        broker.add_middleware(CurrentMessage())
    return declare_remediation_actor(
        broker, Executor(ctx), time_limit_s=ctx.settings.remediation_time_limit_s
    )


def start_remediation_worker(
    broker: Broker, ctx: RemediationContext, *, threads: int
) -> RunningRemediationWorker:
    """Declare the remediation actor on ``broker`` and consume the remediation queue only
    (``ward remediation worker``, and the in-process mode of :func:`enqueue`)."""
    if threads < 1:
        raise ConfigError(f"a worker needs at least 1 thread, got {threads}")
    actor = declare_remediation(broker, ctx)
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
