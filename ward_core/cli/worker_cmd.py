"""``ward worker``, ``ward scheduler`` and ``ward status``: ward's work on Dramatiq.

- ``ward worker`` runs worker processes on the configured broker (``WARD_BROKER_URL``, Redis or
  RabbitMQ) that consume every ward queue: probe batches, backup and discovery batches, playbook
  runs and remediation requests (``--queue`` restricts them); with ``--metrics-port`` it serves
  Prometheus metrics about polling;
- ``ward scheduler`` starts a poll cycle every interval, one queue message per batch, and queues a
  run of every playbook of ``playbooks_dir`` whose cron ``schedule:`` is due. Without a broker it
  runs the batches and playbooks itself, on an in-process Dramatiq worker;
- ``ward status`` tells whether polling keeps up.

Exit status: 0 on success; 1 when something failed (an unreachable broker or database, a cycle that
could not start, polling that does not keep up for ``ward status``); 2 on bad input.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from ward_core.cli.context import print_json, settings_of
from ward_core.config import Settings
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine, session_scope
from ward_core.db.types import utcnow
from ward_core.errors import BrokerError, ConfigError, InventoryError, PluginError
from ward_core.plugin_manager import WardPlugins, load_plugins
from ward_core.probes.selection import select_devices
from ward_core.worker.broker import BrokerOptions, configure_broker, display_broker_url
from ward_core.worker.cycles import schedules
from ward_core.worker.loop import Ticking, run_tickers
from ward_core.worker.messages import DEFAULT_SCHEDULE
from ward_core.worker.metrics import WardCollector, plugin_by_prefix, serve_metrics
from ward_core.worker.playbook_schedule import PlaybookScheduler
from ward_core.worker.process import Supervisor, WorkerOptions, configure_logging
from ward_core.worker.queues import queue_depth
from ward_core.worker.reaping import ReaperTicker
from ward_core.worker.registry import ALL_QUEUES, AllActors, check_queues, declare_senders
from ward_core.worker.runtime import DEFAULT_JOB_THREADS, in_process_worker
from ward_core.worker.scheduler import (
    DEFAULT_INTERVAL_S,
    SchedulePlan,
    Scheduler,
    Tick,
    TickAction,
    resolve_kinds,
    wait_for_cycle,
)
from ward_core.worker.status import ScheduleStatus, schedule_status
from ward_core.worker.stopping import stop_on_signals

log = logging.getLogger(__name__)

PIPE_WIDTH = 200
BAD_INPUT = 2


def _console() -> Console:
    out = Console()
    return out if out.is_terminal else Console(width=PIPE_WIDTH)


def _bad_input(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(BAD_INPUT)


@contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    engine = get_engine(settings)
    try:
        require_current_schema(engine)
        yield engine
    finally:
        engine.dispose()


def _plugin_map(plugins: WardPlugins) -> dict[str, str]:
    return {kind: plugins.probe_kind_owner(kind) for kind in plugins.probe_kinds()}


LogLevel = Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")]


def worker(
    ctx: typer.Context,
    processes: Annotated[int, typer.Option("--processes", min=1, help="Worker processes.")] = 1,
    threads: Annotated[
        int, typer.Option("--threads", min=1, help="Probe batches run at once per process.")
    ] = 4,
    metrics_port: Annotated[
        int | None, typer.Option("--metrics-port", min=1, max=65535, help="Serve Prometheus metrics here.")
    ] = None,
    metrics_address: Annotated[str, typer.Option("--metrics-address", help="Address to serve on.")] = (
        "127.0.0.1"
    ),
    heartbeat_timeout: Annotated[
        float,
        typer.Option(
            "--heartbeat-timeout",
            min=0.5,
            help="Seconds of silence after which a worker's unacknowledged batches go to others (Redis).",
        ),
    ] = 60.0,
    shutdown_timeout: Annotated[
        float,
        typer.Option("--shutdown-timeout", min=0, help="Seconds running work gets to finish on stop."),
    ] = 60.0,
    job_threads: Annotated[
        int,
        typer.Option(
            "--job-threads",
            min=1,
            help="Backups, discoveries, playbook runs and remediations run at once per process.",
        ),
    ] = DEFAULT_JOB_THREADS,
    queue: Annotated[
        list[str] | None,
        typer.Option("--queue", help=f"Only this queue (repeat). Default: all of {', '.join(ALL_QUEUES)}."),
    ] = None,
    log_level: LogLevel = "INFO",
) -> None:
    """Run worker processes that execute ward's queued work until stopped: probe batches, backup
    and discovery batches, playbook runs and remediation requests."""
    settings = settings_of(ctx)
    if not settings.broker_url:
        raise _bad_input(
            "ward worker needs a broker: set WARD_BROKER_URL (redis://... or amqp://...); "
            "without one, `ward scheduler` runs the batches in its own process"
        )
    try:
        options = WorkerOptions(
            processes=processes,
            threads=threads,
            job_threads=job_threads,
            queues=check_queues(queue),
            broker=BrokerOptions(heartbeat_timeout_s=heartbeat_timeout),
            shutdown_timeout_s=shutdown_timeout,
            log_level=log_level,
        )
    except ConfigError as exc:
        raise _bad_input(str(exc)) from None
    configure_logging(log_level)
    broker = configure_broker(settings, options.broker)
    try:
        with _engine(settings) as engine, load_plugins(settings) as plugins:
            owners = _plugin_map(plugins)
            stop = stop_on_signals()
            if metrics_port is not None:
                collector = WardCollector(engine, broker, lambda k: owners.get(k) or plugin_by_prefix(k))
                serve_metrics(collector, port=metrics_port, address=metrics_address)
            code = Supervisor(settings, options).run(stop)
    finally:
        broker.close()
    raise typer.Exit(code)


def _print_tick(tick: Tick, final: str | None) -> None:
    out = _console()
    if tick.action is TickAction.STARTED:
        ended = f", {final}" if final else ""
        out.print(
            f"cycle {tick.cycle_id}: {tick.devices} devices in {tick.batches} batch(es){ended}",
            highlight=False,
        )
    else:
        out.print(f"no cycle started ({tick.action.value}): {tick.reason}", highlight=False)


@contextmanager
def _actors(settings: Settings, engine: Engine, plugins: WardPlugins, threads: int) -> Iterator[AllActors]:
    if settings.broker_url:
        broker = configure_broker(settings)
        try:
            yield declare_senders(broker, settings)
        finally:
            broker.close()
        return
    with in_process_worker(settings, engine, plugins, threads=threads) as running:
        yield running.actors


def _playbook_scheduler(
    settings: Settings, engine: Engine, plugins: WardPlugins, actors: AllActors
) -> PlaybookScheduler | None:
    folder = settings.playbooks_dir
    if folder is None:
        log.info("playbooks_dir is not set: no playbook is scheduled")
        return None
    scheduler = PlaybookScheduler(
        engine, plugins, actors.playbooks, folder, broker_label=display_broker_url(settings.broker_url)
    )
    for scheduled in scheduler.scheduled():
        log.info("playbook %s (%s) scheduled: %s UTC", scheduled.name, scheduled.path, scheduled.cron)
    return scheduler


def scheduler(
    ctx: typer.Context,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="Seconds between cycle starts.")
    ] = DEFAULT_INTERVAL_S,
    once: Annotated[bool, typer.Option("--once", help="Start one cycle now and exit.")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="With --once: wait until the cycle's batches are all done.")
    ] = False,
    limit: Annotated[
        str | None,
        typer.Option(
            "--limit", help="Only these devices: a name, site:X, region:X, role:X, group:X or a filter."
        ),
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Probe kind (repeat). Default: settings poll_kinds.")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", min=1, help="Devices per batch. Default: poll_batch_size.")
    ] = None,
    schedule: Annotated[str, typer.Option("--schedule", help="Name of this schedule.")] = DEFAULT_SCHEDULE,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", min=1, help="Seconds a cycle may run before it is given up (10 intervals)."
        ),
    ] = None,
    threads: Annotated[
        int, typer.Option("--threads", min=1, help="Without a broker: batches run at once in this process.")
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="With --once: print the outcome as JSON.")] = False,
    probes: Annotated[
        bool, typer.Option("--probes/--no-probes", help="Start poll cycles (without --once).")
    ] = True,
    playbooks: Annotated[
        bool,
        typer.Option("--playbooks/--no-playbooks", help="Queue the scheduled playbooks of playbooks_dir."),
    ] = True,
    log_level: LogLevel = "INFO",
) -> None:
    """Start a poll cycle every interval (or once), one queue message per batch of devices, and
    queue a run of each playbook of ``playbooks_dir`` whose cron ``schedule:`` is due (UTC)."""
    settings = settings_of(ctx)
    configure_logging(log_level)
    if settings.broker_url:
        configure_broker(settings).close()
    polling = probes or once
    with _engine(settings) as engine, load_plugins(settings) as plugins:
        plan: SchedulePlan | None = None
        try:
            if polling:
                plan = SchedulePlan(
                    name=schedule,
                    interval_s=interval,
                    kinds=resolve_kinds(plugins, kind, settings.poll_kinds),
                    batch_size=batch_size or settings.poll_batch_size,
                    selector=limit,
                    timeout_s=timeout,
                )
                with session_scope(engine) as session:
                    select_devices(session, limit)
        except (PluginError, ConfigError, InventoryError) as exc:
            raise _bad_input(str(exc)) from None
        with _actors(settings, engine, plugins, threads) as actors:
            label = display_broker_url(settings.broker_url)
            runner = Scheduler(engine, actors.probes, plan, broker_label=label) if plan else None
            if not once:
                tickers: list[Ticking] = [runner] if runner is not None else []
                scheduled = _playbook_scheduler(settings, engine, plugins, actors) if playbooks else None
                if scheduled is not None:
                    tickers.append(scheduled)
                if not tickers:
                    raise _bad_input("nothing to schedule: --no-probes, and no playbook schedules")
                tickers.append(ReaperTicker(engine, settings, plugins))
                run_tickers(stop_on_signals(), tickers)
                return
            assert runner is not None and plan is not None
            tick = runner.tick(force=True)
            final: str | None = None
            if tick.action is TickAction.STARTED and tick.cycle_id and (wait or not settings.broker_url):
                final = wait_for_cycle(engine, tick.cycle_id, timeout_s=plan.cycle_timeout_s)
    if as_json:
        print_json({**tick.to_dict(), "status": final})
    else:
        _print_tick(tick, final)
    if tick.action is not TickAction.STARTED or final == "failed":
        raise typer.Exit(1)


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _print_status(statuses: list[ScheduleStatus], queue: dict[str, Any] | None) -> None:
    out = _console()
    for status in statuses:
        verdict = "[green]keeping up[/]" if status.keeping_up else "[red]not keeping up[/]"
        interval = f"{status.interval_s:g} s" if status.interval_s else "-"
        out.print(f"schedule [bold]{status.schedule}[/]: {verdict} (interval {interval})")
        table = Table(
            "cycle",
            "status",
            "started",
            "finished",
            "duration s",
            "lag s",
            "batches",
            "outstanding",
            "failed devices",
        )
        shown = [c for c in (status.current, status.last_finished) if c is not None]
        for cycle in dict((c.cycle_id, c) for c in shown).values():
            table.add_row(
                cycle.cycle_id,
                cycle.status,
                _when(cycle.started_at),
                _when(cycle.finished_at),
                f"{cycle.duration_s:.1f}",
                f"{cycle.lag_s:.1f}",
                f"{cycle.committed + cycle.abandoned}/{cycle.batches}",
                str(cycle.outstanding),
                str(cycle.failed_devices),
            )
        if shown:
            out.print(table)
        out.print(
            f"lag now {status.lag_s:.1f} s, slots skipped: {status.skipped_recent} recently, "
            f"{status.skipped_24h} in 24 h",
            highlight=False,
        )
        for problem in status.problems:
            out.print(f"  [red]![/] {problem}", highlight=False)
    if queue is not None:
        depth = ", ".join(f"{k} {v}" for k, v in queue.items() if k != "queue" and v is not None)
        out.print(f"queue {queue.get('queue', '')}: {depth}", highlight=False)


def _queue(settings: Settings) -> dict[str, Any] | None:
    if not settings.broker_url:
        return None
    try:
        broker = configure_broker(settings)
    except BrokerError as exc:
        return {"error": str(exc)}
    try:
        return queue_depth(broker).to_dict()
    except Exception as exc:
        return {"error": f"cannot read the queue on {display_broker_url(settings.broker_url)}: {exc}"}
    finally:
        broker.close()


def status(
    ctx: typer.Context,
    schedule: Annotated[
        list[str] | None, typer.Option("--schedule", help="Schedule(s) to show. Default: every one recorded.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show whether polling keeps up: last cycles, duration against interval, lag, outstanding
    batches, failing devices; exit 1 when a schedule does not keep up."""
    settings = settings_of(ctx)
    now = utcnow()
    with _engine(settings) as engine, session_scope(engine) as session:
        names = list(dict.fromkeys(schedule)) if schedule else schedules(session) or [DEFAULT_SCHEDULE]
        statuses = [schedule_status(session, name, now) for name in names]
    queue = _queue(settings)
    if as_json:
        print_json({"schedules": [s.to_dict() for s in statuses], "queue": queue})
    else:
        _print_status(statuses, queue)
    if not all(s.keeping_up for s in statuses) or (queue is not None and "error" in queue):
        raise typer.Exit(1)
