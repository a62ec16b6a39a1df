"""The ``reference.tcp_connect`` probe: how long a TCP handshake with each device takes.

The whole batch runs in one asyncio loop, at most ``options.concurrency`` devices at a time, so a
batch of dead devices costs about one timeout, not one timeout per device.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence

from ward_core import hookimpl
from ward_core.types import DeviceTarget, Metric, ProbeBatchResult, ProbeKind, ProbeOptions, ProbeResult

KIND = "reference.tcp_connect"
CONNECT_MS = "reference.tcp_connect.connect_ms"
SUCCESS_RATIO = "reference.tcp_connect.success_ratio"


@hookimpl
def ward_probe_kinds() -> list[ProbeKind]:
    """Declare the one probe kind of this plugin and the metrics its results carry."""
    return [
        ProbeKind(
            name=KIND,
            description="TCP handshake with the device's port (or options.params['port'])",
            metrics=(CONNECT_MS, SUCCESS_RATIO),
        )
    ]


@hookimpl
def ward_probe_run(
    kind: str, devices: Sequence[DeviceTarget], options: ProbeOptions
) -> ProbeBatchResult | None:
    """Connect to every device of the batch; ``None`` for any other kind."""
    if kind != KIND:
        return None
    port = options.params.get("port")
    if port is not None and (not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535):
        reason = f"option 'port' must be an integer 1-65535, got {port!r}"
        return ProbeBatchResult(
            kind=kind, results=tuple(ProbeResult.failure(d.name, kind, reason) for d in devices)
        )
    results = asyncio.run(_probe_batch(devices, options, port))
    return ProbeBatchResult(kind=kind, results=tuple(results))


async def _probe_batch(
    devices: Sequence[DeviceTarget], options: ProbeOptions, port: int | None
) -> list[ProbeResult]:
    limit = asyncio.Semaphore(max(1, options.concurrency))
    return await asyncio.gather(*(_probe_device(d, options, port or d.port, limit) for d in devices))


async def _probe_device(
    device: DeviceTarget, options: ProbeOptions, port: int, limit: asyncio.Semaphore
) -> ProbeResult:
    """``options.count`` connections, each retried up to ``options.retries`` times."""
    times_ms: list[float] = []
    error = ""
    async with limit:
        for _ in range(max(1, options.count)):
            for _attempt in range(options.retries + 1):
                started = time.perf_counter()
                try:
                    _, writer = await asyncio.wait_for(
                        asyncio.open_connection(device.host, port), options.timeout
                    )
                except TimeoutError:
                    error = f"{device.host}:{port}: no answer within {options.timeout:g} s"
                    continue
                except OSError as exc:
                    error = f"{device.host}:{port}: {type(exc).__name__}: {exc}"
                    continue
                times_ms.append((time.perf_counter() - started) * 1000.0)
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
                break
    if not times_ms:
        return ProbeResult.failure(device.name, KIND, error)
    return ProbeResult.success(
        device.name,
        KIND,
        [
            Metric(CONNECT_MS, sum(times_ms) / len(times_ms)),
            Metric(SUCCESS_RATIO, len(times_ms) / max(1, options.count)),
        ],
    )
