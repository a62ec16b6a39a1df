"""The state of a simulated network: one model per device, behind both SSH and SNMP.

Everything a protocol front end shows is derived from here, so an interface shut over SSH is
``down(2)`` over SNMP, vanishes from both ends' LLDP/CDP neighbours and stops carrying traffic.

Each device runs LLDP, CDP, both (the default) or neither (``neighbour_protocols``): a neighbour
appears in a device's table of one protocol only when both ends run it, as on real gear where
``no lldp run`` or ``no cdp run`` stops sending and receiving alike.

Counters are computed lazily from the clock (``rate * time while up``) instead of by a ticking
task, so a thousand idle devices cost no CPU. Time is injectable (``clock``) for tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ward_core.errors import LabError

Clock = Callable[[], float]

LLDP = "lldp"
CDP = "cdp"
NEIGHBOUR_PROTOCOLS = frozenset({LLDP, CDP})

COUNTER32 = 1 << 32
COUNTER64 = 1 << 64


@dataclass
class Counters:
    """Traffic counters of one interface, accumulated up to ``updated_at``."""

    in_octets: int = 0
    out_octets: int = 0
    in_pkts: int = 0
    out_pkts: int = 0
    in_errors: int = 0
    out_errors: int = 0
    in_discards: int = 0
    out_discards: int = 0


@dataclass
class Interface:
    """One physical interface. ``rate_bps`` is the simulated traffic each way while it is up."""

    name: str
    if_index: int
    mac: str
    speed_bps: int
    description: str = ""
    admin_up: bool = True
    ipv4: tuple[str, str] | None = None
    rate_bps: int = 0
    error_ppm: int = 0
    peer: tuple[str, str] | None = None
    peer_up: bool = False
    host_attached: bool = False
    counters: Counters = field(default_factory=Counters)
    updated_at: float = 0.0
    last_change: float = 0.0

    @property
    def oper_up(self) -> bool:
        """Up when enabled here and cabled to something that is up (unused ports are down).

        ``host_attached`` ports lead to end hosts outside the lab: up, carrying traffic, no neighbour.
        """
        if not self.admin_up:
            return False
        return self.host_attached or (self.peer is not None and self.peer_up)

    @property
    def short_name(self) -> str:
        """The abbreviated name IOS prints in neighbour tables (``Gi0/1``)."""
        return abbreviate(self.name)


def abbreviate(name: str) -> str:
    """Short interface name as IOS prints it.

    >>> abbreviate("GigabitEthernet1/0/1")
    'Gi1/0/1'
    >>> abbreviate("TenGigabitEthernet0/1")
    'Te0/1'
    """
    for long, short in _ABBREVIATIONS:
        if name.startswith(long):
            return short + name[len(long) :]
    return name


_ABBREVIATIONS = (
    ("TenGigabitEthernet", "Te"),
    ("GigabitEthernet", "Gi"),
    ("FastEthernet", "Fa"),
    ("Ethernet", "Et"),
    ("Loopback", "Lo"),
    ("Vlan", "Vl"),
)


@dataclass
class Device:
    """One simulated device: identity, credentials, interfaces and the volatile bits of its config."""

    name: str
    address: str
    site: str
    region: str
    role: str
    model: str
    serial: str
    chassis_mac: str
    platform: str = "cisco_ios"
    os_version: str = "15.9(3)M7"
    hostname: str = ""
    domain: str = "branch.example.net"
    interfaces: dict[str, Interface] = field(default_factory=dict)
    booted_at: float = 0.0
    config_changed_at: float = 0.0
    config_changed_by: str = "admin"
    saved_at: float = 0.0
    unsaved_changes: bool = False
    extra_config: list[str] = field(default_factory=list)
    reachable: bool = True
    auth_fail: bool = False
    reply_delay_ms: int = 0
    packet_loss_pct: int = 0
    cpu_percent: int = 7
    memory_total: int = 2_147_483_648
    memory_used: int = 612_368_384
    lldp_port_id_subtype: int = 5
    neighbour_protocols: frozenset[str] = NEIGHBOUR_PROTOCOLS
    protocols_changed_at: float = 0.0

    def __post_init__(self) -> None:
        if not self.hostname:
            self.hostname = self.name
        unknown = set(self.neighbour_protocols) - NEIGHBOUR_PROTOCOLS
        if unknown:
            raise LabError(f"{self.name}: unknown neighbour protocol(s) {', '.join(sorted(unknown))}")

    def runs(self, protocol: str) -> bool:
        """Whether the device runs ``protocol`` (``lldp`` or ``cdp``)."""
        return protocol in self.neighbour_protocols

    @property
    def fqdn(self) -> str:
        """``hostname.domain`` (the hostname alone without a domain): how CDP names the device."""
        return f"{self.hostname}.{self.domain}" if self.domain else self.hostname

    def interface(self, name: str) -> Interface:
        """The interface called ``name`` (long or abbreviated form); LabError when unknown."""
        found = self.interfaces.get(name)
        if found is not None:
            return found
        wanted = name.lower()
        for iface in self.interfaces.values():
            if wanted in (iface.name.lower(), iface.short_name.lower()):
                return iface
        raise LabError(f"{self.name}: no interface {name!r}")

    def by_index(self) -> list[Interface]:
        """Interfaces in ifIndex order."""
        return sorted(self.interfaces.values(), key=lambda i: i.if_index)


@dataclass(frozen=True)
class Neighbour:
    """What a device learns about the device at the far end of one of its links."""

    local_interface: Interface
    remote: Device
    remote_interface: Interface


@dataclass
class SiteInfo:
    """A site and its region."""

    name: str
    region: str


class LabNetwork:
    """All simulated devices and the cables between them."""

    def __init__(self, clock: Clock = time.time) -> None:
        self.clock = clock
        self.devices: dict[str, Device] = {}
        self.sites: dict[str, SiteInfo] = {}
        self.started_at = clock()

    # --- building ---------------------------------------------------------------------------
    def add_site(self, name: str, region: str) -> SiteInfo:
        """Register a site; a repeated name keeps the first."""
        return self.sites.setdefault(name, SiteInfo(name, region))

    def add_device(self, device: Device) -> Device:
        """Add a device; its name and address must be new."""
        if device.name in self.devices:
            raise LabError(f"device {device.name!r} defined twice")
        if any(d.address == device.address for d in self.devices.values()):
            raise LabError(f"device {device.name!r}: address {device.address} already used")
        now = self.clock()
        device.booted_at = device.booted_at or now
        device.config_changed_at = device.config_changed_at or now
        device.saved_at = device.saved_at or now
        for iface in device.interfaces.values():
            iface.updated_at = now
            iface.last_change = now
        self.devices[device.name] = device
        return device

    def connect(self, a: str, a_if: str, b: str, b_if: str) -> None:
        """Cable ``a:a_if`` to ``b:b_if``; each interface carries at most one cable."""
        left = self.device(a).interface(a_if)
        right = self.device(b).interface(b_if)
        for dev, iface in ((a, left), (b, right)):
            if iface.peer is not None:
                raise LabError(f"{dev} {iface.name} is already cabled to {iface.peer[0]} {iface.peer[1]}")
        if left is right:
            raise LabError(f"{a} {left.name} cannot be cabled to itself")
        left.peer = (b, right.name)
        right.peer = (a, left.name)
        self._refresh_link(left, right)

    # --- lookups ----------------------------------------------------------------------------
    def device(self, name: str) -> Device:
        """The device called ``name``; LabError when unknown."""
        try:
            return self.devices[name]
        except KeyError:
            raise LabError(f"no device {name!r} in the lab") from None

    def peer_of(self, iface: Interface) -> tuple[Device, Interface] | None:
        """The device and interface at the far end of ``iface``'s cable."""
        if iface.peer is None:
            return None
        remote = self.devices[iface.peer[0]]
        return remote, remote.interfaces[iface.peer[1]]

    def neighbours(self, device: Device, protocol: str | None = None) -> list[Neighbour]:
        """Neighbours seen over ``protocol`` (None: over any protocol both ends run): links up at
        both ends, with the far device answering and running the protocol too."""
        wanted = {protocol} if protocol is not None else device.neighbour_protocols
        found: list[Neighbour] = []
        for iface in device.by_index():
            far = self.peer_of(iface)
            if far is None or not iface.oper_up:
                continue
            remote, remote_if = far
            if remote.reachable and wanted & device.neighbour_protocols & remote.neighbour_protocols:
                found.append(Neighbour(iface, remote, remote_if))
        return found

    def uptime_ticks(self, device: Device) -> int:
        """sysUpTime in hundredths of a second."""
        return int((self.clock() - device.booted_at) * 100)

    # --- state changes ----------------------------------------------------------------------
    def set_admin(self, device: Device, iface: Interface, up: bool) -> None:
        """``shutdown`` / ``no shutdown``: changes this end and the link state at the far end."""
        if iface.admin_up == up:
            return
        self._settle(iface)
        iface.admin_up = up
        iface.last_change = self.clock()
        far = self.peer_of(iface)
        if far is not None:
            self._refresh_link(iface, far[1])

    def set_protocol(self, device: Device, protocol: str, running: bool) -> None:
        """``[no] lldp run`` / ``[no] cdp run``: neighbours forget or re-learn each other over
        ``protocol`` (``protocols_changed_at`` gives the re-learned entries a new time mark)."""
        if protocol not in NEIGHBOUR_PROTOCOLS:
            raise LabError(f"unknown neighbour protocol {protocol!r} (known: cdp, lldp)")
        if device.runs(protocol) == running:
            return
        change = {protocol}
        device.neighbour_protocols = frozenset(
            device.neighbour_protocols | change if running else device.neighbour_protocols - change
        )
        device.protocols_changed_at = self.clock()

    def reboot(self, device: Device) -> None:
        """Reload: uptime restarts, counters restart, unsaved changes are lost from the flag."""
        now = self.clock()
        device.booted_at = now
        for iface in device.interfaces.values():
            iface.counters = Counters()
            iface.updated_at = now
            iface.last_change = now

    def mark_config_changed(self, device: Device, by: str) -> None:
        """Record a configuration change (the volatile header of the running config moves)."""
        device.config_changed_at = self.clock()
        device.config_changed_by = by
        device.unsaved_changes = True

    def save_config(self, device: Device) -> None:
        """``write memory``."""
        device.saved_at = self.clock()
        device.unsaved_changes = False

    # --- counters ---------------------------------------------------------------------------
    def counters(self, iface: Interface) -> Counters:
        """Counters as of now (64-bit, wrapping like the real thing)."""
        self._settle(iface)
        return iface.counters

    def _settle(self, iface: Interface) -> None:
        now = self.clock()
        elapsed = now - iface.updated_at
        iface.updated_at = now
        if elapsed <= 0 or not iface.oper_up or iface.rate_bps <= 0:
            return
        c = iface.counters
        octets = int(iface.rate_bps * elapsed / 8)
        pkts = max(1, octets // 700)
        errors = pkts * iface.error_ppm // 1_000_000
        c.in_octets = (c.in_octets + octets) % COUNTER64
        c.out_octets = (c.out_octets + int(octets * 0.6)) % COUNTER64
        c.in_pkts = (c.in_pkts + pkts) % COUNTER64
        c.out_pkts = (c.out_pkts + int(pkts * 0.6)) % COUNTER64
        c.in_errors = (c.in_errors + errors) % COUNTER32
        c.in_discards = (c.in_discards + errors // 2) % COUNTER32

    def _refresh_link(self, left: Interface, right: Interface) -> None:
        for iface in (left, right):
            self._settle(iface)
        now = self.clock()
        left_sees, right_sees = right.admin_up, left.admin_up
        if left.peer_up != left_sees:
            left.peer_up = left_sees
            left.last_change = now
        if right.peer_up != right_sees:
            right.peer_up = right_sees
            right.last_change = now

    def __iter__(self) -> Iterator[Device]:
        return iter(self.devices.values())

    def __len__(self) -> int:
        return len(self.devices)
