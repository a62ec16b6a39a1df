"""Running a checked playbook: waves, batches, steps, ``when``, the failure policy and the record.

For each wave (see :mod:`~ward_core.playbooks.plan`), the wave's devices go in batches of
``batch_size``; each batch runs the steps in order. For each step and device:

- with a ``when``, the condition on the earlier step's outcome for that device decides;
- without one, a device that failed an earlier step (without ``continue_on_failure``) is skipped,
  the reason naming that step;
- otherwise the device runs. Built-in steps return one outcome per device; a plugin step's single
  :class:`~ward_core.types.StepResult` applies to every device of the batch. A step that raises
  fails every device it was running on, with the exception text.

After each wave the run stops when more devices have failed than the waves' ``max_failures``; the
devices not reached get a ``skipped`` result per step saying so. Every outcome, skipped ones
included, is written to ``run_results`` as soon as its step ends.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Engine

from ward_core.config import Settings
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.errors import PluginError
from ward_core.inventory.targets import load_targets
from ward_core.playbooks.model import STATUSES, DeviceOutcome, Playbook, Status, Step
from ward_core.playbooks.plan import Wave, plan_waves
from ward_core.playbooks.records import close_run, open_run, write_results
from ward_core.playbooks.steps import BUILTIN, StepEnv
from ward_core.plugin_manager import WardPlugins
from ward_core.probes.selection import split_batches
from ward_core.types import JsonObject, StepContext

log = logging.getLogger(__name__)


def step_schemas(plugins: WardPlugins) -> dict[str, JsonObject]:
    """Every step type a playbook may use (built-in and from plugins) with its parameter schema."""
    schemas: dict[str, JsonObject] = {name: s.params_schema for name, s in BUILTIN.items()}
    for name, step_type in plugins.playbook_step_types().items():
        if name in BUILTIN:
            raise PluginError(f"playbook step type {name!r} is built in; a plugin cannot declare it")
        schemas[name] = step_type.params_schema
    return schemas


class RunListener(Protocol):
    """What a display is told while a run goes on."""

    def step_started(self, wave: str, batch: int, step: Step, devices: int) -> None: ...

    def step_finished(
        self, wave: str, batch: int, step: Step, outcomes: Mapping[str, DeviceOutcome]
    ) -> None: ...


@dataclass
class RunReport:
    """A finished run: every outcome by device and step, and why the rollout stopped, if it did."""

    playbook: Playbook
    run_id: int
    devices: tuple[str, ...]
    waves: tuple[Wave, ...]
    results: dict[str, dict[str, DeviceOutcome]] = field(default_factory=dict)
    stopped: str | None = None

    def device_status(self, device: str) -> tuple[Status, str]:
        """A device's overall status (failed > changed > ok > skipped) and the first reason for it."""
        outcomes = self.results.get(device, {})
        for status in ("failed", "changed", "ok", "skipped"):
            hits = [(step, o) for step, o in outcomes.items() if o.status == status]
            if hits:
                step, first = hits[0]
                reason = f"{step}: {first.reason}" if first.reason else ""
                return status, reason
        return "skipped", "no step ran"

    def totals(self) -> dict[str, int]:
        """Devices per overall status."""
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        for device in self.devices:
            counts[self.device_status(device)[0]] += 1
        return counts

    @property
    def failed(self) -> bool:
        """True when a device failed or the rollout stopped."""
        return self.totals()["failed"] > 0 or self.stopped is not None

    def summary(self) -> dict[str, Any]:
        """What ``runs.summary`` keeps."""
        return {
            "totals": self.totals(),
            "stopped": self.stopped,
            "waves": [{"name": w.name, "devices": len(w.devices)} for w in self.waves],
            "devices": {
                d: {"status": s, "reason": r} for d in self.devices for s, r in [self.device_status(d)]
            },
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view: the summary plus every outcome."""
        return {
            "run_id": self.run_id,
            "playbook": self.playbook.name,
            "file": self.playbook.path,
            **self.summary(),
            "results": {
                d: {s: {"status": o.status, "reason": o.reason, "output": o.output} for s, o in steps.items()}
                for d, steps in self.results.items()
            },
        }


def _skip_reason(
    step: Step, device: str, done: Mapping[str, DeviceOutcome], steps: Sequence[Step]
) -> str | None:
    if step.when is not None:
        if step.when.holds(done.get(step.when.step)):
            return None
        return f"condition {step.when.text!r} is false"
    for earlier in steps:
        outcome = done.get(earlier.id)
        if outcome is not None and outcome.failed and not earlier.continue_on_failure:
            return f"earlier step {earlier.id!r} failed"
    return None


class _Run:
    def __init__(self, env: StepEnv, plugins: WardPlugins, playbook: Playbook, report: RunReport) -> None:
        self.env, self.plugins, self.playbook, self.report = env, plugins, playbook, report
        self.plugin_types = plugins.playbook_step_types()

    def earlier(self) -> dict[str, dict[str, dict[str, Any]]]:
        outputs: dict[str, dict[str, dict[str, Any]]] = {}
        for device, steps in self.report.results.items():
            for step_id, outcome in steps.items():
                outputs.setdefault(step_id, {})[device] = outcome.output
        return outputs

    def _plugin_step(self, step: Step, devices: Sequence[str]) -> dict[str, DeviceOutcome]:
        with session_scope(self.env.engine) as session:
            targets = load_targets(session, names=list(devices))
        variables: dict[str, Any] = {**self.playbook.vars, **self.earlier()}
        context = StepContext(
            playbook=self.playbook.name, step=step.id, devices=tuple(targets), variables=variables
        )
        result = self.plugin_types[step.type].run(params=dict(step.params), context=context)
        if result.ok:
            status: Status = "changed" if result.changed else "ok"
            output = {"output": result.output} if result.output is not None else {}
            return {d: DeviceOutcome(status=status, output=output) for d in devices}
        return {d: DeviceOutcome(status="failed", reason=result.exception or "failed") for d in devices}

    def run_step(self, step: Step, devices: Sequence[str]) -> dict[str, DeviceOutcome]:
        try:
            if step.type in BUILTIN:
                got = dict(BUILTIN[step.type].run(self.env, step, devices, self.earlier()))
            else:
                got = self._plugin_step(step, devices)
        except Exception as exc:  # a step's failure is data: every device it ran on failed
            log.exception("step %s of playbook %s raised", step.id, self.playbook.name)
            reason = f"{type(exc).__name__}: {exc}"
            return {d: DeviceOutcome(status="failed", reason=reason) for d in devices}
        for device in devices:
            got.setdefault(device, DeviceOutcome(status="failed", reason="the step gave no result for it"))
        return got

    def record(self, step: Step, outcomes: Mapping[str, DeviceOutcome]) -> None:
        for device, outcome in outcomes.items():
            self.report.results.setdefault(device, {})[step.id] = outcome
        with session_scope(self.env.engine) as session:
            write_results(session, self.report.run_id, step.id, outcomes, utcnow())

    def run_batch(self, wave: str, number: int, batch: Sequence[str], listener: RunListener | None) -> None:
        steps = self.playbook.steps
        for index, step in enumerate(steps):
            skipped: dict[str, DeviceOutcome] = {}
            runnable: list[str] = []
            for device in batch:
                why = _skip_reason(step, device, self.report.results.get(device, {}), steps[:index])
                if why is None:
                    runnable.append(device)
                else:
                    skipped[device] = DeviceOutcome(status="skipped", reason=why)
            if listener is not None:
                listener.step_started(wave, number, step, len(runnable))
            outcomes = {**skipped, **(self.run_step(step, runnable) if runnable else {})}
            ordered = {d: outcomes[d] for d in batch}
            self.record(step, ordered)
            if listener is not None:
                listener.step_finished(wave, number, step, ordered)

    def skip_rest(self, devices: Sequence[str], reason: str) -> None:
        for step in self.playbook.steps:
            self.record(step, {d: DeviceOutcome(status="skipped", reason=reason) for d in devices})


def run_params(playbook: Playbook, devices: Sequence[str], limit: str | None) -> dict[str, Any]:
    """What a playbook run's record keeps in ``params``: the file, targets, limit, variables, steps
    and the waves with their devices (a queued run's record adds how it was queued)."""
    return {
        "file": playbook.path,
        "targets": playbook.targets,
        "limit": limit,
        "vars": dict(playbook.vars),
        "steps": [
            {"id": s.id, "type": s.type, "when": s.when.text if s.when else None} for s in playbook.steps
        ],
        "waves": [{"name": w.name, "devices": list(w.devices)} for w in plan_waves(devices, playbook.waves)],
    }


def run_playbook(
    *,
    engine: Engine,
    plugins: WardPlugins,
    settings: Settings,
    playbook: Playbook,
    devices: Sequence[str],
    requested_by: str,
    limit: str | None = None,
    listener: RunListener | None = None,
    artifacts: str | None = None,
    run_id: int | None = None,
) -> RunReport:
    """Run ``playbook`` on ``devices`` (already selected) and record it; see the module docstring.

    ``run_id`` names a record that already exists and is ``running`` (a queued run a worker has
    claimed, :mod:`ward_core.playbooks.queued`); without it a new record is opened.
    """
    waves = plan_waves(devices, playbook.waves)
    if run_id is None:
        with session_scope(engine) as session:
            run_id = open_run(
                session,
                name=playbook.name,
                requested_by=requested_by,
                params=run_params(playbook, devices, limit),
            )
    env = StepEnv(
        engine=engine,
        plugins=plugins,
        settings=settings,
        playbook=playbook.name,
        requested_by=requested_by,
        per_site=playbook.per_site,
        run_id=run_id,
        artifacts=artifacts,
    )
    report = RunReport(playbook=playbook, run_id=run_id, devices=tuple(devices), waves=tuple(waves))
    run = _Run(env, plugins, playbook, report)
    status = "failed"
    try:
        for position, wave in enumerate(waves):
            for number, batch in enumerate(split_batches(wave.devices, playbook.batch_size), start=1):
                run.run_batch(wave.name, number, batch, listener)
            failed = sum(1 for d in devices if report.device_status(d)[0] == "failed")
            limit_failures = playbook.waves.max_failures if playbook.waves else None
            rest = [d for w in waves[position + 1 :] for d in w.devices]
            if limit_failures is not None and failed > limit_failures and rest:
                report.stopped = (
                    f"rollout stopped after wave {wave.name!r}: {failed} device(s) failed, "
                    f"more than max_failures {limit_failures}"
                )
                run.skip_rest(rest, report.stopped)
                break
        status = "failed" if report.failed else "succeeded"
    finally:
        with session_scope(engine) as session:
            close_run(session, run_id, status=status, summary=report.summary())
    return report
