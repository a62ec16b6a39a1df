"""The SNMP agents of a network, served from a thread of their own.

For code that blocks (a test running ``snmpwalk``, a script polling with a synchronous client)
and still wants agents in the same process::

    with BackgroundAgents(network) as agents:
        subprocess.run(["snmpget", "-v2c", "-c", "ward-lab", f"{address}:{agents.port}", ...])
        agents.call(lambda: network.set_admin(device, iface, False))

Model changes go through ``call`` so that they happen on the agents' loop, between requests.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, TypeVar

from ward_core.errors import LabError
from ward_core.lab.model import LabNetwork
from ward_core.lab.snmp.agent import DEFAULT_MAX_MESSAGE_SIZE, SnmpAgentPool
from ward_core.lab.snmp.credentials import SnmpCredentials

T = TypeVar("T")
R = TypeVar("R")

START_TIMEOUT = 60.0


def free_udp_port(address: str) -> int:
    """A UDP port the kernel reports free on ``address`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((address, 0))
        port: int = probe.getsockname()[1]
        return port


class BackgroundAgents:
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
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ward-lab-snmp", daemon=True)

    def __enter__(self) -> BackgroundAgents:
        self._thread.start()
        try:
            self._run(self.pool.start(self.network, bind_port=self.port, credentials=self.credentials))
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self._run(self.pool.close())
        finally:
            self._stop()

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the agents' loop and return its result."""

        async def run() -> T:
            return fn()

        return self._run(run())

    def _run(self, work: Coroutine[Any, Any, R]) -> R:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(START_TIMEOUT)

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT)
        self._loop.close()
