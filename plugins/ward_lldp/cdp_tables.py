"""From walked CISCO-CDP-MIB cdpCacheTable columns to neighbour records (pure: no I/O).

Rows are indexed ``cdpCacheIfIndex.cdpCacheDeviceIndex``. The first arc is the local interface's
ifIndex, named by IF-MIB's ifName, else its ifDescr; the second is a number the agent gives each
entry it creates (it changes when a neighbour is re-learned), so rows are read by whatever index
they have. Each row becomes a ``cdp`` record in the words ``show cdp neighbors detail`` uses, so
that discovery treats it exactly like a CDP record read over SSH and merges it with the LLDP
record of the same cable (:mod:`ward_core.topology.matching`):

- ``neighbour`` is cdpCacheDeviceId as announced: a fully qualified name, or a name carrying the
  serial number in parentheses (NX-OS: ``core1(FOX1234ABCD)``); :func:`ward_core.topology.names.host_key`
  reduces both to the host name when matching, for SSH and SNMP records alike;
- ``neighbour_interface`` is cdpCacheDevicePort, the far interface's name;
- ``neighbour_address`` is cdpCacheAddress decoded by cdpCacheAddressType: ip(1) four octets,
  ipv6(20) sixteen; anything else is left out;
- ``platform`` is cdpCachePlatform, ``capabilities`` the words the CLI prints for the
  cdpCacheCapabilities bits (``Router Switch IGMP``).

A row that is not CDP-shaped (an index that is not two numbers, an ifIndex the agent cannot name,
a missing column, undecodable octets) still becomes a record with whatever could be read, so that
discovery records and explains it instead of dropping it silently: a record without a local
interface or without any neighbour identity is explained as unusable.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict

from gufo.snmp import ValueType

from ward_core.types import NeighbourRecord
from ward_lldp import oids
from ward_lldp.decode import chassis_id, integer, text
from ward_lldp.tables import Walked

ADDRESS_LENGTHS = {1: 4, 20: 16}
"""CiscoNetworkProtocol to address length: ip(1), ipv6(20)."""

CAPABILITIES = (
    (0x01, "Router"),
    (0x02, "Trans-Bridge"),
    (0x04, "Source-Route-Bridge"),
    (0x08, "Switch"),
    (0x10, "Host"),
    (0x20, "IGMP"),
    (0x40, "Repeater"),
    (0x80, "Phone"),
    (0x100, "Remote"),
    (0x200, "CVTA"),
    (0x400, "Two-port-Mac-Relay"),
)
"""CDP capability bits and the words IOS prints for them, in its order."""


def address(kind: ValueType | None, raw: ValueType | None) -> str | None:
    """cdpCacheAddress as text by its cdpCacheAddressType; None when it is not an IP address.

    >>> address(1, bytes([10, 0, 0, 1])), address(1, b"10.0.0.1"), address(20, bytes(15) + b"\\x01")
    ('10.0.0.1', None, '::1')
    >>> address(None, bytes([192, 0, 2, 7])), address(8, bytes(4))
    ('192.0.2.7', None)
    """
    if not isinstance(raw, bytes):
        return None
    family = integer(kind)
    if family is None and len(raw) == 4:
        family = 1
    if family not in ADDRESS_LENGTHS or len(raw) != ADDRESS_LENGTHS[family]:
        return None
    return str(ipaddress.ip_address(raw))


def capabilities(value: ValueType | None) -> tuple[str, ...]:
    """The capability words of a cdpCacheCapabilities value (up to four octets, big-endian).

    >>> capabilities(bytes.fromhex("00000029")), capabilities(b"\\x28"), capabilities(b"12345")
    (('Router', 'Switch', 'IGMP'), ('Switch', 'IGMP'), ())
    """
    if not isinstance(value, bytes) or not 0 < len(value) <= 4:
        return ()
    bits = int.from_bytes(value, "big")
    return tuple(name for bit, name in CAPABILITIES if bits & bit)


def _index(row: str) -> tuple[int, int] | None:
    """``"3.17"`` as (ifIndex, device index); None when the index is not two numbers.

    >>> _index("3.17"), _index("3"), _index("3.x")
    ((3, 17), None, None)
    """
    try:
        arcs = tuple(int(arc) for arc in row.split("."))
    except ValueError:
        return None
    return (arcs[0], arcs[1]) if len(arcs) == 2 else None


def _order(row: str) -> tuple[int, ...]:
    try:
        return tuple(int(arc) for arc in row.split("."))
    except ValueError:
        return (1 << 62,)


def local_name(walked: Walked, if_index: int) -> str:
    """The name of local interface ``if_index``: ifName, else ifDescr, else empty."""
    return text(walked.if_names.get(str(if_index))) or text(walked.if_descrs.get(str(if_index))) or ""


def missing_interfaces(walked: Walked) -> bool:
    """Whether some cache row names an ifIndex that ifName does not (so ifDescr is worth reading)."""
    for column in walked.cdp_cache.values():
        for row in column:
            key = _index(row)
            if key is not None and text(walked.if_names.get(str(key[0]))) is None:
                return True
    return False


def cdp_records(device: str, walked: Walked) -> list[NeighbourRecord]:
    """One ``cdp`` record per cdpCacheTable row of ``walked`` (rows in index order)."""
    rows: dict[str, dict[int, ValueType]] = defaultdict(dict)
    for column, values in walked.cdp_cache.items():
        for row, value in values.items():
            rows[row][column] = value
    own_chassis = chassis_id(
        integer(walked.scalars.get(oids.LOC_CHASSIS_ID_SUBTYPE)), walked.scalars.get(oids.LOC_CHASSIS_ID)
    )
    records = []
    for row in sorted(rows, key=_order):
        cells = rows[row]
        key = _index(row)
        platform = text(cells.get(oids.CDP_PLATFORM))
        records.append(
            NeighbourRecord(
                device=device,
                local_interface=local_name(walked, key[0]) if key else "",
                neighbour=text(cells.get(oids.CDP_DEVICE_ID)) or "",
                protocol="cdp",
                neighbour_interface=text(cells.get(oids.CDP_DEVICE_PORT)),
                neighbour_address=address(cells.get(oids.CDP_ADDRESS_TYPE), cells.get(oids.CDP_ADDRESS)),
                platform=platform.splitlines()[0][:200] if platform else None,
                capabilities=capabilities(cells.get(oids.CDP_CAPABILITIES)),
                local_chassis_id=own_chassis,
            )
        )
    return records
