"""``show interfaces`` and ``show ip interface brief``: status and counters, live from the model."""

from __future__ import annotations

import ipaddress

from ward_core.lab.ios.platform import Platform, platform_of
from ward_core.lab.ios.state import IosState
from ward_core.lab.ios.timefmt import since
from ward_core.lab.model import Device, Interface

AVERAGE_PACKET = 700


def dotted_mac(mac: str) -> str:
    """IOS's MAC notation.

    >>> dotted_mac("00:1e:bd:00:10:03")
    '001e.bd00.1003'
    """
    raw = mac.replace(":", "").lower()
    return f"{raw[0:4]}.{raw[4:8]}.{raw[8:12]}"


def status_words(iface: Interface) -> tuple[str, str]:
    """Line status and protocol status, as ``show ip interface brief`` prints them."""
    if not iface.admin_up:
        return "administratively down", "down"
    return ("up", "up") if iface.oper_up else ("down", "down")


def show_ip_interface_brief(device: Device) -> str:
    """``show ip interface brief``."""
    lines = ["Interface              IP-Address      OK? Method Status                Protocol"]
    for iface in device.by_index():
        status, protocol = status_words(iface)
        address, method = (iface.ipv4[0], "NVRAM") if iface.ipv4 else ("unassigned", "unset")
        lines.append(f"{iface.name:<22} {address:<15} YES {method:<6} {status:<21} {protocol}")
    return "\n".join(lines) + "\n"


def show_interfaces(state: IosState, device: Device, only: Interface | None = None) -> str:
    """``show interfaces`` (every interface, or ``only`` one)."""
    platform = platform_of(device)
    chosen = [only] if only is not None else device.by_index()
    return "".join(_one(state, device, platform, iface) for iface in chosen)


def _status_line(iface: Interface, platform: Platform) -> str:
    status, protocol = status_words(iface)
    if platform.family == "ios-switch":
        protocol += (
            " (connected)" if iface.oper_up else (" (disabled)" if not iface.admin_up else " (notconnect)")
        )
    return f"{iface.name} is {status}, line protocol is {protocol}"


def _rate(iface: Interface, share: float) -> tuple[int, int]:
    if not iface.oper_up or iface.rate_bps <= 0:
        return 0, 0
    bits = int(iface.rate_bps * share) // 1000 * 1000
    return bits, max(1, bits // 8 // AVERAGE_PACKET)


def _one(state: IosState, device: Device, platform: Platform, iface: Interface) -> str:
    now = state.network.clock()
    counters, cleared_at = state.counters(device, iface)
    in_bps, in_pps = _rate(iface, 1.0)
    out_bps, out_pps = _rate(iface, 0.6)
    load_in = max(1, min(255, in_bps * 255 // max(1, iface.speed_bps)))
    load_out = max(1, min(255, out_bps * 255 // max(1, iface.speed_bps)))
    mac = dotted_mac(iface.mac)
    lines = [
        _status_line(iface, platform),
        f"  Hardware is {platform.port_hardware(iface.name)}, address is {mac} (bia {mac})",
    ]
    if iface.description:
        lines.append(f"  Description: {iface.description}")
    if iface.ipv4:
        prefix = ipaddress.IPv4Network(f"0.0.0.0/{iface.ipv4[1]}").prefixlen
        lines.append(f"  Internet address is {iface.ipv4[0]}/{prefix}")
    speed_mb = iface.speed_bps // 1_000_000
    lines += [
        f"  MTU 1500 bytes, BW {iface.speed_bps // 1000} Kbit/sec, DLY 10 usec,",
        f"     reliability 255/255, txload {load_out}/255, rxload {load_in}/255",
        "  Encapsulation ARPA, loopback not set",
    ]
    if platform.family == "ios-switch":
        lines += [
            "  Keepalive set (10 sec)",
            f"  Full-duplex, {speed_mb}Mb/s, media type is 10/100/1000BaseTX"
            if iface.oper_up
            else "  Auto-duplex, Auto-speed, media type is 10/100/1000BaseTX",
            "  input flow-control is off, output flow-control is unsupported",
        ]
    else:
        lines += [
            "  Keepalive not supported",
            f"  Full Duplex, {speed_mb}Mbps, link type is auto, media type is RJ45"
            if iface.oper_up
            else "  Auto Duplex, Auto Speed, link type is auto, media type is RJ45",
            "  output flow-control is off, input flow-control is off",
        ]
    idle = since(0 if iface.oper_up else now - iface.last_change)
    cleared = since(None if cleared_at is None else now - cleared_at)
    lines += [
        "  ARP type: ARPA, ARP Timeout 04:00:00",
        f"  Last input {idle}, output {idle}, output hang never",
        f'  Last clearing of "show interface" counters {cleared}',
        f"  Input queue: 0/375/0/0 (size/max/drops/flushes); Total output drops: {counters.out_discards}",
        "  Queueing strategy: fifo",
        "  Output queue: 0/40 (size/max)",
        f"  5 minute input rate {in_bps} bits/sec, {in_pps} packets/sec",
        f"  5 minute output rate {out_bps} bits/sec, {out_pps} packets/sec",
        f"     {counters.in_pkts} packets input, {counters.in_octets} bytes, 0 no buffer",
        f"     Received {counters.in_pkts // 50} broadcasts ({counters.in_pkts // 80} IP multicasts)",
        "     0 runts, 0 giants, 0 throttles",
        f"     {counters.in_errors} input errors, {counters.in_errors} CRC, 0 frame, 0 overrun,"
        f" {counters.in_discards} ignored",
        f"     0 watchdog, {counters.in_pkts // 80} multicast, 0 pause input",
        f"     {counters.out_pkts} packets output, {counters.out_octets} bytes, 0 underruns",
        f"     {counters.out_errors} output errors, 0 collisions, 1 interface resets",
        "     0 unknown protocol drops",
        "     0 babbles, 0 late collision, 0 deferred",
        "     0 lost carrier, 0 no carrier, 0 pause output",
        "     0 output buffer failures, 0 output buffers swapped out",
    ]
    return "\n".join(lines) + "\n"


def show_interfaces_description(device: Device) -> str:
    """``show interfaces description``."""
    lines = ["Interface                      Status         Protocol Description"]
    for iface in device.by_index():
        status, protocol = status_words(iface)
        status = "admin down" if not iface.admin_up else status
        lines.append(f"{iface.short_name:<31}{status:<15}{protocol:<9}{iface.description}".rstrip())
    return "\n".join(lines) + "\n"
