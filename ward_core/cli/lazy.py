"""Sub-commands imported when they are run, so that ``ward approvals list`` does not import the lab.

Each sub-command lives in a module of its own (``ward_core.cli.*_cmd``) and is named in a
:class:`LazyCommand` table; :class:`LazyGroup` imports a module only when its command is invoked
(or its own ``--help`` is asked for). ``ward --help`` lists the table's one-line help without
importing anything.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import ClassVar

import typer
from typer._click import Command, Context, HelpFormatter
from typer.core import TyperGroup


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """A sub-command: its name, where it is defined, and its one-line help.

    ``attribute`` names a :class:`typer.Typer` (a command group) or a function (one command).
    """

    name: str
    module: str
    attribute: str
    help: str

    def load(self) -> Command:
        target = getattr(importlib.import_module(self.module), self.attribute)
        command: Command
        if isinstance(target, typer.Typer):
            command = typer.main.get_group(target)
        else:
            single = typer.Typer()
            single.command(self.name)(target)
            command = typer.main.get_command(single)
        command.name = self.name
        return command


class LazyGroup(TyperGroup):
    """A Typer group whose sub-commands come from :attr:`commands_table`, imported on use."""

    commands_table: ClassVar[tuple[LazyCommand, ...]] = ()

    def list_commands(self, ctx: Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(entry.name for entry in self.commands_table)})

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        known = super().get_command(ctx, cmd_name)
        if known is not None:
            return known
        for entry in self.commands_table:
            if entry.name == cmd_name:
                command = entry.load()
                self.add_command(command, cmd_name)
                return command
        return None

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        rows = [(entry.name, entry.help) for entry in self.commands_table]
        rows += [
            (name, command.get_short_help_str())
            for name, command in self.commands.items()
            if not any(entry.name == name for entry in self.commands_table)
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(rows))
