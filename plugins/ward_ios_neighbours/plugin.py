"""The module ward loads for the ``ios-neighbours`` entry point.

``ward_topology_neighbours`` answers for transport ``ssh`` on Cisco IOS and IOS-XE devices: it logs
in with the device's credential, runs ``show lldp neighbors detail`` and ``show cdp neighbors
detail``, and returns both tables' records (ward merges an interface's LLDP and CDP records into
one link). A protocol the device has disabled (``% CDP is not enabled``) just gives no records;
both disabled is a :class:`~ward_core.errors.CommandRejected`, since the neighbours are unknown.
"""

from __future__ import annotations

from ward_core import hookimpl
from ward_core.config import Settings
from ward_core.errors import CommandRejected
from ward_core.inventory.credentials import CredentialResolver
from ward_core.types import DeviceTarget, NeighbourRecord, Transport
from ward_ios_neighbours.parse import PARSERS, refused
from ward_ios_neighbours.session import PLUGIN, run_commands

__all__ = ["ward_configure", "ward_topology_neighbours", "ward_unconfigure"]

PLATFORMS = frozenset({"cisco_ios", "cisco_xe"})


class _State:
    resolver: CredentialResolver | None = None
    timeout_s: float = 30.0


STATE = _State()


@hookimpl
def ward_configure(settings: Settings) -> None:
    """Keep a credential resolver for the settings' secrets file, and the per-device timeout."""
    STATE.resolver = CredentialResolver.from_settings(settings)
    STATE.timeout_s = settings.topology_timeout_s


@hookimpl
def ward_unconfigure() -> None:
    """Forget the resolver."""
    STATE.resolver = None


@hookimpl
def ward_topology_neighbours(device: DeviceTarget, transport: Transport) -> list[NeighbourRecord] | None:
    """LLDP and CDP neighbours read over SSH; None for another transport or platform."""
    if transport != "ssh" or device.platform not in PLATFORMS:
        return None
    if STATE.resolver is None:
        raise RuntimeError("the ios-neighbours plugin was not configured (ward_configure was not called)")
    commands = list(PARSERS)
    outputs = run_commands(device, STATE.resolver, commands, STATE.timeout_s)
    records: list[NeighbourRecord] = []
    refusals = []
    for command, output in zip(commands, outputs, strict=True):
        problem = refused(output)
        if problem is not None:
            refusals.append(f"{command!r}: {problem}")
            continue
        records.extend(PARSERS[command](device.name, output))
    if len(refusals) == len(commands):
        raise CommandRejected("; ".join(refusals), device=device.name, plugin=PLUGIN)
    return records
