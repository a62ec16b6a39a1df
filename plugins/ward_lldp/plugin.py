"""The module ward loads for the ``lldp`` entry point.

``ward_topology_neighbours`` answers for transport ``snmp`` and any device with SNMP settings
(``None`` otherwise, leaving other transports and SNMP-less devices to other plugins) with its
LLDP-MIB and CISCO-CDP-MIB neighbours. The collection of each device runs on a process-wide event
loop (:mod:`ward_lldp.loop`), bounded by ``Settings.topology_timeout_s``; sessions come from
:mod:`ward_core.snmp_sessions`, shared with the ``snmp`` probes.
"""

from __future__ import annotations

from ward_core import hookimpl
from ward_core.config import Settings
from ward_core.inventory.credentials import CredentialResolver
from ward_core.snmp_sessions import KeyCache, SessionFactory
from ward_core.types import DeviceTarget, NeighbourRecord, Transport
from ward_lldp.collector import CollectSettings, collect_device
from ward_lldp.loop import LoopThread

__all__ = ["ward_configure", "ward_topology_neighbours", "ward_unconfigure"]

REQUEST_TIMEOUT_S = 2.0


class _State:
    """What ``ward_configure`` set up: sessions (with the credential resolver), timeouts, the loop."""

    def __init__(self) -> None:
        self.loop = LoopThread()
        self.sessions: SessionFactory | None = None
        self.settings = CollectSettings()

    def configure(self, settings: Settings) -> None:
        self.sessions = SessionFactory(CredentialResolver.from_settings(settings), KeyCache())
        timeout = settings.topology_timeout_s
        self.settings = CollectSettings(
            timeout_s=timeout, request_timeout_s=min(REQUEST_TIMEOUT_S, timeout / 2)
        )

    def clear(self) -> None:
        self.loop.stop()
        self.sessions = None


STATE = _State()


@hookimpl
def ward_configure(settings: Settings) -> None:
    """Keep a credential resolver for the settings' secrets file, and the per-device timeout."""
    STATE.configure(settings)


@hookimpl
def ward_unconfigure() -> None:
    """Stop the event loop."""
    STATE.clear()


@hookimpl
def ward_topology_neighbours(device: DeviceTarget, transport: Transport) -> list[NeighbourRecord] | None:
    """The device's lldpRemTable and cdpCacheTable as records; None unless ``transport`` is
    ``snmp`` and the device has SNMP."""
    if transport != "snmp" or device.snmp is None:
        return None
    if STATE.sessions is None:
        raise RuntimeError("the lldp plugin was not configured (ward_configure was not called)")
    return STATE.loop.run(collect_device(device, STATE.sessions, STATE.settings))
