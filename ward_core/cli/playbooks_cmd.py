"""``ward run PLAYBOOK``, ``ward runs list|show`` and ``ward demo``.

Exit status of ``run``: 0 when every device ended ok, changed or skipped by a condition; 1 when a
device failed or a rollout stopped; 2 when the playbook is refused (bad YAML, unknown step type,
bad selector, missing var...: the message names file, line and field).
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
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine, session_scope
from ward_core.errors import PlaybookError, PluginError
from ward_core.playbooks.demo import DemoOptions, run_demo
from ward_core.playbooks.model import DeviceOutcome, Step
from ward_core.playbooks.records import list_runs, show_run
from ward_core.playbooks.runner import RunReport, run_playbook
from ward_core.playbooks.service import dry_run, prepare
from ward_core.plugin_manager import load_plugins

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
) -> None:
    """Validate, plan and run a playbook; exit 1 when a device failed, 2 when the playbook is refused."""
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
