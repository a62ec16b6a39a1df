"""How a simulated device describes itself: sysDescr, sysObjectID, services and LLDP capabilities.

The software banner comes from the SSH side's platform strings, so ``sysDescr``, ``lldpRemSysDesc``
and ``show version`` agree.

>>> from ward_core.lab.model import Device
>>> sw = Device("sw1", "127.0.0.1", "s", "r", "access-switch", "WS-C2960X-24PS-L", "FOC1",
...             "00:1e:bd:00:10:00", os_version="15.2(7)E8")
>>> sys_descr(sw).splitlines()[0]
'Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E8, RELEASE SOFTWARE (fc1)'
>>> mac_bytes(sw.chassis_mac).hex()
'001ebd001000'
"""

from __future__ import annotations

from functools import lru_cache

from ward_core.errors import LabError
from ward_core.lab.ios.platform import platform_for_model
from ward_core.lab.model import Device
from ward_core.lab.snmp.ber import Oid

CISCO_PRODUCTS = (1, 3, 6, 1, 4, 1, 9, 1)
_PRODUCT_IDS = {
    "ISR4331/K9": 1861,
    "ISR4451-X/K9": 1707,
    "WS-C2960X-24PS-L": 1208,
}
_ROUTER_PRODUCT = 1861
_SWITCH_PRODUCT = 1208

# LldpSystemCapabilitiesMap is a BITS value: bit 0 is the high bit of the first octet.
_CAP_BRIDGE = 0x20
_CAP_ROUTER = 0x08


def is_router(device: Device) -> bool:
    """Whether the device's platform routes (the CLI's neighbour capabilities say the same)."""
    return _routes(device.model)


@lru_cache(maxsize=64)
def _routes(model: str) -> bool:
    return platform_for_model(model).is_router


@lru_cache(maxsize=64)
def _banner(model: str, version: str) -> str:
    return "\r\n".join(platform_for_model(model).software_banner(version))


def sys_descr(device: Device) -> str:
    """sysDescr: the software banner ``show version`` prints, lines joined by CR LF as IOS does."""
    return _banner(device.model, device.os_version)


def sys_object_id(device: Device) -> Oid:
    """The product OID under ciscoProducts for the device's model."""
    product = _PRODUCT_IDS.get(device.model, _ROUTER_PRODUCT if is_router(device) else _SWITCH_PRODUCT)
    return (*CISCO_PRODUCTS, product)


def sys_services(device: Device) -> int:
    """sysServices: layers 2, 3, 4 and 7 for routers (78), layer 2 for switches (2)."""
    return 78 if is_router(device) else 2


def capabilities(device: Device) -> tuple[bytes, bytes]:
    """LLDP system capabilities, supported and enabled, as BITS octets."""
    if is_router(device):
        return bytes((_CAP_BRIDGE | _CAP_ROUTER,)), bytes((_CAP_ROUTER,))
    return bytes((_CAP_BRIDGE,)), bytes((_CAP_BRIDGE,))


def mac_bytes(mac: str) -> bytes:
    """``00:1e:bd:00:10:00`` (or ``001e.bd00.1000``) as six bytes."""
    digits = mac.replace(":", "").replace(".", "").replace("-", "")
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        raw = b""
    if len(raw) != 6:
        raise LabError(f"{mac!r} is not a MAC address")
    return raw


def engine_id(device: Device) -> bytes:
    """snmpEngineID in RFC 3411 MAC format: Cisco's enterprise number, format 3, the chassis MAC."""
    try:
        return b"\x80\x00\x00\x09\x03" + mac_bytes(device.chassis_mac)
    except LabError as exc:
        raise LabError(f"device {device.name!r}: chassis_mac {exc}") from None
