"""`ward plugins` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="plugins commands", no_args_is_help=True)
