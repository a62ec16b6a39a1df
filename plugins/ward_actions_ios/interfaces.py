"""Interface actions: bounce (shutdown, wait, no shutdown), enable, clear counters.

Their pre-check is the interface's running configuration (``show running-config interface X``,
volatile header removed): it names the interface's description, addresses and admin state, so a
change to any of them between approval and execution changes the plan's hash.
"""

from __future__ import annotations

import time

from ward_actions_ios import PLATFORMS
from ward_actions_ios.ios_text import INTERFACE_SCHEMA, config_section, interface_param, is_shut, status
from ward_core.types import ActionOutcome, ActionPlan, ActionSpec, DeviceSession, DeviceTarget, JsonObject

BOUNCE = "ios.interface_bounce"
ENABLE = "ios.interface_enable"
CLEAR = "ios.clear_counters"
DEFAULT_HOLD_S = 5
VERIFY_WAIT_S = 30.0
VERIFY_INTERVAL_S = 1.0


def _section(session: DeviceSession, interface: str) -> str:
    return config_section(session.send_command(f"show running-config interface {interface}"))


def precheck_interface(*, device: DeviceTarget, params: JsonObject, session: DeviceSession) -> str:
    """The interface's running configuration (the device rejects an unknown interface)."""
    return _section(session, interface_param(device, params))


def precheck_bounce(*, device: DeviceTarget, params: JsonObject, session: DeviceSession) -> str:
    """As :func:`precheck_interface`; an interface shut by configuration is not bounced."""
    section = precheck_interface(device=device, params=params, session=session)
    if is_shut(section):
        raise ValueError(
            f"{params['interface']} is administratively down (shutdown): enable it with {ENABLE} instead"
        )
    return section


def precheck_enable(*, device: DeviceTarget, params: JsonObject, session: DeviceSession) -> str:
    """As :func:`precheck_interface`; an interface that is not shut has nothing to enable."""
    section = precheck_interface(device=device, params=params, session=session)
    if not is_shut(section):
        raise ValueError(f"{params['interface']} is not shut down: nothing to enable")
    return section


def plan_bounce(*, device: DeviceTarget, params: JsonObject) -> ActionPlan:
    """``interface X`` / ``shutdown``, wait ``hold_s``, ``interface X`` / ``no shutdown``."""
    interface = interface_param(device, params)
    hold = params.get("hold_s", DEFAULT_HOLD_S)
    return ActionPlan(
        action=BOUNCE,
        device=device.name,
        summary=f"shut {interface} down on {device.name}, wait {hold} s, bring it back up",
        commands=(f"interface {interface}", "shutdown", f"interface {interface}", "no shutdown"),
        params={**params, "hold_s": hold},
    )


def execute_bounce(*, plan: ActionPlan, session: DeviceSession) -> ActionOutcome:
    """Send the two halves with the hold between them; undo is ``no shutdown``."""
    interface = str(plan.params["interface"])
    hold = float(str(plan.params.get("hold_s", DEFAULT_HOLD_S)))
    undo = (f"interface {interface}", "no shutdown")
    down = ""
    try:
        down = session.send_config(list(plan.commands[:2]))
        time.sleep(hold)
        up = session.send_config(list(plan.commands[2:]))
    except Exception as exc:
        return ActionOutcome(
            ok=False, changed=True, output=down, exception=f"{type(exc).__name__}: {exc}", undo=undo
        )
    return ActionOutcome(ok=True, changed=True, output=down + up, undo=undo)


def _wait_for_up(session: DeviceSession, interface: str, need_protocol: bool) -> ActionOutcome:
    deadline = time.monotonic() + VERIFY_WAIT_S
    while True:
        output = session.send_command(f"show interfaces {interface}")
        found = status(output)
        first = output.splitlines()[0] if output else ""
        if (
            found is not None
            and found[0] != "administratively down"
            and (found[1] == "up" or not need_protocol)
        ):
            return ActionOutcome(ok=True, output=first)
        if time.monotonic() >= deadline:
            return ActionOutcome(ok=False, output=first, exception=f"{interface} is not up: {first!r}")
        time.sleep(VERIFY_INTERVAL_S)


def verify_up(*, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome) -> ActionOutcome:
    """The interface is administratively up and its line protocol is up (waits up to 30 s)."""
    return _wait_for_up(session, str(plan.params["interface"]), need_protocol=True)


def verify_enabled(*, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome) -> ActionOutcome:
    """The interface is no longer administratively down (the far end decides the protocol)."""
    return _wait_for_up(session, str(plan.params["interface"]), need_protocol=False)


def rollback_undo(*, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome) -> ActionOutcome:
    """Send the commands execute saved to restore the interface."""
    if not execution.undo:
        return ActionOutcome(ok=True, output="nothing to undo")
    return ActionOutcome(ok=True, changed=True, output=session.send_config(list(execution.undo)))


def plan_enable(*, device: DeviceTarget, params: JsonObject) -> ActionPlan:
    """``interface X`` / ``no shutdown``."""
    interface = interface_param(device, params)
    return ActionPlan(
        action=ENABLE,
        device=device.name,
        summary=f"enable {interface} on {device.name} (no shutdown)",
        commands=(f"interface {interface}", "no shutdown"),
        params=params,
    )


def execute_config(*, plan: ActionPlan, session: DeviceSession) -> ActionOutcome:
    """Send the plan's lines in configuration mode; undo shuts the interface again."""
    interface = str(plan.params["interface"])
    output = session.send_config(list(plan.commands))
    return ActionOutcome(ok=True, changed=True, output=output, undo=(f"interface {interface}", "shutdown"))


def plan_clear(*, device: DeviceTarget, params: JsonObject) -> ActionPlan:
    """``clear counters X`` (confirmed)."""
    interface = interface_param(device, params)
    return ActionPlan(
        action=CLEAR,
        device=device.name,
        summary=f"clear the counters of {interface} on {device.name}",
        commands=(f"clear counters {interface}",),
        params=params,
    )


def execute_exec(*, plan: ActionPlan, session: DeviceSession) -> ActionOutcome:
    """Send the plan's exec commands, answering confirmations."""
    output = "".join(session.send_command(command, confirm=True) for command in plan.commands)
    return ActionOutcome(ok=True, changed=True, output=output)


def verify_cleared(*, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome) -> ActionOutcome:
    """``show interfaces X`` says the counters were cleared moments ago."""
    interface = str(plan.params["interface"])
    output = session.send_command(f"show interfaces {interface}")
    line = next((ln.strip() for ln in output.splitlines() if "Last clearing" in ln), "")
    if not line or line.endswith("never"):
        return ActionOutcome(ok=False, output=line, exception=f"{interface}: counters not cleared ({line!r})")
    return ActionOutcome(ok=True, output=line)


def _schema(**extra: JsonObject) -> JsonObject:
    return {
        "type": "object",
        "properties": {"interface": INTERFACE_SCHEMA, **extra},
        "required": ["interface"],
        "additionalProperties": False,
    }


def interface_actions() -> list[ActionSpec]:
    """The three interface actions."""
    return [
        ActionSpec(
            name=BOUNCE,
            description="bounce an interface: shutdown, wait hold_s seconds, no shutdown",
            params_schema=_schema(
                hold_s={"type": "integer", "minimum": 0, "maximum": 300, "default": DEFAULT_HOLD_S}
            ),
            destructive=True,
            plan=plan_bounce,
            precheck=precheck_bounce,
            execute=execute_bounce,
            verify=verify_up,
            rollback=rollback_undo,
            platforms=PLATFORMS,
        ),
        ActionSpec(
            name=ENABLE,
            description="enable an interface that is shut down (no shutdown)",
            params_schema=_schema(),
            destructive=True,
            plan=plan_enable,
            precheck=precheck_enable,
            execute=execute_config,
            verify=verify_enabled,
            rollback=rollback_undo,
            platforms=PLATFORMS,
        ),
        ActionSpec(
            name=CLEAR,
            description="clear an interface's counters",
            params_schema=_schema(),
            destructive=False,
            plan=plan_clear,
            precheck=precheck_interface,
            execute=execute_exec,
            verify=verify_cleared,
            platforms=PLATFORMS,
            changes_config=False,
        ),
    ]
