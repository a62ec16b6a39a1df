"""``backup``: collect and store the devices' configurations, as ``ward configs backup`` does.

A new version is ``changed`` (its digest in the output), the same configuration ``ok``, a device
that could not be collected ``failed`` with the reason code and detail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ward_core.backup.options import BackupOptions
from ward_core.backup.service import backup_devices
from ward_core.playbooks.model import DeviceOutcome, Step
from ward_core.playbooks.steps.base import BuiltinStep, EarlierOutputs, StepEnv

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "timeout": {"type": "number", "exclusiveMinimum": 0},
        "retries": {"type": "integer", "minimum": 0},
    },
    "additionalProperties": False,
}


def run(
    env: StepEnv, step: Step, devices: Sequence[str], earlier: EarlierOutputs
) -> Mapping[str, DeviceOutcome]:
    """Back up ``devices`` with at most ``per_site`` sessions per site."""
    options = BackupOptions.from_settings(env.settings)
    options = replace(
        options,
        per_site=env.per_site,
        timeout_s=float(step.params.get("timeout", options.timeout_s)),
        retries=int(step.params.get("retries", options.retries)),
    )
    outcome = backup_devices(
        engine=env.engine,
        plugins=env.plugins,
        settings=env.settings,
        device_names=devices,
        options=options,
        requested_by=f"playbook {env.playbook}",
        unknown_devices="fail",
    )
    results: dict[str, DeviceOutcome] = {}
    for device in outcome.devices:
        output = {"version_id": device.version_id, "digest": device.digest, "changed_by": device.changed_by}
        if device.status == "failed":
            reason = f"{device.reason}: {device.error}" if device.error else str(device.reason)
            results[device.device] = DeviceOutcome(status="failed", reason=reason, output=output)
        elif device.status == "changed":
            results[device.device] = DeviceOutcome(
                status="changed", reason="new configuration version", output=output
            )
        else:
            results[device.device] = DeviceOutcome(status="ok", output=output)
    return results


STEP = BuiltinStep(
    name="backup",
    description="collect and store configurations (a new version when they changed)",
    params_schema=PARAMS_SCHEMA,
    run=run,
)
