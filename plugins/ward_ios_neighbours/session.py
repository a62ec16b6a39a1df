"""One SSH session to one device with netmiko, bounded in time as a whole.

Netmiko's own timeouts (connect, banner, login, each read) are set from the device budget; a
watchdog also closes the socket if the whole attempt outlives the budget, so a device that
trickles output cannot hold its thread. Netmiko's exceptions are translated here, once:
refused or unroutable connections are :class:`~ward_core.errors.DeviceUnreachable`, refused
logins :class:`~ward_core.errors.AuthenticationFailed`, anything slow
:class:`~ward_core.errors.DeviceTimeout`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

from ward_core.errors import AuthenticationFailed, DeviceError, DeviceTimeout, DeviceUnreachable
from ward_core.inventory.credentials import CredentialResolver
from ward_core.types import DeviceTarget

log = logging.getLogger(__name__)

PLUGIN = "ios-neighbours"

_RESOLVING = threading.Lock()
"""Serialises credential lookups: the resolver reads its secrets file lazily, on first use, and
ward collects from many threads at once."""


class Watchdog:
    """Closes ``session``'s socket when ``budget_s`` runs out (``expired`` says whether it did)."""

    def __init__(self, budget_s: float) -> None:
        self.expired = threading.Event()
        self.session: Any = None
        self._timer = threading.Timer(budget_s, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        self.expired.set()
        session = self.session
        if session is None:
            return
        try:
            session.remote_conn_pre.close()
        except Exception:
            log.debug("closing an overdue SSH session failed", exc_info=True)
        session.remote_conn = None


def _params(device: DeviceTarget, resolver: CredentialResolver, budget_s: float) -> dict[str, Any]:
    if device.credentials is None:
        raise AuthenticationFailed(
            "the inventory names no credential for it", device=device.name, plugin=PLUGIN
        )
    with _RESOLVING:
        credential = resolver.resolve(
            device.credentials, device=device.name, require=("username", "password")
        )
    assert credential.password is not None
    params: dict[str, Any] = {
        "device_type": device.platform,
        "host": device.host,
        "port": device.port,
        "username": credential.username,
        "password": credential.password.reveal(),
        "fast_cli": True,
        "conn_timeout": min(budget_s, 10.0),
        "banner_timeout": budget_s,
        "auth_timeout": budget_s,
        "session_timeout": budget_s,
        "read_timeout_override": budget_s,
        "auto_connect": False,
    }
    if credential.secret is not None:
        params["secret"] = credential.secret.reveal()
    return params


@contextmanager
def _translated(device: DeviceTarget, watchdog: Watchdog, budget_s: float) -> Iterator[None]:
    try:
        yield
    except DeviceError:
        raise
    except Exception as exc:
        if watchdog.expired.is_set():
            raise DeviceTimeout(
                f"took longer than {budget_s:g} s", device=device.name, plugin=PLUGIN
            ) from None
        if isinstance(exc, NetmikoAuthenticationException):
            raise AuthenticationFailed("login refused", device=device.name, plugin=PLUGIN) from exc
        if isinstance(exc, NetmikoTimeoutException | TimeoutError):
            raise DeviceUnreachable(
                f"{type(exc).__name__}: {exc}", device=device.name, plugin=PLUGIN
            ) from exc
        if isinstance(exc, OSError | EOFError):
            raise DeviceUnreachable(
                f"{type(exc).__name__}: {exc}", device=device.name, plugin=PLUGIN
            ) from exc
        raise


def run_commands(
    device: DeviceTarget, resolver: CredentialResolver, commands: Sequence[str], budget_s: float
) -> list[str]:
    """Log in (enable mode when a secret is known), run ``commands``, return their outputs."""
    params = _params(device, resolver, budget_s)
    outputs: list[str] = []
    with Watchdog(budget_s) as watchdog, _translated(device, watchdog, budget_s):
        session: Any = ConnectHandler(**params)
        watchdog.session = session
        try:
            session._open()
            if "secret" in params and not session.check_enable_mode():
                session.enable()
            for command in commands:
                outputs.append(str(session.send_command(command, read_timeout=budget_s)))
        finally:
            try:
                session.disconnect()
            except Exception:
                log.debug("disconnecting from %s failed", device.name, exc_info=True)
    return outputs
