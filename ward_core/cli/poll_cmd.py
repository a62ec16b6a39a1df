"""``ward poll``: run one poll cycle now, in this process (no queue needed).

Exit status: 0 when every device was measured, 1 when at least one device failed (or the database
cannot be used), 2 on bad input (a selector matching nothing, an unknown probe kind).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ward_core.cli.context import print_json, settings_of
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine, session_scope
from ward_core.errors import ConfigError, InventoryError, PluginError
from ward_core.plugin_manager import WardPlugins, load_plugins
from ward_core.probes.poll import PollReport, default_kinds, poll_once
from ward_core.probes.selection import select_devices

PIPE_WIDTH = 200
"""Width used when stdout is not a terminal, so piped tables are not cut to 80 columns."""
BAD_INPUT = 2


def _console() -> Console:
    out = Console()
    return out if out.is_terminal else Console(width=PIPE_WIDTH)


def _bad_input(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(BAD_INPUT)


def _kinds(plugins: WardPlugins, asked: list[str] | None, configured: list[str]) -> list[str]:
    kinds = list(dict.fromkeys(asked)) if asked else default_kinds(plugins, configured)
    if not kinds:
        raise ConfigError("no probe kind to run: install a probe plugin or pass --kind")
    for kind in kinds:
        plugins.probe_kind_owner(kind)
    return kinds


def _print(report: PollReport, batch_size: int) -> None:
    out = _console()
    devices = f"{report.devices} device{'s' if report.devices != 1 else ''}"
    table = Table("kind", "ok", "failed", "samples", "probe time s", title=f"poll of {devices}")
    for k in report.per_kind():
        failed = f"[red]{k.failed}[/]" if k.failed else "0"
        table.add_row(k.kind, str(k.ok), failed, str(k.samples), f"{k.duration_s:.2f}")
    out.print(table)
    if report.failures:
        failures = Table("device", "kind", "reason", title="failed devices")
        for f in report.failures:
            failures.add_row(f.device, f.kind, f.reason)
        out.print(failures)
    batches = len(report.batches)
    out.print(
        f"{devices} in {batches} batch{'es' if batches != 1 else ''} of up to {batch_size}, "
        f"{report.samples_written} samples written, {report.duration_s:.2f} s",
        highlight=False,
    )


def poll(
    ctx: typer.Context,
    limit: Annotated[
        str | None,
        typer.Option(
            "--limit",
            help="Only these devices: a name, site:X, region:X, role:X, group:X or a filter expression.",
        ),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Probe kind to run (repeat for several). Default: settings poll_kinds."),
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", min=1, help="Devices per batch. Default: poll_batch_size.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Probe devices now and store the samples; exit 1 when a device failed, 2 on bad input."""
    settings = settings_of(ctx)
    size = batch_size or settings.poll_batch_size
    engine = get_engine(settings)
    try:
        require_current_schema(engine)
        with load_plugins(settings) as plugins:
            try:
                kinds = _kinds(plugins, kind, settings.poll_kinds)
                with session_scope(engine) as session:
                    names = select_devices(session, limit)
            except (PluginError, ConfigError, InventoryError) as exc:
                raise _bad_input(str(exc)) from None
            report = poll_once(
                engine=engine, plugins=plugins, device_names=names, kinds=kinds, batch_size=size
            )
    finally:
        engine.dispose()
    if as_json:
        print_json(report.to_dict())
    else:
        _print(report, size)
    if report.failures:
        raise typer.Exit(1)
