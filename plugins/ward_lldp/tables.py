"""From walked LLDP-MIB tables to neighbour records (pure: no I/O).

lldpRemTable rows are indexed ``timeMark.localPortNum.remIndex``. The time mark is the agent's
sysUpTime when the neighbour was (re)learned, so it changes: rows are read by whatever index
they have, never by assuming ``0``. ``localPortNum`` names the local port: its lldpLocPortTable
entry gives the port ID this device advertises there, and its name is that port ID when it is an
interface name, else IF-MIB's ifName of the same number (LLDP agents number ports by ifIndex),
else the port description.

A row that is not LLDP-shaped (a short index, a missing column, undecodable octets) still
becomes a record with whatever could be read, so that discovery records and explains it instead
of silently dropping it; a record with no local interface or no neighbour identity is explained
as unusable.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from gufo.snmp import ValueType

from ward_core.types import NeighbourRecord
from ward_lldp import oids
from ward_lldp.decode import PORT_SUBTYPES, capabilities, chassis_id, integer, port_id, text

NAME_SUBTYPES = (1, 5)
"""interfaceAlias(1) and interfaceName(5) port IDs are interface names."""

MAN_ADDR_FAMILIES = {1: 4, 2: 16}
"""IANA address family to address length: ipV4(1), ipV6(2)."""


@dataclass(slots=True)
class Walked:
    """What the collector read from one agent, each table as ``{OID suffix: value}``.

    ``scalars`` holds the GET of lldpLocalSystemData and cdpGlobalRun by full OID; ``cdp_cache``
    the walked cdpCacheTable columns by column number, each ``{row index: value}``; ``if_descrs``
    is read only when a CDP row names an ifIndex that ``if_names`` lacks.
    """

    scalars: dict[str, ValueType] = field(default_factory=dict)
    loc_ports: dict[str, ValueType] = field(default_factory=dict)
    if_names: dict[str, ValueType] = field(default_factory=dict)
    remotes: dict[str, ValueType] = field(default_factory=dict)
    man_addrs: dict[str, ValueType] = field(default_factory=dict)
    cdp_cache: dict[int, dict[str, ValueType]] = field(default_factory=dict)
    if_descrs: dict[str, ValueType] = field(default_factory=dict)

    @property
    def serves_lldp(self) -> bool:
        """Whether the agent served any of LLDP-MIB."""
        local = any(oid in self.scalars for oid in oids.LOC_SCALARS)
        return local or bool(self.loc_ports or self.remotes)

    @property
    def cdp_run(self) -> int | None:
        """cdpGlobalRun (true 1, false 2), None when the agent does not serve it."""
        return integer(self.scalars.get(oids.CDP_GLOBAL_RUN))

    @property
    def runs_cdp(self) -> bool:
        """Whether CDP runs: cdpGlobalRun says so, or the agent serves cache rows anyway."""
        return self.cdp_run == oids.CDP_TRUE or any(self.cdp_cache.values())


def _arcs(text_index: str) -> tuple[int, ...] | None:
    """``"3.1.2"`` as integers; None when it is not a dotted number.

    >>> _arcs("0.3.1"), _arcs("x.1")
    ((0, 3, 1), None)
    """
    try:
        return tuple(int(arc) for arc in text_index.split("."))
    except ValueError:
        return None


def _columns(table: Mapping[str, ValueType]) -> dict[str, dict[int, ValueType]]:
    """``{"col.index": value}`` as ``{index: {col: value}}``."""
    rows: dict[str, dict[int, ValueType]] = defaultdict(dict)
    for suffix, value in table.items():
        column, _, index = suffix.partition(".")
        number = _arcs(column)
        if number is None or not index:
            continue
        rows[index][number[0]] = value
    return rows


@dataclass(frozen=True, slots=True)
class LocalPort:
    """One local port: its name and the port ID the device advertises on it."""

    name: str
    port_id: str | None


def local_ports(walked: Walked) -> dict[int, LocalPort]:
    """Local ports by lldpLocPortNum."""
    ports: dict[int, LocalPort] = {}
    loc = _columns(walked.loc_ports)
    numbers = {arcs[0] for index in loc if (arcs := _arcs(index)) and len(arcs) == 1}
    numbers |= {arcs[0] for index in walked.if_names if (arcs := _arcs(index)) and len(arcs) == 1}
    for number in numbers:
        row = loc.get(str(number), {})
        subtype = integer(row.get(oids.LOC_PORT_ID_SUBTYPE))
        advertised = port_id(subtype, row.get(oids.LOC_PORT_ID))
        if_name = text(walked.if_names.get(str(number)))
        if advertised and subtype in NAME_SUBTYPES:
            name = advertised
        else:
            name = if_name or text(row.get(oids.LOC_PORT_DESC)) or f"port {number}"
        ports[number] = LocalPort(name=name, port_id=advertised)
    return ports


def management_addresses(walked: Walked) -> dict[tuple[int, int, int], str]:
    """The first management address of each remote row (IPv4 preferred), by row index."""
    found: dict[tuple[int, int, int], list[tuple[int, str]]] = defaultdict(list)
    for suffix in walked.man_addrs:
        arcs = _arcs(suffix)
        if arcs is None or len(arcs) < 7:
            continue
        row, family, length, octets = arcs[1:4], arcs[4], arcs[5], arcs[6:]
        if MAN_ADDR_FAMILIES.get(family) != length or len(octets) != length:
            continue
        try:
            address = ipaddress.ip_address(bytes(octets))
        except ValueError:
            continue
        found[(row[0], row[1], row[2])].append((family, str(address)))
    return {row: sorted(addresses)[0][1] for row, addresses in found.items()}


def _first_line(value: ValueType | None) -> str | None:
    description = text(value)
    return description.splitlines()[0][:200] if description else None


def neighbour_records(device: str, walked: Walked) -> list[NeighbourRecord]:
    """One record per lldpRemTable row of ``walked`` (rows in index order)."""
    ports = local_ports(walked)
    addresses = management_addresses(walked)
    own_chassis = chassis_id(
        integer(walked.scalars.get(oids.LOC_CHASSIS_ID_SUBTYPE)), walked.scalars.get(oids.LOC_CHASSIS_ID)
    )
    records = []
    rows = _columns(walked.remotes)
    for index in sorted(rows, key=lambda i: _arcs(i) or (1 << 62,)):
        row = rows[index]
        arcs = _arcs(index)
        key = (arcs[0], arcs[1], arcs[2]) if arcs is not None and len(arcs) == 3 else None
        local = ports.get(key[1]) if key else None
        if key and local is None:
            local = LocalPort(name=f"port {key[1]}", port_id=None)
        port_subtype = integer(row.get(oids.REM_PORT_SUBTYPE))
        far_port = port_id(port_subtype, row.get(oids.REM_PORT_ID))
        description = text(row.get(oids.REM_PORT_DESC))
        records.append(
            NeighbourRecord(
                device=device,
                local_interface=local.name if local else "",
                neighbour=text(row.get(oids.REM_SYS_NAME)) or "",
                protocol="lldp",
                neighbour_interface=far_port if far_port and port_subtype in NAME_SUBTYPES else description,
                neighbour_address=addresses.get(key) if key else None,
                chassis_id=chassis_id(
                    integer(row.get(oids.REM_CHASSIS_SUBTYPE)), row.get(oids.REM_CHASSIS_ID)
                ),
                platform=_first_line(row.get(oids.REM_SYS_DESC)),
                capabilities=capabilities(row.get(oids.REM_CAP_ENABLED)),
                neighbour_port_id=far_port,
                neighbour_port_subtype=PORT_SUBTYPES.get(port_subtype) if port_subtype is not None else None,
                local_port_id=local.port_id if local else None,
                local_chassis_id=own_chassis,
            )
        )
    return records
