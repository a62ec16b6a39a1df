"""``probe``: measure devices now (ICMP, SNMP...) and store the samples, as ``ward poll`` does.

Output per device: the newest unlabelled values (``ping.loss_pct``...), ``interfaces_up`` and
``interfaces_down`` (counts of interfaces up, and administratively up but down: unused ports
included), and ``links_down``: the interfaces (full names) that have a neighbour in the latest
topology snapshot but are down now, i.e. links that were cabled and working. A later step can say
``when: poll.links_down``. Without a topology snapshot ``links_down`` is empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netutils.interface import canonical_interface_name
from sqlalchemy import select

from ward_core.db.models import Device, LatestSample
from ward_core.db.session import session_scope
from ward_core.playbooks.model import DeviceOutcome, Step
from ward_core.playbooks.steps.base import BuiltinStep, EarlierOutputs, StepEnv
from ward_core.probes.poll import default_kinds
from ward_core.probes.service import run_probe_batch
from ward_core.topology.store import load_snapshot
from ward_core.types import ProbeOptions

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kinds": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "timeout": {"type": "number", "exclusiveMinimum": 0},
        "count": {"type": "integer", "minimum": 1},
    },
    "additionalProperties": False,
}


def _summaries(env: StepEnv, devices: Sequence[str]) -> dict[str, dict[str, Any]]:
    stmt = (
        select(Device.name, LatestSample.metric, LatestSample.labels, LatestSample.value)
        .join(Device, Device.id == LatestSample.device_id)
        .where(Device.name.in_(list(devices)))
    )
    found: dict[str, dict[str, Any]] = {name: {} for name in devices}
    admin: dict[tuple[str, str], float] = {}
    oper: dict[tuple[str, str], float] = {}
    with session_scope(env.engine) as session:
        snapshot = load_snapshot(session)
        for name, metric, labels, value in session.execute(stmt):
            ifname = (labels or {}).get("ifname")
            if metric == "if.admin_up" and ifname:
                admin[(name, ifname)] = value
            elif metric == "if.oper_up" and ifname:
                oper[(name, ifname)] = value
            elif not labels:
                found[name][metric] = value
    cabled: set[tuple[str, str]] = set()
    for info in snapshot.links if snapshot is not None else ():
        cabled.add((info.link.a_device, canonical_interface_name(info.link.a_interface)))
        cabled.add((info.link.b_device, canonical_interface_name(info.link.b_interface)))
    for name in devices:
        names = sorted(i for (d, i) in oper if d == name)
        if not names:
            continue
        down = [i for i in names if oper[(name, i)] == 0.0 and admin.get((name, i)) == 1.0]
        found[name]["interfaces_up"] = sum(1 for i in names if oper[(name, i)] == 1.0)
        found[name]["interfaces_down"] = len(down)
        found[name]["links_down"] = sorted(
            full for full in (canonical_interface_name(i) for i in down) if (name, full) in cabled
        )
    return found


def run(
    env: StepEnv, step: Step, devices: Sequence[str], earlier: EarlierOutputs
) -> Mapping[str, DeviceOutcome]:
    """Probe ``devices`` with the step's kinds (default: those ``ward poll`` runs)."""
    kinds = list(step.params.get("kinds") or default_kinds(env.plugins, env.settings.poll_kinds))
    option = ProbeOptions(
        timeout=float(step.params.get("timeout", 1.0)), count=int(step.params.get("count", 1))
    )
    outcome = run_probe_batch(
        engine=env.engine,
        plugins=env.plugins,
        kinds=kinds,
        device_names=devices,
        options=dict.fromkeys(kinds, option),
        unknown_devices="fail",
    )
    failures: dict[str, list[str]] = {}
    for failure in outcome.failures:
        failures.setdefault(failure.device, []).append(f"{failure.kind}: {failure.reason}")
    values = _summaries(env, devices)
    results: dict[str, DeviceOutcome] = {}
    for name in devices:
        output = {"kinds": kinds, **values.get(name, {})}
        if name in failures:
            results[name] = DeviceOutcome(status="failed", reason="; ".join(failures[name]), output=output)
        else:
            results[name] = DeviceOutcome(status="ok", output=output)
    return results


STEP = BuiltinStep(
    name="probe",
    description="measure devices now (ICMP, SNMP...) and store the samples",
    params_schema=PARAMS_SCHEMA,
    run=run,
)
