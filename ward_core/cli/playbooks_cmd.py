"""``ward run PLAYBOOK``, ``ward runs list|show`` and ``ward demo``.

``ward run`` validates and plans in this process either way. With a broker configured
(``WARD_BROKER_URL``) it then records a queued run and sends one ``playbook_run`` message; a
worker runs it with the same runner, and this command follows the run record (a progress bar per
step, filled as results are written) and prints the same summary. ``--timeout`` bounds the wait
for a worker and the run itself: a run no worker started by then is cancelled, one still running
is interrupted by the worker. Files a step writes to a relative path (the discover step's SVG)
land in this command's working folder, on the worker's host. Without a broker it runs in this
process (the embedded default). ``--dry-run`` never queues anything.

Exit status of ``run``: 0 when every device ended ok, changed or skipped by a condition; 1 when a
device failed, a rollout stopped or a queued run did not succeed (cancelled, lost, refused by the
worker); 2 when the playbook is refused (bad YAML, unknown step type, bad selector, missing
var...: the message names file, line and field).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from ward_core.cli.context import print_json, settings_of
from ward_core.config import Settings
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine, session_scope
from ward_core.db.types import utcnow
from ward_core.errors import BrokerError, PlaybookError, PluginError
from ward_core.playbooks.demo import DemoOptions, run_demo
from ward_core.playbooks.model import DeviceOutcome, Playbook, Step
from ward_core.playbooks.queued import DEFAULT_TIMEOUT_S, RecordedRun, follow_run, queue_run, read_report
from ward_core.playbooks.records import list_runs, show_run
from ward_core.playbooks.runner import RunReport, run_playbook
from ward_core.playbooks.service import Prepared, dry_run, prepare
from ward_core.plugin_manager import load_plugins
from ward_core.worker.broker import configure_broker, display_broker_url
from ward_core.worker.job_dispatch import WaitHint, no_worker_message
from ward_core.worker.playbook_actor import PLAYBOOK_QUEUE, declare_playbook_actor
from ward_core.worker.scheduler import BROKER_ERRORS

runs_app = typer.Typer(help="Run records: playbooks, polls, backups, discoveries.", no_args_is_help=True)

PIPE_WIDTH = 200
BAD_INPUT = 2
COLOURS = {"ok": "green", "changed": "yellow", "failed": "red", "skipped": "dim"}


def _console() -> Console:
    out = Console()
    return out if out.is_terminal else Console(width=PIPE_WIDTH)


@contextmanager
def _engine(ctx: typer.Context) -> Iterator[Engine]:
    engine = get_engine(settings_of(ctx))
    try:
        require_current_schema(engine)
        yield engine
    finally:
        engine.dispose()


def _vars(pairs: list[str] | None) -> dict[str, Any]:
    """``--var NAME=VALUE`` pairs; VALUE is read as YAML (``--var kinds=[icmp]`` gives a list)."""
    given: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--var")
        try:
            given[key] = yaml.safe_load(value) if value else ""
        except yaml.YAMLError:
            given[key] = value
    return given


class ProgressDisplay:
    """A Rich progress bar per step and batch, ticked when the step ends on its devices."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[tuple[str, int, str], TaskID] = {}

    def step_started(self, wave: str, batch: int, step: Step, devices: int) -> None:
        label = f"{wave} #{batch} {step.id} ({step.type})"
        self.tasks[(wave, batch, step.id)] = self.progress.add_task(label, total=max(devices, 1))

    def step_finished(self, wave: str, batch: int, step: Step, outcomes: Mapping[str, DeviceOutcome]) -> None:
        task = self.tasks[(wave, batch, step.id)]
        counts = {s: sum(1 for o in outcomes.values() if o.status == s) for s in COLOURS}
        text = " ".join(f"{n} {s}" for s, n in counts.items() if n)
        self.progress.update(
            task, completed=self.progress.tasks[task].total, description=f"{step.id}: {text}"
        )


def print_report(out: Console, report: RunReport) -> None:
    """The per-device summary table, per-step counts and the totals line."""
    table = Table("device", "status", "why", title=f"run {report.run_id}: {report.playbook.name}")
    for device in report.devices:
        status, reason = report.device_status(device)
        table.add_row(device, f"[{COLOURS[status]}]{status}[/]", reason)
    out.print(table)
    steps = Table("step", "type", *COLOURS, title="per step")
    for step in report.playbook.steps:
        outcomes = [r[step.id] for r in report.results.values() if step.id in r]
        steps.add_row(step.id, step.type, *(str(sum(1 for o in outcomes if o.status == s)) for s in COLOURS))
    out.print(steps)
    totals = ", ".join(f"{n} {s}" for s, n in report.totals().items())
    out.print(f"{len(report.devices)} devices: {totals}", highlight=False)
    if report.stopped:
        out.print(f"[red]{report.stopped}[/]", highlight=False)


class FollowDisplay:
    """A Rich progress bar per step of a run on the workers, filled from the results written."""

    def __init__(self, progress: Progress, playbook: Playbook, devices: int, run_id: int) -> None:
        self.progress = progress
        self.run_id = run_id
        self.status = ""
        self.waiting = progress.add_task(f"run {run_id}: queued, waiting for a worker", total=None)
        self.tasks = {
            step.id: progress.add_task(f"{step.id} ({step.type})", total=max(devices, 1), visible=False)
            for step in playbook.steps
        }

    def update(self, status: str, counts: dict[str, dict[str, int]]) -> None:
        if status != self.status:
            self.status = status
            self.progress.update(self.waiting, description=f"run {self.run_id}: {status}")
            if status != "pending":
                self.progress.update(self.waiting, visible=False)
        for step_id, task in self.tasks.items():
            seen = counts.get(step_id)
            if not seen:
                continue
            text = " ".join(f"{seen[s]} {s}" for s in COLOURS if seen.get(s))
            self.progress.update(
                task, completed=sum(seen.values()), description=f"{step_id}: {text}", visible=True
            )


def _queue_on_workers(
    settings: Settings, engine: Engine, prepared: Prepared, limit: str | None, timeout_s: float
) -> int:
    """Record the queued run and send its message, in one transaction; the run id."""
    broker = configure_broker(settings)
    try:
        actor = declare_playbook_actor(broker, None)
        with session_scope(engine) as session:
            run_id = queue_run(
                session,
                prepared,
                requested_by=settings.user or "playbook",
                limit=limit,
                artifacts=str(Path.cwd()),
                timeout_s=timeout_s,
                now=utcnow(),
            )
            try:
                actor.send(run_id, timeout_s=timeout_s)
            except BROKER_ERRORS as exc:
                where = display_broker_url(settings.broker_url)
                raise BrokerError(f"cannot enqueue playbook run {run_id} on {where}: {exc}") from exc
    finally:
        broker.close()
    return run_id


def _run_on_workers(
    out: Console,
    settings: Settings,
    engine: Engine,
    prepared: Prepared,
    limit: str | None,
    timeout_s: float,
    as_json: bool,
) -> RecordedRun:
    run_id = _queue_on_workers(settings, engine, prepared, limit, timeout_s)
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=out, disable=as_json
        ) as progress:
            display = FollowDisplay(progress, prepared.playbook, len(prepared.devices), run_id)
            hint = WaitHint(
                no_worker_message(settings, PLAYBOOK_QUEUE),
                lambda text: typer.secho(text, err=True, fg=typer.colors.YELLOW),
            )

            def update(status: str, counts: dict[str, dict[str, int]]) -> None:
                display.update(status, counts)
                if status == "pending":
                    hint.waiting()

            follow_run(engine, run_id, on_progress=update)
    except KeyboardInterrupt:
        typer.secho(
            f"run {run_id} goes on on the workers: see `ward runs show {run_id}`",
            err=True,
            fg=typer.colors.YELLOW,
        )
        raise typer.Exit(1) from None
    with session_scope(engine) as session:
        return read_report(session, run_id, prepared.playbook)


def _print_plan(out: Console, plan: dict[str, Any]) -> None:
    out.print(f"dry run of {plan['playbook']} ({plan['file']}): nothing is changed", highlight=False)
    steps = Table("step", "type", "line", "when", title="steps")
    for s in plan["steps"]:
        steps.add_row(s["id"], s["type"], str(s["line"]), s["when"] or "")
    out.print(steps)
    waves = Table("wave", "batch", "devices", title=f"{plan['devices']} devices")
    for wave in plan["waves"]:
        for number, batch in enumerate(wave["batches"], start=1):
            waves.add_row(wave["name"], str(number), ", ".join(batch))
    out.print(waves)
    if plan["stop_when_failures_exceed"] is not None:
        out.print(f"stops after a wave when more than {plan['stop_when_failures_exceed']} device(s) failed")
    if plan["schedule"]:
        out.print(f"schedule: {plan['schedule']}", highlight=False)


def run(
    ctx: typer.Context,
    playbook: Annotated[Path, typer.Argument(help="Playbook file (YAML), e.g. playbooks/health_check.yml.")],
    limit: Annotated[
        str | None,
        typer.Option(
            "--limit", help="Only these of its targets: a name, site:X, region:X, role:X, group:X or filter."
        ),
    ] = None,
    var: Annotated[
        list[str] | None, typer.Option("--var", help="NAME=VALUE for a playbook var (repeat).")
    ] = None,
    dry: Annotated[
        bool, typer.Option("--dry-run", help="Show what would run where; change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", min=1, help="With a broker: most seconds to wait for a worker, then for the run."
        ),
    ] = DEFAULT_TIMEOUT_S,
) -> None:
    """Validate, plan and run a playbook (on the workers when a broker is configured); exit 1 when a
    device failed, 2 when the playbook is refused."""
    settings = settings_of(ctx)
    with _engine(ctx) as engine, load_plugins(settings) as plugins:
        try:
            prepared = prepare(playbook, engine=engine, plugins=plugins, limit=limit, given=_vars(var))
        except (PlaybookError, PluginError) as exc:
            typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
            raise typer.Exit(BAD_INPUT) from None
        if dry:
            plan = dry_run(prepared)
            print_json(plan) if as_json else _print_plan(_console(), plan)
            return
        out = _console()
        if settings.broker_url:
            recorded = _run_on_workers(out, settings, engine, prepared, limit, timeout, as_json)
            if as_json:
                print_json({**recorded.report.to_dict(), "status": recorded.status, "error": recorded.error})
            else:
                print_report(out, recorded.report)
                if recorded.error:
                    out.print(f"[red]run {recorded.report.run_id} {recorded.status}: {recorded.error}[/]")
            if recorded.failed:
                raise typer.Exit(1)
            return
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=out, disable=as_json
        ) as progress:
            report = run_playbook(
                engine=engine,
                plugins=plugins,
                settings=settings,
                playbook=prepared.playbook,
                devices=prepared.devices,
                requested_by=settings.user or "playbook",
                limit=limit,
                listener=ProgressDisplay(progress),
            )
    if as_json:
        print_json(report.to_dict())
    else:
        print_report(out, report)
    if report.failed:
        raise typer.Exit(1)


@runs_app.command("list")
def runs_list(
    ctx: typer.Context,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only runs of this kind (playbook, probe...).")
    ] = None,
    last: Annotated[int, typer.Option("--last", min=1, help="How many runs, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """The newest runs, with their status and totals."""
    with _engine(ctx) as engine, session_scope(engine) as session:
        runs = list_runs(session, kind=kind, limit=last)
    if as_json:
        print_json(runs)
        return
    table = Table("id", "kind", "name", "status", "by", "started", "results", "totals")
    for r in runs:
        totals = r["summary"].get("totals") if isinstance(r["summary"], dict) else None
        text = ", ".join(f"{n} {s}" for s, n in totals.items() if n) if isinstance(totals, dict) else ""
        table.add_row(
            str(r["id"]),
            r["kind"],
            r["name"] or "",
            r["status"],
            r["requested_by"] or "",
            r["started_at"][:19],
            str(r["results"]),
            text,
        )
    _console().print(table)


@runs_app.command("show")
def runs_show(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(help="Run id (ward runs list).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """One run: what it was asked, and every result per device and step."""
    with _engine(ctx) as engine, session_scope(engine) as session:
        found = show_run(session, run_id)
    if found is None:
        typer.secho(f"error: no run {run_id} (see ward runs list)", err=True, fg=typer.colors.RED)
        raise typer.Exit(BAD_INPUT)
    if as_json:
        print_json(found)
        return
    out = _console()
    out.print(
        f"run {found['id']} ({found['kind']} {found['name'] or ''}): {found['status']}, "
        f"by {found['requested_by'] or '?'}, {found['started_at'][:19]} .. "
        f"{(found['finished_at'] or '')[:19]}",
        highlight=False,
    )
    stopped = found["summary"].get("stopped") if isinstance(found["summary"], dict) else None
    if stopped:
        out.print(f"[red]{stopped}[/]", highlight=False)
    table = Table("device", "step", "status", "why")
    for r in found["results"]:
        colour = COLOURS.get(r["status"], "white")
        table.add_row(r["device"], r["task"], f"[{colour}]{r['status']}[/]", r["error"] or "")
    out.print(table)


def demo(
    folder: Annotated[
        Path, typer.Option("--folder", help="Where the demo keeps its database, lab and files.")
    ] = Path("ward-demo"),
    ssh_port: Annotated[int, typer.Option("--ssh-port", help="SSH port of the lab devices.")] = 10022,
    snmp_port: Annotated[int, typer.Option("--snmp-port", help="SNMP port of the lab devices.")] = 10161,
    first_address: Annotated[
        str | None, typer.Option("--first-address", help="Address of the first lab device (127.x.y.z).")
    ] = None,
) -> None:
    """Start a lab, run the example playbooks, inject faults, show what ward sees; under a minute."""
    options = DemoOptions(folder=folder, ssh_port=ssh_port, snmp_port=snmp_port, first_address=first_address)
    run_demo(options, _console())
