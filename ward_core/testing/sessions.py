"""A scripted :class:`~ward_core.types.DeviceSession` for testing remediation steps without a device."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ward_core.errors import CommandRejected
from ward_core.types import DeviceTarget


class ScriptedSession:
    """Answers exec commands from ``responses`` and records everything sent.

    Change ``responses`` between steps to play the device's new state. An unscripted command is
    rejected the way a device rejects an unknown one (:class:`~ward_core.errors.CommandRejected`).

    >>> from ward_core.testing.samples import sample_device
    >>> session = ScriptedSession(sample_device(), {"show clock": "12:00:00 UTC"})
    >>> session.send_command("show clock")
    '12:00:00 UTC'
    >>> session.send_command("reload")
    Traceback (most recent call last):
    ...
    ward_core.errors.CommandRejected: sw1: % Invalid input: 'reload' is not scripted
    """

    def __init__(self, device: DeviceTarget, responses: Mapping[str, str] | None = None) -> None:
        self._device = device
        self.responses: dict[str, str] = dict(responses or {})
        self.commands: list[str] = []
        self.confirmed: list[str] = []
        self.config: list[str] = []

    @property
    def device(self) -> DeviceTarget:
        """The device this session pretends to talk to."""
        return self._device

    def send_command(self, command: str, *, confirm: bool = False) -> str:
        """The scripted output of ``command``."""
        self.commands.append(command)
        if confirm:
            self.confirmed.append(command)
        if command not in self.responses:
            raise CommandRejected(f"% Invalid input: {command!r} is not scripted", device=self._device.name)
        return self.responses[command]

    def send_config(self, commands: Sequence[str]) -> str:
        """Record configuration lines; the echo is the lines themselves."""
        self.config.extend(commands)
        return "\n".join(commands)
