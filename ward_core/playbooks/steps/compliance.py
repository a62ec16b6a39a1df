"""``compliance``: judge each device's latest backup against its intended configuration, as
``ward compliance report`` does. A non-compliant device fails the step; its output carries the
failing features and the commands that would fix them (``remediation``), so a later ``remediate``
step can say ``when: audit.failed``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ward_core.backup.compliance import compliance_report
from ward_core.db.session import session_scope
from ward_core.playbooks.model import DeviceOutcome, Step
from ward_core.playbooks.steps.base import BuiltinStep, EarlierOutputs, StepEnv

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"features": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
    "additionalProperties": False,
}


def run(
    env: StepEnv, step: Step, devices: Sequence[str], earlier: EarlierOutputs
) -> Mapping[str, DeviceOutcome]:
    """Judge ``devices``; only the step's ``features`` count when given."""
    wanted = step.params.get("features")
    with session_scope(env.engine) as session:
        report = compliance_report(session, env.plugins, env.settings, list(devices)).by_device()
    results: dict[str, DeviceOutcome] = {}
    for name in devices:
        device = report.get(name)
        if device is None:
            results[name] = DeviceOutcome(status="failed", reason="not in the inventory")
            continue
        features = [f for f in device.features if wanted is None or f.feature in wanted]
        bad = [f for f in features if f.status != "compliant"]
        output = {
            "status": device.status,
            "version_id": device.version_id,
            "non_compliant": [f.feature for f in bad],
            "remediation": [c for f in bad for c in f.remediation],
        }
        if device.status in ("no-backup", "no-templates") or (device.error and not device.features):
            results[name] = DeviceOutcome(
                status="failed", reason=f"{device.status}: {device.error}", output=output
            )
        elif bad:
            detail = ", ".join(f"{f.feature} ({f.error or f.status})" for f in bad)
            results[name] = DeviceOutcome(status="failed", reason=f"non-compliant: {detail}", output=output)
        else:
            results[name] = DeviceOutcome(status="ok", output=output)
    return results


STEP = BuiltinStep(
    name="compliance",
    description="judge the latest backups against the intended configuration, per feature",
    params_schema=PARAMS_SCHEMA,
    run=run,
)
