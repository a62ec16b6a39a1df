"""Real LLDP peers: Debian's lldpd in network namespaces joined by veth pairs, each with net-snmp's
snmpd as AgentX master serving LLDP-MIB, and ward discovering them over SNMP as it would real
switches. lldpd advertises port IDs as MAC addresses (and the interface name as description),
so ward must map them through each device's lldpLocPortTable.

Run twice: LLDP only, and LLDP with CDP (``-cc``; one peer with LLDP disabled, ``-ll``, so it
speaks CDP only). lldpd's AgentX subagent serves LLDP-MIB only: there is no CISCO-CDP-MIB on these
agents (``1.3.6.1.4.1.9.9.23`` is noSuchObject), and the neighbours lldpd learned over CDP appear
in lldpRemTable instead (chassis ID subtype local = the CDP device ID, port ID subtype
interfaceName = the CDP port). Ward reads them there, as ``lldp`` records since that is the MIB they
come from, and still finds exactly the wired links, the CDP-only peer's included.

Needs root (namespaces), ``ip``, ``lldpd``, ``lldpcli`` and ``snmpd``; skipped otherwise.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml
from sqlalchemy import Engine

from ward_core.db import session_scope
from ward_core.inventory import import_inventory
from ward_core.topology import discover_batch
from ward_core.topology.store import load_snapshot
from ward_core.types import Link

if TYPE_CHECKING:
    from conftest import TopologyPlugins

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(tool) for tool in ("ip", "lldpd", "lldpcli", "snmpd")),
    reason="needs root, iproute2, lldpd and snmpd",
)

DEVICES = 4
WIRING = ((1, 2), (2, 3), (3, 4), (1, 3))
"""Which namespaces are cabled together (one veth pair each); 1-3 closes a loop, as real rings do."""
COMMUNITY = "ward-peers"
CDP_ONLY_PEER = 3


@dataclass
class Peers:
    """The running namespaces: device names, management addresses, and the daemons started."""

    folder: Path
    prefix: str
    subnet: int
    processes: list[subprocess.Popen[bytes]]
    mode: str = "lldp"

    def protocol_flags(self, i: int) -> tuple[str, ...]:
        """lldpd's protocol flags for peer ``i``: none (LLDP only), or in ``lldp+cdp`` mode CDPv1
        sent always (``-cc``) and, for :data:`CDP_ONLY_PEER`, LLDP disabled (``-ll``)."""
        if self.mode == "lldp":
            return ()
        return ("-cc", "-ll") if i == CDP_ONLY_PEER else ("-cc",)

    def namespace(self, i: int) -> str:
        return f"{self.prefix}-{i}"

    def address(self, i: int) -> str:
        return f"198.19.{self.subnet}.{4 * i + 2}"

    def name(self, i: int) -> str:
        return f"peer-{i}"

    def run(self, *args: str, ns: int | None = None) -> str:
        command = ["ip", "netns", "exec", self.namespace(ns), *args] if ns else list(args)
        done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30)
        return done.stdout

    def start(self, ns: int, *args: str, log: str) -> None:
        with (self.folder / log).open("wb") as out:
            self.processes.append(
                subprocess.Popen(["ip", "netns", "exec", self.namespace(ns), *args], stdout=out, stderr=out)
            )


def _neighbour_count(peers: Peers, i: int) -> int:
    output = peers.run(
        "lldpcli", "-u", str(peers.folder / f"lldpd-{i}.sock"), "-f", "keyvalue", "show", "neighbors", ns=i
    )
    return len({line.split(".")[1] for line in output.splitlines() if line.startswith("lldp.")})


@pytest.fixture(params=["lldp", "lldp+cdp"])
def peers(request: pytest.FixtureRequest) -> Iterator[Peers]:
    # lldpd drops privileges to _lldpd: its sockets must live where that user can reach them.
    tmp_path = Path(tempfile.mkdtemp(prefix="ward-lldpd-"))
    tmp_path.chmod(0o755)
    prefix = f"wtopo{random.randrange(10_000, 99_999)}"
    running = Peers(
        folder=tmp_path, prefix=prefix, subnet=random.randrange(0, 250), processes=[], mode=request.param
    )
    try:
        for i in range(1, DEVICES + 1):
            ns = running.namespace(i)
            running.run("ip", "netns", "add", ns)
            running.run("ip", "link", "set", "lo", "up", ns=i)
            root_side = f"{prefix[-5:]}m{i}"
            running.run("ip", "link", "add", root_side, "type", "veth", "peer", "name", "mgmt0", "netns", ns)
            running.run("ip", "addr", "add", f"198.19.{running.subnet}.{4 * i + 1}/30", "dev", root_side)
            running.run("ip", "link", "set", root_side, "up")
            running.run("ip", "addr", "add", f"{running.address(i)}/30", "dev", "mgmt0", ns=i)
            running.run("ip", "link", "set", "mgmt0", "up", ns=i)
        for a, b in WIRING:
            running.run(
                "ip",
                "link",
                "add",
                f"lk{a}{b}",
                "netns",
                running.namespace(a),
                "type",
                "veth",
                "peer",
                "name",
                f"lk{b}{a}",
                "netns",
                running.namespace(b),
            )
            running.run("ip", "link", "set", f"lk{a}{b}", "up", ns=a)
            running.run("ip", "link", "set", f"lk{b}{a}", "up", ns=b)
        for i in range(1, DEVICES + 1):
            agentx = tmp_path / f"agentx-{i}"
            state = tmp_path / f"snmp-{i}"
            state.mkdir()
            (tmp_path / f"snmpd-{i}.conf").write_text(
                f"agentAddress udp:{running.address(i)}:161\nmaster agentx\nagentXSocket {agentx}\n"
                f"agentXPerms 0777 0755\nrocommunity {COMMUNITY} default\ndontLogTCPWrappersConnects yes\n"
                f"persistentDir {state}\n",
                encoding="utf-8",
            )
            running.start(
                i, "snmpd", "-f", "-Lo", "-C", "-c", str(tmp_path / f"snmpd-{i}.conf"), log=f"snmpd-{i}.log"
            )
        deadline = time.monotonic() + 15
        while not all((tmp_path / f"agentx-{i}").exists() for i in range(1, DEVICES + 1)):
            assert time.monotonic() < deadline, "snmpd did not open its AgentX sockets"
            time.sleep(0.1)
        for i in range(1, DEVICES + 1):
            config = tmp_path / f"lldpd-{i}.conf"
            config.write_text(f"configure system hostname {running.name(i)}\n", encoding="utf-8")
            running.start(
                i,
                "lldpd",
                "-d",
                *running.protocol_flags(i),
                "-u",
                str(tmp_path / f"lldpd-{i}.sock"),
                "-x",
                "-X",
                str(tmp_path / f"agentx-{i}"),
                "-I",
                "lk*",
                "-m",
                running.address(i),
                "-O",
                str(config),
                log=f"lldpd-{i}.log",
            )
        time.sleep(1.0)
        expected = {i: sum(1 for pair in WIRING if i in pair) for i in range(1, DEVICES + 1)}
        deadline = time.monotonic() + 40
        while True:
            for i in range(1, DEVICES + 1):
                subprocess.run(
                    [
                        "ip",
                        "netns",
                        "exec",
                        running.namespace(i),
                        "lldpcli",
                        "-u",
                        str(tmp_path / f"lldpd-{i}.sock"),
                        "update",
                    ],
                    capture_output=True,
                    timeout=10,
                    check=False,
                )
            seen = {i: _neighbour_count(running, i) for i in expected}
            if seen == expected:
                break
            assert time.monotonic() < deadline, f"lldpd neighbours {seen}, wanted {expected}"
            time.sleep(1.0)
        yield running
    finally:
        for process in running.processes:
            process.terminate()
        for process in running.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for i in range(1, DEVICES + 1):
            subprocess.run(["ip", "netns", "del", running.namespace(i)], capture_output=True, check=False)
        shutil.rmtree(tmp_path, ignore_errors=True)


def test_snmp_discovery_of_lldpd_peers_finds_exactly_the_wired_links(
    peers: Peers, engine: Engine, db_url: str, tmp_path: Path, topology_plugins: TopologyPlugins
) -> None:
    secrets = tmp_path / "secrets.yml"
    secrets.write_text(yaml.safe_dump({"peers-snmp": {"community": COMMUNITY}}), encoding="utf-8")
    inventory = tmp_path / "peers.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "sites": [{"name": "peers", "region": "lab"}],
                "credentials": [{"name": "peers-snmp", "description": "snmpd in each namespace"}],
                "devices": [
                    {
                        "name": peers.name(i),
                        "host": peers.address(i),
                        "platform": "linux",
                        "site": "peers",
                        "snmp": {"version": "2c", "credentials": "peers-snmp", "port": 161},
                    }
                    for i in range(1, DEVICES + 1)
                ],
            }
        ),
        encoding="utf-8",
    )
    with session_scope(engine) as session:
        import_inventory(inventory, session)
    from ward_core.config import Settings

    settings = Settings(
        database_url=db_url, secrets_file=secrets, blocked_plugins=[], topology_timeout_s=10.0
    )
    with topology_plugins(settings) as plugins:
        outcome = discover_batch(
            engine=engine,
            plugins=plugins,
            settings=settings,
            device_names=[peers.name(i) for i in range(1, DEVICES + 1)],
            transport="snmp",
        )
    assert outcome.failures == ()
    with session_scope(engine) as session:
        snapshot = load_snapshot(session, outcome.snapshot_id)
    assert snapshot is not None
    wired = {Link.between(peers.name(a), f"lk{a}{b}", peers.name(b), f"lk{b}{a}") for a, b in WIRING}
    assert snapshot.link_set() == wired
    assert {info.kind for info in snapshot.links} == {"two_sided"}
    assert snapshot.unmatched() == ()
    records = [e for e in snapshot.explanations if e.protocol == "lldp"]
    assert len(records) == 2 * len(WIRING) == len(snapshot.explanations)
    if peers.mode == "lldp":
        assert all("advertised_port_id" in e.detail for e in records)
        return
    socket = str(peers.folder / f"lldpd-{CDP_ONLY_PEER}.sock")
    learned = peers.run("lldpcli", "-u", socket, "show", "neighbors", ns=CDP_ONLY_PEER)
    assert learned.count("via: CDPv1") == sum(1 for pair in WIRING if CDP_ONLY_PEER in pair)
    assert "via: LLDP" not in learned
    cdp_mib = peers.run("snmpwalk", "-v2c", "-c", COMMUNITY, "-On", peers.address(1), "1.3.6.1.4.1.9.9.23")
    assert "No Such Object" in cdp_mib
