"""Real net-snmp ``snmpd`` agents for tests and benchmarks, each with its own config and state.

::

    from ward_snmp.testing import NetSnmpAgent, SnmpdUser, random_loopback

    with NetSnmpAgent(tmp_path / "agent", address=random_loopback(), write_community="rw") as agent:
        subprocess.run(["snmpget", *agent.cli_auth(), "-On", agent.endpoint, "1.3.6.1.2.1.1.3.0"])

An agent runs as the current user on an unprivileged port of a loopback address, in the
foreground (``-f``), reading only its own config (``-C -c``), without SMUX (``-I -smux``),
keeping its persistent state (v3 users, engine boots) in its own folder
(``SNMP_PERSISTENT_DIR``), logging to a file with connection logging off
(``dontLogTCPWrappersConnects``: snmpd otherwise logs every request), and without MIB files
(Debian ships none; numeric OIDs need none). It serves the host's interfaces.

Writes (the write community, ``writable`` v3 users) are confined to ``write_subtree``, the
system group by default: an agent running as root could otherwise set the host's own
ifAdminStatus. sysContact and sysLocation are left out of the config so that they can be set
(net-snmp makes them read-only when the config sets them).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from gufo.snmp.sync import SnmpSession

from ward_core.errors import ConfigError

SNMPD_SEARCH_PATH = os.pathsep.join((os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"))
SYSTEM_GROUP = ".1.3.6.1.2.1.1"
QUIET_MIBS = {"MIBS": "", "MIBDIRS": "/nonexistent"}
"""Environment that keeps net-snmp programs from looking for MIB files (and complaining)."""


def random_loopback() -> str:
    """A random 127.x.y.z address (below the lab's 127.100-249 ranges), likely used by nobody else.

    >>> random_loopback().startswith("127.")
    True
    """
    return f"127.{random.randrange(10, 99)}.{random.randrange(0, 256)}.{random.randrange(1, 255)}"


def free_udp_port(address: str) -> int:
    """A UDP port free on ``address`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((address, 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass(frozen=True, slots=True)
class SnmpdUser:
    """An SNMPv3 user of the agent, authPriv; protocols spelled as net-snmp's ``-a``/``-x`` take them."""

    name: str
    auth_password: str
    priv_password: str
    auth_protocol: str = "SHA"
    priv_protocol: str = "AES"
    writable: bool = False

    def config_lines(self, write_subtree: str = SYSTEM_GROUP) -> list[str]:
        """``createUser`` and ``rouser`` (or ``rwuser`` limited to ``write_subtree``) lines."""
        access = f"rwuser {self.name} priv {write_subtree}" if self.writable else f"rouser {self.name} priv"
        return [
            f'createUser {self.name} {self.auth_protocol} "{self.auth_password}" '
            f'{self.priv_protocol} "{self.priv_password}"',
            access,
        ]

    def cli_auth(self) -> list[str]:
        """Options for net-snmp command-line tools to authenticate as this user."""
        return [
            "-v3",
            "-l",
            "authPriv",
            "-u",
            self.name,
            "-a",
            self.auth_protocol,
            "-A",
            self.auth_password,
            "-x",
            self.priv_protocol,
            "-X",
            self.priv_password,
        ]


class NetSnmpAgent:
    """One ``snmpd`` process on ``address``:``port`` (a free port when None), stopped on exit.

    ``write_community`` and writable ``users`` may set objects under ``write_subtree`` only.
    """

    def __init__(
        self,
        directory: Path,
        *,
        address: str = "127.0.0.1",
        port: int | None = None,
        community: str = "ward-ro",
        write_community: str | None = None,
        write_subtree: str = SYSTEM_GROUP,
        users: Sequence[SnmpdUser] = (),
        extra_config: Sequence[str] = (),
    ) -> None:
        self.directory = directory
        self.address = address
        self.port = port or free_udp_port(address)
        self.community = community
        self.write_community = write_community
        self.write_subtree = write_subtree
        self.users = tuple(users)
        self.extra_config = tuple(extra_config)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """``address:port`` as net-snmp tools take it."""
        return f"{self.address}:{self.port}"

    @property
    def log_file(self) -> Path:
        """Where snmpd logs."""
        return self.directory / "snmpd.log"

    @property
    def pid(self) -> int | None:
        """The process id while running."""
        return self._process.pid if self._process is not None else None

    def cli_auth(self, *, write: bool = False) -> list[str]:
        """v2c options for net-snmp tools, with the read (or write) community."""
        community = self.write_community if write else self.community
        if community is None:
            raise ConfigError("this agent has no write community")
        return ["-v2c", "-c", community]

    def cli(self, tool: str, *args: str, auth: Sequence[str] | None = None, timeout: float = 10.0) -> str:
        """Run net-snmp's ``tool`` against this agent (v2c read community unless ``auth``); its output.

        Output is numeric (``-On``), one ``OID value`` per line (``-Oq``), enums and time ticks as
        numbers (``-Oe -Ot``), without units (``-OU``). A failing tool raises ConfigError with its
        error output.
        """
        binary = shutil.which(tool)
        if binary is None:
            raise ConfigError(f"net-snmp's {tool} is not installed (Debian: apt-get install snmp)")
        done = subprocess.run(
            [binary, *(auth if auth is not None else self.cli_auth()), "-OnqetU", self.endpoint, *args],
            capture_output=True,
            text=True,
            env={**os.environ, **QUIET_MIBS},
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise ConfigError(f"{tool} {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def cli_walk(self, oid: str, *, auth: Sequence[str] | None = None) -> dict[str, str]:
        """``snmpbulkwalk`` of ``oid``: values as net-snmp prints them (quotes removed), by row index."""
        rows = {}
        prefix = f".{oid}."
        for line in self.cli("snmpbulkwalk", oid, auth=auth).splitlines():
            name, _, value = line.partition(" ")
            if name.startswith(prefix):
                rows[name[len(prefix) :]] = value.strip().removeprefix('"').removesuffix('"')
        return rows

    def config(self) -> str:
        """The snmpd.conf this agent runs with."""
        lines = [
            f"rocommunity {self.community} 127.0.0.0/8",
            *(
                [f"rwcommunity {self.write_community} 127.0.0.0/8 {self.write_subtree}"]
                if self.write_community
                else []
            ),
            *(line for user in self.users for line in user.config_lines(self.write_subtree)),
            "dontLogTCPWrappersConnects yes",
            *self.extra_config,
        ]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 10.0) -> None:
        """Write the config, start snmpd and wait until it answers a GET; ConfigError if it cannot."""
        binary = shutil.which("snmpd", path=SNMPD_SEARCH_PATH)
        if binary is None:
            raise ConfigError("net-snmp's snmpd is not installed (Debian: apt-get install snmpd)")
        persistent = self.directory / "persistent"
        persistent.mkdir(parents=True, exist_ok=True)
        config = self.directory / "snmpd.conf"
        config.write_text(self.config(), encoding="utf-8")
        env = {**os.environ, **QUIET_MIBS, "SNMP_PERSISTENT_DIR": str(persistent)}
        self._process = subprocess.Popen(
            [
                binary,
                "-f",
                "-C",
                "-c",
                str(config),
                "-I",
                "-smux",
                "-Lf",
                str(self.log_file),
                f"udp:{self.endpoint}",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self._answers():
                return
        log = self.log_file.read_text(encoding="utf-8", errors="replace") if self.log_file.exists() else ""
        self.stop()
        raise ConfigError(
            f"snmpd on {self.endpoint} did not start within {timeout} s; its log:\n{log[-2000:]}"
        )

    def _answers(self) -> bool:
        try:
            with SnmpSession(self.address, port=self.port, community=self.community, timeout=0.2) as session:
                session.get("1.3.6.1.2.1.1.3.0")
        except TimeoutError:
            return False
        return True

    def stop(self) -> None:
        """Stop snmpd (SIGTERM, then SIGKILL after 5 s)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def __enter__(self) -> NetSnmpAgent:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
