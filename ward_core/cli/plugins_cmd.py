"""`ward plugins` commands: what is installed and what each plugin implements."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from ward_core.cli.context import print_json, settings_of
from ward_core.plugin_manager import WardPlugins

app = typer.Typer(help="Installed plugins and the hooks they implement.", no_args_is_help=True)


@app.command("list")
def list_plugins(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List every loaded plugin: name, distribution, version and hooks.

    Plugins are imported and checked (a misspelled hook fails here) but not configured.
    Blocked plugins (WARD_BLOCKED_PLUGINS) are not loaded, so not listed.
    """
    plugins = WardPlugins(settings_of(ctx))
    plugins.load_entry_points()
    plugins.check()
    infos = plugins.describe()
    if as_json:
        print_json([info.to_dict() for info in infos])
        return
    table = Table(title="ward plugins")
    table.add_column("name", style="bold")
    table.add_column("distribution")
    table.add_column("version")
    table.add_column("hooks (ward_*)", overflow="fold")
    for info in infos:
        hooks = ", ".join(h.removeprefix("ward_") for h in info.hooks)
        table.add_row(info.name, info.distribution or "-", info.version or "-", hooks)
    if plugins.blocked:
        table.caption = f"blocked: {', '.join(plugins.blocked)}"
    Console().print(table)
