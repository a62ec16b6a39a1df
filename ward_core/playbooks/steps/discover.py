"""``discover``: collect LLDP/CDP neighbours and store a new topology snapshot, as ``ward topology
discover`` does; with ``svg: FILE`` the graph is also drawn to that file (relative paths land in
the run's artifact folder, or the working folder)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ward_core.db.session import session_scope
from ward_core.playbooks.model import DeviceOutcome, Step
from ward_core.playbooks.steps.base import BuiltinStep, EarlierOutputs, StepEnv
from ward_core.topology.graph import build_graph
from ward_core.topology.service import check_transport, discover_batch
from ward_core.topology.store import load_snapshot
from ward_core.topology.svg import to_svg

PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "transport": {"enum": ["ssh", "snmp"]},
        "svg": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
}


def _svg_path(env: StepEnv, wanted: str) -> Path:
    path = Path(wanted)
    if not path.is_absolute() and env.artifacts:
        path = Path(env.artifacts) / path
    return path


def run(
    env: StepEnv, step: Step, devices: Sequence[str], earlier: EarlierOutputs
) -> Mapping[str, DeviceOutcome]:
    """Discover ``devices``' neighbours; every device's output names the snapshot and its size."""
    transport = check_transport(str(step.params.get("transport", "ssh")))
    outcome = discover_batch(
        engine=env.engine,
        plugins=env.plugins,
        settings=env.settings,
        device_names=devices,
        transport=transport,
        unknown_devices="fail",
    )
    shared: dict[str, Any] = {
        "snapshot_id": outcome.snapshot_id,
        "links": outcome.links,
        "two_sided": outcome.two_sided,
        "added": list(outcome.added),
        "removed": list(outcome.removed),
    }
    svg = step.params.get("svg")
    if isinstance(svg, str):
        with session_scope(env.engine) as session:
            snapshot = load_snapshot(session, outcome.snapshot_id)
        if snapshot is not None:
            path = _svg_path(env, svg)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(to_svg(build_graph(snapshot), f"ward topology #{snapshot.id}"), encoding="utf-8")
            shared["svg"] = str(path.resolve())
    failed = {f.device: f.reason for f in outcome.failures}
    return {
        name: DeviceOutcome(status="failed", reason=failed[name], output=shared)
        if name in failed
        else DeviceOutcome(status="ok", output=shared)
        for name in devices
    }


STEP = BuiltinStep(
    name="discover",
    description="collect LLDP/CDP neighbours and store a topology snapshot (optionally an SVG)",
    params_schema=PARAMS_SCHEMA,
    run=run,
)
