"""``ward inventory``: import devices from YAML or CSV, and list or show them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from ward_core.api.cache import invalidate_inventory
from ward_core.cli.context import print_json, settings_of
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine, session_scope
from ward_core.errors import InventoryError, InventoryRejected
from ward_core.inventory.importer import import_inventory
from ward_core.inventory.membership import devices_in_group, group_members, groups_by_device
from ward_core.inventory.queries import load_device, load_devices, load_groups
from ward_core.inventory.types import DeviceRecord

app = typer.Typer(help="Import, list and show devices, sites and groups.", no_args_is_help=True)
PIPE_WIDTH = 200
"""Width used when stdout is not a terminal, so piped tables are not cut to 80 columns."""


def _print(table: Table) -> None:
    out = Console()
    (out if out.is_terminal else Console(width=PIPE_WIDTH)).print(table)


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def _session(ctx: typer.Context) -> Iterator[Session]:
    engine = get_engine(settings_of(ctx))
    try:
        require_current_schema(engine)
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def _error_dict(error: InventoryError) -> dict[str, Any]:
    return {"source": error.source, "location": error.location, "field": error.field, "message": error.reason}


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Inventory file: .yml/.yaml or .csv.")],
    as_json: JsonOption = False,
) -> None:
    """Create or update devices, sites, groups and credential names from FILE (all or nothing).

    Re-importing an unchanged file writes nothing.
    """
    try:
        with _session(ctx) as session:
            report = import_inventory(file, session)
    except InventoryRejected as exc:
        if not as_json:
            raise
        print_json({"source": exc.source, "errors": [_error_dict(e) for e in exc.errors]})
        raise typer.Exit(1) from None
    invalidate_inventory(settings_of(ctx))
    if as_json:
        print_json(report.to_dict())
        return
    table = Table("", "created", "updated", "unchanged", title=f"imported {report.source}")
    for kind, counts in report.kinds().items():
        table.add_row(kind, str(counts.created), str(counts.updated), str(counts.unchanged))
    _print(table)


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Only devices of this site.")] = None,
    group: Annotated[str | None, typer.Option(help="Only members of this group (static or dynamic).")] = None,
    role: Annotated[str | None, typer.Option(help="Only devices with this role.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List devices, optionally filtered by site, group and role."""
    with _session(ctx) as session:
        devices = load_devices(session, site=site, role=role)
        groups = load_groups(session)
    if group is not None:
        devices = devices_in_group(devices, groups, group)
    if as_json:
        memberships = groups_by_device(devices, groups)
        print_json([{**d.to_dict(), "groups": memberships[d.name]} for d in devices])
        return
    table = Table(title=f"{len(devices)} devices")
    for column in ("name", "host", "platform", "site", "region", "role", "tags"):
        table.add_column(column, overflow="fold")
    for d in devices:
        tags = ", ".join(d.tags)
        table.add_row(d.name, d.host, d.platform, d.site or "", d.region or "", d.role or "", tags)
    _print(table)


def _show_lines(device: DeviceRecord, groups: list[str]) -> Iterator[tuple[str, str]]:
    yield "host", f"{device.host} port {device.port}"
    yield "platform", device.platform
    yield "site", f"{device.site or '-'} (region {device.region or '-'})"
    yield "role", device.role or "-"
    yield "tags", ", ".join(device.tags) or "-"
    yield "groups", ", ".join(groups) or "-"
    yield "credentials", device.credentials or "-"
    if device.snmp is not None:
        snmp = device.snmp
        v3 = f", user {snmp.user}, {snmp.security_level}" if snmp.version == "3" else ""
        yield "snmp", f"v{snmp.version} port {snmp.port}{v3}, credentials {snmp.credentials}"
    for key, value in sorted(device.vars.items()):
        yield f"vars.{key}", str(value)


@app.command()
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Device name.")],
    as_json: JsonOption = False,
) -> None:
    """Show one device and every group it belongs to (credential names only, never secrets)."""
    with _session(ctx) as session:
        device = load_device(session, name)
        if device is None:
            raise InventoryError(f"no device named {name!r}", source="database")
        memberships = groups_by_device([device], load_groups(session))[name]
    if as_json:
        print_json({**device.to_dict(), "groups": memberships})
        return
    table = Table(show_header=False, title=device.name)
    for key, value in _show_lines(device, memberships):
        table.add_row(key, value)
    _print(table)


@app.command("groups")
def groups_cmd(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List groups with their kind, filter and current members."""
    with _session(ctx) as session:
        devices = load_devices(session)
        groups = load_groups(session)
    members = group_members(devices, groups)
    if as_json:
        print_json([{**g.to_dict(), "members": members[g.name]} for g in groups])
        return
    table = Table("name", "kind", "filter", "members", title=f"{len(groups)} groups")
    for g in groups:
        names = members[g.name]
        shown = ", ".join(names[:8]) + (f" (+{len(names) - 8})" if len(names) > 8 else "")
        table.add_row(g.name, g.kind, g.filter or "", f"{len(names)}: {shown}" if names else "0")
    _print(table)
