"""The lab process: every simulated device, its SSH and SNMP front ends and the control channel.

Started by ``ward lab up`` as ``python -m ward_core.lab.daemon SPEC`` (inside the lab namespace when
``--netns``). It writes ``state.json`` once every socket is bound: that file is the signal that the
lab is ready, and what ``ward lab inventory`` reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

from ward_core.lab import netns
from ward_core.lab.control import serve
from ward_core.lab.credentials import LabCredentials
from ward_core.lab.faults import FaultInjector
from ward_core.lab.icmp_responder import IcmpResponder
from ward_core.lab.ios.server import SshDevicePool
from ward_core.lab.model import Device, LabNetwork
from ward_core.lab.snmp import SnmpAgentPool
from ward_core.lab.spec import LabPaths, LabSpec
from ward_core.lab.topology import build_network, load_topology

log = logging.getLogger("ward.lab")


def build(spec: LabSpec) -> LabNetwork:
    """The network the spec describes."""
    first = ipaddress.IPv4Address(spec.first_address)
    if spec.topology:
        return load_topology(Path(spec.topology), seed=spec.seed, first_address=first)
    return build_network(spec.devices, spec.sites, seed=spec.seed, first_address=first)


def rss_bytes() -> int:
    """Resident memory of this process."""
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def device_faults(device: Device) -> dict[str, Any]:
    """The faults currently set on a device (empty when healthy)."""
    faults: dict[str, Any] = {}
    if not device.reachable:
        faults["down"] = True
    if device.auth_fail:
        faults["auth_fail"] = True
    if device.reply_delay_ms:
        faults["slow_ms"] = device.reply_delay_ms
    if device.packet_loss_pct:
        faults["packet_loss_pct"] = device.packet_loss_pct
    if device.extra_config:
        faults["config_drift"] = list(device.extra_config)
    return faults


def device_view(network: LabNetwork, device: Device) -> dict[str, Any]:
    """A device's live state, as the control channel reports it."""
    return {
        "name": device.name,
        "hostname": device.hostname,
        "address": device.address,
        "uptime_s": network.uptime_ticks(device) / 100,
        "faults": device_faults(device),
        "neighbour_protocols": sorted(device.neighbour_protocols),
        "interfaces": [
            {
                "name": iface.name,
                "admin_up": iface.admin_up,
                "oper_up": iface.oper_up,
                "description": iface.description,
                "peer": list(iface.peer) if iface.peer else None,
            }
            for iface in device.by_index()
        ],
        "neighbours": [
            {"local": n.local_interface.name, "device": n.remote.name, "remote": n.remote_interface.name}
            for n in network.neighbours(device)
        ],
    }


class LabRuntime:
    """Owns the network and its front ends for the life of the lab process."""

    def __init__(self, spec: LabSpec, paths: LabPaths, credentials: LabCredentials | None = None) -> None:
        self.spec = spec
        self.paths = paths
        self.credentials = credentials or LabCredentials()
        self.network = build(spec)
        self.icmp = IcmpResponder(self.network) if spec.netns else None
        self.faults = FaultInjector(self.network, icmp_available=self.icmp is not None)
        self.ssh = SshDevicePool()
        self.snmp = SnmpAgentPool()
        self.stopping = asyncio.Event()
        self.started = time.time()

    async def run(self) -> None:
        """Bind everything, announce readiness, serve until asked to stop, then release it all."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stopping.set)
        control = None
        try:
            await self.ssh.start(
                self.network,
                bind_port=self.spec.ssh_port,
                credentials=self.credentials,
                host_key_path=self.paths.host_key,
            )
            await self.snmp.start(self.network, bind_port=self.spec.snmp_port, credentials=self.credentials)
            if self.icmp is not None:
                self.icmp.start()
            control = await serve(self.paths.control, self.handle)
            self._write_state()
            log.info("lab ready: %d devices, rss %.0f MiB", len(self.network), rss_bytes() / 2**20)
            await self.stopping.wait()
        finally:
            log.info("lab stopping")
            if control is not None:
                control.close()
                await control.wait_closed()
            if self.icmp is not None:
                self.icmp.close()
            await self.snmp.close()
            await self.ssh.close()
            for path in (self.paths.state, self.paths.control):
                path.unlink(missing_ok=True)

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request["op"]
        if op == "status":
            return {"ok": True, "status": self.status()}
        if op == "fault":
            outcome = self.faults.apply(request["device"], request["kind"], request.get("argument"))
            return {"ok": True, "message": outcome.message, "icmp_note": outcome.icmp_note}
        if op == "device":
            return {"ok": True, "device": device_view(self.network, self.network.device(request["name"]))}
        if op == "shutdown":
            asyncio.get_running_loop().call_soon(self.stopping.set)
            return {"ok": True}
        return {"ok": False, "error": f"unknown operation {op!r}"}

    def status(self) -> dict[str, Any]:
        faulty = {d.name: f for d in self.network if (f := device_faults(d))}
        return {
            "pid": os.getpid(),
            "devices": len(self.network),
            "sites": len(self.network.sites),
            "uptime_s": round(time.time() - self.started, 1),
            "rss_bytes": rss_bytes(),
            "ssh_port": self.spec.ssh_port,
            "snmp_port": self.spec.snmp_port,
            "netns": netns.LabNamespace.for_lab(self.paths.root).name if self.spec.netns else None,
            "icmp_faults": self.icmp is not None,
            "icmp_answered": self.icmp.answered if self.icmp else None,
            "faults": faulty,
        }

    def _write_state(self) -> None:
        state = {
            "pid": os.getpid(),
            "started_at": self.started,
            "spec": json.loads(self.spec.to_json()),
            "sites": {site.name: site.region for site in self.network.sites.values()},
            "devices": [
                {
                    "name": d.name,
                    "address": d.address,
                    "site": d.site,
                    "region": d.region,
                    "role": d.role,
                    "platform": d.platform,
                    "model": d.model,
                    "serial": d.serial,
                }
                for d in self.network
            ],
        }
        temporary = self.paths.state.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=1), encoding="utf-8")
        temporary.replace(self.paths.state)


def main(spec_path: Path) -> None:
    """Entry point of the lab process."""
    paths = LabPaths(spec_path.parent)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    spec = LabSpec.from_json(spec_path.read_text(encoding="utf-8"))
    paths.pid.write_text(str(os.getpid()), encoding="utf-8")
    try:
        asyncio.run(LabRuntime(spec, paths).run())
    finally:
        with contextlib.suppress(FileNotFoundError):
            if paths.pid.read_text(encoding="utf-8").strip() == str(os.getpid()):
                paths.pid.unlink()
