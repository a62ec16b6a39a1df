"""The contract file itself: names, docstrings, call style, and the types hooks exchange."""

from __future__ import annotations

import doctest
import inspect
from datetime import UTC, datetime

import pluggy
import pytest

import ward_core
from ward_core import hookspecs, types
from ward_core.errors import ConfigError, InventoryError
from ward_core.plugin_manager import HOOK_NAMES
from ward_core.types import DeviceTarget, Metric, ProbeOptions, ProbeResult, RunSummary, SnmpTarget

FIRSTRESULT = {"ward_probe_run", "ward_backup_commands", "ward_topology_neighbours"}
EVENTS = {
    "ward_samples_written",
    "ward_alert_fired",
    "ward_alert_resolved",
    "ward_config_changed",
    "ward_approval_decided",
    "ward_topology_changed",
    "ward_run_finished",
}


def specs() -> dict[str, object]:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return {name: getattr(pm.hook, name) for name in HOOK_NAMES}


def test_every_hook_is_a_ward_hook_with_a_spec() -> None:
    callers = specs()
    assert len(callers) == 19
    for name, caller in callers.items():
        assert name.startswith("ward_")
        assert isinstance(caller, pluggy.HookCaller) and caller.has_spec(), name


def test_firstresult_and_historic_flags_are_as_documented() -> None:
    for name, caller in specs().items():
        assert isinstance(caller, pluggy.HookCaller) and caller.spec is not None
        assert bool(caller.spec.opts.get("firstresult")) == (name in FIRSTRESULT), name
        assert not caller.spec.opts.get("historic"), f"{name}: event hooks are not historic"
        if name in FIRSTRESULT:
            assert "firstresult" in (caller.spec.function.__doc__ or ""), name


@pytest.mark.parametrize("name", sorted(HOOK_NAMES))
def test_every_hook_documents_its_return_and_failure_policy(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert "Failure:" in doc, f"{name} must say what one plugin's failure does to a run"
    assert "return" in doc.lower() or "Returns" in doc, f"{name} must say what its return means"


def test_event_hooks_take_one_frozen_payload_and_return_none() -> None:
    for name in EVENTS:
        signature = inspect.signature(getattr(hookspecs, name))
        assert len(signature.parameters) == 1, name
        assert signature.return_annotation in ("None", None), name


def test_hookimpl_is_exported_for_the_ward_project() -> None:
    assert ward_core.hookimpl is hookspecs.hookimpl
    assert ward_core.hookimpl.project_name == "ward"
    for name in ("DeviceTarget", "ProbeBatchResult", "ActionSpec", "StepType", "Alert", "NeighbourRecord"):
        assert getattr(ward_core, name) is getattr(types, name)
        assert name in ward_core.__all__


def test_hooks_are_called_with_keyword_arguments_only() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    with pytest.raises(TypeError):
        pm.hook.ward_backup_commands("cisco_ios")


def test_types_doctests_pass() -> None:
    result = doctest.testmod(types)
    assert result.attempted >= 5
    assert result.failed == 0


def test_device_target_names_the_device_and_field_on_bad_input() -> None:
    with pytest.raises(InventoryError, match=r"device 'sw1', field 'port': port 70000 is outside 1-65535"):
        DeviceTarget(name="sw1", host="10.0.0.1", platform="cisco_ios", port=70000)
    with pytest.raises(InventoryError, match=r"device 'sw2', field 'snmp.user'"):
        DeviceTarget(
            name="sw2", host="10.0.0.2", platform="cisco_ios", snmp=SnmpTarget(version="3", credentials="c")
        )
    with pytest.raises(InventoryError, match="field 'host'"):
        DeviceTarget(name="sw3", host="", platform="cisco_ios")


def test_device_target_is_frozen_and_hashable_despite_vars() -> None:
    device = DeviceTarget(name="sw1", host="10.0.0.1", platform="cisco_ios", vars={"rack": "r1"})
    assert hash(device) == hash(
        DeviceTarget(name="sw1", host="10.0.0.1", platform="cisco_ios", vars={"x": 1})
    )
    with pytest.raises(AttributeError):
        device.host = "10.0.0.9"  # type: ignore[misc]


def test_probe_results_are_data() -> None:
    ok = ProbeResult.success("sw1", "icmp", [Metric("rtt", 1.5, {"q": "0"})])
    assert ok.values() == {'rtt{q="0"}': 1.5}
    failed = ProbeResult.failure("sw2", "icmp", ConnectionRefusedError("refused"))
    assert failed.failed and failed.exception == "ConnectionRefusedError: refused"
    with pytest.raises(ValueError, match="needs its exception text"):
        ProbeResult(device="sw3", kind="icmp", ok=False)
    with pytest.raises(ValueError, match="metric rtt is nan"):
        ProbeResult.success("sw4", "icmp", [Metric("rtt", float("nan"))])


def test_probe_options_name_the_bad_option() -> None:
    with pytest.raises(ConfigError, match="probe option 'timeout' must be more than 0 seconds, got 0"):
        ProbeOptions(timeout=0)
    with pytest.raises(ConfigError, match="probe option 'concurrency' must be at least 1, got 0"):
        ProbeOptions(concurrency=0)
    assert ProbeOptions(retries=0, count=1).count == 1


def test_run_summary_ok() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    run = RunSummary(
        run_id="r", kind="probe", name="icmp", started_at=at, finished_at=at, devices=3, failed=1
    )
    assert not run.ok
