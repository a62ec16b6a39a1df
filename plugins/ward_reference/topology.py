"""Topology: neighbours written in the inventory, for devices that speak neither LLDP nor CDP.

A device opts in with a ``reference_neighbours`` variable::

    vars:
      reference_neighbours:
        - {interface: Gi0/1, neighbour: core1, neighbour_interface: Te1/0/1}

Devices without it are left to the plugins that really ask the device (``None``).
"""

from __future__ import annotations

from ward_core import hookimpl
from ward_core.errors import InventoryError
from ward_core.types import DeviceTarget, NeighbourRecord, Transport

VARIABLE = "reference_neighbours"


@hookimpl
def ward_topology_neighbours(device: DeviceTarget, transport: Transport) -> list[NeighbourRecord] | None:
    """The neighbours listed in the device's ``reference_neighbours`` variable, whatever the transport."""
    entries = device.vars.get(VARIABLE)
    if entries is None:
        return None
    where = f"device {device.name!r}"
    if not isinstance(entries, list):
        raise InventoryError("must be a list of neighbours", location=where, field=f"vars.{VARIABLE}")
    records = []
    for index, entry in enumerate(entries):
        field = f"vars.{VARIABLE}[{index}]"
        if not isinstance(entry, dict):
            raise InventoryError("must be a mapping", location=where, field=field)
        texts = {key: entry.get(key) for key in ("interface", "neighbour", "neighbour_interface")}
        for key, value in texts.items():
            if not isinstance(value, str) or not value:
                raise InventoryError("must be a non-empty string", location=where, field=f"{field}.{key}")
        records.append(
            NeighbourRecord(
                device=device.name,
                local_interface=str(texts["interface"]),
                neighbour=str(texts["neighbour"]),
                neighbour_interface=str(texts["neighbour_interface"]),
                protocol="static",
            )
        )
    return records
