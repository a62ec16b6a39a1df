"""Running one batch: every device in one asyncio loop, bounded, each with its own deadline.

For each device: build its session target (credentials resolved), then, holding one of
``concurrency`` slots, resolve its host and run attempts (:mod:`ward_snmp.retry`): each attempt
opens a new gufo-snmp session (a fresh socket, so a late answer to a previous attempt can never
be taken for this one's), enters it (v3 discovery) and runs the kind's poll. Whatever goes wrong
becomes that device's failed result (:mod:`ward_snmp.failures`); the other devices never notice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from gufo.snmp.aio import SnmpSession

from ward_core.errors import ConfigError, PluginError
from ward_core.snmp_sessions import SessionTarget, resolve_address
from ward_core.types import DeviceTarget, Metric, ProbeBatchResult, ProbeOptions, ProbeResult
from ward_snmp.failures import translate
from ward_snmp.interfaces import poll_interfaces
from ward_snmp.kinds import INTERFACES, RESOURCES, SYSTEM
from ward_snmp.loop import run_sync
from ward_snmp.resource_types import ResourceOid
from ward_snmp.resources import poll_resources
from ward_snmp.retry import RetryPolicy, with_retries
from ward_snmp.settings import PollSettings
from ward_snmp.state import PluginState
from ward_snmp.system import poll_system

Poll = Callable[[SnmpSession], Awaitable[list[Metric]]]


def run_batch(
    kind: str, devices: Sequence[DeviceTarget], options: ProbeOptions, state: PluginState
) -> ProbeBatchResult:
    """One result per device of ``devices``, in order; bad options fail every device, saying why."""
    try:
        settings = PollSettings.from_options(options)
    except ConfigError as exc:
        return ProbeBatchResult(
            kind=kind, results=tuple(ProbeResult.failure(d.name, kind, exc) for d in devices)
        )
    if not devices:
        return ProbeBatchResult(kind=kind, results=())
    results = run_sync(BatchRun(kind, settings, state).run(devices))
    return ProbeBatchResult(kind=kind, results=tuple(results))


class BatchRun:
    """One batch of one kind, in the running loop."""

    def __init__(self, kind: str, settings: PollSettings, state: PluginState) -> None:
        if kind not in (SYSTEM, INTERFACES, RESOURCES):
            raise ValueError(f"snmp does not run probe kind {kind!r}")
        self.kind = kind
        self.settings = settings
        self.state = state
        self.policy = RetryPolicy(
            timeout=settings.timeout,
            retries=settings.retries,
            backoff=settings.backoff,
            backoff_max=settings.backoff_max,
        )
        self._resources: dict[str, tuple[ResourceOid, ...] | PluginError] = {}
        self._slots: asyncio.Semaphore | None = None

    async def run(self, devices: Sequence[DeviceTarget]) -> list[ProbeResult]:
        """Every device's result, in order."""
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        return list(await asyncio.gather(*(self.device(d) for d in devices)))

    async def device(self, device: DeviceTarget) -> ProbeResult:
        """Poll one device; never raises."""
        version, port = (device.snmp.version, device.snmp.port) if device.snmp else (None, 161)
        try:
            target = self.state.sessions.target(device)
            poll = self._poll_for(device)
            assert self._slots is not None
            async with self._slots:
                async with asyncio.timeout(self.settings.timeout):
                    address = await resolve_address(target.host, target.port)
                metrics = await with_retries(lambda: self._attempt(target, address, poll), self.policy)
        except Exception as exc:
            return ProbeResult.failure(
                device.name, self.kind, translate(exc, device=device.name, version=version, port=port)
            )
        return ProbeResult.success(device.name, self.kind, metrics)

    async def _attempt(self, target: SessionTarget, address: str, poll: Poll) -> list[Metric]:
        session = target.open(
            address, timeout=self.settings.timeout, max_repetitions=self.settings.max_repetitions
        )
        async with session:
            return await poll(session)

    def _poll_for(self, device: DeviceTarget) -> Poll:
        reps = self.settings.max_repetitions
        if self.kind == SYSTEM:
            return poll_system
        if self.kind == INTERFACES:
            return lambda session: poll_interfaces(session, reps)
        specs = self._resource_oids(device.platform)
        return lambda session: poll_resources(session, specs, reps)

    def _resource_oids(self, platform: str) -> tuple[ResourceOid, ...]:
        """The platform's resource OIDs, asked once per batch; a plugin's failure is re-raised per device."""
        if platform not in self._resources:
            try:
                self._resources[platform] = self.state.resources.for_platform(platform)
            except PluginError as exc:
                self._resources[platform] = exc
        found = self._resources[platform]
        if isinstance(found, PluginError):
            raise found
        return found
