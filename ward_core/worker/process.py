"""``ward worker``'s processes: N Dramatiq worker processes, supervised by the command's own process.

Each worker process is started fresh (``spawn``: no connection, lock or thread inherited), builds
its broker from the settings, its database engine and its plugins, and runs
:func:`~ward_core.worker.runtime.start_worker` (M probe threads, J job threads, every ward queue
unless restricted) until SIGTERM or SIGINT, when it lets running messages finish and hands
prefetched ones back.

The supervising process restarts a worker process that exits unexpectedly (crash, OOM kill,
start-up failure while the database or broker is down), after a delay that doubles up to a
minute; while down, its unacknowledged messages go to the other workers (see
:mod:`ward_core.worker.broker`). Within a running process, Dramatiq's consumers reconnect to the
broker by themselves and database connections are checked before use (``pool_pre_ping``); a batch
that failed on a lost connection is retried by the actor's policy.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.process
import os
import signal
import sys
import time
from dataclasses import dataclass, field

from dramatiq.brokers.redis import RedisBroker

from ward_core.config import Settings
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine
from ward_core.errors import ConfigError, WardError
from ward_core.plugin_manager import load_plugins
from ward_core.worker.broker import BrokerOptions, configure_broker, display_broker_url
from ward_core.worker.registry import ALL_QUEUES, check_queues
from ward_core.worker.runtime import DEFAULT_JOB_THREADS, start_worker
from ward_core.worker.stopping import Stopper, stop_on_signals

log = logging.getLogger(__name__)

EXIT_START_FAILED = 3
MAX_RESTART_DELAY_S = 60.0
STABLE_AFTER_S = 60.0
LOG_FORMAT = "%(asctime)s %(processName)s[%(process)d] %(levelname)s %(name)s: %(message)s"


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerOptions:
    """How ``ward worker`` runs: processes, threads per process (``threads`` for probe batches,
    ``job_threads`` for everything else), the queues consumed, broker use, stop and restart."""

    processes: int = 1
    threads: int = 4
    job_threads: int = DEFAULT_JOB_THREADS
    queues: tuple[str, ...] = ALL_QUEUES
    broker: BrokerOptions = field(default_factory=BrokerOptions)
    shutdown_timeout_s: float = 60.0
    restart_delay_s: float = 3.0
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        if self.processes < 1:
            raise ConfigError(f"--processes must be at least 1, got {self.processes}")
        if self.threads < 1:
            raise ConfigError(f"--threads must be at least 1, got {self.threads}")
        if self.job_threads < 1:
            raise ConfigError(f"--job-threads must be at least 1, got {self.job_threads}")
        check_queues(self.queues)


def configure_logging(level: str) -> None:
    """Log to stderr with the process name and id on every line."""
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT, force=True)
    logging.getLogger("pika").setLevel(logging.WARNING)


def serve_worker_process(settings: Settings, options: WorkerOptions) -> None:
    """The body of one worker process (the target of the supervisor's ``spawn``)."""
    configure_logging(options.log_level)
    stop = stop_on_signals()
    try:
        broker = configure_broker(settings, options.broker)
        engine = get_engine(settings)
        require_current_schema(engine)
        plugins = load_plugins(settings)
    except WardError as exc:
        log.error("worker process cannot start: %s", exc)
        sys.exit(EXIT_START_FAILED)
    try:
        running = start_worker(
            broker,
            engine,
            plugins,
            settings,
            threads=options.threads,
            job_threads=options.job_threads,
            queues=options.queues,
        )
        consumer = f" as consumer {broker.broker_id}" if isinstance(broker, RedisBroker) else ""
        log.info(
            "worker process ready: %d probe thread(s), %d job thread(s) on %s%s, queues %s",
            options.threads,
            options.job_threads,
            display_broker_url(settings.broker_url),
            consumer,
            ", ".join(options.queues),
        )
        while not stop.wait(1.0):
            pass
        log.info("stopping: letting running work finish (up to %.0f s)", options.shutdown_timeout_s)
        running.stop(int(options.shutdown_timeout_s * 1000))
    finally:
        broker.close()
        plugins.close()
        engine.dispose()


@dataclass(slots=True)
class _Slot:
    index: int
    process: multiprocessing.process.BaseProcess | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float = 0.0


class Supervisor:
    """Starts ``options.processes`` worker processes and keeps them running until stopped."""

    def __init__(self, settings: Settings, options: WorkerOptions) -> None:
        self._settings = settings
        self._options = options
        self._context = multiprocessing.get_context("spawn")
        self._slots = [_Slot(i) for i in range(options.processes)]

    @property
    def pids(self) -> list[int]:
        """Process ids of the worker processes alive now."""
        return [s.process.pid for s in self._slots if s.process is not None and s.process.pid is not None]

    def _spawn(self, slot: _Slot) -> None:
        process = self._context.Process(
            target=serve_worker_process,
            args=(self._settings, self._options),
            name=f"ward-worker-{slot.index}",
            daemon=False,
        )
        process.start()
        slot.process = process
        slot.started = time.monotonic()
        log.info("worker process %d started (pid %s)", slot.index, process.pid)

    def _check(self, slot: _Slot) -> None:
        now = time.monotonic()
        process = slot.process
        if process is not None and process.is_alive():
            if now - slot.started > STABLE_AFTER_S:
                slot.failures = 0
            return
        if process is not None:
            process.join(0)
            slot.failures += 1
            delay = min(MAX_RESTART_DELAY_S, self._options.restart_delay_s * 2 ** (slot.failures - 1))
            log.warning(
                "worker process %d (pid %s) exited with code %s; restarting in %.0f s",
                slot.index,
                process.pid,
                process.exitcode,
                delay,
            )
            slot.process = None
            slot.restart_at = now + delay
        if now >= slot.restart_at:
            self._spawn(slot)

    def run(self, stop: Stopper) -> int:
        """Supervise until ``stop`` is set, then stop every worker process; the exit status."""
        for slot in self._slots:
            self._spawn(slot)
        while not stop.wait(0.5):
            for slot in self._slots:
                self._check(slot)
        return self._shutdown()

    def _shutdown(self) -> int:
        alive = [s.process for s in self._slots if s.process is not None and s.process.is_alive()]
        for process in alive:
            if process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self._options.shutdown_timeout_s + 5.0
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error("worker process pid %s did not stop in time; killing it", process.pid)
                process.kill()
                process.join(5.0)
        log.info("all worker processes stopped")
        return 0
