"""The ``icmp`` probe kind: loss, RTT and jitter of every device of a batch, from one sweep.

What a device's result says:

- it answered some or none of its echo requests: ``ok=True`` with ``ping.loss_pct`` (100 when none
  came back), ``ping.sent`` and ``ping.received``, and the RTT metrics when at least one reply came.
  A host that does not answer was measured: it is down, and alert rules like ``ping.loss_pct > 10``
  need the 100 to fire;
- the kernel refused to send to it (unreachable, blackhole or prohibit route, a firewall): the
  same, ``ok=True`` with ``ping.sent`` = the requests attempted and ``ping.loss_pct`` = 100;
- its host is not an address or a valid name, or the name does not resolve: a failed result naming
  the device and the host;
- the kernel refuses the request's size on the path to it (``EMSGSIZE``): a failed result telling
  to lower the ``size`` option;
- ICMP cannot be used by this process at all (neither a raw nor a datagram socket is allowed):
  a failed result for every device, whose text says what to change; it is also logged once.

Devices sharing an address are pinged once and share the measurement.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Sequence

from ward_core import hookimpl
from ward_core.errors import ConfigError, DeviceError, InventoryError
from ward_core.types import DeviceTarget, ProbeBatchResult, ProbeKind, ProbeOptions, ProbeResult
from ward_icmp import PLUGIN
from ward_icmp.channel import Channel, IcmpUnavailable, open_channel
from ward_icmp.metrics import ALL, echo_metrics
from ward_icmp.resolve import Address, Unresolved, resolve_hosts
from ward_icmp.settings import SweepSettings
from ward_icmp.sweep import EchoStats, new_identifier, sweep

KIND = "icmp"
DESCRIPTION = (
    "ICMP echo: loss, RTT min/avg/max and jitter (mean difference of consecutive RTTs) per device;"
    " options count, timeout, params interval, size, privileged, rate, resolve_timeout"
)

log = logging.getLogger("ward.icmp")


@hookimpl
def ward_probe_kinds() -> list[ProbeKind]:
    """Declare the ``icmp`` probe kind and its metrics."""
    return [ProbeKind(name=KIND, description=DESCRIPTION, metrics=ALL)]


@hookimpl
def ward_probe_run(
    kind: str, devices: Sequence[DeviceTarget], options: ProbeOptions
) -> ProbeBatchResult | None:
    """Ping the whole batch in one sweep; ``None`` for any other kind."""
    if kind != KIND:
        return None
    try:
        settings = SweepSettings.from_options(options)
    except ConfigError as exc:
        failed = tuple(ProbeResult.failure(d.name, kind, exc) for d in devices)
        return ProbeBatchResult(kind=kind, results=failed)
    return ProbeBatchResult(kind=kind, results=tuple(probe_devices(devices, settings)))


def probe_devices(devices: Sequence[DeviceTarget], settings: SweepSettings) -> list[ProbeResult]:
    """One result per device, in order (see the module docstring for what each says)."""
    if not devices:
        return []
    addresses = resolve_hosts((d.host for d in devices), settings.resolve_timeout)
    targets: dict[socket.AddressFamily, dict[str, None]] = {}
    for found in addresses.values():
        if isinstance(found, Address):
            targets.setdefault(found.family, {})[found.text] = None
    channels: dict[socket.AddressFamily, Channel] = {}
    unavailable: dict[socket.AddressFamily, IcmpUnavailable] = {}
    identifier = new_identifier()
    stats: dict[str, EchoStats] = {}
    failure: OSError | None = None
    try:
        for family in targets:
            try:
                channels[family] = open_channel(family, identifier, settings.privileged)
            except IcmpUnavailable as exc:
                unavailable[family] = exc
        usable = {family: list(hosts) for family, hosts in targets.items() if family in channels}
        stats = sweep(channels, usable, settings)
    except OSError as exc:
        failure = exc
    finally:
        for channel in channels.values():
            channel.close()
    _log_send_errors(stats)
    return [_result(d, addresses[d.host], stats, unavailable, failure) for d in devices]


def _result(
    device: DeviceTarget,
    found: Address | Unresolved,
    stats: dict[str, EchoStats],
    unavailable: dict[socket.AddressFamily, IcmpUnavailable],
    failure: OSError | None,
) -> ProbeResult:
    if isinstance(found, Unresolved):
        if found.invalid:
            error: Exception = InventoryError(found.reason, location=f"device {device.name!r}", field="host")
        else:
            error = DeviceError(f"cannot resolve host: {found.reason}", device=device.name, plugin=PLUGIN)
        return ProbeResult.failure(device.name, KIND, error)
    if found.family in unavailable:
        return ProbeResult.failure(device.name, KIND, unavailable[found.family])
    if failure is not None:
        return ProbeResult.failure(device.name, KIND, f"the ICMP sweep failed: {failure}")
    echoes = stats[found.text]
    if echoes.send_error is not None and echoes.send_error.errno == errno.EMSGSIZE:
        reason = f"echo requests to {found.text} are too long for the path ({echoes.send_error.strerror})"
        reason += ": lower the 'size' option"
        return ProbeResult.failure(device.name, KIND, ConfigError(reason))
    return ProbeResult.success(device.name, KIND, echo_metrics(echoes.rtts_ms))


def _log_send_errors(stats: dict[str, EchoStats]) -> None:
    refused = [(address, s.send_error) for address, s in stats.items() if s.send_error is not None]
    if refused:
        address, error = refused[0]
        log.info(
            "icmp: the kernel refused to send to %d address(es), counted as lost (first: %s: %s)",
            len(refused),
            address,
            error,
        )
