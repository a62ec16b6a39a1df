"""The ``ward`` command tree. Each domain adds its own sub-command module here."""

from __future__ import annotations

import typer

from ward_core.cli import (
    alerts_cmd,
    compliance_cmd,
    configs_cmd,
    db_cmd,
    inventory_cmd,
    lab_cmd,
    playbooks_cmd,
    plugins_cmd,
    poll_cmd,
    remediation_cmd,
    samples_cmd,
    topology_cmd,
    worker_cmd,
)
from ward_core.cli.context import CliState
from ward_core.config import load_settings
from ward_core.errors import WardError

app = typer.Typer(
    name="ward",
    help="Network automation: inventory, probes, alerts, config backup, topology, gated remediation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(plugins_cmd.app, name="plugins")
app.add_typer(alerts_cmd.rules_app, name="rules")
app.add_typer(alerts_cmd.alerts_app, name="alerts")
app.add_typer(alerts_cmd.silences_app, name="silences")
app.add_typer(db_cmd.app, name="db")
app.add_typer(inventory_cmd.app, name="inventory")
app.add_typer(lab_cmd.app, name="lab")
app.add_typer(configs_cmd.app, name="configs")
app.add_typer(compliance_cmd.app, name="compliance")
app.add_typer(samples_cmd.app, name="samples")
app.add_typer(topology_cmd.app, name="topology")
app.add_typer(remediation_cmd.remediation_app, name="remediation")
app.add_typer(remediation_cmd.approvals_app, name="approvals")
app.add_typer(remediation_cmd.audit_app, name="audit")
app.command("poll")(poll_cmd.poll)
app.command("worker")(worker_cmd.worker)
app.command("scheduler")(worker_cmd.scheduler)
app.command("status")(worker_cmd.status)
app.command("run")(playbooks_cmd.run)
app.add_typer(playbooks_cmd.runs_app, name="runs")
app.command("demo")(playbooks_cmd.demo)


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
