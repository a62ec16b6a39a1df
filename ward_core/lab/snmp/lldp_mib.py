"""LLDP-MIB (IEEE 802.1AB, 1.0.8802.1.1.2) of a simulated device, from the model's neighbours.

lldpRemTable is indexed by ``timeMark.localPortNum.remIndex``. The time mark is the device's
sysUpTime when the neighbour was last (re)learned: the latest of the link's last state change at
either end and the remote's boot, so a link that goes down and comes back gets a new row index,
as with a real LLDP agent. ``localPortNum`` is the local ifIndex; each port has one neighbour, so
``remIndex`` is 1.

Port IDs follow ``Device.lldp_port_id_subtype`` of the advertising device: interfaceName(5)
carries the short name (``Gi1/0/1``), local(7) the ifIndex as text (``"3"``), and in both cases the
port description carries the full name, so discovery code must decode the subtype.

A device that does not run LLDP (``no lldp run``) serves none of LLDP-MIB, as IOS does then, and
only neighbours that run LLDP too appear in lldpRemTable: exactly what ``show lldp neighbors
detail`` prints (``% LLDP is not enabled`` when off).
"""

from __future__ import annotations

from typing import NamedTuple

from ward_core.lab.model import LLDP, Device, Interface, Neighbour
from ward_core.lab.snmp.ber import encode_integer, encode_oid, octets
from ward_core.lab.snmp.context import DeviceContext
from ward_core.lab.snmp.identity import capabilities, mac_bytes, sys_descr
from ward_core.lab.snmp.mib import Rows, Table

LLDP_MIB = (1, 0, 8802, 1, 1, 2)
LOC_SYSTEM = (*LLDP_MIB, 1, 3)
LOC_PORT_ENTRY = (*LOC_SYSTEM, 7, 1)
REM_ENTRY = (*LLDP_MIB, 1, 4, 1, 1)
REM_MAN_ADDR_ENTRY = (*LLDP_MIB, 1, 4, 2, 1)

CHASSIS_MAC = 4
PORT_INTERFACE_NAME = 5
PORT_LOCAL = 7
MAN_ADDR_IPV4 = 1
REM_INDEX = 1

_MAC_SUBTYPE = encode_integer(CHASSIS_MAC)
_IF_SUBTYPE_UNKNOWN = encode_integer(1)
_ZERO = encode_integer(0)
_NULL_OID = encode_oid((0, 0))
_LOCAL_ROW: Rows[None] = Rows([(0,)], [None])
_NO_ROW: Rows[None] = Rows([], [])
_NO_PORTS: Rows[Interface] = Rows([], [])


def port_id(device: Device, iface: Interface) -> tuple[int, bytes]:
    """The LLDP port ID subtype and value ``device`` advertises for ``iface``."""
    if device.lldp_port_id_subtype == PORT_LOCAL:
        return PORT_LOCAL, str(iface.if_index).encode()
    return PORT_INTERFACE_NAME, iface.short_name.encode()


class Remote(NamedTuple):
    """One lldpRemTable row."""

    neighbour: Neighbour
    time_mark: int


def time_mark(ctx: DeviceContext, neighbour: Neighbour) -> int:
    """sysUpTime (local) when the neighbour was last learned."""
    learned = max(
        neighbour.local_interface.last_change,
        neighbour.remote_interface.last_change,
        neighbour.remote.booted_at,
        neighbour.remote.protocols_changed_at,
        ctx.device.protocols_changed_at,
    )
    return ctx.ticks_since_boot(learned)


def _remotes(ctx: DeviceContext) -> Rows[Remote]:
    rows = []
    for neighbour in ctx.network.neighbours(ctx.device, LLDP):
        mark = time_mark(ctx, neighbour)
        rows.append(((mark, neighbour.local_interface.if_index, REM_INDEX), Remote(neighbour, mark)))
    return Rows.of(rows)


def _man_addresses(ctx: DeviceContext) -> Rows[Remote]:
    remotes = REM_TABLE.rows(ctx)
    rows = []
    for key, remote in zip(remotes.keys, remotes.objects, strict=True):
        address = tuple(int(p) for p in remote.neighbour.remote.address.split("."))
        rows.append(((*key, MAN_ADDR_IPV4, len(address), *address), remote))
    return Rows.of(rows)


def _ports(ctx: DeviceContext) -> Rows[Interface]:
    if not ctx.device.runs(LLDP):
        return _NO_PORTS
    return Rows.of([((i.if_index,), i) for i in ctx.device.interfaces.values()])


def _local_system(ctx: DeviceContext) -> Rows[None]:
    return _LOCAL_ROW if ctx.device.runs(LLDP) else _NO_ROW


def _loc_port_id(ctx: DeviceContext, iface: Interface) -> bytes:
    return octets(port_id(ctx.device, iface)[1])


def _rem_port_id(_: DeviceContext, r: Remote) -> bytes:
    return octets(port_id(r.neighbour.remote, r.neighbour.remote_interface)[1])


LOCAL_SYSTEM: Table[DeviceContext, None] = Table(
    "lldpLocalSystemData",
    LOC_SYSTEM,
    _local_system,
    {
        1: lambda c, _: _MAC_SUBTYPE,
        2: lambda c, _: octets(mac_bytes(c.device.chassis_mac)),
        3: lambda c, _: octets(c.device.hostname),
        4: lambda c, _: octets(sys_descr(c.device)),
        5: lambda c, _: octets(capabilities(c.device)[0]),
        6: lambda c, _: octets(capabilities(c.device)[1]),
    },
)

LOC_PORT_TABLE: Table[DeviceContext, Interface] = Table(
    "lldpLocPortTable",
    LOC_PORT_ENTRY,
    _ports,
    {
        2: lambda c, i: encode_integer(port_id(c.device, i)[0]),
        3: _loc_port_id,
        4: lambda c, i: octets(i.name),
    },
)

REM_TABLE: Table[DeviceContext, Remote] = Table(
    "lldpRemTable",
    REM_ENTRY,
    _remotes,
    {
        4: lambda c, r: _MAC_SUBTYPE,
        5: lambda c, r: octets(mac_bytes(r.neighbour.remote.chassis_mac)),
        6: lambda c, r: encode_integer(port_id(r.neighbour.remote, r.neighbour.remote_interface)[0]),
        7: _rem_port_id,
        8: lambda c, r: octets(r.neighbour.remote_interface.name),
        9: lambda c, r: octets(r.neighbour.remote.hostname),
        10: lambda c, r: octets(sys_descr(r.neighbour.remote)),
        11: lambda c, r: octets(capabilities(r.neighbour.remote)[0]),
        12: lambda c, r: octets(capabilities(r.neighbour.remote)[1]),
    },
)

REM_MAN_ADDR_TABLE: Table[DeviceContext, Remote] = Table(
    "lldpRemManAddrTable",
    REM_MAN_ADDR_ENTRY,
    _man_addresses,
    {
        3: lambda c, r: _IF_SUBTYPE_UNKNOWN,
        4: lambda c, r: _ZERO,
        5: lambda c, r: _NULL_OID,
    },
)

TABLES = (LOCAL_SYSTEM, LOC_PORT_TABLE, REM_TABLE, REM_MAN_ADDR_TABLE)
