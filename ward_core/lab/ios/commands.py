"""The commands each CLI mode knows, as patterns for :mod:`ward_core.lab.ios.grammar`.

Entries with action ``None`` are IOS keywords the lab does not implement; they are listed so that
abbreviations are exactly as ambiguous as on a real device (``s`` could be ``show``, ``ssh`` or
``systat``; ``en`` in configuration mode could be ``enable`` or ``end``).
"""

from __future__ import annotations

from ward_core.lab.ios.grammar import compile_commands

Commands = list[tuple[str, str | None]]


def unimplemented(words: str) -> Commands:
    """Keywords (comma-separated, each possibly several words) the lab knows only by name.

    >>> unimplemented("ping, ip route")
    [('ping', None), ('ip route', None)]
    """
    return [(word.strip(), None) for word in words.split(",") if word.strip()]


SHOW: Commands = [
    ("show version", "show_version"),
    ("show clock", "show_clock"),
    ("show inventory", "show_inventory"),
    ("show interfaces", "show_interfaces"),
    ("show interfaces IFACE", "show_interfaces"),
    ("show interfaces description", "show_interfaces_description"),
    ("show ip interface brief", "show_ip_interface_brief"),
    ("show lldp neighbors", "show_lldp_neighbors"),
    ("show lldp neighbors detail", "show_lldp_neighbors_detail"),
    ("show cdp neighbors", "show_cdp_neighbors"),
    ("show cdp neighbors detail", "show_cdp_neighbors_detail"),
    *unimplemented(
        "show aaa, show access-lists, show arp, show boot, show class-map, show controllers, "
        "show debugging, show environment, show flash:, show history, show hosts, show idprom, "
        "show ipv6, show license, show line, show logging, show mac, show memory, show ntp, "
        "show platform, show policy-map, show processes, show snmp, show spanning-tree, "
        "show standby, show stacks, show tech-support, show terminal, show users, show vlan, "
        "show vrf, show vtp, show ip arp, show ip route, show ip protocols, show ip ssh, "
        "show lldp entry, show lldp interface, show cdp entry, show cdp interface, "
        "show interfaces status, show interfaces counters"
    ),
]

PRIVILEGED_SHOW: Commands = [
    ("show running-config", "show_running_config"),
    ("show running-config interface IFACE", "show_running_interface"),
    ("show startup-config", "show_startup_config"),
]

USER_EXEC: Commands = [
    *SHOW,
    ("enable", "enable"),
    ("disable", "disable"),
    ("exit", "logout"),
    ("logout", "logout"),
    ("quit", "logout"),
    ("terminal length <0-512>", "terminal_length"),
    ("terminal width <0-512>", "terminal_width"),
    ("terminal monitor", "terminal_monitor"),
    ("terminal no monitor", "terminal_monitor"),
    *unimplemented("connect, disconnect, ping, resume, ssh, systat, telnet, traceroute, where"),
]

PRIVILEGED_EXEC: Commands = [
    *USER_EXEC,
    *PRIVILEGED_SHOW,
    ("configure", "configure"),
    ("configure terminal", "configure_terminal"),
    ("copy running-config startup-config", "copy_run_start"),
    ("write", "write_memory"),
    ("write memory", "write_memory"),
    ("write terminal", "show_running_config"),
    ("clear counters", "clear_counters"),
    ("clear counters IFACE", "clear_counters"),
    ("reload", "reload"),
    *unimplemented(
        "cd, clock, configure memory, configure network, configure replace, copy startup-config, "
        "copy running-config tftp:, copy running-config flash:, debug, delete, dir, more, send, "
        "setup, undebug, verify, write erase, clear arp-cache, clear line, clear logging, "
        "clear ip"
    ),
]

_GLOBAL_LINES = (
    "ntp server A.B.C.D",
    "logging host A.B.C.D",
    "ip name-server A.B.C.D",
    "ip http server",
    "ip http secure-server",
    "ip domain lookup",
    "service password-encryption",
)

CONFIG: Commands = [
    ("interface IFACE", "interface"),
    ("hostname WORD", "hostname"),
    ("ip domain name WORD", "domain"),
    ("ip domain-name WORD", "domain"),
    ("do LINE", "do"),
    ("exit", "exit"),
    ("end", "end"),
    *((line, "global_line") for line in _GLOBAL_LINES),
    *((f"no {line}", "global_line") for line in _GLOBAL_LINES),
    ("snmp-server community WORD", "global_line"),
    ("snmp-server community WORD RO", "global_line"),
    ("snmp-server community WORD RW", "global_line"),
    ("no snmp-server community WORD", "global_line"),
    ("cdp run", "protocol_run"),
    ("no cdp run", "protocol_run"),
    ("lldp run", "protocol_run"),
    ("no lldp run", "protocol_run"),
    *unimplemented(
        "aaa, access-list, alias, archive, banner, boot, clock, crypto, default, enable, "
        "line, router, spanning-tree, username, vlan, ip route, ip access-list, ip ssh, "
        "ip routing, logging buffered, logging trap, ntp source, snmp-server location, "
        "snmp-server contact, snmp-server group, snmp-server user, snmp-server host, no aaa, "
        "no banner, no logging console, no username"
    ),
]

_INTERFACE_COMMON: Commands = [
    ("description LINE", "description"),
    ("no description", "no_description"),
    ("no description LINE", "no_description"),
    ("shutdown", "shutdown"),
    ("no shutdown", "no_shutdown"),
    ("interface IFACE", "interface"),
    ("do LINE", "do"),
    ("exit", "exit"),
    ("end", "end"),
    *unimplemented(
        "bandwidth, cdp, channel-group, default, delay, duplex, load-interval, lldp, mtu, "
        "negotiation, service-policy, speed, spanning-tree, storm-control, switchport, no cdp, "
        "no lldp, no switchport, no negotiation"
    ),
]

INTERFACE_ROUTER: Commands = [
    *_INTERFACE_COMMON,
    ("ip address A.B.C.D A.B.C.D", "ip_address"),
    ("no ip address", "no_ip_address"),
    ("no ip address A.B.C.D A.B.C.D", "no_ip_address"),
    *unimplemented("ip access-group, ip helper-address, ip nat, ip ospf, no ip access-group"),
]

INTERFACE_SWITCH: Commands = [*_INTERFACE_COMMON, ("ip", None), ("no ip", None)]


USER_EXEC_TREE = compile_commands(USER_EXEC)
PRIVILEGED_EXEC_TREE = compile_commands(PRIVILEGED_EXEC)
CONFIG_TREE = compile_commands(CONFIG)
INTERFACE_ROUTER_TREE = compile_commands(INTERFACE_ROUTER)
INTERFACE_SWITCH_TREE = compile_commands(INTERFACE_SWITCH)
