"""``ward samples``: read the latest measured values, and apply retention."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from ward_core.cli.context import print_json, settings_of
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine, session_scope
from ward_core.errors import InventoryError
from ward_core.inventory.queries import load_device
from ward_core.probes.labels import labels_key
from ward_core.probes.queries import latest, prune_samples

app = typer.Typer(help="Read stored samples and prune old ones.", no_args_is_help=True)
PIPE_WIDTH = 200

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


def _age(when: datetime, now: datetime) -> str:
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


@app.command("latest")
def latest_cmd(
    ctx: typer.Context,
    device: Annotated[str | None, typer.Option(help="Only this device.")] = None,
    metric: Annotated[str | None, typer.Option(help="Only this metric, e.g. ping.loss_pct.")] = None,
    as_json: JsonOption = False,
) -> None:
    """The newest value of every series (raw counters included), by device and metric."""
    with _session(ctx) as session:
        if device is not None and load_device(session, device) is None:
            raise InventoryError(f"no device named {device!r}", source="database")
        values = latest(session, device=device, metric=metric)
    if as_json:
        print_json([v.to_dict() for v in values])
        return
    now = datetime.now(UTC)
    table = Table("device", "metric", "labels", "value", "age", title=f"{len(values)} latest values")
    for v in values:
        table.add_row(v.device, v.metric, labels_key(v.labels), f"{v.value:g}", _age(v.time, now))
    out = Console()
    (out if out.is_terminal else Console(width=PIPE_WIDTH)).print(table)


@app.command()
def prune(
    ctx: typer.Context,
    days: Annotated[int, typer.Option("--days", min=1, help="Keep this many days of samples.")],
    as_json: JsonOption = False,
) -> None:
    """Delete samples older than DAYS days (and latest values and batch ids not refreshed since)."""
    cutoff = datetime.now(UTC) - timedelta(days=days)
    with _session(ctx) as session:
        report = prune_samples(session, cutoff)
    if as_json:
        print_json({**report.to_dict(), "older_than": cutoff.isoformat()})
        return
    Console().print(
        f"deleted {report.samples} samples, {report.latest} stale latest values and "
        f"{report.batches} batch ids older than {cutoff:%Y-%m-%d %H:%M} UTC",
        highlight=False,
    )
