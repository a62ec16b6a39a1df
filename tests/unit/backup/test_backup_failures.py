"""Netmiko and paramiko exceptions become ward errors with one reason code each."""

from __future__ import annotations

import pytest
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException, ReadTimeout
from paramiko.ssh_exception import NoValidConnectionsError, SSHException

from ward_core.backup.failures import classify, failure_of, reason_of
from ward_core.errors import AuthenticationFailed, DeviceTimeout, DeviceUnreachable


def _wrapped(outer: Exception, inner: BaseException) -> Exception:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except Exception as caught:
        return caught


@pytest.mark.parametrize(
    ("exc", "reason", "kind"),
    [
        (NetmikoAuthenticationException("Authentication to device failed."), "auth", AuthenticationFailed),
        (
            _wrapped(
                NetmikoTimeoutException("TCP connection to device failed."),
                NoValidConnectionsError({("127.0.0.1", 22): ConnectionRefusedError(111, "refused")}),
            ),
            "unreachable",
            DeviceUnreachable,
        ),
        (
            _wrapped(
                NetmikoTimeoutException("A paramiko SSHException occurred"),
                SSHException("Error reading SSH protocol banner"),
            ),
            "unreachable",
            DeviceUnreachable,
        ),
        (ReadTimeout("Pattern not detected: 'r1#' in output."), "timeout", DeviceTimeout),
        (NetmikoTimeoutException("TCP connection to device failed."), "timeout", DeviceTimeout),
        (ValueError("odd"), "error", None),
    ],
)
def test_each_exception_gets_its_reason(exc: Exception, reason: str, kind: type | None) -> None:
    error = classify(exc, device="r1")
    assert reason_of(error) == reason
    if kind is not None:
        assert isinstance(error, kind)
    failure = failure_of(exc, device="r1")
    assert failure.reason == reason and failure.message.startswith("r1: ")
    assert "\n" not in failure.message
