"""``ward db``: create and migrate ward's database."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from ward_core.cli.context import print_json, settings_of
from ward_core.db.migrate import SchemaStatus, schema_status, upgrade
from ward_core.db.session import get_engine

app = typer.Typer(help="Create and migrate ward's database.", no_args_is_help=True)
console = Console()


def _describe(status: SchemaStatus) -> str:
    state = "up to date" if status.up_to_date else f"head is {status.head}: run `ward db upgrade`"
    return f"{status.database}: revision {status.current or '(empty)'}, {state}"


def _as_dict(status: SchemaStatus) -> dict[str, object]:
    return {
        "database": status.database,
        "current": status.current,
        "head": status.head,
        "up_to_date": status.up_to_date,
    }


@app.command("upgrade")
def upgrade_cmd(
    ctx: typer.Context,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    as_json: Annotated[bool, typer.Option("--json", help="Print the resulting revision as JSON.")] = False,
) -> None:
    """Create the schema or apply pending migrations (PostgreSQL or SQLite alike)."""
    engine = get_engine(settings_of(ctx))
    try:
        status = upgrade(engine, revision)
    finally:
        engine.dispose()
    if as_json:
        print_json(_as_dict(status))
    else:
        console.print(_describe(status), highlight=False)


@app.command()
def current(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the revision as JSON.")] = False,
) -> None:
    """Show the database's schema revision and whether a migration is pending."""
    engine = get_engine(settings_of(ctx))
    try:
        status = schema_status(engine)
    finally:
        engine.dispose()
    if as_json:
        print_json(_as_dict(status))
    else:
        console.print(_describe(status), highlight=False)
