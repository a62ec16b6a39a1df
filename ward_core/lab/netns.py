"""The lab's network namespace: devices on routed addresses whose ICMP the lab itself answers.

On plain loopback the kernel answers every ping to 127.0.0.0/8, so ICMP faults cannot be shown.
With ``ward lab up --netns`` (root only) the lab process runs inside a namespace of its own:

* device addresses (198.18.0.0/15, the RFC 2544 benchmarking range) sit on the namespace's ``lo``;
* a veth pair joins it to the host (host 198.19.255.1/30, namespace 198.19.255.2/30) and the host
  routes 198.18.0.0/15 through it, so probes cross a real interface;
* the namespace's kernel ignores echo requests and the lab's ICMP responder answers them, honouring
  each device's faults (down, packet loss, delay).

Only one namespaced lab can run on a host at a time, since the host route is global.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ward_core.errors import LabError

ROUTED_PREFIX = "198.18.0.0/15"
HOST_SIDE = "198.19.255.1"
NAMESPACE_SIDE = "198.19.255.2"


@dataclass(frozen=True)
class LabNamespace:
    """Names of what ``create`` made, so that ``delete`` removes exactly that."""

    name: str

    @property
    def host_link(self) -> str:
        return f"{self.name[:10]}-h"

    @property
    def namespace_link(self) -> str:
        return f"{self.name[:10]}-n"


def unavailable_reason() -> str | None:
    """Why a namespaced lab cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "ICMP faults need a lab network namespace, which needs root (ward lab up --netns as root)"
    missing = [tool for tool in ("ip", "nft") if shutil.which(tool) is None]
    if missing:
        return f"ICMP faults need {' and '.join(missing)} (apt-get install iproute2 nftables)"
    return None


def exists(name: str) -> bool:
    """Whether a namespace called ``name`` exists."""
    result = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    return any(line.split()[0] == name for line in result.stdout.splitlines() if line.strip())


def create(name: str, addresses: Iterable[str]) -> LabNamespace:
    """Create the namespace, its veth link and route, and put every device address on its ``lo``."""
    reason = unavailable_reason()
    if reason:
        raise LabError(reason)
    if exists(name):
        raise LabError(f"network namespace {name!r} already exists: is another lab running? (ward lab down)")
    ns = LabNamespace(name)
    try:
        _ip("netns", "add", name)
        _ip("-n", name, "link", "set", "lo", "up")
        _ip("link", "add", ns.host_link, "type", "veth", "peer", "name", ns.namespace_link)
        _ip("link", "set", ns.namespace_link, "netns", name)
        _ip("addr", "add", f"{HOST_SIDE}/30", "dev", ns.host_link)
        _ip("link", "set", ns.host_link, "up")
        _ip("-n", name, "addr", "add", f"{NAMESPACE_SIDE}/30", "dev", ns.namespace_link)
        _ip("-n", name, "link", "set", ns.namespace_link, "up")
        _ip("-n", name, "route", "add", "default", "via", HOST_SIDE)
        _ip("route", "replace", ROUTED_PREFIX, "via", NAMESPACE_SIDE)
        batch = "".join(f"addr add {address}/32 dev lo\n" for address in addresses)
        _run(["ip", "-n", name, "-batch", "-"], stdin=batch)
        _run(["ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv4.icmp_echo_ignore_all=1"])
    except LabError:
        delete(ns)
        raise
    return ns


def delete(ns: LabNamespace) -> None:
    """Remove the namespace, its veth pair and the host route; missing pieces are not an error."""
    subprocess.run(
        ["ip", "route", "del", ROUTED_PREFIX, "via", NAMESPACE_SIDE], capture_output=True, check=False
    )
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
