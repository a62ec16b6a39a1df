"""Every exception a device poll can end with, turned into the text of that device's failed result.

This is the one place gufo-snmp's exceptions are translated into ward's error tree:

====================================== ==============================================================
what happened                          error (its text is the failed result's ``exception``)
====================================== ==============================================================
every attempt timed out                :class:`~ward_core.errors.DeviceUnreachable` "timeout (no
                                       answer or wrong community) after N attempts of T s"; v3 says
                                       "timeout (no answer)": a wrong v3 user or key is answered
the port is closed (ICMP port          :class:`~ward_core.errors.DeviceUnreachable` "no SNMP agent on
unreachable: gufo raises a timeout     UDP port P (port unreachable)", retried like a timeout
at once, "connection refused")
gufo ``SnmpAuthError`` (v3)            :class:`~ward_core.errors.AuthenticationFailed`
the host name does not resolve,        :class:`~ward_core.errors.DeviceUnreachable`
the kernel refuses to send
gufo ``SnmpDecodeError``, other        :class:`~ward_core.errors.DeviceError` (garbage, an SNMP error
``SnmpError``, :class:`BadAnswer`      a missing or mistyped value; gufo-snmp ignores error-status)
a credential or inventory problem      the :class:`~ward_core.errors.InventoryError` /
                                       :class:`~ward_core.errors.ConfigError` as raised
anything else                          :class:`~ward_core.errors.DeviceError` naming the type
====================================== ==============================================================
"""

from __future__ import annotations

import socket

from gufo.snmp import SnmpAuthError, SnmpDecodeError, SnmpError

from ward_core.errors import (
    AuthenticationFailed,
    DeviceError,
    DeviceUnreachable,
    WardError,
)
from ward_snmp import PLUGIN
from ward_snmp.retry import AttemptsTimedOut
from ward_snmp.walk import BadAnswer

V2C_TIMEOUT = "timeout (no answer or wrong community)"
V3_TIMEOUT = "timeout (no answer)"


def refused(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the host refused: an ICMP port unreachable.

    gufo-snmp raises a :class:`TimeoutError` caused by a ``TimeoutError("connection refused")``.

    >>> refused(TimeoutError()), refused(ConnectionRefusedError())
    (False, True)
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError) or "connection refused" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def translate(exc: BaseException, *, device: str, version: str | None, port: int = 161) -> WardError:
    """The ward error that describes ``exc`` for ``device`` (polled with SNMP ``version`` on ``port``).

    >>> str(translate(AttemptsTimedOut(2, 1.0), device="sw1", version="2c"))
    'sw1 (snmp): timeout (no answer or wrong community) after 2 attempts of 1 s'
    >>> str(translate(BadAnswer("no sysUpTime.0"), device="sw1", version="3"))
    'sw1 (snmp): no sysUpTime.0'
    """
    if isinstance(exc, WardError):
        return exc
    if isinstance(exc, TimeoutError):
        what = V3_TIMEOUT if version == "3" else V2C_TIMEOUT
        if isinstance(exc, AttemptsTimedOut):
            if exc.last is not None and refused(exc.last):
                what = f"no SNMP agent on UDP port {port} (port unreachable)"
            what += f" after {exc}"
        return DeviceUnreachable(what, device=device, plugin=PLUGIN)
    if isinstance(exc, SnmpAuthError):
        return AuthenticationFailed(
            f"SNMPv3 authentication failed ({exc}): unknown user, wrong auth/priv key or protocol",
            device=device,
            plugin=PLUGIN,
        )
    if isinstance(exc, SnmpDecodeError):
        return DeviceError(f"the agent answered undecodable SNMP ({exc})", device=device, plugin=PLUGIN)
    if isinstance(exc, SnmpError):
        return DeviceError(f"SNMP error: {exc}", device=device, plugin=PLUGIN)
    if isinstance(exc, BadAnswer):
        return DeviceError(str(exc), device=device, plugin=PLUGIN)
    if isinstance(exc, socket.gaierror):
        return DeviceUnreachable(f"cannot resolve the host: {exc}", device=device, plugin=PLUGIN)
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return DeviceUnreachable(f"cannot send SNMP requests: {reason}", device=device, plugin=PLUGIN)
    return DeviceError(f"unexpected {type(exc).__name__}: {exc}", device=device, plugin=PLUGIN)
