"""Device-wide actions: one read-only show command, save the configuration, reload.

``ios.show`` is the only action ward treats as read-only: it accepts ``show`` commands with the
output filters that cannot write (``include``, ``exclude``, ``begin``, ``section``, ``count``), and
its output goes through every plugin's redaction before it is stored or shown.
"""

from __future__ import annotations

import re
import time

from ward_actions_ios import PLATFORMS
from ward_actions_ios.ios_text import stable_version_lines, uptime_seconds
from ward_actions_ios.state import STATE
from ward_core.errors import DeviceError
from ward_core.types import ActionOutcome, ActionPlan, ActionSpec, DeviceSession, DeviceTarget, JsonObject

SHOW = "ios.show"
SAVE = "ios.save_config"
RELOAD = "ios.reload"
SHOW_PATTERN = r"^show [A-Za-z0-9 /:._-]+( \| (include|exclude|begin|section|count) [^|\n]+)?$"
RELOAD_WAIT_S = 600
RECONNECT_INTERVAL_S = 2.0
SENT_AT = re.compile(r"^reload sent at (\d+(?:\.\d+)?)$", re.MULTILINE)


def plan_show(*, device: DeviceTarget, params: JsonObject) -> ActionPlan:
    """The one show command."""
    command = str(params.get("command", ""))
    if not re.fullmatch(SHOW_PATTERN, command):
        raise ValueError(f"{command!r} is not a read-only show command")
    return ActionPlan(
        action=SHOW,
        device=device.name,
        summary=f"run {command!r} on {device.name}",
        commands=(command,),
        params=params,
    )


def execute_show(*, plan: ActionPlan, session: DeviceSession) -> ActionOutcome:
    """Run it; the output, redacted, is the outcome."""
    output = session.send_command(plan.commands[0])
    return ActionOutcome(ok=True, changed=False, output=STATE.redact(session.device.platform, output))


def verify_show(*, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome) -> ActionOutcome:
    """Nothing to check beyond the device accepting the command."""
    return ActionOutcome(ok=True, output=f"{len(execution.output.splitlines())} line(s) of output")


def plan_save(*, device: DeviceTarget, params: JsonObject) -> ActionPlan:
    """``write memory``."""
    return ActionPlan(
        action=SAVE,
        device=device.name,
        summary=f"save the running configuration of {device.name} to the startup configuration",
        commands=("write memory",),
        params=params,
    )


def execute_save(*, plan: ActionPlan, session: DeviceSession) -> ActionOutcome:
    """Send ``write memory``."""
    return ActionOutcome(ok=True, changed=True, output=session.send_command(plan.commands[0]))


def verify_saved(*, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome) -> ActionOutcome:
    """The device printed ``[OK]``."""
    if "[OK]" in execution.output:
        return ActionOutcome(ok=True, output="[OK]")
    return ActionOutcome(
        ok=False, output=execution.output, exception="the device did not confirm the save ([OK])"
    )


def precheck_version(*, device: DeviceTarget, params: JsonObject, session: DeviceSession) -> str:
    """The software, image and hardware lines of ``show version`` (not the uptime)."""
    return stable_version_lines(session.send_command("show version"))


def plan_reload(*, device: DeviceTarget, params: JsonObject) -> ActionPlan:
    """``reload``, confirmed; a 'Save?' question is answered yes."""
    wait = params.get("wait_s", RELOAD_WAIT_S)
    return ActionPlan(
        action=RELOAD,
        device=device.name,
        summary=f"reload {device.name} (unsaved changes are saved first), then wait up to {wait} s for it",
        commands=("reload",),
        params={**params, "wait_s": wait},
    )


def execute_reload(*, plan: ActionPlan, session: DeviceSession) -> ActionOutcome:
    """Send ``reload`` and confirm; the device dropping the session is what a reload does."""
    sent = time.time()
    try:
        output = session.send_command("reload", confirm=True)
    except DeviceError as exc:
        output = f"session closed by the reload: {exc}"
    return ActionOutcome(ok=True, changed=True, output=f"{output}\nreload sent at {sent:.3f}")


def verify_reloaded(*, plan: ActionPlan, session: DeviceSession, execution: ActionOutcome) -> ActionOutcome:
    """The device answers again and its uptime started after the reload was sent."""
    wait = float(str(plan.params.get("wait_s", RELOAD_WAIT_S)))
    sent = SENT_AT.search(execution.output)
    if sent is None:
        return ActionOutcome(ok=False, exception="execute did not record when the reload was sent")
    deadline = time.monotonic() + wait
    while True:
        try:
            output = session.send_command("show version")
            break
        except DeviceError as exc:
            if time.monotonic() + RECONNECT_INTERVAL_S > deadline:
                return ActionOutcome(ok=False, exception=f"not back after {wait:g} s: {exc}")
            time.sleep(RECONNECT_INTERVAL_S)
    up = uptime_seconds(output)
    since = time.time() - float(sent[1])
    if up is None:
        return ActionOutcome(ok=False, output=output[:500], exception="no uptime in show version")
    if up > since + 60:
        return ActionOutcome(
            ok=False, exception=f"uptime {up} s: the device did not reload {since:.0f} s ago"
        )
    return ActionOutcome(ok=True, output=f"back with uptime {up} s")


def device_actions() -> list[ActionSpec]:
    """Show, save and reload."""
    return [
        ActionSpec(
            name=SHOW,
            description="run one read-only show command (output redacted)",
            params_schema={
                "type": "object",
                "properties": {"command": {"type": "string", "pattern": SHOW_PATTERN, "maxLength": 200}},
                "required": ["command"],
                "additionalProperties": False,
            },
            destructive=False,
            plan=plan_show,
            execute=execute_show,
            verify=verify_show,
            platforms=PLATFORMS,
            changes_config=False,
        ),
        ActionSpec(
            name=SAVE,
            description="save the running configuration (write memory)",
            params_schema={"type": "object", "properties": {}, "additionalProperties": False},
            destructive=False,
            plan=plan_save,
            execute=execute_save,
            verify=verify_saved,
            platforms=PLATFORMS,
            changes_config=False,
        ),
        ActionSpec(
            name=RELOAD,
            description="reload the device and wait for it to come back",
            params_schema={
                "type": "object",
                "properties": {"wait_s": {"type": "integer", "minimum": 10, "maximum": 3600}},
                "additionalProperties": False,
            },
            destructive=True,
            plan=plan_reload,
            precheck=precheck_version,
            execute=execute_reload,
            verify=verify_reloaded,
            platforms=PLATFORMS,
            changes_config=False,
        ),
    ]
