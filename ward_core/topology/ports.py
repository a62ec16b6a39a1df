"""Finding the far interface a neighbour record points at.

A record names the far port in one of three ways: an interface name (LLDP ``interfaceName``
subtype, CDP's port), a port ID that is not a name (LLDP ``local`` = the far device's ifIndex,
``macAddress``...), or only a port description. Names are used as they are (normalised). Other
port IDs are looked up among the IDs the far device itself advertises on its interfaces
(``local_port_id`` in its own records, which the SNMP collector takes from its lldpLocPortTable
and ifName), which maps an ifIndex to the far device's interface name. A port description that
reads as an interface name is the last resort. Each answer says how it was found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ward_core.topology.names import interface_name, looks_like_interface, mac_address
from ward_core.types import NeighbourRecord

NAME_SUBTYPES = frozenset({"interfaceName", "interfaceAlias"})

PORT_WAYS = ("port_name", "advertised_port_id", "port_description", "far_end")
"""How a far port was found, best first."""


def port_id_key(port_id: str) -> str:
    """Port IDs compared as MACs when they are, else as trimmed lower-case text.

    >>> port_id_key("001E.BD00.1001"), port_id_key(" 7 ")
    ('00:1e:bd:00:10:01', '7')
    """
    return mac_address(port_id) or port_id.strip().lower()


class AdvertisedPorts:
    """For each device, the port IDs it advertises, mapped to its interface names."""

    def __init__(self, records: Iterable[NeighbourRecord]) -> None:
        self._names: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for record in records:
            if record.local_port_id and record.local_port_id.strip() and record.local_interface.strip():
                names = self._names[record.device][port_id_key(record.local_port_id)]
                names.add(interface_name(record.local_interface))

    def name_of(self, device: str, port_id: str) -> str | None:
        """The interface of ``device`` advertising ``port_id``; None if unknown or not unique."""
        names = self._names.get(device, {}).get(port_id_key(port_id), set())
        return next(iter(names)) if len(names) == 1 else None


def far_port(
    record: NeighbourRecord, far_device: str, ports: AdvertisedPorts
) -> tuple[str | None, str | None]:
    """(far interface name, how it was found) for ``record`` whose neighbour is ``far_device``."""
    port_id = (record.neighbour_port_id or "").strip()
    subtype = record.neighbour_port_subtype
    if port_id and (subtype in NAME_SUBTYPES or (subtype is None and looks_like_interface(port_id))):
        return interface_name(port_id), "port_name"
    if port_id:
        advertised = ports.name_of(far_device, port_id)
        if advertised is not None:
            return advertised, "advertised_port_id"
    description = (record.neighbour_interface or "").strip()
    if description and looks_like_interface(description):
        way = "port_name" if record.protocol == "cdp" or not port_id else "port_description"
        return interface_name(description), way
    return None, None
