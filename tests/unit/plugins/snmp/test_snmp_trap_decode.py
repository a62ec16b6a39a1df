"""Decoding notifications built with pysnmp's codecs: v2c traps, informs, v1 traps, garbage."""

from __future__ import annotations

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902
from ward_snmp.oids import IF_ADMIN_STATUS, IF_DESCR, IF_OPER_STATUS, LINK_DOWN, SNMP_TRAP_OID, SYS_UPTIME
from ward_snmp.trap_decode import MalformedTrap, decode, event_of

IF_INDEX_7 = "1.3.6.1.2.1.2.2.1.1.7"


def v2c_message(pdu: object, varbinds: list[tuple[str, object]], community: bytes = b"traps") -> bytes:
    api.v2c.apiPDU.set_defaults(pdu)
    api.v2c.apiPDU.set_varbinds(pdu, varbinds)
    message = api.v2c.Message()
    api.v2c.apiMessage.set_defaults(message)
    api.v2c.apiMessage.set_community(message, community)
    api.v2c.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


LINK_DOWN_VARBINDS: list[tuple[str, object]] = [
    (SYS_UPTIME, rfc1902.TimeTicks(4200)),
    (SNMP_TRAP_OID, rfc1902.ObjectIdentifier(LINK_DOWN)),
    (IF_INDEX_7, rfc1902.Integer32(7)),
    (IF_ADMIN_STATUS.instance(7), rfc1902.Integer32(2)),
    (IF_OPER_STATUS.instance(7), rfc1902.Integer32(2)),
    (IF_DESCR.instance(7), rfc1902.OctetString(b"GigabitEthernet0/7")),
]


def test_a_v2c_link_down() -> None:
    message = decode(v2c_message(api.v2c.SNMPv2TrapPDU(), LINK_DOWN_VARBINDS))
    assert (message.version, message.community, message.inform, message.response) == (
        "2c",
        b"traps",
        False,
        None,
    )
    event = event_of(message, "192.0.2.9", 40000, 1.0)
    assert (event.kind, event.sender, event.sender_port, event.uptime_s) == (
        "linkDown",
        "192.0.2.9",
        40000,
        42.0,
    )
    assert (event.if_index, event.if_name, event.admin_up, event.oper_up) == (
        7,
        "GigabitEthernet0/7",
        False,
        False,
    )


def test_an_inform_carries_its_acknowledgement() -> None:
    pdu = api.v2c.InformRequestPDU()
    message = decode(v2c_message(pdu, LINK_DOWN_VARBINDS[:2]))
    assert message.inform and message.response is not None
    response, _ = decoder.decode(message.response, asn1Spec=api.v2c.Message())
    answer = api.v2c.apiMessage.get_pdu(response)
    assert answer.isSameTypeWith(api.v2c.ResponsePDU())
    assert api.v2c.apiPDU.get_request_id(answer) == api.v2c.apiPDU.get_request_id(pdu)


def test_a_v1_trap_becomes_its_v2_form() -> None:
    pdu = api.v1.TrapPDU()
    api.v1.apiTrapPDU.set_defaults(pdu)
    api.v1.apiTrapPDU.set_enterprise(pdu, (1, 3, 6, 1, 4, 1, 9))
    api.v1.apiTrapPDU.set_agent_address(pdu, "198.51.100.4")
    api.v1.apiTrapPDU.set_generic_trap(pdu, 2)
    api.v1.apiTrapPDU.set_varbinds(pdu, [(IF_INDEX_7, api.v1.Integer(7))])
    message = api.v1.Message()
    api.v1.apiMessage.set_defaults(message)
    api.v1.apiMessage.set_community(message, b"traps")
    api.v1.apiMessage.set_pdu(message, pdu)
    event = event_of(decode(bytes(encoder.encode(message))), "198.51.100.4", 162, 0.0)
    assert (event.kind, event.version, event.agent_address, event.if_index) == (
        "linkDown",
        "1",
        "198.51.100.4",
        7,
    )


@pytest.mark.parametrize(
    ("datagram", "reason"),
    [
        (b"", "not an SNMP v1/v2c message"),
        (b"\x30\x03\x02\x01\x05", "not an SNMP v1/v2c message"),
    ],
)
def test_garbage_is_malformed(datagram: bytes, reason: str) -> None:
    with pytest.raises(MalformedTrap, match=reason):
        decode(datagram)


def test_a_get_request_is_not_a_notification() -> None:
    with pytest.raises(MalformedTrap, match="not a trap or inform"):
        decode(v2c_message(api.v2c.GetRequestPDU(), [(SYS_UPTIME, rfc1902.Null())]))


def test_a_trap_without_its_oid_is_malformed() -> None:
    with pytest.raises(MalformedTrap, match=r"no snmpTrapOID\.0"):
        decode(v2c_message(api.v2c.SNMPv2TrapPDU(), LINK_DOWN_VARBINDS[:1]))


def test_trailing_bytes_are_malformed() -> None:
    with pytest.raises(MalformedTrap, match="not an SNMP v1/v2c message"):
        decode(v2c_message(api.v2c.SNMPv2TrapPDU(), LINK_DOWN_VARBINDS) + b"\x00\x00")
