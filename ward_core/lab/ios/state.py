"""What the CLI remembers beyond the shared model, for all devices of one lab.

* ``clear counters`` zeroes what ``show interfaces`` prints but, as on IOS, not the SNMP counters:
  the CLI keeps a baseline per interface and shows the difference.
* ``write memory`` keeps the saved text, so ``show startup-config`` shows what was saved, not
  what is running. The first ``configure terminal`` on a device without unsaved changes keeps
  the text too (it is what NVRAM holds). A device changed only by faults, never configured or
  saved over SSH, shows its running configuration.

Only devices someone touched have entries, so a thousand idle devices cost nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios.running_config import config_body, render_startup_config
from ward_core.lab.model import Counters, Device, Interface, LabNetwork


@dataclass(frozen=True)
class Cleared:
    """Counters as they were when ``clear counters`` ran, and when that was."""

    baseline: Counters
    at: float


class IosState:
    """CLI-only state of one lab's devices."""

    def __init__(self, network: LabNetwork, credentials: LabCredentials) -> None:
        self.network = network
        self.credentials = credentials
        self._cleared: dict[tuple[str, str], Cleared] = {}
        self._startup: dict[str, str] = {}

    def counters(self, device: Device, iface: Interface) -> tuple[Counters, float | None]:
        """What ``show interfaces`` prints for ``iface`` and when it was last cleared (None: never).

        A baseline above the live value means the device rebooted since: the baseline is dropped.
        """
        live = self.network.counters(iface)
        cleared = self._cleared.get((device.name, iface.name))
        if cleared is None:
            return replace(live), None
        base = cleared.baseline
        if live.in_octets < base.in_octets or live.in_pkts < base.in_pkts or cleared.at < device.booted_at:
            del self._cleared[(device.name, iface.name)]
            return replace(live), None
        shown = Counters(
            **{name: getattr(live, name) - getattr(base, name) for name in Counters.__dataclass_fields__}
        )
        return shown, cleared.at

    def clear_counters(self, device: Device, only: list[Interface] | None = None) -> None:
        """``clear counters [IF]``: the interfaces (all by default) start again from zero on the CLI."""
        now = self.network.clock()
        for iface in only if only is not None else device.interfaces.values():
            self._cleared[(device.name, iface.name)] = Cleared(replace(self.network.counters(iface)), now)

    def save(self, device: Device) -> None:
        """``write memory``: the running configuration becomes the startup configuration."""
        self.network.save_config(device)
        self._startup[device.name] = config_body(self.network, device, self.credentials)

    def entering_configuration(self, device: Device) -> None:
        """Keep the startup configuration before a first change made over SSH."""
        if device.name not in self._startup and not device.unsaved_changes:
            self._startup[device.name] = config_body(self.network, device, self.credentials)

    def startup_config(self, device: Device) -> str:
        """``show startup-config``."""
        body = self._startup.get(device.name)
        if body is None:
            body = config_body(self.network, device, self.credentials)
        return render_startup_config(device, body)
