"""Remediation: two harmless actions showing the plan / execute / verify / rollback steps.

``reference.clear_counters`` cannot be undone (there is nothing to restore), so it has no
rollback. ``reference.interface_description`` remembers the old description while executing and
its rollback puts it back.
"""

from __future__ import annotations

import re

from ward_core import hookimpl
from ward_core.errors import DeviceError
from ward_core.types import ActionOutcome, ActionPlan, ActionSpec, DeviceSession, DeviceTarget, JsonObject
from ward_reference import PLUGIN

IOS_LIKE = frozenset({"cisco_ios", "cisco_xe", "cisco_nxos", "arista_eos"})

_INTERFACE: JsonObject = {"type": "string", "minLength": 1, "pattern": r"^\S+$"}


def _text_param(device: DeviceTarget, params: JsonObject, name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value or "\n" in value:
        raise ValueError(
            f"device {device.name!r}: parameter {name!r} must be a one-line string, got {value!r}"
        )
    return value


def _ios_like(device: DeviceTarget, action: str) -> None:
    if device.platform not in IOS_LIKE:
        raise ValueError(
            f"device {device.name!r}: {action} supports {', '.join(sorted(IOS_LIKE))}, "
            f"not {device.platform!r}"
        )


# --------------------------------------------------------------------------- clear counters


def plan_clear_counters(*, device: DeviceTarget, params: JsonObject) -> ActionPlan:
    """One ``clear counters`` command for the interface."""
    _ios_like(device, "reference.clear_counters")
    interface = _text_param(device, params, "interface")
    return ActionPlan(
        action="reference.clear_counters",
        device=device.name,
        summary=f"clear the counters of {interface} on {device.name}",
        commands=(f"clear counters {interface}",),
        params=params,
    )


def execute_commands(*, plan: ActionPlan, session: DeviceSession) -> ActionOutcome:
    """Send the plan's exec commands, answering confirmation prompts."""
    try:
        output = "".join(session.send_command(command, confirm=True) for command in plan.commands)
    except DeviceError as exc:
        return ActionOutcome(ok=False, exception=str(exc))
    return ActionOutcome(ok=True, changed=True, output=output)


def verify_counters_cleared(
    *, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome
) -> ActionOutcome:
    """``show interfaces`` says the counters were cleared less than five minutes ago."""
    interface = str(plan.params["interface"])
    output = session.send_command(f"show interfaces {interface}")
    match = re.search(r'Last clearing of "show interface" counters (\S+)', output)
    if match is None:
        return ActionOutcome(ok=False, output=output, exception=f"no 'Last clearing' line for {interface}")
    age = _age_seconds(match[1])
    if age is None or age >= 300:
        return ActionOutcome(
            ok=False, output=match[0], exception=f"{interface} counters last cleared {match[1]}"
        )
    return ActionOutcome(ok=True, output=match[0])


def _age_seconds(text: str) -> int | None:
    """``hh:mm:ss`` as seconds; None for ``never`` and for longer forms such as ``1d02h``.

    >>> _age_seconds("00:01:05"), _age_seconds("never")
    (65, None)
    """
    match = re.fullmatch(r"(\d+):(\d\d):(\d\d)", text)
    if match is None:
        return None
    return int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3])


# --------------------------------------------------------------------------- interface description


def _description(running_config: str) -> str | None:
    """The description line of ``show running-config interface X`` output.

    >>> _description("interface Gi0/1\\n description uplink to core\\n no shutdown")
    'uplink to core'
    """
    match = re.search(r"^ description (.+)$", running_config, re.MULTILINE)
    return match[1].rstrip() if match else None


def plan_description(*, device: DeviceTarget, params: JsonObject) -> ActionPlan:
    """Enter the interface and set its description."""
    _ios_like(device, "reference.interface_description")
    interface = _text_param(device, params, "interface")
    description = _text_param(device, params, "description")
    return ActionPlan(
        action="reference.interface_description",
        device=device.name,
        summary=f"set the description of {interface} on {device.name} to {description!r}",
        commands=(f"interface {interface}", f" description {description}"),
        params=params,
    )


def execute_description(*, plan: ActionPlan, session: DeviceSession) -> ActionOutcome:
    """Remember the current description (for rollback), then configure the new one."""
    interface = str(plan.params["interface"])
    try:
        previous = _description(session.send_command(f"show running-config interface {interface}"))
        output = session.send_config(plan.commands)
    except DeviceError as exc:
        return ActionOutcome(ok=False, exception=str(exc))
    restore = f" description {previous}" if previous else " no description"
    return ActionOutcome(ok=True, changed=True, output=output, undo=(f"interface {interface}", restore))


def verify_description(
    *, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome
) -> ActionOutcome:
    """The running configuration now carries the wanted description."""
    interface = str(plan.params["interface"])
    found = _description(session.send_command(f"show running-config interface {interface}"))
    wanted = str(plan.params["description"])
    if found != wanted:
        return ActionOutcome(
            ok=False, output=str(found), exception=f"{interface} description is {found!r}, not {wanted!r}"
        )
    return ActionOutcome(ok=True, output=found)


def rollback_description(
    *, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome
) -> ActionOutcome:
    """Send the commands execute saved to restore the previous description."""
    if not execution.undo:
        return ActionOutcome(ok=True, output="nothing to undo")
    try:
        output = session.send_config(execution.undo)
    except DeviceError as exc:
        return ActionOutcome(ok=False, exception=str(exc))
    return ActionOutcome(ok=True, changed=True, output=output)


@hookimpl
def ward_remediation_actions() -> list[ActionSpec]:
    """Offer both actions; neither affects traffic, so neither is destructive."""
    return [
        ActionSpec(
            name="reference.clear_counters",
            description=f"clear an interface's counters ({PLUGIN} plugin demo)",
            params_schema={
                "type": "object",
                "properties": {"interface": _INTERFACE},
                "required": ["interface"],
                "additionalProperties": False,
            },
            destructive=False,
            plan=plan_clear_counters,
            execute=execute_commands,
            verify=verify_counters_cleared,
        ),
        ActionSpec(
            name="reference.interface_description",
            description=f"set an interface's description ({PLUGIN} plugin demo)",
            params_schema={
                "type": "object",
                "properties": {"interface": _INTERFACE, "description": {"type": "string", "minLength": 1}},
                "required": ["interface", "description"],
                "additionalProperties": False,
            },
            destructive=False,
            plan=plan_description,
            execute=execute_description,
            verify=verify_description,
            rollback=rollback_description,
        ),
    ]
