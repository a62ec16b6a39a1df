"""Collecting neighbours from a batch of devices through the plugins, one device per thread.

Each device is a Nornir host; the task calls
:meth:`~ward_core.plugin_manager.WardPlugins.topology_neighbours` for it, and the plugin that
knows its platform and the transport (``ssh``: CLI commands parsed with ntc-templates; ``snmp``:
LLDP-MIB and CISCO-CDP-MIB) does the talking. Nornir's threads run the batch (``workers`` at
once) under a :class:`~ward_core.topology.runner.DeadlineRunner`, so a dead or hanging device
costs one thread for at most ``deadline_s`` and never stops the others.

Whatever happens, every device of the batch gets an :class:`Observation`: failed ones carry the
reason (unreachable, refused login, no plugin for its platform, a plugin error).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from nornir.core import Nornir
from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory
from nornir.core.task import Result, Task

from ward_core.db.types import utcnow
from ward_core.plugin_manager import WardPlugins
from ward_core.topology.records import Observation
from ward_core.topology.runner import DeadlineRunner
from ward_core.types import DeviceTarget, Transport

log = logging.getLogger(__name__)

TASK_NAME = "ward-topology-neighbours"
DEADLINE_GRACE = 1.5
"""The runner abandons a device after this many times the plugins' own timeout (plus a second)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectOptions:
    """How a batch is collected: ``workers`` devices at once, each within ``timeout_s``."""

    workers: int = 50
    timeout_s: float = 30.0

    @property
    def deadline_s(self) -> float:
        """When the runner gives up on a device whose plugin did not time out by itself."""
        return self.timeout_s * DEADLINE_GRACE + 1.0


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _task(task: Task, plugins: WardPlugins, targets: dict[str, DeviceTarget], transport: Transport) -> Result:
    target = targets[task.host.name]
    started_at = utcnow()
    clock = time.perf_counter()
    try:
        records = plugins.topology_neighbours(target, transport)
    except Exception as exc:
        observation = Observation(
            device=target.name,
            transport=transport,
            collected_at=started_at,
            ok=False,
            error=_describe(exc),
            duration_s=time.perf_counter() - clock,
        )
    else:
        if records is None:
            observation = Observation(
                device=target.name,
                transport=transport,
                collected_at=started_at,
                ok=False,
                error=f"no plugin discovers neighbours of platform {target.platform!r} over {transport}",
                duration_s=time.perf_counter() - clock,
            )
        else:
            observation = Observation(
                device=target.name,
                transport=transport,
                collected_at=started_at,
                ok=True,
                records=records,
                duration_s=time.perf_counter() - clock,
            )
    return Result(host=task.host, result=observation, failed=not observation.ok)


def collect(
    plugins: WardPlugins, targets: Sequence[DeviceTarget], transport: Transport, options: CollectOptions
) -> list[Observation]:
    """One observation per target, in the targets' order."""
    if not targets:
        return []
    by_name = {t.name: t for t in targets}
    hosts = Hosts(
        {
            t.name: Host(
                name=t.name, hostname=t.host, port=t.port, platform=t.platform, data={"site": t.site}
            )
            for t in targets
        }
    )
    runner = DeadlineRunner(min(options.workers, len(targets)), options.deadline_s)
    nornir = Nornir(inventory=Inventory(hosts=hosts, groups=Groups(), defaults=Defaults()), runner=runner)
    started_at = utcnow()
    results = nornir.run(task=_task, name=TASK_NAME, plugins=plugins, targets=by_name, transport=transport)
    observations = []
    for target in targets:
        multi = results.get(target.name)
        value = multi[0].result if multi else None
        if isinstance(value, Observation):
            observations.append(value)
            continue
        exception = multi[0].exception if multi else None
        error = _describe(exception) if exception is not None else "the collection returned nothing"
        log.warning("topology collection of %s failed: %s", target.name, error)
        observations.append(
            Observation(
                device=target.name, transport=transport, collected_at=started_at, ok=False, error=error
            )
        )
    return observations
