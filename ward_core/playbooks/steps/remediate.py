"""``remediate``: propose a remediation action per device, through the approval gate.

The step only *proposes* (``ward remediation propose``): the plan is made on the device, stored with
its hash and waits for the approvals the policy asks for. Only a request the policy approves at
once (no approval needed) is handed to a worker, whose gate checks it again, exactly as the
``propose`` command does. Nothing runs around the gate.

Parameters: ``action``, ``params`` and ``reason``; in ``params`` and ``reason``, ``{device}`` is the
device name and, with ``for_each: STEP.KEY`` (a list in an earlier step's output), one request is
proposed per item, ``{item}`` being the item. Output per device: ``requests`` (id, state, hash).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ward_core.errors import RemediationError
from ward_core.playbooks.model import DeviceOutcome, Step
from ward_core.playbooks.steps.base import BuiltinStep, EarlierOutputs, StepEnv
from ward_core.remediation.context import RemediationContext
from ward_core.remediation.proposals import propose
from ward_core.remediation.runtime import enqueue
from ward_core.remediation.states import RequestState

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "minLength": 1},
        "params": {"type": "object"},
        "reason": {"type": "string", "minLength": 1},
        "severity": {"enum": ["info", "warning", "critical"]},
        "for_each": {"type": "string", "pattern": r"^[A-Za-z_][\w-]*\.[A-Za-z_]\w*$"},
    },
    "required": ["action", "reason"],
    "additionalProperties": False,
}


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return value.format_map(values)
    if isinstance(value, Mapping):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


def _items(step: Step, device: str, earlier: EarlierOutputs) -> list[str | None]:
    source = step.params.get("for_each")
    if not isinstance(source, str):
        return [None]
    step_id, _, key = source.partition(".")
    found = earlier.get(step_id, {}).get(device, {}).get(key) or []
    return [str(item) for item in found] if isinstance(found, list) else [str(found)]


def run(
    env: StepEnv, step: Step, devices: Sequence[str], earlier: EarlierOutputs
) -> Mapping[str, DeviceOutcome]:
    """Propose the step's action on each device (once per ``for_each`` item)."""
    rc = RemediationContext.build(env.engine, env.plugins, env.settings)
    action = str(step.params["action"])
    results: dict[str, DeviceOutcome] = {}
    for device in devices:
        requests: list[dict[str, Any]] = []
        errors: list[str] = []
        for item in _items(step, device, earlier):
            values = {"device": device, "item": item or "", "playbook": env.playbook}
            try:
                params = _fill(dict(step.params.get("params") or {}), values)
                reason = _fill(str(step.params["reason"]), values)
                proposal = propose(
                    rc,
                    action=action,
                    device=device,
                    params=params,
                    reason=reason,
                    requested_by=env.requested_by,
                    severity=step.params.get("severity"),
                    evidence={"playbook": env.playbook, "run": env.run_id, "step": step.id},
                )
                queued = enqueue(rc, proposal.request_id) if proposal.state is RequestState.APPROVED else None
            except (RemediationError, KeyError, ValueError) as exc:
                errors.append(f"{item + ': ' if item else ''}{exc}")
                continue
            requests.append(
                {
                    "request_id": proposal.request_id,
                    "state": proposal.state.value,
                    "plan_hash": proposal.plan_hash,
                    "approvals_needed": proposal.needed,
                    "summary": proposal.plan.summary,
                    "item": item,
                    "queued": queued,
                }
            )
        output = {"action": action, "requests": requests}
        if errors:
            results[device] = DeviceOutcome(status="failed", reason="; ".join(errors), output=output)
        elif not requests:
            results[device] = DeviceOutcome(status="skipped", reason="nothing to propose", output=output)
        else:
            pending = ", ".join(f"request {r['request_id']} {r['state']}" for r in requests)
            results[device] = DeviceOutcome(status="ok", reason=pending, output=output)
    return results


STEP = BuiltinStep(
    name="remediate",
    description="propose a remediation action per device; it waits for approval (never bypasses the gate)",
    params_schema=PARAMS_SCHEMA,
    run=run,
)
