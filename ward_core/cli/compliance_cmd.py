"""``ward compliance``: devices' latest backups judged against their intended configuration.

Exit status of ``report``: 0 when every device judged is compliant, 1 when one is not (or a
template failed for it), 2 on bad input.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ward_core.backup.compliance import ComplianceReport, compliance_report
from ward_core.cli.context import print_json, settings_of
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine, session_scope
from ward_core.errors import FilterError, InventoryError
from ward_core.plugin_manager import load_plugins
from ward_core.probes.selection import select_devices

app = typer.Typer(help="Compliance of stored configurations with the intended ones (templates/<platform>/).")

PIPE_WIDTH = 200
BAD_INPUT = 2
FAILING = ("non-compliant", "error")


def _print(report: ComplianceReport) -> None:
    out = Console()
    out = out if out.is_terminal else Console(width=PIPE_WIDTH)
    table = Table("device", "status", "feature", "remediation / error", title="compliance", show_lines=True)
    for device in report.devices:
        if device.status == "compliant":
            table.add_row(device.device, "compliant", "", "")
            continue
        bad = [f for f in device.features if f.status != "compliant"]
        if not bad:
            table.add_row(device.device, device.status, "", device.error or "")
        for result in bad:
            detail = result.error or "\n".join(result.remediation)
            table.add_row(device.device, f"[red]{result.status}[/]", result.feature, detail)
    out.print(table)
    features = Table("feature", "compliant", "non-compliant", "error", title="fleet, per feature")
    for name, counts in report.per_feature().items():
        features.add_row(
            name,
            str(counts.get("compliant", 0)),
            str(counts.get("non-compliant", 0)),
            str(counts.get("error", 0)),
        )
    out.print(features)
    totals = ", ".join(f"{count} {status}" for status, count in sorted(report.totals().items()))
    out.print(f"{len(report.devices)} devices: {totals}", highlight=False)


@app.command("report")
def report(
    ctx: typer.Context,
    limit: Annotated[
        str | None,
        typer.Option(
            "--limit",
            help="Only these devices: a name, site:X, region:X, role:X, group:X or a filter expression.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Per device and per feature: compliant or not, and the commands that would fix it."""
    settings = settings_of(ctx)
    engine = get_engine(settings)
    try:
        require_current_schema(engine)
        with load_plugins(settings) as plugins, session_scope(engine) as session:
            try:
                names = select_devices(session, limit)
            except (FilterError, InventoryError) as exc:
                typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
                raise typer.Exit(BAD_INPUT) from None
            found = compliance_report(session, plugins, settings, names)
    finally:
        engine.dispose()
    if as_json:
        print_json(found.to_dict())
    else:
        _print(found)
    if any(d.status in FAILING for d in found.devices):
        raise typer.Exit(1)
