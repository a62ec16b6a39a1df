"""Decoding SNMP v1/v2c trap and inform messages into :class:`TrapEvent` values (pysnmp's codecs).

SNMPv1 traps are converted to the v2c form first (RFC 3584, pysnmp's ``rfc2576``): the generic
trap number becomes ``snmpTrapOID.0`` (linkDown is 1.3.6.1.6.3.1.1.5.3 in both versions) and the
agent address becomes ``snmpTrapAddress.0``.

Events name the four standard notifications ward acts on (``coldStart``, ``warmStart``,
``linkDown``, ``linkUp``); any other is ``other``, with its ``trap_oid`` and varbinds. Link
events carry the interface's index, its admin and oper status and, when the agent sent ifName or
ifDescr along (most do), its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from pyasn1.codec.ber import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import univ
from pysnmp.error import PySnmpError
from pysnmp.proto import api, rfc1155, rfc1902
from pysnmp.proto.proxy import rfc2576

from ward_snmp.oids import (
    COLD_START,
    IF_ADMIN_STATUS,
    IF_DESCR,
    IF_ENTRY,
    IF_NAME,
    IF_OPER_STATUS,
    LINK_DOWN,
    LINK_UP,
    SNMP_TRAP_ADDRESS,
    SNMP_TRAP_OID,
    SYS_UPTIME,
    WARM_START,
)

TrapKind: TypeAlias = Literal["coldStart", "warmStart", "linkDown", "linkUp", "other"]
TrapValue: TypeAlias = int | str | bytes | None
"""A varbind value: integers (counters, gauges, ticks), OIDs and IP addresses as text, strings as bytes."""

KINDS: dict[str, TrapKind] = {
    COLD_START: "coldStart",
    WARM_START: "warmStart",
    LINK_DOWN: "linkDown",
    LINK_UP: "linkUp",
}
IF_INDEX_PREFIX = f"{IF_ENTRY}.1."
UP = 1


class MalformedTrap(ValueError):
    """The datagram is not an SNMP v1/v2c notification (the message says why)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrapMessage:
    """A decoded notification, before its community is checked."""

    version: Literal["1", "2c"]
    community: bytes
    inform: bool
    trap_oid: str
    varbinds: tuple[tuple[str, TrapValue], ...]
    response: bytes | None
    """For an inform, the encoded response that acknowledges it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrapEvent:
    """One notification a device sent, as the alerting side consumes it."""

    kind: TrapKind
    trap_oid: str
    sender: str
    sender_port: int
    version: Literal["1", "2c"]
    inform: bool
    received_at: float
    uptime_s: float | None = None
    agent_address: str | None = None
    if_index: int | None = None
    if_name: str | None = None
    admin_up: bool | None = None
    oper_up: bool | None = None
    varbinds: tuple[tuple[str, TrapValue], ...] = ()


def plain(value: object) -> TrapValue:
    """A pyasn1/pysnmp value as a plain Python value.

    >>> plain(rfc1902.Counter64(5)), plain(rfc1155.IpAddress("10.0.0.1")), plain(rfc1902.OctetString(b"x"))
    (5, '10.0.0.1', b'x')
    """
    if isinstance(value, rfc1902.IpAddress | rfc1155.IpAddress):
        return ".".join(str(b) for b in bytes(value.asOctets()))
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.OctetString):
        return bytes(value.asOctets())
    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    return None


def decode(datagram: bytes) -> TrapMessage:
    """Decode one datagram; :class:`MalformedTrap` when it is not a v1/v2c trap or inform."""
    try:
        version = int(api.decodeMessageVersion(datagram))
        module = api.PROTOCOL_MODULES[version]
        message, rest = decoder.decode(datagram, asn1Spec=module.Message())
    except (PyAsn1Error, PySnmpError, KeyError, ValueError, TypeError) as exc:
        raise MalformedTrap(f"not an SNMP v1/v2c message ({type(exc).__name__}: {exc})") from None
    if rest:
        raise MalformedTrap(f"{len(rest)} stray bytes after the message")
    community = bytes(module.apiMessage.get_community(message).asOctets())
    pdu = module.apiMessage.get_pdu(message)
    inform = pdu.isSameTypeWith(api.v2c.InformRequestPDU())
    if version == api.SNMP_VERSION_1:
        if not pdu.isSameTypeWith(api.v1.TrapPDU()):
            raise MalformedTrap("an SNMPv1 message that is not a trap")
        pdu = rfc2576.v1_to_v2(pdu, snmpTrapCommunity=community)
    elif not (inform or pdu.isSameTypeWith(api.v2c.SNMPv2TrapPDU())):
        raise MalformedTrap(f"an SNMPv2c {type(pdu).__name__}, not a trap or inform")
    varbinds = tuple((str(oid), plain(value)) for oid, value in api.v2c.apiPDU.get_varbinds(pdu))
    trap_oid = next((v for oid, v in varbinds if oid == SNMP_TRAP_OID and isinstance(v, str)), None)
    if trap_oid is None:
        raise MalformedTrap("no snmpTrapOID.0 varbind")
    response = None
    if inform:
        response = bytes(encoder.encode(module.apiMessage.get_response(message)))
    return TrapMessage(
        version="1" if version == api.SNMP_VERSION_1 else "2c",
        community=community,
        inform=inform,
        trap_oid=trap_oid,
        varbinds=varbinds,
        response=response,
    )


def event_of(message: TrapMessage, sender: str, sender_port: int, received_at: float) -> TrapEvent:
    """The structured event of a decoded message sent from ``sender``:``sender_port``."""
    values = dict(message.varbinds)
    uptime = values.get(SYS_UPTIME)
    agent = values.get(SNMP_TRAP_ADDRESS)
    if_index = next(
        (v for oid, v in message.varbinds if oid.startswith(IF_INDEX_PREFIX) and isinstance(v, int)), None
    )
    name = admin = oper = None
    if if_index is not None:
        for column in (IF_NAME, IF_DESCR):
            raw = values.get(column.instance(if_index))
            if isinstance(raw, bytes) and raw.strip(b"\x00 "):
                name = raw.decode("utf-8", errors="replace").strip("\x00 ")
                break
        admin = values.get(IF_ADMIN_STATUS.instance(if_index))
        oper = values.get(IF_OPER_STATUS.instance(if_index))
    return TrapEvent(
        kind=KINDS.get(message.trap_oid, "other"),
        trap_oid=message.trap_oid,
        sender=sender,
        sender_port=sender_port,
        version=message.version,
        inform=message.inform,
        received_at=received_at,
        uptime_s=uptime / 100 if isinstance(uptime, int) else None,
        agent_address=agent if isinstance(agent, str) else None,
        if_index=if_index,
        if_name=name,
        admin_up=admin == UP if isinstance(admin, int) else None,
        oper_up=oper == UP if isinstance(oper, int) else None,
        varbinds=message.varbinds,
    )
