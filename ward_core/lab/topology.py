"""How a lab is laid out: generated like a bank's branch network, or read from a topology file.

Generated layout (``build_network``): regional hub routers (one per region, in ``hub-<region>``
sites, joined in a ring) and branch sites, each with one branch router uplinked to its region's
hub (and, with two or more regions, a backup uplink to the next region's hub) and access switches
below it. Ports toward end hosts carry traffic but show no neighbour.

Topology file (``load_topology``), YAML::

    sites:
      - {name: branch-001, region: west}
    devices:
      - {name: br001-rtr1, site: branch-001, role: branch-router}      # model, address optional
    links:
      - [br001-rtr1 GigabitEthernet0/0/1, br001-sw1 GigabitEthernet1/0/25]
    hosts:                                   # optional: ports toward end hosts
      - br001-sw1 GigabitEthernet1/0/1
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ward_core.errors import LabError
from ward_core.lab.hardware import (
    GIGABIT,
    MODELS_BY_NAME,
    MODELS_BY_ROLE,
    HardwareModel,
    chassis_mac,
    port_mac,
    serial_number,
)
from ward_core.lab.model import COUNTER32, Clock, Device, Interface, LabNetwork

REGIONS = ("west", "east", "north", "south")
FIRST_ADDRESS = ipaddress.IPv4Address("127.20.0.1")
NETNS_FIRST_ADDRESS = ipaddress.IPv4Address("198.18.0.1")
"""In a lab network namespace devices take RFC 2544 benchmarking addresses, routed over a veth."""
HOST_PORTS_PER_SWITCH = 6
LLDP_PORT_ID_SUBTYPE = {"hub-router": 7}
"""Hub routers advertise LLDP port ids as local(7) ifIndex values, the others as interfaceName(5),
so discovery meets both subtypes, as it does on mixed real networks."""


def device_address(index: int, first: ipaddress.IPv4Address = FIRST_ADDRESS) -> str:
    """Address of the ``index``-th device counted from ``first`` (never a .0 or .255 host).

    >>> device_address(0), device_address(253), device_address(254)
    ('127.20.0.1', '127.20.0.254', '127.20.1.1')
    >>> device_address(0, NETNS_FIRST_ADDRESS)
    '198.18.0.1'
    """
    block, offset = divmod(index, 254)
    return str(first + block * 256 + offset)


def is_lab_address(address: ipaddress.IPv4Address) -> bool:
    """Lab devices live on loopback or, in a lab namespace, in 198.18.0.0/16."""
    return address.is_loopback or address in ipaddress.IPv4Network("198.18.0.0/16")


def default_sites(devices: int) -> int:
    """Branch count when none is given: about five devices per branch, as in a bank's branches."""
    return max(1, round(devices / 5))


def region_count(sites: int) -> int:
    """One region for a single branch, else two to four."""
    return 1 if sites <= 1 else min(len(REGIONS), max(2, sites // 2))


@dataclass(frozen=True)
class _Spec:
    name: str
    site: str
    region: str
    role: str
    model: HardwareModel
    ports: int


class _Builder:
    """Creates devices with stable identities, cabling and traffic from one seed."""

    def __init__(self, seed: int, clock: Clock | None, first_address: ipaddress.IPv4Address) -> None:
        self.first_address = first_address
        self.rng = random.Random(seed)
        self.network = LabNetwork(clock) if clock else LabNetwork()
        self._free: dict[str, list[str]] = {}

    def add(self, spec: _Spec, address: str | None = None) -> Device:
        index = len(self.network.devices)
        chassis = chassis_mac(index + 1)
        names = spec.model.port_names(spec.ports)
        interfaces = {
            name: Interface(
                name=name,
                if_index=position + 1,
                mac=port_mac(chassis, position + 1),
                speed_bps=GIGABIT,
            )
            for position, name in enumerate(names)
        }
        for iface in interfaces.values():
            iface.counters.in_octets = COUNTER32 - self.rng.randrange(1, 2_000_000_000)
            iface.counters.out_octets = self.rng.randrange(0, COUNTER32)
        device = Device(
            name=spec.name,
            address=address or device_address(index, self.first_address),
            site=spec.site,
            region=spec.region,
            role=spec.role,
            model=spec.model.model,
            os_version=spec.model.os_version,
            serial=serial_number(spec.model, self.rng),
            chassis_mac=chassis,
            interfaces=interfaces,
            cpu_percent=self.rng.randrange(3, 25),
            lldp_port_id_subtype=LLDP_PORT_ID_SUBTYPE.get(spec.role, 5),
        )
        self.network.add_site(spec.site, spec.region)
        self.network.add_device(device)
        self._free[device.name] = list(names)
        return device

    def next_port(self, device: str, *, last: bool = False) -> str:
        free = self._free[device]
        if not free:
            raise LabError(f"{device} has no free port left")
        return free.pop(-1 if last else 0)

    def cable(self, a: str, b: str, *, rate_bps: int, a_last: bool = False, b_last: bool = False) -> None:
        a_if, b_if = self.next_port(a, last=a_last), self.next_port(b, last=b_last)
        self.network.connect(a, a_if, b, b_if)
        for dev, name in ((a, a_if), (b, b_if)):
            iface = self.network.devices[dev].interfaces[name]
            iface.rate_bps = rate_bps
            iface.description = f"to {b if dev == a else a}"

    def attach_hosts(self, device: str, count: int) -> None:
        for _ in range(count):
            iface = self.network.devices[device].interfaces[self.next_port(device)]
            iface.host_attached = True
            iface.rate_bps = self.rng.randrange(100_000, 5_000_000)
            iface.error_ppm = 200 if self.rng.random() < 0.05 else 0
            iface.description = "user port"


def build_network(
    devices: int,
    sites: int | None = None,
    seed: int = 1,
    clock: Clock | None = None,
    first_address: ipaddress.IPv4Address = FIRST_ADDRESS,
) -> LabNetwork:
    """A bank-like network of ``devices`` devices over ``sites`` branches (hubs included in the count)."""
    branch_count = sites if sites is not None else default_sites(devices)
    if branch_count < 1:
        raise LabError("a lab needs at least one site")
    regions = REGIONS[: region_count(branch_count)]
    if devices < len(regions) + branch_count:
        raise LabError(
            f"{devices} devices cannot fill {branch_count} branches and {len(regions)} hubs: "
            f"need at least {len(regions) + branch_count}"
        )
    per_branch = [1] * branch_count
    for extra in range(devices - len(regions) - branch_count):
        per_branch[extra % branch_count] += 1
    builder = _Builder(seed, clock, first_address)
    branches_per_region = [0] * len(regions)
    for b in range(branch_count):
        branches_per_region[b % len(regions)] += 1
    hub_ports = [4 + 2 * count for count in branches_per_region]
    hubs = [
        builder.add(
            _Spec(f"hub-{r}-rtr1", f"hub-{r}", r, "hub-router", MODELS_BY_ROLE["hub-router"], hub_ports[i])
        )
        for i, r in enumerate(regions)
    ]
    if len(hubs) == 2:
        builder.cable(hubs[0].name, hubs[1].name, rate_bps=400_000_000)
    elif len(hubs) > 2:
        for i, hub in enumerate(hubs):
            builder.cable(hub.name, hubs[(i + 1) % len(hubs)].name, rate_bps=400_000_000)
    for b in range(branch_count):
        region_index = b % len(regions)
        site = f"branch-{b + 1:03d}"
        prefix = f"br{b + 1:03d}"
        switch_count = per_branch[b] - 1
        router = builder.add(
            _Spec(
                f"{prefix}-rtr1",
                site,
                regions[region_index],
                "branch-router",
                MODELS_BY_ROLE["branch-router"],
                11 + max(0, switch_count - 8),
            )
        )
        builder.cable(
            router.name, hubs[region_index].name, rate_bps=builder.rng.randrange(20, 80) * 1_000_000
        )
        if len(hubs) > 1:
            backup = hubs[(region_index + 1) % len(hubs)]
            builder.cable(router.name, backup.name, rate_bps=builder.rng.randrange(1, 5) * 1_000_000)
        for s in range(switch_count):
            switch = builder.add(
                _Spec(
                    f"{prefix}-sw{s + 1}",
                    site,
                    regions[region_index],
                    "access-switch",
                    MODELS_BY_ROLE["access-switch"],
                    28,
                )
            )
            builder.cable(
                router.name, switch.name, rate_bps=builder.rng.randrange(5, 30) * 1_000_000, b_last=True
            )
            builder.attach_hosts(switch.name, HOST_PORTS_PER_SWITCH)
    return builder.network


def load_topology(
    path: Path,
    seed: int = 1,
    clock: Clock | None = None,
    first_address: ipaddress.IPv4Address = FIRST_ADDRESS,
) -> LabNetwork:
    """Read a topology file; every problem is a LabError naming the file, line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabError(f"{path}: cannot read topology file: {exc}") from exc
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise LabError(f"{path}: YAML syntax error: {exc}") from exc
    if not isinstance(root, yaml.MappingNode):
        raise LabError(f"{path}:1: a topology file is a mapping with sites, devices and links")
    return _TopologyReader(path, seed, clock, first_address).read(root)


class _TopologyReader:
    def __init__(
        self, path: Path, seed: int, clock: Clock | None, first_address: ipaddress.IPv4Address
    ) -> None:
        self.path = path
        self.builder = _Builder(seed, clock, first_address)

    def fail(self, node: yaml.Node, message: str) -> LabError:
        return LabError(f"{self.path}:{node.start_mark.line + 1}: {message}")

    def read(self, root: yaml.MappingNode) -> LabNetwork:
        sections = {key.value: value for key, value in root.value}
        unknown = set(sections) - {"sites", "devices", "links", "hosts"}
        if unknown:
            raise self.fail(root, f"unknown section(s): {', '.join(sorted(unknown))}")
        regions: dict[str, str] = {}
        for node in self.items(sections.get("sites")):
            site = self.mapping(node, required=("name", "region"))
            regions[site["name"]] = site["region"]
        links = list(self.items(sections.get("links")))
        hosts = list(self.items(sections.get("hosts")))
        for node in self.items(sections.get("devices")):
            self.add_device(node, regions, links, hosts)
        used: dict[tuple[str, str], yaml.Node] = {}
        for node in links:
            if not isinstance(node, yaml.SequenceNode) or len(node.value) != 2:
                raise self.fail(node, "a link is a list of two 'DEVICE INTERFACE' ends")
            a, b = (self.end(end, used) for end in node.value)
            try:
                self.builder.network.connect(a[0], a[1], b[0], b[1])
            except LabError as exc:
                raise self.fail(node, str(exc)) from None
            for dev, name in (a, b):
                self.builder.network.devices[dev].interfaces[name].rate_bps = 20_000_000
        for node in hosts:
            dev, name = self.end(node, used)
            iface = self.builder.network.devices[dev].interfaces[name]
            iface.host_attached = True
            iface.rate_bps = 1_000_000
        return self.builder.network

    def items(self, node: yaml.Node | None) -> Sequence[yaml.Node]:
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, "expected a list")
        return list(node.value)

    def mapping(self, node: yaml.Node, required: Sequence[str]) -> dict[str, str]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, "expected a mapping")
        values: dict[str, str] = {}
        for key, value in node.value:
            if not isinstance(value, yaml.ScalarNode):
                raise self.fail(value, f"field {key.value!r} must be a plain value")
            values[key.value] = str(value.value)
        for field in required:
            if not values.get(field):
                raise self.fail(node, f"field {field!r} is required")
        return values

    def add_device(
        self, node: yaml.Node, regions: dict[str, str], links: list[yaml.Node], hosts: list[yaml.Node]
    ) -> None:
        spec = self.mapping(node, required=("name", "site", "role"))
        name = spec["name"]
        if name in self.builder.network.devices:
            raise self.fail(node, f"device {name!r} defined twice")
        if spec["site"] not in regions:
            raise self.fail(node, f"device {name!r}: unknown site {spec['site']!r}")
        model = self.model_for(node, spec)
        mentions = sum(1 for link in [*links, *hosts] for end in _scalars(link) if end.split()[0] == name)
        address = spec.get("address")
        if address is not None:
            try:
                if not is_lab_address(ipaddress.IPv4Address(address)):
                    raise ValueError("not in 127.0.0.0/8 or 198.18.0.0/16")
            except ValueError as exc:
                raise self.fail(
                    node, f"device {name!r}: field 'address' {address!r} is invalid: {exc}"
                ) from None
        self.builder.add(
            _Spec(name, spec["site"], regions[spec["site"]], spec["role"], model, mentions), address
        )

    def model_for(self, node: yaml.Node, spec: dict[str, str]) -> HardwareModel:
        if "model" in spec:
            if spec["model"] not in MODELS_BY_NAME:
                raise self.fail(node, f"field 'model': unknown model {spec['model']!r}")
            return MODELS_BY_NAME[spec["model"]]
        if spec["role"] not in MODELS_BY_ROLE:
            known = ", ".join(sorted(MODELS_BY_ROLE))
            raise self.fail(node, f"field 'role': no default model for {spec['role']!r} (known: {known})")
        return MODELS_BY_ROLE[spec["role"]]

    def end(self, node: yaml.Node, used: dict[tuple[str, str], yaml.Node]) -> tuple[str, str]:
        if not isinstance(node, yaml.ScalarNode) or len(str(node.value).split()) != 2:
            raise self.fail(node, "a link end is 'DEVICE INTERFACE'")
        device_name, if_name = str(node.value).split()
        if device_name not in self.builder.network.devices:
            raise self.fail(node, f"unknown device {device_name!r}")
        try:
            iface = self.builder.network.devices[device_name].interface(if_name)
        except LabError as exc:
            raise self.fail(node, str(exc)) from None
        key = (device_name, iface.name)
        if key in used:
            first = used[key].start_mark.line + 1
            raise self.fail(node, f"{device_name} {iface.name} is used twice (first on line {first})")
        used[key] = node
        return key


def _scalars(node: yaml.Node) -> list[str]:
    if isinstance(node, yaml.ScalarNode):
        return [str(node.value)] if str(node.value).split() else []
    if isinstance(node, yaml.SequenceNode):
        return [v for child in node.value for v in _scalars(child)]
    return []


def describe(network: LabNetwork) -> dict[str, Any]:
    """Counts a person checks first: devices per role and per site, links."""
    roles: dict[str, int] = {}
    for device in network:
        roles[device.role] = roles.get(device.role, 0) + 1
    links = sum(1 for d in network for i in d.interfaces.values() if i.peer) // 2
    return {"devices": len(network), "sites": len(network.sites), "roles": roles, "links": links}
