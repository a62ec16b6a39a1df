"""What every built-in step receives and gives back.

A built-in step runs on a list of device names with the run's :class:`StepEnv` (database engine,
plugins, settings, who asked) and returns one :class:`~ward_core.playbooks.model.DeviceOutcome` per
device: a device the step could not handle is ``failed`` with its reason, never left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from ward_core.config import Settings
from ward_core.playbooks.model import DeviceOutcome, Step
from ward_core.plugin_manager import WardPlugins
from ward_core.types import JsonObject


@dataclass(frozen=True, slots=True, kw_only=True)
class StepEnv:
    """Where a run happens: ``per_site`` caps the sessions opened at once per site, ``run_id`` is
    the playbook's run record, ``artifacts`` the folder where steps write files (an SVG...)."""

    engine: Engine
    plugins: WardPlugins
    settings: Settings
    playbook: str
    requested_by: str
    per_site: int
    run_id: int | None = None
    artifacts: str | None = None


EarlierOutputs = Mapping[str, Mapping[str, Mapping[str, Any]]]
"""Earlier steps' outputs in this run: step id, then device name, then that device's output."""

BuiltinRunner = Callable[[StepEnv, Step, Sequence[str], EarlierOutputs], Mapping[str, DeviceOutcome]]
"""``run(env, step, devices, earlier)``: one outcome per device name."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BuiltinStep:
    """A step type ward ships: its ``name``, a JSON Schema for its parameters and its runner."""

    name: str
    description: str
    params_schema: JsonObject
    run: BuiltinRunner


def every(devices: Sequence[str], outcome: DeviceOutcome) -> dict[str, DeviceOutcome]:
    """The same outcome for every device (a step that failed as a whole).

    >>> every(["a", "b"], DeviceOutcome(status="failed", reason="x"))["b"].reason
    'x'
    """
    return dict.fromkeys(devices, outcome)
