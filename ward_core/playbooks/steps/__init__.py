"""The step types ward ships: ``probe``, ``backup``, ``discover``, ``compliance``, ``evaluate``,
``command`` and ``remediate``. Plugins add more through ``ward_playbook_step_types``."""

from __future__ import annotations

from ward_core.playbooks.steps import backup, command, compliance, discover, evaluate, probe, remediate
from ward_core.playbooks.steps.base import BuiltinStep, EarlierOutputs, StepEnv

BUILTIN: dict[str, BuiltinStep] = {
    s.name: s
    for s in (
        probe.STEP,
        backup.STEP,
        discover.STEP,
        compliance.STEP,
        evaluate.STEP,
        command.STEP,
        remediate.STEP,
    )
}
"""Built-in step types by name."""

__all__ = ["BUILTIN", "BuiltinStep", "EarlierOutputs", "StepEnv"]
