"""Faults a test or a demo injects into a running lab (``ward lab fault DEVICE KIND [ARG]``).

=============== ======================================================================
kind            effect
=============== ======================================================================
down            the device stops answering SSH, SNMP and (in a lab namespace) ICMP
up              it answers again
flap IF         the interface goes down and up ``FLAP_COUNT`` times, ``FLAP_INTERVAL`` apart
if-down IF      the far end loses the link (as if the cable were pulled at the neighbour)
if-up IF        the link comes back
slow MS         every SSH, SNMP and ICMP answer is delayed by MS milliseconds (0 clears)
auth-fail       logins and SNMP requests are refused as with wrong credentials
auth-ok         credentials work again
config-drift    an unapproved line appears in the running config, as if typed by hand
reboot          the device reloads: uptime and counters restart
packet-loss PCT that share of ICMP echo requests is dropped (needs a lab namespace)
clear           every fault of the device is removed
=============== ======================================================================
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from ward_core.errors import LabError
from ward_core.lab.model import Device, LabNetwork

FLAP_COUNT = 3
FLAP_INTERVAL = 2.0
DRIFT_LINES = (
    "ip http server",
    "logging host 198.51.100.77",
    "no service password-encryption",
    "snmp-server community public RO",
)
KINDS = (
    "down",
    "up",
    "flap",
    "if-down",
    "if-up",
    "slow",
    "auth-fail",
    "auth-ok",
    "config-drift",
    "reboot",
    "packet-loss",
    "clear",
)
NEEDS_ARGUMENT = {"flap": "IF", "if-down": "IF", "if-up": "IF", "slow": "MS", "packet-loss": "PCT"}


@dataclass(frozen=True)
class FaultOutcome:
    """What the fault did, in words, and whether ICMP was affected as asked."""

    message: str
    icmp_note: str | None = None


class FaultInjector:
    """Applies faults to the model; ``icmp_available`` says whether ICMP can show them."""

    def __init__(
        self,
        network: LabNetwork,
        icmp_available: bool,
        schedule: Callable[[float, Callable[[], None]], object] | None = None,
    ) -> None:
        self.network = network
        self.icmp_available = icmp_available
        self._schedule = schedule or _call_later

    def apply(self, device_name: str, kind: str, argument: str | None = None) -> FaultOutcome:
        """Inject one fault; LabError names the device and what was wrong with the request."""
        device = self.network.device(device_name)
        if kind not in KINDS:
            raise LabError(f"unknown fault {kind!r}; known: {', '.join(KINDS)}")
        if kind in NEEDS_ARGUMENT and not argument:
            raise LabError(
                f"fault {kind!r} needs {NEEDS_ARGUMENT[kind]} (ward lab fault {device_name} {kind} ...)"
            )
        icmp_note = (
            None
            if self.icmp_available
            else (
                "ICMP is answered by the host kernel on loopback: "
                "start the lab as root with --netns for ICMP faults"
            )
        )
        if kind == "down":
            self._set_reachable(device, False)
            return FaultOutcome(f"{device.name} stops answering", icmp_note)
        if kind == "up":
            self._set_reachable(device, True)
            return FaultOutcome(f"{device.name} answers again")
        if kind == "slow":
            device.reply_delay_ms = _number(argument, "MS", 0, 60_000)
            return FaultOutcome(f"{device.name} answers {device.reply_delay_ms} ms late", icmp_note)
        if kind == "packet-loss":
            if not self.icmp_available:
                raise LabError(f"{device.name}: packet-loss needs the lab namespace; {icmp_note}")
            device.packet_loss_pct = _number(argument, "PCT", 0, 100)
            return FaultOutcome(f"{device.name} drops {device.packet_loss_pct}% of echo requests")
        if kind == "auth-fail":
            device.auth_fail = True
            return FaultOutcome(f"{device.name} refuses every credential")
        if kind == "auth-ok":
            device.auth_fail = False
            return FaultOutcome(f"{device.name} accepts its credentials again")
        if kind == "config-drift":
            return self._drift(device)
        if kind == "reboot":
            self.network.reboot(device)
            return FaultOutcome(f"{device.name} reloaded")
        if kind == "clear":
            self._set_reachable(device, True)
            device.auth_fail = False
            device.reply_delay_ms = device.packet_loss_pct = 0
            return FaultOutcome(f"{device.name}: faults cleared")
        assert argument is not None
        return self._interface_fault(device, kind, argument)

    def _set_reachable(self, device: Device, reachable: bool) -> None:
        """Neighbours lose (or re-learn) the device, so their LLDP entries get a new time mark."""
        if device.reachable == reachable:
            return
        device.reachable = reachable
        now = self.network.clock()
        for iface in device.interfaces.values():
            far = self.network.peer_of(iface)
            if far is not None:
                far[1].last_change = now

    def _interface_fault(self, device: Device, kind: str, name: str) -> FaultOutcome:
        iface = device.interface(name)
        far = self.network.peer_of(iface)
        if kind == "flap":
            for n in range(FLAP_COUNT):
                self._schedule(n * FLAP_INTERVAL, lambda: self.network.set_admin(device, iface, False))
                self._schedule(
                    n * FLAP_INTERVAL + FLAP_INTERVAL / 2, lambda: self.network.set_admin(device, iface, True)
                )
            return FaultOutcome(f"{device.name} {iface.name} flaps {FLAP_COUNT} times")
        if far is None:
            raise LabError(f"{device.name} {iface.name} has no cable, so its far end cannot drop the link")
        remote, remote_if = far
        self.network.set_admin(remote, remote_if, kind == "if-up")
        state = "restored" if kind == "if-up" else "lost"
        return FaultOutcome(
            f"{device.name} {iface.name}: link {state} (far end {remote.name} {remote_if.name})"
        )

    def _drift(self, device: Device) -> FaultOutcome:
        for line in DRIFT_LINES:
            if line not in device.extra_config:
                device.extra_config.append(line)
                self.network.mark_config_changed(device, by="console")
                return FaultOutcome(f"{device.name}: {line!r} added to the running config")
        raise LabError(f"{device.name} already carries every drift line")


def _number(text: str | None, what: str, low: int, high: int) -> int:
    try:
        value = int(str(text))
    except ValueError:
        raise LabError(f"{what} must be a whole number, got {text!r}") from None
    if not low <= value <= high:
        raise LabError(f"{what} must be between {low} and {high}, got {value}")
    return value


def _call_later(delay: float, callback: Callable[[], None]) -> object:
    return asyncio.get_running_loop().call_later(delay, callback)
