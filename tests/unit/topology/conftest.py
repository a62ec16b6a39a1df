"""Builders for neighbour records and observations (fixture ``kit``), so each matching test reads as
a wiring story."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from ward_core.topology import DeviceInfo, Observation
from ward_core.types import NeighbourRecord

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

DEVICES = (
    DeviceInfo(name="core1", host="10.0.0.1", site="hub", role="core"),
    DeviceInfo(name="rtr1", host="10.0.1.1", site="branch-1", role="router"),
    DeviceInfo(name="sw1", host="10.0.1.2", site="branch-1", role="switch"),
    DeviceInfo(name="sw2", host="10.0.1.3", site="branch-1", role="switch"),
    DeviceInfo(name="rtr2", host="10.0.2.1", site="branch-2", role="router"),
)
MAC = {d.name: f"00:1e:bd:00:00:{i:02x}" for i, d in enumerate(DEVICES, start=1)}


def rec(
    device: str,
    local: str,
    neighbour: str,
    port: str | None = None,
    *,
    subtype: str | None = "interfaceName",
    description: str | None = None,
    chassis: str | None = None,
    address: str | None = None,
    protocol: str = "lldp",
    local_port_id: str | None = None,
    own_chassis: str | None = None,
) -> NeighbourRecord:
    """An LLDP record (CDP with ``protocol="cdp"``): ``port`` is the far port ID of ``subtype``."""
    return NeighbourRecord(
        device=device,
        local_interface=local,
        neighbour=neighbour,
        protocol=protocol,
        neighbour_interface=description
        if description is not None
        else port
        if subtype == "interfaceName"
        else None,
        neighbour_address=address,
        chassis_id=chassis,
        neighbour_port_id=port if protocol == "lldp" else None,
        neighbour_port_subtype=subtype if protocol == "lldp" and port is not None else None,
        local_port_id=local_port_id,
        local_chassis_id=own_chassis,
    )


def obs(device: str, *records: NeighbourRecord, error: str | None = None) -> Observation:
    """A successful observation of ``device`` (a failed one when ``error`` is given)."""
    return Observation(
        device=device, transport="snmp", collected_at=T0, ok=error is None, records=records, error=error
    )


def observations(*items: Observation) -> dict[str, Observation]:
    """Observations by device."""
    return {o.device: o for o in items}


@dataclass(frozen=True)
class Kit:
    """The builders and the small inventory, handed to tests as one fixture."""

    devices: tuple[DeviceInfo, ...] = DEVICES
    mac: dict[str, str] = field(default_factory=lambda: dict(MAC))

    rec = staticmethod(rec)
    obs = staticmethod(obs)
    seen = staticmethod(observations)


@pytest.fixture
def kit() -> Kit:
    """Record and observation builders over a five-device inventory."""
    return Kit()
