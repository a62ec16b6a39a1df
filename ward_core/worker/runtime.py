"""Running ward's actors: Dramatiq workers wired to the services, for every queue ward has.

:func:`start_worker` is what every consuming process does, whether a ``ward worker`` process on
Redis or RabbitMQ or the scheduler's own in-process worker (:func:`in_process_worker`, used when no
broker is configured: a :class:`~dramatiq.brokers.stub.StubBroker` and workers in the scheduler's
process, so batches and runs go through the same actors, retries and time limits). It declares
every actor (:mod:`ward_core.worker.registry`) with its handler:

- probe batches: :class:`~ward_core.worker.runner.BatchRunner` (the probe service);
- backup and discovery batches: :class:`~ward_core.worker.job_runner.JobRunner`;
- playbook runs: :func:`~ward_core.playbooks.queued.execute_queued`;
- remediation requests: the remediation executor, behind its gate
  (:func:`~ward_core.remediation.runtime.declare_remediation`).

Two thread pools, so that long work never holds up polling: ``threads`` consume the probe queue
only, ``job_threads`` the other queues (a playbook run or a backup batch can take minutes; a probe
batch must start within its cycle). ``queues`` restricts what the process consumes
(``ward worker --queue``; ``ward remediation worker`` is the remediation-only variant); a pool
with no queue left is not started.

Prefetch: each probe thread holds at most one probe batch (prefetch = threads), so a process never
sits on batches another, idle, process could run, and one that dies holds at most one batch per
thread. Dramatiq's prefetch is per queue: a job pool holds at most ``job_threads`` messages per job
queue. Consumers poll every :data:`WORKER_TIMEOUT_MS` at most, which bounds the pause between two
messages of a busy worker.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from dramatiq import Broker, Worker
from dramatiq.middleware import Retries
from sqlalchemy import Engine

from ward_core.config import Settings
from ward_core.errors import ConfigError
from ward_core.playbooks.queued import QueuedOutcome, execute_queued
from ward_core.plugin_manager import WardPlugins
from ward_core.remediation.context import RemediationContext
from ward_core.remediation.runtime import declare_remediation
from ward_core.worker.abandoned import AbandonedBatches
from ward_core.worker.actors import declare_actors
from ward_core.worker.broker import BrokerKind, configure_broker, kind_of
from ward_core.worker.job_runner import JobRunner
from ward_core.worker.jobs import JobHandlers, declare_job_actors
from ward_core.worker.messages import QUEUE as PROBE_QUEUE
from ward_core.worker.playbook_actor import declare_playbook_actor
from ward_core.worker.registry import JOB_QUEUES, AllActors, check_queues
from ward_core.worker.runner import BatchRunner

WORKER_TIMEOUT_MS = 100
STOP_TIMEOUT_MS = 60_000
DEFAULT_JOB_THREADS = 2


@dataclass(frozen=True, slots=True)
class RunningWorker:
    """Started Dramatiq workers (one per thread pool) and the actors they run."""

    workers: tuple[Worker, ...]
    actors: AllActors

    def stop(self, timeout_ms: int = STOP_TIMEOUT_MS) -> None:
        """Let running messages finish (up to ``timeout_ms``) and hand prefetched ones back."""
        for worker in self.workers:
            worker.stop(timeout=timeout_ms)

    def join(self) -> None:
        """Wait until every message the workers hold is done (tests and the in-process mode)."""
        for worker in self.workers:
            worker.join()


class PlaybookRunner:
    """The handler of ``playbook_run`` messages in a worker process."""

    def __init__(self, engine: Engine, plugins: WardPlugins, settings: Settings) -> None:
        self._engine = engine
        self._plugins = plugins
        self._settings = settings

    def __call__(self, run_id: int) -> QueuedOutcome:
        return execute_queued(self._engine, self._plugins, self._settings, run_id)


def _pool(broker: Broker, queues: Sequence[str], threads: int) -> Worker | None:
    if not queues:
        return None
    worker = Worker(broker, queues=set(queues), worker_threads=threads, worker_timeout=WORKER_TIMEOUT_MS)
    worker.queue_prefetch = threads
    return worker


def start_worker(
    broker: Broker,
    engine: Engine,
    plugins: WardPlugins,
    settings: Settings,
    *,
    threads: int,
    job_threads: int = DEFAULT_JOB_THREADS,
    queues: Sequence[str] | None = None,
    remediation: RemediationContext | None = None,
) -> RunningWorker:
    """Declare every actor on ``broker`` with its handler, and start consuming ``queues`` (all by
    default). ``remediation`` is the remediation context (built from the other arguments when
    not given)."""
    if threads < 1 or job_threads < 1:
        raise ConfigError(f"a worker needs at least 1 thread per pool, got {threads} and {job_threads}")
    consumed = check_queues(list(queues) if queues else None)
    broker.add_middleware(AbandonedBatches(engine), before=Retries)
    jobs = JobRunner(engine, plugins, settings)
    actors = AllActors(
        broker=broker,
        probes=declare_actors(broker, BatchRunner(engine, plugins)),
        jobs=declare_job_actors(broker, JobHandlers(backup=jobs.backup, discovery=jobs.discovery)),
        playbooks=declare_playbook_actor(broker, PlaybookRunner(engine, plugins, settings)),
        remediation=declare_remediation(
            broker, remediation or RemediationContext.build(engine, plugins, settings)
        ),
    )
    broker.emit_after("process_boot")
    pools = [
        _pool(broker, [q for q in consumed if q == PROBE_QUEUE], threads),
        _pool(broker, [q for q in consumed if q in JOB_QUEUES], job_threads),
    ]
    workers = tuple(p for p in pools if p is not None)
    for worker in workers:
        worker.start()
    return RunningWorker(workers, actors)


@contextmanager
def in_process_worker(
    settings: Settings, engine: Engine, plugins: WardPlugins, *, threads: int = 1, job_threads: int = 1
) -> Iterator[RunningWorker]:
    """The in-process mode: a StubBroker and workers in this process, stopped on exit."""
    if settings.broker_url:
        raise ConfigError("the in-process worker is for settings without a broker_url")
    broker = configure_broker(settings)
    if kind_of(broker) is not BrokerKind.IN_PROCESS:
        raise ConfigError("the in-process worker needs the in-process broker")
    running = start_worker(broker, engine, plugins, settings, threads=threads, job_threads=job_threads)
    try:
        yield running
    finally:
        running.stop()
        broker.close()
