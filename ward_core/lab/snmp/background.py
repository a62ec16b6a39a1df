"""The SNMP agents of a network, served from a thread of their own.

For code that blocks (a test running ``snmpwalk``, a script polling with a synchronous client)
and still wants agents in the same process::

    with BackgroundAgents(network) as agents:
        subprocess.run(["snmpget", "-v2c", "-c", "ward-lab", f"{address}:{agents.port}", ...])
        agents.call(lambda: network.set_admin(device, iface, False))

Model changes go through ``call`` so that they happen on the agents' loop, between requests.
"""

from __future__ import annotations

import socket

from ward_core.errors import LabError
from ward_core.lab.background import BackgroundService, free_port
from ward_core.lab.model import LabNetwork
from ward_core.lab.snmp.agent import DEFAULT_MAX_MESSAGE_SIZE, SnmpAgentPool
from ward_core.lab.snmp.credentials import SnmpCredentials


def free_udp_port(address: str) -> int:
    """A UDP port the kernel reports free on ``address`` right now."""
    return free_port(address, socket.SOCK_DGRAM)


class BackgroundAgents(BackgroundService):
    """A running ``SnmpAgentPool`` on a private event loop thread (a context manager)."""

    def __init__(
        self,
        network: LabNetwork,
        *,
        port: int | None = None,
        credentials: SnmpCredentials | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        if not network.devices:
            raise LabError("a lab without devices has no SNMP agents to start")
        self.network = network
        self.credentials = credentials or SnmpCredentials()
        self.port = port if port is not None else free_udp_port(next(iter(network)).address)
        self.pool = SnmpAgentPool(max_message_size=max_message_size)
        super().__init__("ward-lab-snmp")

    async def _start(self) -> None:
        await self.pool.start(self.network, bind_port=self.port, credentials=self.credentials)

    async def _close(self) -> None:
        await self.pool.close()
