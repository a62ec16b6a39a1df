"""The runner on SQLite with a plugin step type: waves, the failure policy, ``when``, the record.

The plugin's ``mark`` step fails a batch that holds a device named in its ``fail`` parameter, so
each test decides which devices fail; batches of one device make failures per device.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ward_core import hookimpl
from ward_core.config import Settings
from ward_core.db import get_engine, session_scope, upgrade
from ward_core.db.models import Run, RunResult
from ward_core.inventory.importer import import_inventory
from ward_core.playbooks.loader import parse_playbook
from ward_core.playbooks.records import list_runs, show_run
from ward_core.playbooks.runner import RunReport, run_playbook, step_schemas
from ward_core.plugin_manager import WardPlugins
from ward_core.types import JsonObject, StepContext, StepResult, StepType

DEVICES = [f"sw{i}" for i in range(1, 7)]
INVENTORY = "devices:\n" + "".join(
    f"  - {{name: {name}, host: 127.0.0.{i}, platform: cisco_ios}}\n" for i, name in enumerate(DEVICES, 1)
)


class Marker:
    """Declares ``mark`` (fails when a device of the batch is in ``fail``) and ``boom`` (raises)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def mark(self, *, params: JsonObject, context: StepContext) -> StepResult:
        names = tuple(d.name for d in context.devices)
        self.calls.append(names)
        failing = [n for n in names if n in (params.get("fail") or [])]  # type: ignore[operator]
        if failing:
            return StepResult(ok=False, exception=f"marked to fail: {', '.join(failing)}")
        return StepResult(ok=True, output=len(names), changed=bool(params.get("change")))

    def boom(self, *, params: JsonObject, context: StepContext) -> StepResult:
        raise RuntimeError("the step blew up")

    @hookimpl
    def ward_playbook_step_types(self) -> list[StepType]:
        schema: JsonObject = {"type": "object"}
        return [
            StepType(name="mark", description="test", params_schema=schema, run=self.mark),
            StepType(name="boom", description="test", params_schema=schema, run=self.boom),
        ]


@pytest.fixture
def engine(sqlite_url: str, tmp_path: Path) -> Iterator[Engine]:
    engine = get_engine(sqlite_url)
    upgrade(engine)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    with session_scope(engine) as session:
        import_inventory(inventory, session)
    yield engine
    engine.dispose()


@pytest.fixture
def marker() -> Marker:
    return Marker()


@pytest.fixture
def plugins(marker: Marker) -> Iterator[WardPlugins]:
    with WardPlugins(Settings()) as manager:
        manager.register(marker, name="marker")
        yield manager


def run(engine: Engine, plugins: WardPlugins, text: str, devices: list[str] = DEVICES) -> RunReport:
    playbook = parse_playbook(text, "test.yml", step_schemas(plugins))
    return run_playbook(
        engine=engine,
        plugins=plugins,
        settings=Settings(),
        playbook=playbook,
        devices=devices,
        requested_by="tester",
    )


def results(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    with session_scope(engine) as session:
        shown = show_run(session, run_id)
    assert shown is not None
    return list(shown["results"])


WAVES = """\
name: waves
batch_size: 1
waves: {canary: 1, percent: 34, max_failures: 0}
steps:
  - id: first
    mark: {fail: %s}
  - id: second
    mark: {}
"""


def test_a_failing_canary_stops_the_rollout_and_the_rest_is_recorded_skipped(
    engine: Engine, plugins: WardPlugins, marker: Marker
) -> None:
    report = run(engine, plugins, WAVES % "[sw1]")
    assert [w.name for w in report.waves] == ["canary", "34%", "rest"]
    assert report.stopped is not None and "after wave 'canary'" in report.stopped
    assert marker.calls == [("sw1",)]
    assert report.device_status("sw1") == ("failed", "first: marked to fail: sw1")
    assert report.totals() == {"ok": 0, "changed": 0, "failed": 1, "skipped": 5}
    rows = results(engine, report.run_id)
    assert len(rows) == 12
    assert {(r["device"], r["task"]): r["status"] for r in rows}[("sw1", "second")] == "skipped"
    assert all("rollout stopped after wave 'canary'" in r["error"] for r in rows if r["device"] != "sw1")
    with session_scope(engine) as session:
        run_row = session.get(Run, report.run_id)
        assert run_row is not None and run_row.status == "failed" and run_row.kind == "playbook"
        assert run_row.summary["stopped"] == report.stopped


def test_a_failure_in_the_second_wave_stops_before_the_rest(
    engine: Engine, plugins: WardPlugins, marker: Marker
) -> None:
    report = run(engine, plugins, WAVES % "[sw3]")
    assert [len(w.devices) for w in report.waves] == [1, 3, 2]
    assert report.stopped is not None and "after wave '34%'" in report.stopped
    assert [c for c in marker.calls] == [("sw1",), ("sw1",), ("sw2",), ("sw2",), ("sw3",), ("sw4",), ("sw4",)]
    assert report.totals() == {"ok": 3, "changed": 0, "failed": 1, "skipped": 2}


def test_healthy_waves_run_everything(engine: Engine, plugins: WardPlugins) -> None:
    report = run(engine, plugins, WAVES % "[]")
    assert report.stopped is None and not report.failed
    assert report.totals()["ok"] == 6


def test_failed_devices_skip_later_steps_unless_a_condition_asks_for_them(
    engine: Engine, plugins: WardPlugins, marker: Marker
) -> None:
    text = """\
name: policy
batch_size: 2
steps:
  - id: check
    mark: {fail: [sw3]}
  - id: next
    mark: {change: true}
  - id: rescue
    when: check.failed
    mark: {}
"""
    report = run(engine, plugins, text)
    assert marker.calls[:3] == [("sw1", "sw2"), ("sw1", "sw2"), ("sw3", "sw4")]
    steps = report.results
    assert steps["sw3"]["next"].reason == "earlier step 'check' failed"
    assert steps["sw4"]["next"].status == "skipped"  # in sw3's batch: the plugin failed them both
    assert steps["sw1"]["next"].status == "changed"
    assert steps["sw1"]["rescue"].reason == "condition 'check.failed' is false"
    assert steps["sw3"]["rescue"].status == "ok" and steps["sw4"]["rescue"].status == "ok"
    assert report.failed and report.totals()["failed"] == 2


def test_a_raising_step_fails_its_devices_with_the_exception(engine: Engine, plugins: WardPlugins) -> None:
    report = run(engine, plugins, "name: b\nsteps:\n  - boom: {}\n", ["sw1", "sw2"])
    assert report.device_status("sw2") == ("failed", "boom: RuntimeError: the step blew up")
    with session_scope(engine) as session:
        count = session.scalar(
            select(func.count()).select_from(RunResult).where(RunResult.run_id == report.run_id)
        )
        listed = list_runs(session, kind="playbook")
    assert count == 2
    assert listed[0]["id"] == report.run_id and listed[0]["status"] == "failed" and listed[0]["results"] == 2
