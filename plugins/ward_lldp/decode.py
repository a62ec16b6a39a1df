"""Decoding LLDP-MIB values: chassis and port IDs by subtype, capability bits, octet strings.

Agents serve IDs as raw octets whose meaning depends on the subtype beside them: six bytes of MAC,
the text of an interface name, a network address prefixed by its IANA family, a local number.
Everything here is pure and never raises on odd input: undecodable values come out as hex text.
"""

from __future__ import annotations

import ipaddress

from gufo.snmp import ValueType

CHASSIS_SUBTYPES = {
    1: "chassisComponent",
    2: "interfaceAlias",
    3: "portComponent",
    4: "macAddress",
    5: "networkAddress",
    6: "interfaceName",
    7: "local",
}
PORT_SUBTYPES = {
    1: "interfaceAlias",
    2: "portComponent",
    3: "macAddress",
    4: "networkAddress",
    5: "interfaceName",
    6: "agentCircuitId",
    7: "local",
}
CAPABILITIES = (
    "other",
    "repeater",
    "bridge",
    "wlanAccessPoint",
    "router",
    "telephone",
    "docsisCableDevice",
    "stationOnly",
    "cVLAN",
    "sVLAN",
    "tpmr",
)
IANA_IPV4, IANA_IPV6 = 1, 2


def text(value: ValueType | None) -> str | None:
    """An octet string as text: UTF-8 (else hex), NULs and blanks trimmed; None when empty.

    >>> text(b"Gi0/1\\x00"), text(b""), text(b"\\xff\\xfe"), text(b"\\x01\\x02"), text(5)
    ('Gi0/1', None, 'fffe', '0102', None)
    >>> text(b"IOS\\nCopyright")
    'IOS\\nCopyright'
    """
    if isinstance(value, str):
        return value.strip() or None
    if not isinstance(value, bytes):
        return None
    try:
        decoded = value.decode("utf-8").strip("\x00 \t\r\n")
    except UnicodeDecodeError:
        return value.hex()
    if decoded and not decoded.replace("\r", "").replace("\n", "").replace("\t", "").isprintable():
        return value.hex()
    return decoded or None


def integer(value: ValueType | None) -> int | None:
    """``value`` when it is an integer.

    >>> integer(4), integer(b"4"), integer(True)
    (4, None, None)
    """
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def mac(raw: bytes) -> str:
    """Six bytes as ``aa:bb:cc:dd:ee:ff``.

    >>> mac(bytes.fromhex("001ebd002000"))
    '00:1e:bd:00:20:00'
    """
    return ":".join(f"{b:02x}" for b in raw)


def _network_address(raw: bytes) -> str | None:
    if len(raw) == 5 and raw[0] == IANA_IPV4:
        return str(ipaddress.IPv4Address(raw[1:]))
    if len(raw) == 17 and raw[0] == IANA_IPV6:
        return str(ipaddress.IPv6Address(raw[1:]))
    return None


def identifier(
    subtype: int | None, value: ValueType | None, *, mac_subtype: int, address_subtype: int
) -> str | None:
    """A chassis or port ID as text: a MAC for ``mac_subtype``, an address for ``address_subtype``,
    else the text itself (hex when it is not text)."""
    if isinstance(value, bytes) and value:
        if subtype == mac_subtype and len(value) == 6:
            return mac(value)
        if subtype == address_subtype:
            address = _network_address(value)
            if address is not None:
                return address
    return text(value)


def chassis_id(subtype: int | None, value: ValueType | None) -> str | None:
    """A chassis ID by its LldpChassisIdSubtype.

    >>> chassis_id(4, bytes.fromhex("001ebd002000")), chassis_id(7, b"sw-7")
    ('00:1e:bd:00:20:00', 'sw-7')
    >>> chassis_id(5, bytes([1, 10, 0, 0, 1]))
    '10.0.0.1'
    """
    return identifier(subtype, value, mac_subtype=4, address_subtype=5)


def port_id(subtype: int | None, value: ValueType | None) -> str | None:
    """A port ID by its LldpPortIdSubtype.

    >>> port_id(5, b"Gi0/0/1"), port_id(7, b"3"), port_id(3, bytes.fromhex("001ebd001001"))
    ('Gi0/0/1', '3', '00:1e:bd:00:10:01')
    """
    return identifier(subtype, value, mac_subtype=3, address_subtype=4)


def capabilities(value: ValueType | None) -> tuple[str, ...]:
    """The capability names set in an LldpSystemCapabilitiesMap (BITS: bit 0 is the first byte's MSB).

    >>> capabilities(b"\\x08"), capabilities(b"\\x28\\x00"), capabilities(None)
    (('router',), ('bridge', 'router'), ())
    """
    if not isinstance(value, bytes):
        return ()
    found = []
    for bit, name in enumerate(CAPABILITIES):
        byte = bit // 8
        if byte < len(value) and value[byte] & (0x80 >> (bit % 8)):
            found.append(name)
    return tuple(found)
