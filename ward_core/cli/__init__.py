"""The ``ward`` command tree: each sub-command lives in a module of its own, named in COMMANDS."""

from __future__ import annotations

import typer

from ward_core.cli.context import CliState
from ward_core.cli.lazy import LazyCommand, LazyGroup
from ward_core.config import load_settings
from ward_core.errors import WardError

COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    # name, module in ward_core.cli, attribute, one-line help
    ("plugins", "plugins_cmd", "app", "Installed plugins and the hooks they implement."),
    ("rules", "alerts_cmd", "rules_app", "Validate, load and list alert rules."),
    ("alerts", "alerts_cmd", "alerts_app", "List, show, acknowledge and evaluate alerts."),
    ("silences", "alerts_cmd", "silences_app", "Hold alert notifications for a while."),
    ("db", "db_cmd", "app", "Create and migrate ward's database."),
    ("inventory", "inventory_cmd", "app", "Import, list and show devices, sites and groups."),
    ("lab", "lab_cmd", "app", "Run the simulated lab: devices with real SSH and SNMP."),
    ("configs", "configs_cmd", "app", "Configuration backups: run, list, show, diff, export."),
    ("compliance", "compliance_cmd", "app", "Compliance of stored configurations with templates."),
    ("samples", "samples_cmd", "app", "Read stored samples and prune old ones."),
    ("topology", "topology_cmd", "app", "Topology from LLDP/CDP: discover, show, path, explain."),
    ("remediation", "remediation_cmd", "remediation_app", "Propose, list and run remediation actions."),
    ("approvals", "remediation_cmd", "approvals_app", "See and decide remediation requests."),
    ("audit", "remediation_cmd", "audit_app", "The hash-chained audit log."),
    ("poll", "poll_cmd", "poll", "Probe devices now and store the samples."),
    ("worker", "worker_cmd", "worker", "Run worker processes that execute queued work."),
    ("scheduler", "worker_cmd", "scheduler", "Start poll cycles and scheduled work on time."),
    ("status", "worker_cmd", "status", "Show whether polling keeps up."),
    ("run", "playbooks_cmd", "run", "Validate, plan and run a playbook."),
    ("runs", "playbooks_cmd", "runs_app", "Run records: playbooks, polls, backups, discoveries."),
    ("demo", "playbooks_cmd", "demo", "Start a lab, run the example playbooks, show what ward sees."),
    ("api", "api_cmd", "api", "Serve the HTTP API: REST, OpenAPI docs, health, metrics."),
    ("tokens", "tokens_cmd", "app", "API tokens: create (shown once), list, revoke."),
)


class WardCommands(LazyGroup):
    """Every ``ward`` sub-command; a module is imported when its command runs."""

    commands_table = tuple(
        LazyCommand(name, f"ward_core.cli.{module}", attribute, help_line)
        for name, module, attribute, help_line in COMMANDS
    )


app = typer.Typer(
    name="ward",
    cls=WardCommands,
    help="Network automation: inventory, probes, alerts, config backup, topology, gated remediation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(ctx: typer.Context) -> None:
    """Read settings once and hand them to every sub-command."""
    ctx.obj = CliState(settings=load_settings())


def main() -> None:
    """Console-script entry point: ward errors become one clear line and exit status 1."""
    try:
        app()
    except WardError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise SystemExit(1) from exc
