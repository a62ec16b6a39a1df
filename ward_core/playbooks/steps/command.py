"""``command``: run read-only ``show`` commands over SSH (Nornir + netmiko) and keep the outputs.

Only commands starting with ``show `` are accepted (checked when the playbook is read), so this
step can never change a device. Sessions run in Nornir's threaded runner, at most ``per_site`` at
once per site. Output per device: ``outputs`` (command to text).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from nornir import InitNornir
from nornir.core.inventory import ConnectionOptions
from nornir.core.task import Result, Task
from nornir_netmiko.tasks import netmiko_send_command

from ward_core.backup.runner import SiteCappedRunner
from ward_core.db.session import database_url
from ward_core.playbooks.model import DeviceOutcome, Step
from ward_core.playbooks.steps.base import BuiltinStep, EarlierOutputs, StepEnv

READ_ONLY_PATTERN = r"^show\s+\S"
PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "commands": {
            "type": "array",
            "items": {"type": "string", "pattern": READ_ONLY_PATTERN},
            "minItems": 1,
        },
        "workers": {"type": "integer", "minimum": 1},
        "timeout": {"type": "number", "exclusiveMinimum": 0},
    },
    "required": ["commands"],
    "additionalProperties": False,
}


def _task(task: Task, commands: Sequence[str], timeout: float) -> Result:
    outputs: dict[str, str] = {}
    for command in commands:
        reply = task.run(task=netmiko_send_command, command_string=command, enable=True, read_timeout=timeout)
        outputs[command] = str(reply.result)
    return Result(host=task.host, result=outputs)


def run(
    env: StepEnv, step: Step, devices: Sequence[str], earlier: EarlierOutputs
) -> Mapping[str, DeviceOutcome]:
    """Send the step's show commands to ``devices``; a device that fails keeps its reason."""
    commands = [str(c) for c in step.params["commands"]]
    timeout = float(step.params.get("timeout", env.settings.backup_timeout_s))
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    url = database_url(env.settings).render_as_string(hide_password=False)
    nr = InitNornir(
        inventory={
            "plugin": "WardInventory",
            "options": {"database_url": url, "settings": env.settings, "require_credentials": False},
        },
        logging={"enabled": False},
    )
    wanted = set(devices)
    nr = nr.filter(filter_func=lambda host: host.name in wanted)
    for host in nr.inventory.hosts.values():
        current = host.connection_options.get("netmiko")
        extras = dict(current.extras or {}) if current is not None else {}
        extras.update({"fast_cli": True, "conn_timeout": min(timeout, 10.0), "auth_timeout": timeout})
        host.connection_options["netmiko"] = ConnectionOptions(extras=extras)
    runner = SiteCappedRunner(num_workers=int(step.params.get("workers", 20)), per_site=env.per_site)
    results = nr.with_runner(runner).run(task=_task, commands=commands, timeout=timeout)
    nr.close_connections()
    outcomes: dict[str, DeviceOutcome] = {}
    for name in devices:
        multi = results.get(name)
        if multi is None:
            outcomes[name] = DeviceOutcome(status="failed", reason="not in the inventory")
        elif multi.failed:
            failed = next((r for r in multi if r.failed), multi[0])
            error = failed.exception
            reason = f"{type(error).__name__}: {error}".splitlines()[0] if error else "failed"
            outcomes[name] = DeviceOutcome(status="failed", reason=reason)
        else:
            outcomes[name] = DeviceOutcome(status="ok", output={"outputs": dict(multi[0].result)})
    return outcomes


STEP = BuiltinStep(
    name="command",
    description="run read-only show commands over SSH and keep their outputs",
    params_schema=PARAMS_SCHEMA,
    run=run,
)
