"""ICMP sweep: ward's ``icmp`` probe against fping on the same addresses, in the same run.

    .venv/bin/python bench/icmp_sweep.py [--hosts 10000] [--count 3] [--repeat 3] [--dead 100]

1. Live hosts: ``--hosts`` loopback addresses from 127.60.0.0/18 (Linux answers them all), ``--count``
   echoes each, through ward's plugin manager (resolution, sockets, sweep, metrics: the whole probe)
   and through ``fping -q -C COUNT -i 0 -p 20 -t 500`` (ward with the same per-host period,
   ``interval`` 0.02 s, and timeout 0.5 s). Runs alternate ``--repeat`` times; the medians are
   compared. Goal: ward within 2x of fping's wall time, with 0% loss.
2. Dead hosts (root only): ``--dead`` addresses routed from a network namespace of the bench's own
   into a second one that drops everything, probed from inside the first with timeout 1 s and
   ``--count`` echoes. Goal: one timeout window, i.e. wall time / timeout close to 1 (rounds 0.02 s
   apart add (count - 1) x 0.02 s), where probing each echo in turn would cost count x timeout.

Needs a raw ICMP socket (root) or a datagram one (``net.ipv4.ping_group_range``), and fping
(``apt-get install fping``).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import NamedTuple

LIVE_NETWORK = "127.60.0.0/18"
DEAD_PREFIX = "10.254.0.0/24"
PERIOD_S = 0.02
LIVE_TIMEOUT_S = 0.5
DEAD_TIMEOUT_S = 1.0


class Run(NamedTuple):
    """One sweep: wall and CPU seconds (user + system), echoes sent and received."""

    wall: float
    cpu: float
    sent: int
    received: int

    @property
    def loss_pct(self) -> float:
        return 100.0 * (self.sent - self.received) / self.sent if self.sent else 100.0


def ward_sweep(hosts: list[str], count: int, timeout: float, *, manager: bool = False) -> Run:
    """Wall seconds of one ward probe run over ``hosts``; echoes sent and received.

    Times the plugin's ``ward_probe_run`` hook as ward calls it; with ``manager``, the whole
    ``WardPlugins.run_probe`` (the hook plus ward's checks of the batch and of the results).
    """
    import ward_icmp.plugin

    from ward_core.testing import isolated_plugins
    from ward_core.types import DeviceTarget, ProbeBatchResult, ProbeOptions

    devices = [DeviceTarget(name=f"h{i}", host=host, platform="linux") for i, host in enumerate(hosts)]
    options = ProbeOptions(count=count, timeout=timeout, params={"interval": PERIOD_S})
    with isolated_plugins(ward_icmp.plugin, name="icmp") as plugins:
        cpu = _cpu(resource.RUSAGE_SELF)
        started = time.perf_counter()
        if manager:
            batch = plugins.run_probe("icmp", devices, options)
        else:
            batch = plugins.manager.hook.ward_probe_run(kind="icmp", devices=devices, options=options)
        elapsed = time.perf_counter() - started
        cpu = _cpu(resource.RUSAGE_SELF) - cpu
    assert isinstance(batch, ProbeBatchResult)
    if batch.failed:
        raise SystemExit(f"ward could not probe: {batch.failed[0].exception}")
    sent = sum(int(r.values()["ping.sent"]) for r in batch.results)
    received = sum(int(r.values()["ping.received"]) for r in batch.results)
    return Run(elapsed, cpu, sent, received)


def fping_sweep(host_file: Path, count: int, timeout: float) -> Run:
    """Wall seconds of one fping run over the addresses in ``host_file``; echoes sent and received."""
    command = ["fping", "-q", "-C", str(count), "-i", "0", "-p", str(int(PERIOD_S * 1000))]
    command += ["-t", str(int(timeout * 1000)), "-f", str(host_file)]
    cpu = _cpu(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    cpu = _cpu(resource.RUSAGE_CHILDREN) - cpu
    lines = [line for line in done.stderr.splitlines() if " : " in line]
    if not lines:
        raise SystemExit(f"fping printed no results (exit {done.returncode}): {done.stderr[:500]}")
    replies = [value for line in lines for value in line.split(" : ", 1)[1].split()]
    return Run(elapsed, cpu, len(replies), sum(1 for value in replies if value != "-"))


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def live(hosts_wanted: int, count: int, repeat: int) -> None:
    network = ipaddress.ip_network(LIVE_NETWORK)
    hosts = [str(address) for address, _ in zip(network.hosts(), range(hosts_wanted), strict=False)]
    with tempfile.TemporaryDirectory(prefix="ward-bench-icmp-") as folder:
        host_file = Path(folder) / "hosts"
        host_file.write_text("\n".join(hosts) + "\n", encoding="ascii")
        ward_runs: list[Run] = []
        fping_runs: list[Run] = []
        for _ in range(repeat):
            ward_runs.append(ward_sweep(hosts, count, LIVE_TIMEOUT_S))
            fping_runs.append(fping_sweep(host_file, count, LIVE_TIMEOUT_S))
    print(f"live: {len(hosts)} loopback addresses x {count} echoes, timeout {LIVE_TIMEOUT_S:g} s")
    for name, runs in (("ward icmp", ward_runs), ("fping", fping_runs)):
        walls = ", ".join(f"{r.wall:.3f}" for r in runs)
        print(
            f"  {name:<10} wall median {statistics.median(r.wall for r in runs):.3f} s (runs: {walls}),"
            f" CPU median {statistics.median(r.cpu for r in runs):.3f} s,"
            f" worst loss {max(r.loss_pct for r in runs):.2f}%"
        )
    ratio = statistics.median(r.wall for r in ward_runs) / statistics.median(r.wall for r in fping_runs)
    cpu_ratio = statistics.median(r.cpu for r in ward_runs) / statistics.median(r.cpu for r in fping_runs)
    lossless = all(r.loss_pct == 0.0 for r in ward_runs)
    verdict = "met" if ratio <= 2.0 and lossless else "MISSED"
    print(f"  ratio ward / fping: wall {ratio:.2f}x, CPU {cpu_ratio:.2f}x")
    print(f"  goal: wall within 2x of fping, 0% loss: {verdict}")
    through = ward_sweep(hosts, count, LIVE_TIMEOUT_S, manager=True)
    print(
        f"  once more through WardPlugins.run_probe: {through.wall:.3f} s, loss {through.loss_pct:.2f}%"
        " (the hook plus ward's own checks of the batch)"
    )


def dead(dead_hosts: int, count: int) -> None:
    """Build a probe namespace routing DEAD_PREFIX into a sink that drops it; measure from inside."""
    if os.geteuid() != 0:
        print("dead: skipped (network namespaces need root)")
        return
    tag = uuid.uuid4().hex[:8]
    probe, sink = f"ward-bench-probe-{tag}", f"ward-bench-sink-{tag}"
    setup = [
        ["netns", "add", probe],
        ["netns", "add", sink],
        ["-n", probe, "link", "set", "lo", "up"],
        ["-n", probe, "link", "add", "to-sink", "type", "veth", "peer", "name", "to-probe", "netns", sink],
        ["-n", probe, "addr", "add", "10.254.255.1/30", "dev", "to-sink"],
        ["-n", sink, "addr", "add", "10.254.255.2/30", "dev", "to-probe"],
        ["-n", probe, "link", "set", "to-sink", "up"],
        ["-n", sink, "link", "set", "to-probe", "up"],
        ["-n", probe, "route", "add", DEAD_PREFIX, "via", "10.254.255.2"],
    ]
    try:
        for args in setup:
            subprocess.run(["ip", *args], check=True, capture_output=True)
        hosts = [
            str(a) for a, _ in zip(ipaddress.ip_network(DEAD_PREFIX).hosts(), range(dead_hosts), strict=False)
        ]
        inner = [sys.executable, __file__, "--inner-dead", json.dumps({"hosts": hosts, "count": count})]
        done = subprocess.run(
            ["ip", "netns", "exec", probe, *inner], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"dead-host run failed:\n{done.stdout}\n{done.stderr}")
        result = json.loads(done.stdout)
    finally:
        for name in (probe, sink):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
    print(f"dead: {len(hosts)} silent hosts x {count} echoes, timeout {DEAD_TIMEOUT_S:g} s")
    runs = {name: Run(*values) for name, values in result.items()}
    for name, run in runs.items():
        ratio = run.wall / DEAD_TIMEOUT_S
        print(f"  {name:<10} {run.wall:.3f} s = {ratio:.2f} x timeout (loss {run.loss_pct:.0f}%)")
    ratio = runs["ward"].wall / DEAD_TIMEOUT_S
    window = DEAD_TIMEOUT_S + (count - 1) * PERIOD_S
    verdict = "met" if runs["ward"].wall < window + 0.25 else "MISSED"
    print(f"  ward wall / timeout: {ratio:.2f}  (goal: one window, {window:.2f} s: {verdict})")


def inner_dead(spec: str) -> None:
    """Inside the probe namespace: time ward and fping over the silent hosts, print JSON."""
    parsed = json.loads(spec)
    hosts, count = parsed["hosts"], parsed["count"]
    with tempfile.TemporaryDirectory(prefix="ward-bench-icmp-") as folder:
        host_file = Path(folder) / "hosts"
        host_file.write_text("\n".join(hosts) + "\n", encoding="ascii")
        result = {
            "ward": ward_sweep(hosts, count, DEAD_TIMEOUT_S),
            "fping": fping_sweep(host_file, count, DEAD_TIMEOUT_S),
        }
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dead", type=int, default=100)
    parser.add_argument("--inner-dead", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner_dead:
        inner_dead(args.inner_dead)
        return
    if shutil.which("fping") is None:
        raise SystemExit("fping is missing: apt-get install fping")
    live(args.hosts, args.count, args.repeat)
    dead(args.dead, args.count)


if __name__ == "__main__":
    main()
