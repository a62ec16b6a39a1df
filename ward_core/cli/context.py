"""State shared by every ``ward`` sub-command, and the helpers to print results."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import typer

from ward_core.config import Settings


@dataclass(frozen=True)
class CliState:
    """What the root command read once: the settings."""

    settings: Settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root command loaded."""
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        raise RuntimeError("ward CLI state missing: invoke through the 'ward' root command")
    return state.settings


def print_json(data: Any) -> None:
    """Write ``data`` as JSON to stdout (the ``--json`` form of every list and show)."""
    json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")
