"""The lab's network namespace: devices on routed addresses whose ICMP the lab itself answers.

On plain loopback the kernel answers every ping to 127.0.0.0/8, so ICMP faults cannot be shown.
With ``ward lab up --netns`` (root only) the lab process runs inside a namespace of its own:

* device addresses (198.18.0.0/16, in the RFC 2544 benchmarking range) sit on the namespace's ``lo``;
* a veth pair joins it to the host on a /30 of 198.19.0.0/16 and the host routes exactly the
  devices' range through it, so probes cross a real interface;
* the namespace's kernel ignores echo requests and the lab's ICMP responder answers them, honouring
  each device's faults (down, packet loss, delay).

Each lab folder gets its own namespace, veth pair and /30 (named from a digest of the folder), so
several namespaced labs can run side by side as long as their address ranges differ; a range that
another lab already routes is refused.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ward_core.errors import LabError

LINK_NETWORK = ipaddress.IPv4Network("198.19.0.0/16")


@dataclass(frozen=True)
class LabNamespace:
    """The namespace of one lab folder and the names of what joins it to the host."""

    name: str

    @classmethod
    def for_lab(cls, lab_dir: Path) -> LabNamespace:
        """The namespace that belongs to ``lab_dir``."""
        digest = hashlib.sha1(str(lab_dir.resolve()).encode()).hexdigest()[:8]
        return cls(f"ward-lab-{digest}")

    @property
    def digest(self) -> str:
        return self.name.rsplit("-", 1)[-1]

    @property
    def host_link(self) -> str:
        return f"wl{self.digest}h"

    @property
    def namespace_link(self) -> str:
        return f"wl{self.digest}n"

    @property
    def link_addresses(self) -> tuple[str, str]:
        """(host side, namespace side) of this lab's /30."""
        block = int(self.digest, 16) % (LINK_NETWORK.num_addresses // 4)
        base = LINK_NETWORK.network_address + block * 4
        return str(base + 1), str(base + 2)


def unavailable_reason() -> str | None:
    """Why a namespaced lab cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "ICMP faults need a lab network namespace, which needs root (ward lab up --netns as root)"
    if shutil.which("ip") is None:
        return "ICMP faults need the ip command (apt-get install iproute2)"
    return None


def exists(name: str) -> bool:
    """Whether a namespace called ``name`` exists."""
    result = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    return any(line.split()[0] == name for line in result.stdout.splitlines() if line.strip())


def routed_prefixes(addresses: Sequence[str]) -> list[ipaddress.IPv4Network]:
    """The fewest prefixes covering exactly the devices' range, lowest to highest address.

    >>> [str(p) for p in routed_prefixes(["198.18.0.1", "198.18.0.9", "198.18.0.8"])]
    ['198.18.0.1/32', '198.18.0.2/31', '198.18.0.4/30', '198.18.0.8/31']
    """
    ordered = sorted(ipaddress.IPv4Address(a) for a in addresses)
    return list(ipaddress.summarize_address_range(ordered[0], ordered[-1]))


def create(ns: LabNamespace, addresses: Sequence[str]) -> LabNamespace:
    """Create the namespace, its veth link and routes, and put every device address on its ``lo``."""
    reason = unavailable_reason()
    if reason:
        raise LabError(reason)
    if exists(ns.name):
        raise LabError(f"network namespace {ns.name!r} already exists: is this lab running? (ward lab down)")
    host_side, namespace_side = ns.link_addresses
    try:
        _ip("netns", "add", ns.name)
        _ip("-n", ns.name, "link", "set", "lo", "up")
        _ip("link", "add", ns.host_link, "type", "veth", "peer", "name", ns.namespace_link)
        _ip("link", "set", ns.namespace_link, "netns", ns.name)
        _ip("addr", "add", f"{host_side}/30", "dev", ns.host_link)
        _ip("link", "set", ns.host_link, "up")
        _ip("-n", ns.name, "addr", "add", f"{namespace_side}/30", "dev", ns.namespace_link)
        _ip("-n", ns.name, "link", "set", ns.namespace_link, "up")
        _ip("-n", ns.name, "route", "add", "default", "via", host_side)
        for prefix in routed_prefixes(addresses):
            try:
                _ip("route", "add", str(prefix), "via", namespace_side)
            except LabError:
                raise LabError(
                    f"the lab range {prefix} is already routed elsewhere (another lab?): "
                    "choose another --first-address"
                ) from None
        batch = "".join(f"addr add {address}/32 dev lo\n" for address in addresses)
        _run(["ip", "-n", ns.name, "-batch", "-"], stdin=batch)
        _run(["ip", "netns", "exec", ns.name, "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"])
    except LabError:
        delete(ns)
        raise
    return ns


def delete(ns: LabNamespace) -> None:
    """Remove the namespace and its veth pair (the routes through it go with the link)."""
    subprocess.run(["ip", "link", "del", ns.host_link], capture_output=True, check=False)
    subprocess.run(["ip", "netns", "del", ns.name], capture_output=True, check=False)


def exec_prefix(ns: LabNamespace) -> list[str]:
    """The command prefix that runs a program inside the namespace."""
    return ["ip", "netns", "exec", ns.name]


def _ip(*args: str) -> None:
    _run(["ip", *args])


def _run(command: Sequence[str], stdin: str | None = None) -> None:
    result = subprocess.run(list(command), input=stdin, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LabError(f"{' '.join(command)} failed: {result.stderr.strip() or result.returncode}")
