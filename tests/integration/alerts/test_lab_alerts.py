"""Alerting on samples written by the real ICMP probe against the lab in its network namespace:
``run_probe_batch`` writes the samples and fires ``ward_samples_written``; the alerts plugin
evaluates; the notify plugin delivers to a real HTTP receiver and a real SMTP server.

Root only (the lab namespace needs it). One lab serves the module; each test clears its faults.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import ward_icmp.plugin
from sqlalchemy import Engine
from ward_icmp.probe import KIND
from ward_notify.signing import verify

from ward_core.alerts.acks import ack_alert, alert_history
from ward_core.alerts.silences import add_silence, parse_matcher
from ward_core.alerts.suppression import static_uplinks
from ward_core.db import session_scope
from ward_core.inventory import import_inventory
from ward_core.lab.export import lab_inventory
from ward_core.testing.lab import RunningLab, running_lab
from ward_core.types import ProbeOptions

pytestmark = [
    pytest.mark.lab,
    pytest.mark.postgres,
    pytest.mark.skipif(os.geteuid() != 0, reason="a lab network namespace needs root"),
]

PING = ProbeOptions(count=2, timeout=0.4, params={"interval": 0.02})
SECRET = b"test-secret"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    with running_lab(
        tmp_path_factory.mktemp("alerts-lab"), devices=6, sites=1, extra=("--netns",)
    ) as started:
        yield started


class Faults:
    """Sets lab faults and clears them afterwards."""

    def __init__(self, lab: RunningLab) -> None:
        self.lab = lab
        self.touched: set[str] = set()

    def __call__(self, device: str, *fault: str) -> None:
        self.touched.add(device)
        self.lab.ward("lab", "fault", device, *fault)

    def clear(self) -> None:
        for name in sorted(self.touched):
            self.lab.ward("lab", "fault", name, "clear")


@pytest.fixture
def fault(lab: RunningLab) -> Iterator[Faults]:
    faults = Faults(lab)
    yield faults
    faults.clear()


@pytest.fixture
def names(lab: RunningLab, engine: Engine, tmp_path: Path) -> list[str]:
    """The lab's devices imported into the test's database; their names."""
    import yaml

    path = tmp_path / "lab-inventory.yml"
    path.write_text(yaml.safe_dump(lab_inventory(lab.state)), encoding="utf-8")
    with session_scope(engine) as session:
        import_inventory(path, session)
    return [d["name"] for d in lab.devices]


def by_role(lab: RunningLab, role: str) -> list[str]:
    return [d["name"] for d in lab.devices if d["role"] == role]


def write_rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(text, encoding="utf-8")
    return path


def poll_until(
    harness: Any, names: list[str], done: Callable[[], bool], timeout: float = 25.0
) -> list[tuple[float, str | None]]:
    """Poll every ~0.5 s until ``done()``; returns (time, state of the watched alert) per poll."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        harness.poll(KIND, names, PING)
        if done():
            return
        time.sleep(0.3)
    raise AssertionError("the expected alert state never came")


def test_a_device_taken_down_fires_after_for_and_its_resolution_reaches_webhook_and_smtp(
    lab: RunningLab,
    names: list[str],
    fault: Faults,
    make_harness: Callable[..., Any],
    webhook: Any,
    smtp: Any,
    tmp_path: Path,
) -> None:
    target = by_role(lab, "access-switch")[0]
    harness = make_harness(ward_icmp.plugin, "icmp", webhook=webhook, smtp=smtp)
    harness.load_rules(
        write_rules(
            tmp_path,
            """
rules:
  - name: device-down
    expr: last(ping.loss_pct) == 100 for 3s
    severity: critical
    message: "{{ device }} ({{ role }}) does not answer ping"
    device_down: true
""",
        )
    )
    harness.poll(KIND, names, PING)
    assert harness.alerts() == [], "every lab device answers"

    went_down = datetime.now().astimezone()
    fault(target, "down")
    observed: list[tuple[datetime, str]] = []

    def firing() -> bool:
        alerts = harness.alerts("device-down", target)
        state = alerts[-1].state if alerts else "none"
        observed.append((datetime.now().astimezone(), state))
        return state == "firing"

    poll_until(harness, names, firing)
    (alert,) = harness.alerts("device-down")
    assert alert.device == target and alert.fired_at is not None
    assert (alert.fired_at - went_down).total_seconds() >= 3.0, "not before its for duration"
    assert (alert.fired_at - alert.started_at).total_seconds() >= 3.0
    pending = [at for at, state in observed if state == "pending"]
    assert pending, "it was pending first"
    assert all(state != "firing" for at, state in observed if (at - went_down).total_seconds() < 3.0)
    assert alert.summary == f"{target} (access-switch) does not answer ping"

    assert webhook.wait_for(lambda alerts: [a["status"] for a in alerts] == ["firing"])
    assert smtp.wait_for(lambda messages: len(messages) == 1)

    fault.clear()
    poll_until(harness, names, lambda: harness.alerts("device-down")[0].state == "resolved")
    assert webhook.wait_for(lambda alerts: [a["status"] for a in alerts] == ["firing", "resolved"])
    resolved = webhook.deliveries[-1]
    assert verify(SECRET, resolved.body, resolved.headers)
    assert resolved.json["alerts"][0]["device"] == target
    assert resolved.json["alerts"][0]["resolved_at"] is not None
    assert smtp.wait_for(lambda messages: len(messages) == 2)
    assert "1 resolved" in str(smtp.messages[-1]["Subject"])
    assert f"RESOLVED critical  device-down on {target}" in str(smtp.messages[-1].get_payload())


def test_a_device_flapping_with_hysteresis_gives_one_alert(
    lab: RunningLab,
    names: list[str],
    fault: Faults,
    make_harness: Callable[..., Any],
    tmp_path: Path,
) -> None:
    target = by_role(lab, "access-switch")[1]
    harness = make_harness(ward_icmp.plugin, "icmp")
    harness.load_rules(
        write_rules(
            tmp_path,
            """
rules:
  - name: lossy
    expr: last(ping.loss_pct) > 50 keep_firing_for 30s
  - name: lossy-without-hysteresis
    expr: last(ping.loss_pct) > 50
""",
        )
    )
    for _ in range(3):
        fault(target, "down")
        harness.poll(KIND, [target], PING)
        fault(target, "clear")
        harness.poll(KIND, [target], PING)
    assert [a.state for a in harness.alerts("lossy")] == ["firing"]
    assert [a.state for a in harness.alerts("lossy-without-hysteresis")] == ["resolved"] * 3


def test_an_acked_alert_stays_acked_until_resolved(
    lab: RunningLab,
    names: list[str],
    fault: Faults,
    make_harness: Callable[..., Any],
    tmp_path: Path,
) -> None:
    target = by_role(lab, "access-switch")[2]
    harness = make_harness(ward_icmp.plugin, "icmp")
    harness.load_rules(
        write_rules(tmp_path, "rules:\n  - name: down\n    expr: last(ping.loss_pct) == 100\n")
    )
    fault(target, "down")
    harness.poll(KIND, [target], PING)
    (alert,) = harness.alerts("down")
    with session_scope(harness.engine) as session:
        ack_alert(session, alert.id, by="oncall", comment="power cycle requested")
    for _ in range(3):
        harness.poll(KIND, [target], PING)
        (row,) = harness.alerts("down")
        assert (row.state, row.acked_by) == ("firing", "oncall")
    fault(target, "clear")
    harness.poll(KIND, [target], PING)
    fault(target, "down")
    harness.poll(KIND, [target], PING)
    first, second = harness.alerts("down")
    assert (first.state, first.acked_by) == ("resolved", "oncall")
    assert (second.state, second.acked_at) == ("firing", None)
    with session_scope(harness.engine) as session:
        assert [e["event"] for e in alert_history(session, first.id)] == ["firing", "acked", "resolved"]


def test_a_silence_holds_the_notice_and_expires_on_time(
    lab: RunningLab,
    names: list[str],
    fault: Faults,
    make_harness: Callable[..., Any],
    webhook: Any,
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    target = by_role(lab, "access-switch")[3]
    harness = make_harness(ward_icmp.plugin, "icmp", webhook=webhook)
    harness.load_rules(
        write_rules(tmp_path, "rules:\n  - name: down\n    expr: last(ping.loss_pct) == 100\n")
    )
    fault(target, "down")
    with session_scope(harness.engine) as session:
        silence = add_silence(
            session, [parse_matcher(f"device={target}")], duration=timedelta(seconds=3), created_by="ops"
        )
        ends_at = silence.ends_at
    harness.poll(KIND, [target], PING)
    (alert,) = harness.alerts("down")
    assert (alert.state, alert.notified) == ("firing", False)
    while datetime.now().astimezone() < ends_at:
        harness.poll(KIND, [target], PING)
        assert webhook.alerts() == [], "held while the silence lasts"
        time.sleep(0.2)
    harness.poll(KIND, [target], PING)
    assert webhook.wait_for(lambda alerts: [a["status"] for a in alerts] == ["firing"]), "released at expiry"
    fault.clear()
    harness.poll(KIND, [target], PING)
    assert webhook.wait_for(lambda alerts: [a["status"] for a in alerts] == ["firing", "resolved"])


def test_switches_behind_a_down_router_are_folded_under_it(
    lab: RunningLab,
    names: list[str],
    fault: Faults,
    make_harness: Callable[..., Any],
    webhook: Any,
    tmp_path: Path,
) -> None:
    router = by_role(lab, "branch-router")[0]
    site = next(d["site"] for d in lab.devices if d["name"] == router)
    switches = [d["name"] for d in lab.devices if d["site"] == site and d["role"] == "access-switch"][:2]
    harness = make_harness(ward_icmp.plugin, "icmp", webhook=webhook)
    harness.service().uplinks = static_uplinks({site: router})
    harness.load_rules(
        write_rules(
            tmp_path, "rules:\n  - name: down\n    expr: last(ping.loss_pct) == 100\n    device_down: true\n"
        )
    )
    for name in (router, *switches):
        fault(name, "down")
    harness.poll(KIND, names, PING)
    assert webhook.wait_for(lambda alerts: len(alerts) == 3)
    time.sleep(0.2)
    assert len(webhook.deliveries) == 1, "one message for the site"
    alerts = {a["device"]: a["symptom_of"] for a in webhook.deliveries[0].json["alerts"]}
    assert alerts == {router: None, **{s: router for s in switches}}
