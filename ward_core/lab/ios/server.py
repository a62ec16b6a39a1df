"""SSH for every simulated device of a lab, in one asyncio process.

One listener per device address (``127.x.y.z:port``), one shared host key and one shared set of
server options; each connection costs an asyncssh connection, a :class:`IosCli` and a
:class:`Terminal`. Faults are read from the model when they matter:

* ``device.reachable`` is checked when a connection arrives: an unreachable device closes it before
  sending the SSH banner; a session open when the device goes down is closed at its next command;
* ``device.auth_fail`` refuses every password, as wrong credentials would be refused;
* ``device.reply_delay_ms`` delays each command's output (without blocking other devices).

asyncssh's line editor is off: the terminal echoes keystrokes itself, in order (see
:mod:`ward_core.lab.ios.terminal`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import asyncssh

from ward_core.errors import LabError
from ward_core.lab.credentials import LabCredentials
from ward_core.lab.ios.cli import IosCli
from ward_core.lab.ios.host_key import load_or_create_host_key
from ward_core.lab.ios.state import IosState
from ward_core.lab.ios.terminal import Terminal
from ward_core.lab.model import Device, LabNetwork

SERVER_VERSION = "Cisco-1.25"
log = logging.getLogger("ward.lab.ssh")


class SshDevicePool:
    """The SSH front end of a lab: :meth:`start` binds every device, :meth:`close` releases all."""

    def __init__(self) -> None:
        self._acceptors: list[asyncssh.SSHAcceptor] = []
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self.state: IosState | None = None
        self.port = 0

    async def start(
        self,
        network: LabNetwork,
        bind_port: int,
        credentials: LabCredentials,
        host_key_path: Path,
    ) -> None:
        """Listen on ``device.address:bind_port`` for every device of ``network``.

        The host key is read from ``host_key_path`` (created there on first use). A listener that
        cannot bind raises LabError naming the device and address, after closing the others.
        """
        if self._acceptors:
            raise LabError("the SSH devices are already started")
        if logging.getLogger("asyncssh").level == logging.NOTSET:
            logging.getLogger("asyncssh").setLevel(logging.WARNING)
        state = IosState(network, credentials)
        self.state, self.port = state, bind_port
        options = await asyncssh.SSHServerConnectionOptions.construct(
            server_host_keys=[load_or_create_host_key(host_key_path)],
            server_version=SERVER_VERSION,
            line_editor=False,
            login_timeout=60,
        )
        try:
            for device in network:
                self._acceptors.append(await self._listen(device, bind_port, options, state))
        except BaseException:
            await self.close()
            raise
        log.info("SSH listening for %d devices on port %d", len(self._acceptors), bind_port)

    async def _listen(
        self, device: Device, port: int, options: asyncssh.SSHServerConnectionOptions, state: IosState
    ) -> asyncssh.SSHAcceptor:
        def server() -> DeviceServer:
            return DeviceServer(self, state, device)

        try:
            return await asyncssh.listen(
                device.address, port, options=options, server_factory=server, reuse_address=True
            )
        except OSError as exc:
            raise LabError(
                f"{device.name}: cannot listen for SSH on {device.address}:{port}: {exc.strerror or exc}"
            ) from exc

    async def close(self) -> None:
        """Stop listening and close every open session."""
        acceptors, self._acceptors = self._acceptors, []
        for acceptor in acceptors:
            acceptor.close()
        connections, self._connections = list(self._connections), set()
        for conn in connections:
            conn.close()
        for acceptor in acceptors:
            await acceptor.wait_closed()
        for conn in connections:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.wait_closed(), 5)

    @property
    def listening(self) -> int:
        """How many device listeners are open."""
        return len(self._acceptors)

    @property
    def sessions(self) -> int:
        """How many SSH connections are open."""
        return len(self._connections)

    def _opened(self, conn: asyncssh.SSHServerConnection) -> None:
        self._connections.add(conn)

    def _closed(self, conn: asyncssh.SSHServerConnection) -> None:
        self._connections.discard(conn)


class DeviceServer(asyncssh.SSHServer):
    """One SSH connection to one device: reachability, password check, then the IOS session."""

    def __init__(self, pool: SshDevicePool, state: IosState, device: Device) -> None:
        self.pool = pool
        self.state = state
        self.device = device
        self.username = ""
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        if not self.device.reachable:
            conn.abort()
            return
        self._conn = conn
        self.pool._opened(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self.pool._closed(self._conn)

    def begin_auth(self, username: str) -> bool:
        self.username = username
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        creds = self.state.credentials
        if self.device.auth_fail or not self.device.reachable:
            return False
        return username == creds.username and password == creds.password

    def session_requested(self) -> IosSession:
        return IosSession(self.state, self.device, self.username)


class IosSession(asyncssh.SSHServerSession[str]):
    """The shell (or one ``exec`` command) of a connection."""

    def __init__(self, state: IosState, device: Device, username: str) -> None:
        self.state = state
        self.device = device
        self.username = username
        self.command: str | None = None
        self.terminal: Terminal | None = None
        self._chan: asyncssh.SSHServerChannel[str] | None = None

    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self._chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes: object) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self.command = command
        return True

    def session_started(self) -> None:
        chan = self._chan
        assert chan is not None
        terminal = Terminal(IosCli(self.state, self.device, self.username), self._write, self._close)
        self.terminal = terminal
        if self.command is None:
            terminal.start()
        else:
            asyncio.get_running_loop().create_task(terminal.run_once(self.command))

    def data_received(self, data: str, datatype: asyncssh.DataType) -> None:
        if self.terminal is not None:
            self.terminal.feed(data)

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.terminal is not None:
            self.terminal.stop()

    def _write(self, text: str) -> None:
        chan, terminal = self._chan, self.terminal
        if chan is None or terminal is None or terminal.closed:
            return
        try:
            chan.write(text)
        except (BrokenPipeError, ConnectionError):
            terminal.stop()

    def _close(self) -> None:
        """Session over (``exit``, ``reload``, device down): the device drops the connection."""
        chan = self._chan
        if chan is None:
            return
        chan.exit(0)
        conn = chan.get_connection()
        asyncio.get_running_loop().call_later(0.2, conn.close)
