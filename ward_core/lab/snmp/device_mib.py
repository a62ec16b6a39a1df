"""The MIB of a simulated device, read live from the model at request time.

====================================  =========================================================
SNMPv2-MIB system (1.3.6.1.2.1.1)     sysDescr, sysObjectID, sysUpTime, sysContact, sysName,
                                      sysLocation (the site), sysServices
IF-MIB ifNumber, ifTable, ifXTable    counters from ``LabNetwork.counters``: they advance with
                                      simulated traffic and stop while the link is down; the
                                      32-bit ifIn/OutOctets are the 64-bit values mod 2^32
HOST-RESOURCES hrProcessorLoad        ``Device.cpu_percent``
SNMP-FRAMEWORK-MIB snmpEngine         engineID, boots, time, max message size
LLDP-MIB                              see ``lldp_mib``
CISCO-CDP-MIB                         cdpGlobal and cdpCacheTable, see ``cdp_mib``
CISCO-PROCESS-MIB cpmCPUTotalTable    ``Device.cpu_percent``
CISCO-MEMORY-POOL-MIB                 processor pool from ``Device.memory_used/total``, I/O pool
====================================  =========================================================

``DEVICE_VIEW`` is built once and shared by every device of every lab.
"""

from __future__ import annotations

from ward_core.lab.model import Interface
from ward_core.lab.snmp import cdp_mib, lldp_mib
from ward_core.lab.snmp.ber import (
    counter32,
    counter64,
    encode_integer,
    encode_oid,
    gauge32,
    octets,
    timeticks,
)
from ward_core.lab.snmp.context import DeviceContext
from ward_core.lab.snmp.identity import mac_bytes, sys_descr, sys_object_id, sys_services
from ward_core.lab.snmp.mib import MibView, Rows, Table, scalars

MIB_2 = (1, 3, 6, 1, 2, 1)
SYSTEM = (*MIB_2, 1)
INTERFACES = (*MIB_2, 2)
IF_ENTRY = (*INTERFACES, 2, 1)
IF_X_ENTRY = (*MIB_2, 31, 1, 1, 1)
HR_PROCESSOR_ENTRY = (*MIB_2, 25, 3, 3, 1)
SNMP_ENGINE = (1, 3, 6, 1, 6, 3, 10, 2, 1)
CPM_CPU_TOTAL_ENTRY = (1, 3, 6, 1, 4, 1, 9, 9, 109, 1, 1, 1, 1)
MEMORY_POOL_ENTRY = (1, 3, 6, 1, 4, 1, 9, 9, 48, 1, 1, 1)

UP, DOWN = 1, 2
ETHERNET_CSMACD = 6
SOFTWARE_LOOPBACK = 24
PROP_VIRTUAL = 53
IO_POOL_SIZE = 64 * 1024 * 1024
IO_POOL_USED = 13 * 1024 * 1024

_UP = encode_integer(UP)
_DOWN = encode_integer(DOWN)
_TRUE = encode_integer(1)
_FALSE = encode_integer(2)
_ZERO = encode_integer(0)
_MTU = encode_integer(1500)
_NULL_OID = encode_oid((0, 0))
_ZERO_TICKS = timeticks(0)


def if_type(iface: Interface) -> int:
    """ifType from the interface name."""
    if iface.name.startswith("Loopback"):
        return SOFTWARE_LOOPBACK
    if iface.name.startswith("Vlan"):
        return PROP_VIRTUAL
    return ETHERNET_CSMACD


def _interfaces(ctx: DeviceContext) -> Rows[Interface]:
    return Rows.of([((i.if_index,), i) for i in ctx.device.interfaces.values()])


def _phys_address(_: DeviceContext, iface: Interface) -> bytes:
    return octets(mac_bytes(iface.mac) if iface.mac and if_type(iface) == ETHERNET_CSMACD else b"")


def _last_change(ctx: DeviceContext, iface: Interface) -> bytes:
    return timeticks(ctx.ticks_since_boot(iface.last_change))


def _cpu(ctx: DeviceContext, _: object) -> bytes:
    return gauge32(ctx.device.cpu_percent)


def _pool_used(ctx: DeviceContext, pool: int) -> bytes:
    return gauge32(ctx.device.memory_used if pool == 1 else IO_POOL_USED)


def _pool_free(ctx: DeviceContext, pool: int) -> bytes:
    device = ctx.device
    return gauge32(device.memory_total - device.memory_used if pool == 1 else IO_POOL_SIZE - IO_POOL_USED)


def _pool_largest_free(ctx: DeviceContext, pool: int) -> bytes:
    device = ctx.device
    free = device.memory_total - device.memory_used if pool == 1 else IO_POOL_SIZE - IO_POOL_USED
    return gauge32(free * 9 // 10)


def _engine_boots(ctx: DeviceContext, _: None) -> bytes:
    return encode_integer(ctx.engine.engine_clock()[0])


def _engine_time(ctx: DeviceContext, _: None) -> bytes:
    return encode_integer(ctx.engine.engine_clock()[1])


SYSTEM_GROUP: Table[DeviceContext, None] = scalars(
    "system",
    SYSTEM,
    {
        1: lambda c, _: octets(sys_descr(c.device)),
        2: lambda c, _: encode_oid(sys_object_id(c.device)),
        3: lambda c, _: timeticks(c.network.uptime_ticks(c.device)),
        4: lambda c, _: octets(f"NOC <noc@{c.device.domain}>"),
        5: lambda c, _: octets(c.device.hostname),
        6: lambda c, _: octets(c.device.site),
        7: lambda c, _: encode_integer(sys_services(c.device)),
    },
)

IF_NUMBER: Table[DeviceContext, None] = scalars(
    "interfaces", INTERFACES, {1: lambda c, _: encode_integer(len(c.device.interfaces))}
)

IF_TABLE: Table[DeviceContext, Interface] = Table(
    "ifTable",
    IF_ENTRY,
    _interfaces,
    {
        1: lambda c, i: encode_integer(i.if_index),
        2: lambda c, i: octets(i.name),
        3: lambda c, i: encode_integer(if_type(i)),
        4: lambda c, i: _MTU,
        5: lambda c, i: gauge32(i.speed_bps),
        6: _phys_address,
        7: lambda c, i: _UP if i.admin_up else _DOWN,
        8: lambda c, i: _UP if i.oper_up else _DOWN,
        9: _last_change,
        10: lambda c, i: counter32(c.network.counters(i).in_octets),
        11: lambda c, i: counter32(c.network.counters(i).in_pkts),
        13: lambda c, i: counter32(c.network.counters(i).in_discards),
        14: lambda c, i: counter32(c.network.counters(i).in_errors),
        16: lambda c, i: counter32(c.network.counters(i).out_octets),
        17: lambda c, i: counter32(c.network.counters(i).out_pkts),
        19: lambda c, i: counter32(c.network.counters(i).out_discards),
        20: lambda c, i: counter32(c.network.counters(i).out_errors),
    },
)

IF_X_TABLE: Table[DeviceContext, Interface] = Table(
    "ifXTable",
    IF_X_ENTRY,
    _interfaces,
    {
        1: lambda c, i: octets(i.short_name),
        6: lambda c, i: counter64(c.network.counters(i).in_octets),
        7: lambda c, i: counter64(c.network.counters(i).in_pkts),
        10: lambda c, i: counter64(c.network.counters(i).out_octets),
        11: lambda c, i: counter64(c.network.counters(i).out_pkts),
        14: lambda c, i: _TRUE,
        15: lambda c, i: gauge32(i.speed_bps // 1_000_000),
        16: lambda c, i: _FALSE,
        17: lambda c, i: _TRUE if if_type(i) == ETHERNET_CSMACD else _FALSE,
        18: lambda c, i: octets(i.description),
        19: lambda c, i: _ZERO_TICKS,
    },
)

_ONE_ROW: Rows[None] = Rows([(1,)], [None])

HR_PROCESSOR_TABLE: Table[DeviceContext, None] = Table(
    "hrProcessorTable",
    HR_PROCESSOR_ENTRY,
    lambda c: _ONE_ROW,
    {1: lambda c, _: _NULL_OID, 2: lambda c, _: encode_integer(c.device.cpu_percent)},
)

SNMP_ENGINE_GROUP: Table[DeviceContext, None] = scalars(
    "snmpEngine",
    SNMP_ENGINE,
    {
        1: lambda c, _: octets(c.engine.engine_id),
        2: _engine_boots,
        3: _engine_time,
        4: lambda c, _: encode_integer(c.engine.max_message_size),
    },
)

CPU_TOTAL_TABLE: Table[DeviceContext, None] = Table(
    "cpmCPUTotalTable",
    CPM_CPU_TOTAL_ENTRY,
    lambda c: _ONE_ROW,
    {
        2: lambda c, _: _ZERO,
        3: _cpu,
        4: _cpu,
        5: _cpu,
        6: _cpu,
        7: _cpu,
        8: _cpu,
    },
)

_POOLS: Rows[int] = Rows([(1,), (2,)], [1, 2])

MEMORY_POOL_TABLE: Table[DeviceContext, int] = Table(
    "ciscoMemoryPoolTable",
    MEMORY_POOL_ENTRY,
    lambda c: _POOLS,
    {
        2: lambda c, pool: octets("Processor" if pool == 1 else "I/O"),
        3: lambda c, pool: _ZERO,
        4: lambda c, pool: _TRUE,
        5: _pool_used,
        6: _pool_free,
        7: _pool_largest_free,
    },
)

DEVICE_VIEW: MibView[DeviceContext] = MibView(
    [
        *lldp_mib.TABLES,
        *cdp_mib.TABLES,
        SYSTEM_GROUP,
        IF_NUMBER,
        IF_TABLE,
        IF_X_TABLE,
        HR_PROCESSOR_TABLE,
        CPU_TOTAL_TABLE,
        MEMORY_POOL_TABLE,
        SNMP_ENGINE_GROUP,
    ]
)
