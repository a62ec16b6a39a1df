"""``show lldp neighbors [detail]`` and ``show cdp neighbors [detail]``.

Both read :meth:`LabNetwork.neighbours`, the list the SNMP agents serve as lldpRemTable, so a link
shut at either end disappears from both ends' tables at once. As on IOS, CDP names a neighbour by
its fully qualified name (``hostname.domain``) and LLDP by its hostname. LLDP's port ID follows
the far device's ``lldp_port_id_subtype`` (interfaceName: ``Gi1/0/1``; local: the ifIndex) and its
port description is the far interface's full name, as the SNMP agents' lldpRemTable has them.

Each table lists the neighbours that run its protocol at both ends (``LabNetwork.neighbours(device,
protocol)``); on a device that does not run it the command answers ``% LLDP is not enabled`` or
``% CDP is not enabled``, as IOS does. The CDP fields come from :func:`cdp_device_id` and
:func:`cdp_platform`, which the SNMP agents' cdpCacheTable uses too, so both transports report the
same neighbours in the same words.
"""

from __future__ import annotations

import zlib

from ward_core.lab.ios.platform import platform_of
from ward_core.lab.ios.show_interfaces import dotted_mac
from ward_core.lab.model import CDP, LLDP, Device, Interface, LabNetwork, Neighbour

HOLD_TIME = 120
CDP_HOLD_TIME = 180
PORT_ID_LOCAL = 7
LLDP_OFF = "% LLDP is not enabled\n"
CDP_OFF = "% CDP is not enabled\n"


def lldp_port_id(device: Device, iface: Interface) -> str:
    """The port ID ``device`` advertises for ``iface``."""
    return str(iface.if_index) if device.lldp_port_id_subtype == PORT_ID_LOCAL else iface.short_name


def _remaining(network: LabNetwork, neighbour: Neighbour, hold: int) -> int:
    """Seconds left before the entry expires: counts down between advertisements every 30 s."""
    phase = zlib.crc32(f"{neighbour.remote.name}/{neighbour.remote_interface.name}".encode()) % 30
    return hold - int(network.clock() + phase) % 30


def show_lldp_neighbors_detail(network: LabNetwork, device: Device) -> str:
    """``show lldp neighbors detail``."""
    if not device.runs(LLDP):
        return LLDP_OFF
    blocks: list[str] = []
    neighbours = network.neighbours(device, LLDP)
    for n in neighbours:
        remote_platform = platform_of(n.remote)
        system, enabled = remote_platform.lldp_capabilities
        far = n.remote_interface
        lines = [
            "------------------------------------------------",
            f"Local Intf: {n.local_interface.short_name}",
            f"Chassis id: {dotted_mac(n.remote.chassis_mac)}",
            f"Port id: {lldp_port_id(n.remote, far)}",
            f"Port Description: {far.name}",
            f"System Name: {n.remote.hostname}",
            "",
            "System Description: ",
            *remote_platform.software_banner(n.remote.os_version),
            "",
            f"Time remaining: {_remaining(network, n, HOLD_TIME)} seconds",
            f"System Capabilities: {system}",
            f"Enabled Capabilities: {enabled}",
            "Management Addresses:",
            f"    IP: {n.remote.address}",
            "Auto Negotiation - supported, enabled",
            "Physical media capabilities:",
            "    1000baseT(FD)",
            "    100base-TX(FD)",
            "    100base-TX(HD)",
            "    10base-T(FD)",
            "    10base-T(HD)",
            "Media Attachment Unit type: 30",
            "Vlan ID: - not advertised",
            "",
        ]
        blocks.append("\n".join(lines))
    return "".join(f"{block}\n" for block in blocks) + f"\nTotal entries displayed: {len(neighbours)}\n"


def show_lldp_neighbors(network: LabNetwork, device: Device) -> str:
    """``show lldp neighbors``: one line per neighbour, device ID cut at 20 characters."""
    if not device.runs(LLDP):
        return LLDP_OFF
    neighbours = network.neighbours(device, LLDP)
    lines = [
        "Capability codes:",
        "    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device",
        "    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other",
        "",
        "Device ID           Local Intf     Hold-time  Capability      Port ID",
    ]
    for n in neighbours:
        _, enabled = platform_of(n.remote).lldp_capabilities
        lines.append(
            f"{n.remote.hostname[:20]:<20}{n.local_interface.short_name:<15}{HOLD_TIME:<11}"
            f"{enabled:<16}{lldp_port_id(n.remote, n.remote_interface)}"
        )
    lines += ["", f"Total entries displayed: {len(neighbours)}"]
    return "\n".join(lines) + "\n"


def cdp_device_id(device: Device) -> str:
    """The CDP device ID ``device`` announces: its fully qualified name, as IOS sends it."""
    return device.fqdn


def cdp_platform(device: Device) -> str:
    """The CDP platform string ``device`` announces (``cisco ISR4331/K9``)."""
    return f"cisco {device.model}"


def show_cdp_neighbors_detail(network: LabNetwork, device: Device) -> str:
    """``show cdp neighbors detail``."""
    if not device.runs(CDP):
        return CDP_OFF
    blocks: list[str] = []
    neighbours = network.neighbours(device, CDP)
    for n in neighbours:
        remote_platform = platform_of(n.remote)
        lines = [
            "-------------------------",
            f"Device ID: {cdp_device_id(n.remote)}",
            "Entry address(es): ",
            f"  IP address: {n.remote.address}",
            f"Platform: {cdp_platform(n.remote)},  Capabilities: {remote_platform.cdp_capabilities} ",
            f"Interface: {n.local_interface.name},  Port ID (outgoing port): {n.remote_interface.name}",
            f"Holdtime : {_remaining(network, n, CDP_HOLD_TIME)} sec",
            "",
            "Version :",
            *remote_platform.software_banner(n.remote.os_version),
            "",
            "advertisement version: 2",
            "VTP Management Domain: ''",
            "Native VLAN: 1",
            "Duplex: full",
            "Management address(es): ",
            f"  IP address: {n.remote.address}",
            "",
        ]
        blocks.append("\n".join(lines))
    return "".join(f"{block}\n" for block in blocks) + f"\nTotal cdp entries displayed : {len(neighbours)}\n"


def cdp_port(name: str) -> str:
    """The interface form of the CDP brief table.

    >>> cdp_port("GigabitEthernet0/0/1"), cdp_port("TenGigabitEthernet1/1/1")
    ('Gig 0/0/1', 'Ten 1/1/1')
    """
    for long, short in (("TenGigabitEthernet", "Ten"), ("GigabitEthernet", "Gig"), ("FastEthernet", "Fas")):
        if name.startswith(long):
            return f"{short} {name[len(long) :]}"
    return name


def show_cdp_neighbors(network: LabNetwork, device: Device) -> str:
    """``show cdp neighbors``: a device ID over 16 characters gets a line of its own."""
    if not device.runs(CDP):
        return CDP_OFF
    neighbours = network.neighbours(device, CDP)
    lines = [
        "Capability Codes: R - Router, T - Trans Bridge, B - Source Route Bridge",
        "                  S - Switch, H - Host, I - IGMP, r - Repeater, P - Phone,",
        "                  D - Remote, C - CVTA, M - Two-port Mac Relay",
        "",
        "Device ID        Local Intrfce     Holdtme    Capability  Platform  Port ID",
    ]
    for n in neighbours:
        name = cdp_device_id(n.remote)
        codes = platform_of(n.remote).cdp_codes
        row = (
            f"{cdp_port(n.local_interface.name):<18}{_remaining(network, n, CDP_HOLD_TIME):<11}"
            f"{codes:>10}  {n.remote.model[:9]:<10}{cdp_port(n.remote_interface.name)}"
        )
        if len(name) > 16:
            lines += [name, f"{'':<17}{row}"]
        else:
            lines.append(f"{name:<17}{row}")
    lines += ["", f"Total cdp entries displayed : {len(neighbours)}"]
    return "\n".join(lines) + "\n"
