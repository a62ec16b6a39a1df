"""The SSH devices of a network, served from a thread of their own.

For code that blocks (a test driving netmiko, a script using a synchronous client) and still wants
the devices in the same process::

    with BackgroundSshDevices(network) as ssh:
        conn = ConnectHandler(device_type="cisco_ios", host=device.address, port=ssh.port, ...)
        ssh.call(lambda: network.set_admin(device, iface, False))

Model changes go through ``call`` so that they happen on the devices' loop, between commands.
"""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

from ward_core.errors import LabError
from ward_core.lab.background import BackgroundService, free_port
from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios.server import SshDevicePool
from ward_core.lab.model import LabNetwork


def free_tcp_port(address: str) -> int:
    """A TCP port the kernel reports free on ``address`` right now."""
    return free_port(address, socket.SOCK_STREAM)


class BackgroundSshDevices(BackgroundService):
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
        super().__init__("ward-lab-ssh")

    async def _start(self) -> None:
        await self.pool.start(
            self.network, bind_port=self.port, credentials=self.credentials, host_key_path=self.host_key_path
        )

    async def _close(self) -> None:
        await self.pool.close()

    def _cleanup(self) -> None:
        if self._key_folder is not None:
            self._key_folder.cleanup()
