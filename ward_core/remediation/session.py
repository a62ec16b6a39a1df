"""The :class:`~ward_core.types.DeviceSession` remediation steps get: netmiko over SSH.

Opened lazily and re-opened after the device dropped the connection (a reload does), in privileged
mode when the credential has an enable secret. Every exchange is kept in :attr:`transcript` for the
audit log. IOS error answers (``% Invalid input``...) become
:class:`~ward_core.errors.CommandRejected`; netmiko's and the socket's exceptions are translated to
the :class:`~ward_core.errors.DeviceError` tree here, once.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException, ReadTimeout

from ward_core.errors import (
    AuthenticationFailed,
    CommandRejected,
    CredentialError,
    DeviceError,
    DeviceTimeout,
    DeviceUnreachable,
)
from ward_core.inventory.credentials import CredentialResolver
from ward_core.types import DeviceTarget

log = logging.getLogger(__name__)

REJECTED = re.compile(
    r"^\s*% ?(Invalid input detected|Incomplete command|Ambiguous command|Unknown command"
    r"|Authorization failed)|^Command authorization failed",
    re.MULTILINE,
)
CONFIRM = re.compile(r"\[confirm\]\s*$|\[yes/no\]:?\s*$|\[y/n\]:?\s*$|\?\s*\[[^\]]*\]\s*$", re.IGNORECASE)
MAX_CONFIRMS = 3


def rejection(output: str) -> str | None:
    """The device's error line when ``output`` says it refused the command, else None.

    >>> rejection("   ^\\n% Invalid input detected at '^' marker.\\n")
    "% Invalid input detected at '^' marker."
    >>> rejection("Building configuration...\\n[OK]") is None
    True
    """
    match = REJECTED.search(output)
    if match is None:
        return None
    line_start = output.rfind("\n", 0, match.start()) + 1
    line_end = output.find("\n", match.start())
    return output[line_start : line_end if line_end >= 0 else None].strip()


def confirmation_answer(prompt_text: str) -> str | None:
    """What to type at a confirmation prompt ending ``prompt_text`` (None: no prompt).

    >>> confirmation_answer('Clear "show interface" counters on this interface [confirm]')
    '\\n'
    >>> confirmation_answer("System configuration has been modified. Save? [yes/no]: ")
    'yes'
    >>> confirmation_answer("sw1#") is None
    True
    """
    tail = prompt_text.rstrip("\r\n")
    if not CONFIRM.search(tail):
        return None
    lowered = tail.lower()
    if "[yes/no]" in lowered:
        return "yes"
    if "[y/n]" in lowered:
        return "y"
    return "\n"


class NetmikoSession:
    """One device's CLI for the steps of one request (see the module docstring)."""

    def __init__(
        self,
        device: DeviceTarget,
        resolver: CredentialResolver,
        *,
        timeout_s: float = 60.0,
        plugin: str = "remediation",
    ) -> None:
        self._device = device
        self._resolver = resolver
        self._timeout_s = timeout_s
        self._plugin = plugin
        self._conn: Any = None
        self.transcript: list[str] = []

    @property
    def device(self) -> DeviceTarget:
        """The device this session talks to."""
        return self._device

    def _params(self) -> dict[str, Any]:
        device = self._device
        if device.credentials is None:
            raise AuthenticationFailed("the inventory names no credential for it", device=device.name)
        try:
            credential = self._resolver.resolve(
                device.credentials, device=device.name, require=("username", "password")
            )
        except CredentialError as exc:
            raise AuthenticationFailed(str(exc), device=device.name) from exc
        assert credential.password is not None
        params: dict[str, Any] = {
            "device_type": device.platform,
            "host": device.host,
            "port": device.port,
            "username": credential.username,
            "password": credential.password.reveal(),
            "fast_cli": True,
            "conn_timeout": min(self._timeout_s, 15.0),
            "banner_timeout": self._timeout_s,
            "auth_timeout": self._timeout_s,
            "session_timeout": self._timeout_s,
        }
        if credential.secret is not None:
            params["secret"] = credential.secret.reveal()
        return params

    @contextmanager
    def _translated(self) -> Iterator[None]:
        name = self._device.name
        try:
            yield
        except DeviceError:
            raise
        except NetmikoAuthenticationException as exc:
            self._drop()
            raise AuthenticationFailed("login refused", device=name) from exc
        except (NetmikoTimeoutException, ReadTimeout, TimeoutError) as exc:
            self._drop()
            first = str(exc).strip().splitlines()
            detail = first[0] if first else ""
            raise DeviceTimeout(
                f"no answer within {self._timeout_s:g} s ({type(exc).__name__}: {detail})", device=name
            ) from exc
        except (OSError, EOFError) as exc:
            self._drop()
            raise DeviceUnreachable(f"connection lost: {type(exc).__name__}: {exc}", device=name) from exc
        except Exception as exc:
            if "Socket is closed" in str(exc) or "not open" in str(exc).lower():
                self._drop()
                raise DeviceUnreachable(f"connection lost: {exc}", device=name) from exc
            raise

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.disconnect()
            except Exception:
                log.debug("closing the session to %s failed", self._device.name, exc_info=True)

    def _connection(self) -> Any:
        if self._conn is not None and self._conn.is_alive():
            return self._conn
        self._drop()
        params = self._params()
        with self._translated():
            conn = ConnectHandler(**params)
            if "secret" in params and not conn.check_enable_mode():
                conn.enable()
        self._conn = conn
        return conn

    def wait_until_reachable(self, budget_s: float, interval_s: float = 2.0) -> None:
        """Reconnect, trying until ``budget_s`` runs out (after a reload); the last error otherwise."""
        deadline = time.monotonic() + budget_s
        while True:
            try:
                self._connection()
                return
            except (DeviceUnreachable, DeviceTimeout):
                if time.monotonic() + interval_s > deadline:
                    raise
                time.sleep(interval_s)

    def _record(self, command: str, output: str) -> None:
        self.transcript.append(f"{self._device.name}# {command}\n{output}")

    def send_command(self, command: str, *, confirm: bool = False) -> str:
        """Run one exec-mode command (answering confirmation prompts when ``confirm``)."""
        conn = self._connection()
        with self._translated():
            if not confirm:
                output = str(conn.send_command(command, read_timeout=self._timeout_s))
            else:
                output = str(conn.send_command_timing(command, read_timeout=self._timeout_s))
                for _ in range(MAX_CONFIRMS):
                    answer = confirmation_answer(output)
                    if answer is None:
                        break
                    output += str(
                        conn.send_command_timing(answer, read_timeout=self._timeout_s, cmd_verify=False)
                    )
        self._record(command, output)
        refused = rejection(output)
        if refused is not None:
            raise CommandRejected(f"{command!r}: {refused}", device=self._device.name)
        return output

    def send_config(self, commands: Sequence[str]) -> str:
        """Enter configuration mode, send ``commands`` in order, leave it; the echoed output."""
        conn = self._connection()
        with self._translated():
            output = str(conn.send_config_set(list(commands), read_timeout=self._timeout_s))
        self._record("configure terminal: " + " / ".join(c.strip() for c in commands), output)
        refused = rejection(output)
        if refused is not None:
            raise CommandRejected(f"configuration refused: {refused}", device=self._device.name)
        return output

    def close(self) -> None:
        """Disconnect (idempotent)."""
        self._drop()

    def __enter__(self) -> NetmikoSession:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
