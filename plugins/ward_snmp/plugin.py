"""The module ward loads for the ``snmp`` entry point: lifecycle and probe hooks."""

from __future__ import annotations

from collections.abc import Sequence

from ward_core import hookimpl
from ward_core.config import Settings
from ward_core.types import DeviceTarget, ProbeBatchResult, ProbeKind, ProbeOptions
from ward_snmp.batch import run_batch
from ward_snmp.kinds import KINDS, PROBE_KINDS
from ward_snmp.state import StateHolder

STATE = StateHolder()
"""The plugin's state: credentials resolver and resource OID registry (one per process)."""


@hookimpl
def ward_configure(settings: Settings) -> None:
    """Keep the settings' credential resolver and load every plugin's resource OIDs."""
    STATE.configure(settings)


@hookimpl
def ward_unconfigure() -> None:
    """Forget the configured state."""
    STATE.clear()


@hookimpl
def ward_probe_kinds() -> list[ProbeKind]:
    """Declare ``snmp.system``, ``snmp.interfaces`` and ``snmp.resources``."""
    return list(PROBE_KINDS)


@hookimpl
def ward_probe_run(
    kind: str, devices: Sequence[DeviceTarget], options: ProbeOptions
) -> ProbeBatchResult | None:
    """Poll the whole batch in one asyncio loop; ``None`` for a kind this plugin does not run."""
    if kind not in KINDS:
        return None
    return run_batch(kind, devices, options, STATE.current)
