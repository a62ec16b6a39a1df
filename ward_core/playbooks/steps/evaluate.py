"""``evaluate``: evaluate the stored alert rules for the devices now, and report what fires.

The alerting service is the one the ``alerts`` plugin runs after every probe batch; this step asks
it for one more evaluation of exactly these devices, then reads the firing alerts. A device with a
firing alert of a severity in ``fail_on`` (default ``warning`` and ``critical``) fails the step,
naming the rules; its output lists every firing alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from ward_core.db.models import AlertRow
from ward_core.db.session import session_scope
from ward_core.playbooks.model import DeviceOutcome, Step
from ward_core.playbooks.steps.base import BuiltinStep, EarlierOutputs, StepEnv, every

FIRING = "firing"
PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "fail_on": {"type": "array", "items": {"enum": ["info", "warning", "critical"]}},
    },
    "additionalProperties": False,
}


def run(
    env: StepEnv, step: Step, devices: Sequence[str], earlier: EarlierOutputs
) -> Mapping[str, DeviceOutcome]:
    """Evaluate the rules for ``devices`` and report their firing alerts."""
    if env.plugins.manager.get_plugin("alerts") is None:
        return every(devices, DeviceOutcome(status="failed", reason="the alerts plugin is not loaded"))
    from ward_core.alerts.plugin import STATE

    STATE.get_service().evaluate(list(devices))
    fail_on = set(step.params.get("fail_on", ["warning", "critical"]))
    firing: dict[str, list[dict[str, Any]]] = {name: [] for name in devices}
    with session_scope(env.engine) as session:
        rows = session.scalars(
            select(AlertRow).where(AlertRow.device.in_(list(devices)), AlertRow.state == FIRING)
        )
        for row in rows:
            firing[row.device].append(
                {"id": row.id, "rule": row.rule, "severity": row.severity, "summary": row.summary}
            )
    results: dict[str, DeviceOutcome] = {}
    for name in devices:
        output = {"firing": firing[name]}
        bad = [a for a in firing[name] if a["severity"] in fail_on]
        if bad:
            reason = "firing: " + ", ".join(f"{a['rule']} ({a['summary']})" for a in bad)
            results[name] = DeviceOutcome(status="failed", reason=reason, output=output)
        else:
            results[name] = DeviceOutcome(status="ok", output=output)
    return results


STEP = BuiltinStep(
    name="evaluate",
    description="evaluate the alert rules for the devices and report the alerts firing",
    params_schema=PARAMS_SCHEMA,
    run=run,
)
