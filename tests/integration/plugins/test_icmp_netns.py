"""The ``icmp`` probe inside network namespaces of the test's own (root only).

Each test gets a namespace ``probe`` joined by a veth pair to a namespace ``sink`` that silently
drops what it receives: 10.254.0.0/24 is routed into the sink, so its addresses are hosts that never
answer. ``probe`` also holds unreachable, blackhole and prohibit routes, and loopback answers there
as everywhere. ``net.ipv4.ping_group_range`` belongs to each namespace, so widening it inside
``probe`` tests the datagram-socket path without touching the host's setting. The probe runs in a
subprocess started with ``ip netns exec`` (as root, or as ``nobody`` through ``setpriv``) and
prints its results as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from ward_icmp.channel import WIDEN_COMMAND

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None, reason="network namespaces need root and iproute2"
)

SILENT = "10.254.0"
UNREACHABLE = "198.19.254"
BLACKHOLE = "198.19.253"
PROHIBIT = "198.19.252"
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")

PROBE_SCRIPT = """
import json, logging, sys, time
from ward_core.types import DeviceTarget, ProbeOptions
from ward_icmp.probe import ward_probe_run

logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
spec = json.loads(sys.argv[1])
devices = [DeviceTarget(name=name, host=host, platform="linux") for name, host in spec["devices"]]
options = ProbeOptions(count=spec["count"], timeout=spec["timeout"], params=spec["params"])
runs = []
for _ in range(spec["batches"]):
    started = time.monotonic()
    batch = ward_probe_run(kind="icmp", devices=devices, options=options)
    elapsed = time.monotonic() - started
    results = {r.device: {"ok": r.ok, "values": r.values(), "exception": r.exception} for r in batch.results}
    runs.append({"elapsed": elapsed, "results": results})
print(json.dumps(runs))
"""

CHANNEL_SCRIPT = """
import json, socket
from ward_core.types import ProbeOptions
from ward_icmp.channel import open_channel
from ward_icmp.settings import SweepSettings
from ward_icmp.sweep import sweep

channel = open_channel(socket.AF_INET, 0, privileged=False)
channel.sock.bind(("0.0.0.0", 0))
kernel_identifier = channel.sock.getsockname()[1]
channel.identifier = (kernel_identifier + 1) & 0xFFFF
hosts = [f"127.70.0.{i}" for i in range(1, 101)]
settings = SweepSettings.from_options(ProbeOptions(count=3, params={"interval": 0.01}))
stats = sweep({socket.AF_INET: channel}, {socket.AF_INET: hosts}, settings)
print(json.dumps({
    "mode": channel.mode,
    "sent_identifier": channel.identifier,
    "kernel_identifier": kernel_identifier,
    "received": sum(s.received for s in stats.values()),
}))
"""


@dataclass
class ProbeRun:
    """One batch's outcome as the subprocess reported it."""

    elapsed: float
    results: dict[str, dict[str, Any]]

    def values(self, device: str) -> dict[str, float]:
        result = self.results[device]
        assert result["ok"], f"{device}: {result['exception']}"
        values: dict[str, float] = result["values"]
        return values


@dataclass
class Namespaces:
    probe: str
    sink: str

    def ip(self, *args: str) -> None:
        run("ip", *args)

    def sysctl(self, setting: str) -> None:
        run("ip", "netns", "exec", self.probe, "sysctl", "-qw", setting)

    def python(self, script: str, *args: str, user: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        command = ["ip", "netns", "exec", self.probe, *user, sys.executable, "-c", script, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def ping(
        self,
        devices: list[tuple[str, str]],
        *,
        count: int = 3,
        timeout: float = 1.0,
        batches: int = 1,
        user: tuple[str, ...] = (),
        **params: object,
    ) -> tuple[list[ProbeRun], str]:
        """Run ``batches`` batches of the probe inside ``probe``; the runs and the process's stderr."""
        spec = {"devices": devices, "count": count, "timeout": timeout, "params": params, "batches": batches}
        done = self.python(PROBE_SCRIPT, json.dumps(spec), user=user)
        assert done.returncode == 0, done.stderr
        runs = [ProbeRun(run["elapsed"], run["results"]) for run in json.loads(done.stdout)]
        return runs, done.stderr


def run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr}"


@pytest.fixture
def netns() -> Iterator[Namespaces]:
    tag = uuid.uuid4().hex[:8]
    ns = Namespaces(probe=f"ward-icmp-probe-{tag}", sink=f"ward-icmp-sink-{tag}")
    try:
        ns.ip("netns", "add", ns.probe)
        ns.ip("netns", "add", ns.sink)
        ns.ip("-n", ns.probe, "link", "set", "lo", "up")
        ns.ip(
            "-n",
            ns.probe,
            "link",
            "add",
            "to-sink",
            "type",
            "veth",
            "peer",
            "name",
            "to-probe",
            "netns",
            ns.sink,
        )
        ns.ip("-n", ns.probe, "addr", "add", "10.254.255.1/30", "dev", "to-sink")
        ns.ip("-n", ns.sink, "addr", "add", "10.254.255.2/30", "dev", "to-probe")
        ns.ip("-n", ns.probe, "link", "set", "to-sink", "up")
        ns.ip("-n", ns.sink, "link", "set", "to-probe", "up")
        ns.ip("-n", ns.probe, "route", "add", f"{SILENT}.0/24", "via", "10.254.255.2")
        ns.ip("-n", ns.probe, "route", "add", "unreachable", f"{UNREACHABLE}.0/24")
        ns.ip("-n", ns.probe, "route", "add", "blackhole", f"{BLACKHOLE}.0/24")
        ns.ip("-n", ns.probe, "route", "add", "prohibit", f"{PROHIBIT}.0/24")
        yield ns
    finally:
        for name in (ns.probe, ns.sink):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


def hosts(prefix: str, count: int, first: int = 1) -> list[tuple[str, str]]:
    return [(f"{prefix}.{i}", f"{prefix}.{i}") for i in range(first, first + count)]


# --------------------------------------------------------------------------- down is down


@pytest.mark.parametrize("prefix", [UNREACHABLE, BLACKHOLE, PROHIBIT])
def test_a_host_the_kernel_cannot_send_to_is_down_not_healthy(netns: Namespaces, prefix: str) -> None:
    devices = [*hosts(prefix, 3), ("loopback", "127.0.0.1")]
    (batch,), _ = netns.ping(devices, count=3, timeout=0.5, interval=0.01)
    for name, _ in hosts(prefix, 3):
        values = batch.values(name)
        assert values["ping.loss_pct"] == 100.0
        assert values["ping.sent"] == 3.0
        assert values["ping.received"] == 0.0
        assert "ping.rtt_avg_ms" not in values
    assert batch.values("loopback")["ping.loss_pct"] == 0.0


def test_dead_hosts_cost_one_timeout_window(netns: Namespaces) -> None:
    devices = [*hosts(SILENT, 50, first=10), ("loopback", "127.0.0.1")]
    (batch,), _ = netns.ping(devices, count=3, timeout=1.0, interval=0.05)
    for name, _ in hosts(SILENT, 50, first=10):
        assert batch.values(name)["ping.loss_pct"] == 100.0
    assert batch.values("loopback")["ping.loss_pct"] == 0.0
    # Rounds at 0, 0.05 and 0.1 s, then one 1 s window for the last replies: about 1.1 s,
    # where waiting out each echo in turn would cost 3 s.
    assert 1.0 <= batch.elapsed < 1.5, f"50 dead hosts x 3 echoes took {batch.elapsed:.2f} s"


def test_a_name_that_does_not_resolve_is_a_failed_result(netns: Namespaces) -> None:
    # The namespace has no route to any name server: resolution fails at once, no query leaves.
    (batch,), _ = netns.ping([("sw1", "sw1.ward-test.invalid"), ("lo", "127.0.0.1")], count=1)
    failed = batch.results["sw1"]
    assert not failed["ok"]
    assert failed["exception"].startswith("DeviceError: sw1 (icmp): cannot resolve host:")
    assert "'sw1.ward-test.invalid'" in failed["exception"]
    assert batch.values("lo")["ping.loss_pct"] == 0.0


# --------------------------------------------------------------------------- privileges


def test_datagram_socket_when_asked(netns: Namespaces) -> None:
    netns.sysctl("net.ipv4.ping_group_range=0 2147483647")
    devices = [*hosts("127.69.0", 200), ("v6", "::1"), *hosts(SILENT, 5, first=10)]
    (batch,), _ = netns.ping(devices, count=3, interval=0.01, timeout=0.5, privileged=False)
    for name, _ in hosts("127.69.0", 200):
        assert batch.values(name)["ping.loss_pct"] == 0.0
    assert batch.values("v6")["ping.received"] == 3.0
    for name, _ in hosts(SILENT, 5, first=10):
        assert batch.values(name)["ping.loss_pct"] == 100.0


def test_datagram_replies_are_matched_although_the_kernel_rewrote_the_identifier(netns: Namespaces) -> None:
    netns.sysctl("net.ipv4.ping_group_range=0 2147483647")
    done = netns.python(CHANNEL_SCRIPT)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["mode"] == "datagram"
    assert report["sent_identifier"] != report["kernel_identifier"]
    assert report["received"] == 300


def test_unprivileged_user_falls_back_to_a_datagram_socket(netns: Namespaces) -> None:
    netns.sysctl("net.ipv4.ping_group_range=0 2147483647")
    (batch,), stderr = netns.ping(hosts("127.69.1", 50), count=2, interval=0.01, user=NOBODY)
    assert all(batch.values(name)["ping.loss_pct"] == 0.0 for name, _ in hosts("127.69.1", 50))
    assert "cannot send ICMP" not in stderr


def test_no_icmp_permission_is_said_once_clearly(netns: Namespaces) -> None:
    netns.sysctl("net.ipv4.ping_group_range=1 0")
    devices = hosts("127.69.2", 20)
    runs, stderr = netns.ping(devices, count=1, batches=2, user=NOBODY)
    for run_ in runs:
        for name, _ in devices:
            result = run_.results[name]
            assert not result["ok"]
            assert "run ward as root" in result["exception"]
            assert WIDEN_COMMAND in result["exception"]
            assert 'net.ipv4.ping_group_range, which is "1 0"' in result["exception"]
    assert stderr.count("cannot send ICMP echo requests") == 1, stderr


def test_raw_socket_required_but_not_allowed(netns: Namespaces) -> None:
    netns.sysctl("net.ipv4.ping_group_range=0 2147483647")
    (batch,), _ = netns.ping(hosts("127.69.3", 2), count=1, privileged=True, user=NOBODY)
    for result in batch.results.values():
        assert not result["ok"]
        assert "a raw ICMP socket needs root or CAP_NET_RAW" in result["exception"]
        assert "datagram" not in result["exception"]


# --------------------------------------------------------------------------- matching

FORGE_SCRIPT = """
import json, socket, struct, threading, time
from ward_core.types import ProbeOptions
from ward_icmp.channel import open_channel
from ward_icmp.packets import ECHO_REPLY_V4, checksum, echo_request, payload_of
from ward_icmp.settings import SweepSettings
from ward_icmp.sweep import sweep

IDENTIFIER, NONCE = 0x5A5A, b"ward-tst"
payload = payload_of(56, NONCE)

def forged(source, identifier, sequence, data):
    icmp = echo_request(ECHO_REPLY_V4, identifier, sequence, data)
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0, 0, 64, socket.IPPROTO_ICMP, 0,
                         socket.inet_aton(source), socket.inet_aton("10.254.255.1"))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + icmp

def forge():
    time.sleep(0.2)
    sender = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    replies = [
        forged("10.254.0.10", IDENTIFIER ^ 1, 0, payload),    # another sweep's identifier
        forged("10.254.0.11", IDENTIFIER, 0, b"x" * 56),      # another sweep's payload
        forged("10.254.0.12", IDENTIFIER, 7, payload),        # a sequence number never sent
        forged("10.254.0.99", IDENTIFIER, 0, payload),        # an address not in the sweep
        forged("10.254.0.13", IDENTIFIER, 0, payload),        # a true reply...
        forged("10.254.0.13", IDENTIFIER, 0, payload),        # ...and its duplicate
    ]
    for packet in replies:
        sender.sendto(packet, ("10.254.255.1", 0))

channel = open_channel(socket.AF_INET, IDENTIFIER, privileged=True)
hosts = ["10.254.0.10", "10.254.0.11", "10.254.0.12", "10.254.0.13"]
settings = SweepSettings.from_options(ProbeOptions(count=1, timeout=1.0))
forger = threading.Thread(target=forge)
forger.start()
stats = sweep({socket.AF_INET: channel}, {socket.AF_INET: hosts}, settings, nonce=NONCE)
forger.join()
print(json.dumps({host: s.received for host, s in stats.items()}))
"""


def test_only_replies_to_this_sweep_count(netns: Namespaces) -> None:
    """Forged replies from silent hosts: only one with our identifier, sequence and payload counts."""
    done = netns.python(FORGE_SCRIPT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"10.254.0.10": 0, "10.254.0.11": 0, "10.254.0.12": 0, "10.254.0.13": 1}
