"""The running configuration of a simulated device, rendered from the model as IOS prints it.

It carries what a configuration backup must cope with: secrets (``enable secret 9``, ``username
... secret 9``, the SNMP community, a type 7 TACACS+ key) and volatile lines that change without
anyone touching the configuration (``! Last configuration change at``, ``! NVRAM config last
updated at``, ``ntp clock-period``). ``Current configuration : N bytes`` counts the bytes of
everything after that line, ``end`` included, with ``\\n`` line ends.

Lines in ``Device.extra_config`` (typed over SSH, or a ``config-drift`` fault) belong to the global
section: one that negates a generated line (``ip http server`` against ``no ip http server``)
takes its place, as it would on a real device; others follow the generated global commands.
"""

from __future__ import annotations

import zlib

from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios.passwords import type7, type9
from ward_core.lab.ios.platform import Platform, config_version, platform_of
from ward_core.lab.ios.timefmt import timestamp
from ward_core.lab.model import CDP, LLDP, Device, Interface, LabNetwork

TACACS_KEY = "ward-lab-tacacs"
TACACS_SERVERS = ("10.10.1.10", "10.10.1.11")
NTP_SERVERS = ("10.10.1.1", "10.10.1.2")
NVRAM_BYTES = {"ios-switch": 524288, "iosxe-router": 33554432, "ios-router": 262144}


def render_running_config(
    network: LabNetwork, device: Device, credentials: LabCredentials | None = None
) -> str:
    """``show running-config`` of ``device``, with ``\\n`` line ends."""
    body = config_body(network, device, credentials or LabCredentials())
    return f"Building configuration...\n\nCurrent configuration : {len(body.encode())} bytes\n{body}"


def render_startup_config(device: Device, body: str) -> str:
    """``show startup-config`` for a saved configuration ``body`` (as :func:`config_body` made it)."""
    size = NVRAM_BYTES[platform_of(device).family]
    return f"Using {len(body.encode())} out of {size} bytes\n{body}"


def config_body(network: LabNetwork, device: Device, credentials: LabCredentials) -> str:
    """The configuration text from the first ``!`` to ``end``."""
    platform = platform_of(device)
    lines = [*_header(network, device), *_global(device, credentials, platform)]
    for iface in device.by_index():
        lines.extend(interface_section(iface, platform))
    lines.extend(_services(device, credentials, platform))
    lines.extend(_lines_and_ntp(network, device))
    return "\n".join(_merge_extra(lines, device.extra_config)) + "\n"


def _header(network: LabNetwork, device: Device) -> list[str]:
    changed = (
        f"! Last configuration change at {timestamp(device.config_changed_at)} by {device.config_changed_by}"
        if device.config_changed_at > device.booted_at
        else "! No configuration change since last restart"
    )
    saved = f"! NVRAM config last updated at {timestamp(device.saved_at)} by {device.config_changed_by}"
    return ["!", changed, saved, "!"]


def _global(device: Device, credentials: LabCredentials, platform: Platform) -> list[str]:
    xe = platform.family == "iosxe-router"
    lines = [
        f"version {config_version(device.os_version)}",
        "service timestamps debug datetime msec",
        "service timestamps log datetime msec",
        "service password-encryption",
    ]
    if xe:
        lines += [
            "platform qfp utilization monitor load 80",
            "no platform punt-keepalive disable-kernel-core",
        ]
    lines += [
        "!",
        f"hostname {device.hostname}",
        "!",
        "boot-start-marker",
        "boot-end-marker",
        "!",
        "!",
        "logging buffered 16384 informational",
        "no logging console",
        f"enable secret 9 {type9(credentials.enable_secret, device.name + '/enable')}",
        "!",
        "aaa new-model",
        "!",
        "!",
        "aaa authentication login default group tacacs+ local",
        "aaa accounting exec default start-stop group tacacs+",
        "!",
        "!",
        "aaa session-id common",
        "clock timezone UTC 0 0",
        "!",
        "no ip domain lookup",
        f"ip domain name {device.domain}",
        "!",
        "login on-success log",
        "!",
    ]
    if xe:
        lines += [
            "subscriber templating",
            "!",
            "multilink bundle-name authenticated",
            "!",
            f"license udi pid {device.model} sn {device.serial}",
            "no license smart enable",
        ]
    lines += [
        "diagnostic bootup level minimal",
        "!",
        "spanning-tree mode rapid-pvst",
        "spanning-tree extend system-id",
        "!",
        f"username {credentials.username} privilege 15 secret 9 {type9(credentials.password, device.name)}",
        "!",
    ]
    if xe:
        lines += ["redundancy", " mode none", "!"]
    protocols = [] if device.runs(CDP) else ["no cdp run"]
    protocols += ["lldp run"] if device.runs(LLDP) else []
    return [*lines, *protocols, "!", "!"]


def interface_section(iface: Interface, platform: Platform) -> list[str]:
    """The ``interface`` block of one interface, ``!`` included."""
    lines = [f"interface {iface.name}"]
    if iface.description:
        lines.append(f" description {iface.description}")
    if platform.is_router:
        lines.append(f" ip address {iface.ipv4[0]} {iface.ipv4[1]}" if iface.ipv4 else " no ip address")
        if not iface.admin_up:
            lines.append(" shutdown")
        lines.append(" negotiation auto")
    else:
        if iface.peer is not None:
            lines.append(" switchport mode trunk")
        elif iface.host_attached:
            lines += [" switchport access vlan 10", " switchport mode access"]
        if not iface.admin_up:
            lines.append(" shutdown")
        if iface.host_attached:
            lines.append(" spanning-tree portfast")
    return [*lines, "!"]


def _services(device: Device, credentials: LabCredentials, platform: Platform) -> list[str]:
    seed = zlib.crc32(device.name.encode()) % 16
    lines = ["ip forward-protocol nd"] if platform.is_router else []
    lines += [
        "no ip http server",
        "no ip http secure-server",
        "ip ssh version 2",
        "!",
        "logging trap informational",
        "!",
        "snmp-server group WARD-V3 v3 priv",
        f"snmp-server community {credentials.community} RO",
        f"snmp-server location {device.site}",
        f"snmp-server contact noc@{device.domain}",
    ]
    lines += [
        f"tacacs-server host {host} key 7 {type7(TACACS_KEY, seed + n)}"
        for n, host in enumerate(TACACS_SERVERS)
    ]
    return [*lines, "!", "!", "!", "control-plane", "!", "!"]


def _lines_and_ntp(network: LabNetwork, device: Device) -> list[str]:
    drift = zlib.crc32(device.name.encode()) % 100 + int(network.clock() // 600) % 37
    return [
        "line con 0",
        " exec-timeout 15 0",
        " logging synchronous",
        " stopbits 1",
        "line aux 0",
        " stopbits 1",
        "line vty 0 4",
        " exec-timeout 15 0",
        " logging synchronous",
        " transport input ssh",
        "line vty 5 15",
        " transport input ssh",
        "!",
        f"ntp clock-period {17179800 + drift}",
        *(f"ntp server {server}" for server in NTP_SERVERS),
        "!",
        "!",
        "end",
    ]


def _merge_extra(lines: list[str], extra: list[str]) -> list[str]:
    """Put ``extra`` global lines in place, as IOS would show the result.

    ``X`` replaces a generated ``no X``; ``no X`` removes a generated ``X`` (or ``X ...``) and shows
    nothing itself; any other line follows the generated global commands.
    """
    merged = list(lines)
    appended: list[str] = []
    for line in extra:
        if line in merged or line in appended:
            continue
        if line.startswith("no "):
            merged = [kept for kept in merged if not covers(line[3:], kept)]
        elif f"no {line}" in merged:
            merged[merged.index(f"no {line}")] = line
        else:
            appended.append(line)
    if appended:
        anchor = merged.index("logging trap informational")
        merged[anchor + 1 : anchor + 1] = appended
    return merged


def covers(command: str, line: str) -> bool:
    """Whether ``no command`` removes ``line``.

    >>> covers("snmp-server community public", "snmp-server community public RO")
    True
    >>> covers("logging host 10.0.0.1", "logging host 10.0.0.12")
    False
    """
    return line == command or line.startswith(command + " ")
