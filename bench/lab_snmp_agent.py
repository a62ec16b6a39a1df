"""How fast the lab's SNMP agents answer, and what they cost: start time, memory, CPU per poll.

The agents run in a child process (so their CPU is measured apart from the poller's) on a lab
built by ``build_network``; this process polls every device with gufo-snmp, one session per
device, ``--concurrency`` devices at a time. Workloads, each over ``--rounds`` rounds:

  baseline   GET sysUpTime.0                                     (one request per poll)
  ifx-v2c    GETBULK of 6 ifXTable columns, v2c                  (one walk per column)
  ifx-v3     the same over SNMPv3 authPriv (SHA + AES-128)

Printed per workload: polls/s, agent CPU ms per poll, requests per poll, and the ratios to the
baseline measured in the same run (absolute figures depend on the machine; ratios much less).

    .venv/bin/python bench/lab_snmp_agent.py --devices 200
    .venv/bin/python bench/lab_snmp_agent.py --devices 1000 --rounds 1
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from gufo.snmp import Aes128Key, Sha1Key, User
from gufo.snmp.aio import SnmpSession

from ward_core.lab.snmp import SnmpAgentPool, SnmpCredentials
from ward_core.lab.snmp.background import free_udp_port
from ward_core.lab.topology import build_network

FIRST_ADDRESS = "127.60.0.1"
IF_X_COLUMNS = ("1", "6", "7", "10", "11", "15")
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
CREDENTIALS = SnmpCredentials()


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def serve(devices: int, port: int) -> None:
    """Child process: start the agents, report, then answer ``stats`` lines until stdin closes."""
    rss_before = rss_mib()
    started = time.perf_counter()
    network = build_network(devices, seed=1, first_address=ipaddress.IPv4Address(FIRST_ADDRESS))
    built = time.perf_counter()
    rss_network = rss_mib()
    pool = SnmpAgentPool()
    await pool.start(network, bind_port=port, credentials=CREDENTIALS)
    ready = time.perf_counter()
    report = {
        "addresses": [d.address for d in network],
        "build_s": built - started,
        "bind_s": ready - built,
        "rss_start_mib": rss_before,
        "rss_network_mib": rss_network,
        "rss_agents_mib": rss_mib(),
    }
    print(json.dumps(report), flush=True)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def on_line() -> None:
        line = sys.stdin.readline()
        if not line:
            done.set()
            return
        stats = pool.stats
        reply = {"cpu_s": time.process_time(), "received": stats.received, "answered": stats.answered}
        print(json.dumps(reply), flush=True)

    loop.add_reader(sys.stdin.fileno(), on_line)
    await done.wait()
    await pool.close()


class Agents:
    """The child process running the agents."""

    def __init__(self, devices: int, port: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--devices", str(devices), "--port", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.report = json.loads(self.process.stdout.readline())

    def stats(self) -> dict[str, float]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return dict(json.loads(self.process.stdout.readline()))

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(30)


Poll = Callable[[SnmpSession], Awaitable[int]]


async def poll_uptime(session: SnmpSession) -> int:
    await session.get(SYS_UPTIME)
    return 1


async def poll_if_x(session: SnmpSession) -> int:
    values = 0
    for column in IF_X_COLUMNS:
        async for _ in session.getbulk(f"1.3.6.1.2.1.31.1.1.1.{column}", max_repetitions=25):
            values += 1
    return values


async def run_workload(
    agents: Agents, port: int, v3: bool, poll: Poll, rounds: int, concurrency: int
) -> tuple[float, float, float, float]:
    """Poll every device ``rounds`` times after opening (and for v3 discovering) every session.

    Returns polls/s, agent CPU ms per poll, agent requests per poll and values per poll.
    """
    user = User(
        CREDENTIALS.v3_user,
        auth_key=Sha1Key(CREDENTIALS.auth_password.encode()),
        priv_key=Aes128Key(CREDENTIALS.priv_password.encode()),
    )
    addresses = agents.report["addresses"]
    sessions = [
        SnmpSession(a, port, user=user, timeout=5)
        if v3
        else SnmpSession(a, port, community=CREDENTIALS.community, timeout=5)
        for a in addresses
    ]
    for session in sessions:
        await session.refresh()
    gate = asyncio.Semaphore(concurrency)
    values = 0

    async def one(session: SnmpSession) -> None:
        nonlocal values
        async with gate:
            got = await poll(session)
        values += got

    before = agents.stats()
    start = time.perf_counter()
    for _ in range(rounds):
        await asyncio.gather(*(one(s) for s in sessions))
    wall = time.perf_counter() - start
    after = agents.stats()
    polls = rounds * len(sessions)
    return (
        polls / wall,
        (after["cpu_s"] - before["cpu_s"]) * 1000 / polls,
        (after["received"] - before["received"]) / polls,
        values / polls,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.devices, args.port))
        return
    port = args.port or free_udp_port(FIRST_ADDRESS)
    agents = Agents(args.devices, port)
    report = agents.report
    print(
        f"{args.devices} devices: network built in {report['build_s']:.2f} s, "
        f"{args.devices} UDP agents bound in {report['bind_s']:.2f} s"
    )
    print(
        f"agent process RSS: {report['rss_start_mib']:.0f} MiB at start, {report['rss_network_mib']:.0f} MiB "
        f"with the network, {report['rss_agents_mib']:.0f} MiB with the agents "
        f"({(report['rss_agents_mib'] - report['rss_network_mib']) * 1024 / args.devices:.1f} KiB per agent)"
    )
    workloads: list[tuple[str, bool, Poll]] = [
        ("baseline GET sysUpTime", False, poll_uptime),
        ("ifXTable 6 cols v2c", False, poll_if_x),
        ("ifXTable 6 cols v3", True, poll_if_x),
    ]
    results = []
    try:
        for name, v3, poll in workloads:
            measured = asyncio.run(run_workload(agents, port, v3, poll, args.rounds, args.concurrency))
            results.append((name, *measured))
    finally:
        agents.close()
    base_rate, base_cpu = results[0][1], results[0][2]
    print(
        f"\n{'workload':26} {'polls/s':>9} {'agent ms/poll':>14} {'req/poll':>9} {'values':>7}"
        f" {'rate vs base':>13} {'cpu vs base':>12}"
    )
    for name, rate, cpu_ms, requests, values in results:
        print(
            f"{name:26} {rate:9.0f} {cpu_ms:14.3f} {requests:9.1f} {values:7.0f}"
            f" {rate / base_rate:12.2f}x {cpu_ms / base_cpu:11.1f}x"
        )


if __name__ == "__main__":
    main()
