"""The SSH devices of a network, served from a thread of their own.

For code that blocks (a test driving netmiko, a script using a synchronous client) and still wants
the devices in the same process::

    with BackgroundSshDevices(network) as ssh:
        conn = ConnectHandler(device_type="cisco_ios", host=device.address, port=ssh.port, ...)
        ssh.call(lambda: network.set_admin(device, iface, False))

Model changes go through ``call`` so that they happen on the devices' loop, between commands.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from ward_core.errors import LabError
from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios.server import SshDevicePool
from ward_core.lab.model import LabNetwork

T = TypeVar("T")
R = TypeVar("R")

START_TIMEOUT = 60.0


def free_tcp_port(address: str) -> int:
    """A TCP port the kernel reports free on ``address`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        port: int = probe.getsockname()[1]
        return port


class BackgroundSshDevices:
    """A running :class:`SshDevicePool` on a private event loop thread (a context manager).

    Without ``host_key_path`` the host key lives in a temporary folder removed on exit.
    """

    def __init__(
        self,
        network: LabNetwork,
        *,
        port: int | None = None,
        credentials: LabCredentials | None = None,
        host_key_path: Path | None = None,
    ) -> None:
        if not network.devices:
            raise LabError("a lab without devices has no SSH devices to start")
        self.network = network
        self.credentials = credentials or LabCredentials()
        self.port = port if port is not None else free_tcp_port(next(iter(network)).address)
        self.pool = SshDevicePool()
        self._key_folder = tempfile.TemporaryDirectory(prefix="ward-ssh-") if host_key_path is None else None
        self.host_key_path = (
            host_key_path or Path(self._key_folder.name if self._key_folder else ".") / "host_key"
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ward-lab-ssh", daemon=True)

    def __enter__(self) -> BackgroundSshDevices:
        self._thread.start()
        try:
            self._run(
                self.pool.start(
                    self.network,
                    bind_port=self.port,
                    credentials=self.credentials,
                    host_key_path=self.host_key_path,
                )
            )
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
        """Run ``fn`` on the devices' loop and return its result."""

        async def run() -> T:
            return fn()

        return self._run(run())

    def _run(self, work: Coroutine[Any, Any, R]) -> R:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(START_TIMEOUT)

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(START_TIMEOUT)
        self._loop.close()
        if self._key_folder is not None:
            self._key_folder.cleanup()
