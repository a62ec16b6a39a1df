"""Why a device's backup failed, as data: one reason code and a message naming the device.

Netmiko and paramiko exceptions are translated here and nowhere else, into the
:class:`~ward_core.errors.DeviceError` subclasses every ward capability shares:

============== ============================================== =========================
reason         what happened                                  error class
============== ============================================== =========================
timeout        no answer, or not within the per-device budget DeviceTimeout
unreachable    the connection was refused or closed at once   DeviceUnreachable
auth           the device refused the login or enable secret  AuthenticationFailed
rejected       the device answered a backup command with an   CommandRejected
               error
credentials    the device's credential cannot be resolved     CredentialError (inventory)
unsupported    no plugin knows the commands for the platform  PluginError
plugin         a redaction or normalisation plugin failed     PluginError
error          anything else                                  DeviceError
============== ============================================== =========================

Messages never quote configuration text: at most the first line of a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadException,
    ReadTimeout,
)
from paramiko.ssh_exception import NoValidConnectionsError, SSHException

from ward_core.errors import (
    AuthenticationFailed,
    CommandRejected,
    DeviceError,
    DeviceTimeout,
    DeviceUnreachable,
)

FailureReason: TypeAlias = Literal[
    "timeout", "unreachable", "auth", "rejected", "credentials", "unsupported", "plugin", "error"
]
RETRYABLE: frozenset[FailureReason] = frozenset({"timeout", "unreachable", "error"})
"""Reasons worth another attempt in the same run: the next one may well succeed."""


@dataclass(frozen=True, slots=True)
class BackupFailure:
    """Why one device could not be backed up."""

    reason: FailureReason
    message: str

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready view."""
        return {"reason": self.reason, "message": self.message}


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def classify(exc: BaseException, *, device: str, plugin: str | None = None) -> DeviceError:
    """The ward error for an exception raised while backing up ``device``.

    >>> classify(TimeoutError("timed out"), device="r1")
    DeviceTimeout('r1: timed out')
    >>> type(classify(ConnectionRefusedError(111, "refused"), device="r1")).__name__
    'DeviceUnreachable'
    """
    if isinstance(exc, DeviceError):
        return exc
    chain = _chain(exc)
    if any(isinstance(e, NetmikoAuthenticationException) for e in chain):
        return AuthenticationFailed("the device refused the login", device=device, plugin=plugin)
    if any(isinstance(e, NoValidConnectionsError | ConnectionRefusedError) for e in chain):
        return DeviceUnreachable("connection refused", device=device, plugin=plugin)
    if any(isinstance(e, ReadTimeout) for e in chain):
        return DeviceTimeout("no answer in time", device=device, plugin=plugin)
    if any(isinstance(e, TimeoutError) for e in chain):
        return DeviceTimeout(_first_line(exc), device=device, plugin=plugin)
    if any(isinstance(e, SSHException) and "banner" in str(e) for e in chain):
        return DeviceUnreachable("the SSH session was closed before the banner", device=device, plugin=plugin)
    if any(isinstance(e, NetmikoTimeoutException) for e in chain):
        return DeviceTimeout(_first_line(exc), device=device, plugin=plugin)
    if any(isinstance(e, ReadException | EOFError | OSError) for e in chain):
        return DeviceUnreachable(f"the session broke: {_first_line(exc)}", device=device, plugin=plugin)
    return DeviceError(f"{type(exc).__name__}: {_first_line(exc)}", device=device, plugin=plugin)


def reason_of(error: DeviceError) -> FailureReason:
    """The reason code of a ward device error.

    >>> reason_of(CommandRejected("% Invalid input", device="r1"))
    'rejected'
    """
    if isinstance(error, DeviceTimeout):
        return "timeout"
    if isinstance(error, DeviceUnreachable):
        return "unreachable"
    if isinstance(error, AuthenticationFailed):
        return "auth"
    if isinstance(error, CommandRejected):
        return "rejected"
    return "error"


def failure_of(exc: BaseException, *, device: str) -> BackupFailure:
    """``exc`` as a :class:`BackupFailure` for ``device``."""
    error = classify(exc, device=device)
    return BackupFailure(reason_of(error), str(error))
