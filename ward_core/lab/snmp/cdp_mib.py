"""CISCO-CDP-MIB (1.3.6.1.4.1.9.9.23) of a simulated device: cdpGlobal and cdpCacheTable.

cdpCacheTable is indexed ``ifIndex.cdpCacheDeviceIndex``. IOS numbers cache entries as it creates
them, so the device index is not 1 and changes when a neighbour is re-learned: here it is one more
than the seconds of local uptime at which the neighbour was last learned (the LLDP time mark's
moment, :func:`~ward_core.lab.snmp.lldp_mib.time_mark`), which moves the same way.

The cache holds exactly the neighbours ``show cdp neighbors detail`` prints
(``LabNetwork.neighbours(device, "cdp")``) with the same words: device ID
(:func:`~ward_core.lab.ios.show_neighbours.cdp_device_id`, the fully qualified name), platform
(:func:`~ward_core.lab.ios.show_neighbours.cdp_platform`), the far interface's full name as the
port, the management address as four octets (cdpCacheAddressType ip(1)), and capability bits
spelling the platform's CLI capabilities (``Router Switch IGMP``). A device that does not run CDP
answers cdpGlobalRun false(2) and has an empty cache, as IOS after ``no cdp run``.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from ward_core.lab.ios.platform import platform_of
from ward_core.lab.ios.show_neighbours import CDP_HOLD_TIME, cdp_device_id, cdp_platform
from ward_core.lab.model import CDP, Device, Neighbour
from ward_core.lab.snmp.ber import encode_integer, octets
from ward_core.lab.snmp.context import DeviceContext
from ward_core.lab.snmp.identity import sys_descr
from ward_core.lab.snmp.lldp_mib import time_mark
from ward_core.lab.snmp.mib import Rows, Table, scalars

CISCO_CDP_MIB = (1, 3, 6, 1, 4, 1, 9, 9, 23)
CACHE_ENTRY = (*CISCO_CDP_MIB, 1, 2, 1, 1)
GLOBAL = (*CISCO_CDP_MIB, 1, 3)

ADDRESS_TYPE_IP = 1
TRUE, FALSE = 1, 2
FULL_DUPLEX = 3
MESSAGE_INTERVAL = 60
CAPABILITY_BITS = {
    "Router": 0x01,
    "Trans-Bridge": 0x02,
    "Source-Route-Bridge": 0x04,
    "Switch": 0x08,
    "Host": 0x10,
    "IGMP": 0x20,
    "Repeater": 0x40,
}
"""CDP capability bits (the CDP PDU's Capabilities TLV) by the word the CLI prints for them."""

_IP = encode_integer(ADDRESS_TYPE_IP)
_NATIVE_VLAN = encode_integer(1)
_FULL_DUPLEX = encode_integer(FULL_DUPLEX)


def capability_bits(words: str) -> bytes:
    """The four-octet cdpCacheCapabilities value of CLI capability words.

    >>> capability_bits("Router Switch IGMP").hex(), capability_bits("Switch IGMP").hex()
    ('00000029', '00000028')
    """
    value = 0
    for word in words.split():
        value |= CAPABILITY_BITS.get(word, 0)
    return value.to_bytes(4, "big")


@lru_cache(maxsize=64)
def _capabilities_of(words: str) -> bytes:
    return capability_bits(words)


def _device_capabilities(device: Device) -> bytes:
    return _capabilities_of(platform_of(device).cdp_capabilities)


def device_index(ctx: DeviceContext, neighbour: Neighbour) -> int:
    """cdpCacheDeviceIndex: one more than the local uptime (in seconds) when the entry was learned."""
    return time_mark(ctx, neighbour) // 100 + 1


def _cache(ctx: DeviceContext) -> Rows[Neighbour]:
    return Rows.of(
        [
            ((n.local_interface.if_index, device_index(ctx, n)), n)
            for n in ctx.network.neighbours(ctx.device, CDP)
        ]
    )


def _address(_: DeviceContext, n: Neighbour) -> bytes:
    return octets(ipaddress.IPv4Address(n.remote.address).packed)


GLOBAL_GROUP: Table[DeviceContext, None] = scalars(
    "cdpGlobal",
    GLOBAL,
    {
        1: lambda c, _: encode_integer(TRUE if c.device.runs(CDP) else FALSE),
        2: lambda c, _: encode_integer(MESSAGE_INTERVAL),
        3: lambda c, _: encode_integer(CDP_HOLD_TIME),
        4: lambda c, _: octets(cdp_device_id(c.device)),
    },
)

CACHE_TABLE: Table[DeviceContext, Neighbour] = Table(
    "cdpCacheTable",
    CACHE_ENTRY,
    _cache,
    {
        3: lambda c, n: _IP,
        4: _address,
        5: lambda c, n: octets(sys_descr(n.remote)),
        6: lambda c, n: octets(cdp_device_id(n.remote)),
        7: lambda c, n: octets(n.remote_interface.name),
        8: lambda c, n: octets(cdp_platform(n.remote)),
        9: lambda c, n: octets(_device_capabilities(n.remote)),
        11: lambda c, n: _NATIVE_VLAN,
        12: lambda c, n: _FULL_DUPLEX,
    },
)

TABLES = (CACHE_TABLE, GLOBAL_GROUP)
