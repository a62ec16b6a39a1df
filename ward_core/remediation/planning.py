"""Making a plan for one device now: the action's plan step, then its pre-check on the device.

Used when a request is proposed (the plan approvers will see) and again on the worker right
before executing (to compare hashes). The pre-check only reads (show commands); a plan step or
pre-check refusing (``ValueError``) or the device failing becomes a
:class:`~ward_core.errors.RequestRefused` naming the action and device.
"""

from __future__ import annotations

from ward_core.errors import DeviceError, RequestRefused
from ward_core.remediation.context import OpenSession
from ward_core.remediation.planhash import PlannedChange
from ward_core.types import ActionPlan, ActionSpec, DeviceTarget, JsonObject


def _plan(spec: ActionSpec, device: DeviceTarget, params: JsonObject) -> ActionPlan:
    try:
        plan = spec.plan(device=device, params=params)
    except (ValueError, DeviceError) as exc:
        raise RequestRefused(f"action {spec.name!r} on device {device.name!r}: {exc}") from exc
    if not isinstance(plan, ActionPlan):
        raise RequestRefused(
            f"action {spec.name!r}: its plan step returned {type(plan).__name__}, not an ActionPlan"
        )
    if plan.device != device.name or plan.action != spec.name:
        raise RequestRefused(f"action {spec.name!r}: its plan names {plan.action!r} on {plan.device!r}")
    return plan


def make_plan(
    spec: ActionSpec, device: DeviceTarget, params: JsonObject, session: OpenSession | None
) -> PlannedChange:
    """The plan of ``spec`` for ``device`` with validated ``params``, pre-checked through ``session``.

    ``session`` may be None only for actions without a pre-check.
    """
    plan = _plan(spec, device, params)
    precheck: str | None = None
    if spec.precheck is not None:
        if session is None:
            raise RequestRefused(f"action {spec.name!r} needs a session to {device.name!r} for its pre-check")
        try:
            precheck = spec.precheck(device=device, params=params, session=session)
        except (ValueError, DeviceError) as exc:
            raise RequestRefused(f"action {spec.name!r} on device {device.name!r}: pre-check: {exc}") from exc
        if not isinstance(precheck, str):
            raise RequestRefused(
                f"action {spec.name!r}: its pre-check returned {type(precheck).__name__}, not text"
            )
    return PlannedChange.of(plan, device=device, destructive=spec.destructive, precheck=precheck)
