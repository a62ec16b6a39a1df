"""Spellings that must compare equal: interface names, host names, MAC addresses.

Devices name the same thing in several ways: ``Gi1/0/1`` in LLDP and ``GigabitEthernet1/0/1`` in
CDP, ``br001-rtr1.branch.example.net`` in CDP and ``br001-rtr1`` in LLDP and the inventory (and
``core1(FOX1234ABCD)``, the serial in parentheses, in NX-OS's CDP device IDs),
``001e.bd00.2000`` on the CLI and ``00 1E BD 00 20 00`` over SNMP. Discovery compares keys made
here, and shows interface names in their canonical long form.
"""

from __future__ import annotations

import ipaddress
import re

from netutils.interface import canonical_interface_name
from netutils.mac import is_valid_mac, mac_to_format

_LINUX_STYLE = re.compile(r"^[a-z][a-z0-9_.@-]*$")
_HEX_MAC = re.compile(r"^[0-9a-fA-F]{12}$")
_SERIAL_SUFFIX = re.compile(r"\([^()]*\)$")


def interface_name(name: str) -> str:
    """The canonical long form of an interface name (netutils), Linux-style names left alone.

    >>> interface_name("Gi1/0/1"), interface_name("GigabitEthernet 1/0/1"), interface_name("Te0/1")
    ('GigabitEthernet1/0/1', 'GigabitEthernet1/0/1', 'TenGigabitEthernet0/1')
    >>> interface_name("Po7"), interface_name(" veth0 "), interface_name("eth1")
    ('Port-channel7', 'veth0', 'eth1')
    """
    text = name.strip()
    if not text or _LINUX_STYLE.match(text):
        return text
    return str(canonical_interface_name(text))


def looks_like_interface(text: str) -> bool:
    """True when ``text`` reads as an interface name rather than a number or an address.

    >>> looks_like_interface("Gi0/1"), looks_like_interface("veth0"), looks_like_interface("3")
    (True, True, False)
    >>> looks_like_interface("00:1e:bd:00:20:01"), looks_like_interface("uplink to core")
    (False, False)
    """
    text = text.strip()
    if not text or " " in interface_name(text) or mac_address(text) is not None:
        return False
    return bool(re.match(r"^[A-Za-z][A-Za-z_.-]*[ -]?\d", text))


def host_key(name: str) -> str:
    """A host name compared case-insensitively, without its domain and without a serial number in
    parentheses after it (addresses kept whole). SSH and SNMP records are matched through it alike.

    >>> host_key("BR001-RTR1.branch.example.net"), host_key("br001-rtr1"), host_key("10.0.0.1")
    ('br001-rtr1', 'br001-rtr1', '10.0.0.1')
    >>> host_key("core1(FOX1234ABCD)"), host_key("core1.example.net(FOX1234ABCD)")
    ('core1', 'core1')
    """
    text = _SERIAL_SUFFIX.sub("", name.strip()).strip().lower().rstrip(".")
    if ip_address(text) is not None:
        return text
    return text.split(".", 1)[0]


def ip_address(text: str | None) -> str | None:
    """``text`` as a normalised IP address, None when it is not one.

    >>> ip_address(" 10.0.0.1 "), ip_address("fe80::0:1"), ip_address("router")
    ('10.0.0.1', 'fe80::1', None)
    """
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def mac_address(text: str | None) -> str | None:
    """A MAC address in any usual spelling as ``aa:bb:cc:dd:ee:ff``, None when it is not one.

    >>> mac_address("001E.BD00.2000"), mac_address("00-1e-bd-00-20-00"), mac_address("001ebd002000")
    ('00:1e:bd:00:20:00', '00:1e:bd:00:20:00', '00:1e:bd:00:20:00')
    >>> mac_address("br001-rtr1") is None
    True
    """
    if not text:
        return None
    text = text.strip()
    if _HEX_MAC.match(text):
        text = ":".join(text[i : i + 2] for i in range(0, 12, 2))
    try:
        if not is_valid_mac(text):
            return None
        return str(mac_to_format(text, "MAC_COLON_TWO")).lower()
    except (ValueError, TypeError):
        return None


def chassis_key(chassis_id: str | None) -> str | None:
    """A chassis ID compared as a MAC when it is one, else as trimmed lower-case text.

    >>> chassis_key("001E.BD00.2000"), chassis_key(" Switch-A "), chassis_key("") is None
    ('00:1e:bd:00:20:00', 'switch-a', True)
    """
    if not chassis_id or not chassis_id.strip():
        return None
    return mac_address(chassis_id) or chassis_id.strip().lower()
