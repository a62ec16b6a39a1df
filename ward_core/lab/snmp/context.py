"""What a request about one simulated device can see: the network, the device and its SNMP engine."""

from __future__ import annotations

from typing import Protocol

from ward_core.lab.model import Device, LabNetwork
from ward_core.lab.snmp.mib import RequestContext


class EngineInfo(Protocol):
    """The SNMP engine of one device, as SNMP-FRAMEWORK-MIB shows it."""

    @property
    def engine_id(self) -> bytes:
        """snmpEngineID."""
        ...

    @property
    def max_message_size(self) -> int:
        """snmpEngineMaxMessageSize."""
        ...

    def engine_clock(self) -> tuple[int, int]:
        """snmpEngineBoots and snmpEngineTime (seconds since the last boot)."""
        ...


class DeviceContext(RequestContext):
    """One request to one device: cells read the model through it, rows are memoised in it."""

    __slots__ = ("device", "engine", "network")

    def __init__(self, network: LabNetwork, device: Device, engine: EngineInfo) -> None:
        super().__init__()
        self.network = network
        self.device = device
        self.engine = engine

    def ticks_since_boot(self, moment: float) -> int:
        """A moment as TimeTicks of this device's sysUpTime (0 when it was before the last boot)."""
        return max(0, int((moment - self.device.booted_at) * 100))
