"""Which devices run when: rollout waves, then batches within each wave.

>>> [(w.name, len(w.devices)) for w in plan_waves([f"d{i}" for i in range(10)], Waves(canary=1, percent=30))]
[('canary', 1), ('30%', 3), ('rest', 6)]
>>> [(w.name, w.devices) for w in plan_waves(["a", "b"], None)]
[('all', ('a', 'b'))]
>>> [(w.name, len(w.devices)) for w in plan_waves(["a", "b"], Waves(canary=1, percent=50))]
[('canary', 1), ('50%', 1)]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ward_core.playbooks.model import Waves


@dataclass(frozen=True, slots=True)
class Wave:
    """A group of devices run together, after which the failure threshold is checked."""

    name: str
    devices: tuple[str, ...]


def plan_waves(devices: Sequence[str], waves: Waves | None) -> list[Wave]:
    """``devices`` as waves: all at once without ``waves``; else canary, percentage, rest (empty
    waves left out). The second wave holds ``percent`` % of all the run's devices (at least one)."""
    names = tuple(devices)
    if waves is None:
        return [Wave("all", names)] if names else []
    canary = names[: waves.canary]
    size = max(1, math.ceil(len(names) * waves.percent / 100))
    middle = names[len(canary) : len(canary) + size]
    rest = names[len(canary) + len(middle) :]
    planned = [Wave("canary", canary), Wave(f"{waves.percent}%", middle), Wave("rest", rest)]
    return [w for w in planned if w.devices]
