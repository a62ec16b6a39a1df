"""``ward api``: serve the HTTP API (and what other parts add to it) with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from ward_core.api.app import create_app
from ward_core.cli.context import settings_of
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine


def api(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8080,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning or error.")] = "info",
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = True,
) -> None:
    """Serve the REST API (/api/v1, /docs, /healthz, /metrics) until SIGINT or SIGTERM."""
    settings = settings_of(ctx)
    engine = get_engine(settings)
    try:
        require_current_schema(engine)
    finally:
        engine.dispose()
    app = create_app(settings)
    typer.echo(f"ward api on http://{host}:{port} (OpenAPI at /docs)")
    uvicorn.run(app, host=host, port=port, log_level=log_level.lower(), access_log=access_log)


__all__ = ["api"]
