"""Exceptions of a device poll turned into ward errors whose text says what happened."""

from __future__ import annotations

import socket

import pytest
from gufo.snmp import SnmpAuthError, SnmpDecodeError, SnmpError
from ward_snmp.failures import refused, translate
from ward_snmp.retry import AttemptsTimedOut
from ward_snmp.walk import BadAnswer

from ward_core.errors import (
    AuthenticationFailed,
    CredentialError,
    DeviceError,
    DeviceUnreachable,
    WardError,
)


def refused_timeout() -> TimeoutError:
    """What gufo-snmp raises when the port answers ICMP port unreachable."""
    try:
        try:
            raise TimeoutError("connection refused")
        except TimeoutError as cause:
            raise TimeoutError() from cause
    except TimeoutError as exc:
        return exc


V2C_TIMEOUT = "timeout (no answer or wrong community) after 3 attempts of 0.5 s"
CLOSED = "no SNMP agent on UDP port 1161 (port unreachable) after 2 attempts"
CASES = [
    (AttemptsTimedOut(3, 0.5), "2c", DeviceUnreachable, V2C_TIMEOUT),
    (AttemptsTimedOut(1, 1.0), "3", DeviceUnreachable, "timeout (no answer) after 1 attempt of 1 s"),
    (AttemptsTimedOut(2, 1.0, refused_timeout()), "2c", DeviceUnreachable, CLOSED),
    (SnmpAuthError("authentication failed"), "3", AuthenticationFailed, "SNMPv3 authentication failed"),
    (SnmpDecodeError("incomplete"), "2c", DeviceError, "the agent answered undecodable SNMP (incomplete)"),
    (SnmpError("tooBig"), "2c", DeviceError, "SNMP error: tooBig"),
    (BadAnswer("no sysUpTime.0"), "2c", DeviceError, "no sysUpTime.0"),
    (socket.gaierror(-2, "Name or service not known"), "2c", DeviceUnreachable, "cannot resolve the host"),
    (
        OSError(101, "Network is unreachable"),
        "2c",
        DeviceUnreachable,
        "cannot send SNMP requests: Network is",
    ),
    (KeyError("x"), "2c", DeviceError, "unexpected KeyError"),
]


@pytest.mark.parametrize(("exc", "version", "kind", "text"), CASES)
def test_translation(exc: BaseException, version: str, kind: type[WardError], text: str) -> None:
    error = translate(exc, device="core1", version=version, port=1161)
    assert type(error) is kind
    assert str(error).startswith("core1 (snmp): ") and text in str(error)


def test_ward_errors_pass_through() -> None:
    error = CredentialError("credential 'x' is not defined")
    assert translate(error, device="core1", version="2c") is error


def test_refused_follows_the_cause_chain() -> None:
    assert refused(refused_timeout())
    assert not refused(TimeoutError())
