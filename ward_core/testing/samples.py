"""Sample values for tests: devices and one payload per event hook."""

from __future__ import annotations

from datetime import UTC, datetime

from ward_core.types import (
    Alert,
    ApprovalDecision,
    ConfigChange,
    DeviceTarget,
    Link,
    RunSummary,
    SamplesWritten,
    SnmpTarget,
    TopologyChange,
)

SAMPLE_TIME = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def sample_device(
    name: str = "sw1", *, host: str = "127.0.0.1", port: int = 22, platform: str = "cisco_ios"
) -> DeviceTarget:
    """A device with every field set (site, role, groups, tags, vars, SNMP v2c)."""
    return DeviceTarget(
        name=name,
        host=host,
        port=port,
        platform=platform,
        site="lab1",
        region="test",
        role="access",
        groups=("lab",),
        tags=("sample",),
        vars={"rack": "r1"},
        credentials="lab",
        snmp=SnmpTarget(version="2c", credentials="lab-snmp", port=161),
    )


def sample_alert(*, resolved: bool = False) -> Alert:
    """A warning about ``sw1``, firing or resolved."""
    return Alert(
        rule="rtt-high",
        device="sw1",
        severity="warning",
        summary="round-trip time above 100 ms",
        started_at=SAMPLE_TIME,
        value=150.0,
        labels={"probe": "icmp"},
        resolved_at=SAMPLE_TIME if resolved else None,
    )


def sample_config_change() -> ConfigChange:
    """``sw1`` changed its hostname."""
    return ConfigChange(
        device="sw1",
        platform="cisco_ios",
        revision="b" * 64,
        previous_revision="a" * 64,
        diff="-hostname old\n+hostname sw1\n",
        collected_at=SAMPLE_TIME,
    )


def sample_approval() -> ApprovalDecision:
    """An approved request to clear counters on ``sw1``."""
    return ApprovalDecision(
        request_id="req-1",
        action="reference.clear_counters",
        devices=("sw1",),
        approved=True,
        decided_by="alice",
        decided_at=SAMPLE_TIME,
        reason="looks safe",
    )


def sample_topology_change() -> TopologyChange:
    """One link appeared, one disappeared."""
    return TopologyChange(
        added=(Link.between("sw1", "Gi0/1", "sw2", "Gi0/1"),),
        removed=(Link.between("sw1", "Gi0/2", "sw3", "Gi0/1"),),
        discovered_at=SAMPLE_TIME,
    )


def sample_run() -> RunSummary:
    """A probe run over ten devices, one of which failed."""
    return RunSummary(
        run_id="run-1",
        kind="probe",
        name="icmp",
        started_at=SAMPLE_TIME,
        finished_at=SAMPLE_TIME,
        devices=10,
        failed=1,
    )


def sample_samples_written() -> SamplesWritten:
    """A probe batch's samples committed for two devices."""
    return SamplesWritten(batch_id="batch-1", devices=("sw1", "sw2"), time=SAMPLE_TIME, kinds=("icmp",))


def sample_events() -> list[tuple[str, dict[str, object]]]:
    """Every event hook with sample keyword arguments, in a stable order."""
    return [
        ("ward_samples_written", {"batch": sample_samples_written()}),
        ("ward_alert_fired", {"alert": sample_alert()}),
        ("ward_alert_resolved", {"alert": sample_alert(resolved=True)}),
        ("ward_config_changed", {"change": sample_config_change()}),
        ("ward_approval_decided", {"decision": sample_approval()}),
        ("ward_topology_changed", {"change": sample_topology_change()}),
        ("ward_run_finished", {"run": sample_run()}),
    ]
