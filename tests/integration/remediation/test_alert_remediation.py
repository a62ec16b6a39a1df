"""Alert rules propose their remediation, and lost workers are reaped: the lab over real SSH and
SNMP, PostgreSQL, Redis and a real ``ward remediation worker`` process.

Alerts fire from real polls (``ward poll``, whose alerts plugin evaluates the rules and proposes);
people act through the ``ward`` command. Tests run in file order and share one lab; the last one
kills the worker with SIGKILL, so it stays last.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from netmiko import ConnectHandler
from sqlalchemy import select

from ward_core.alerts import plugin as alerting
from ward_core.alerts.notices import alert_of
from ward_core.alerts.remediate import AlertRemediation
from ward_core.audit.log import verify
from ward_core.config import Settings, load_settings
from ward_core.db import session_scope
from ward_core.db.models import AlertEvent, AlertRow, RemediationRequest
from ward_core.db.types import utcnow
from ward_core.errors import DecisionRefused
from ward_core.hookspecs import hookimpl
from ward_core.plugin_manager import WardPlugins, load_plugins
from ward_core.probes.poll import poll_once
from ward_core.remediation.context import RemediationContext, device_target
from ward_core.remediation.decisions import decide
from ward_core.remediation.identity import Person
from ward_core.remediation.instances import supersede
from ward_core.remediation.planning import make_plan
from ward_core.remediation.reaper import reap_stale_executions, stale_after_s
from ward_core.types import ConfigChange, RunSummary
from ward_core.worker.reaping import ReaperTicker

from .conftest import Result, Setup  # type: ignore[import-not-found]

pytestmark = [pytest.mark.lab, pytest.mark.postgres]

UPLINK = "GigabitEthernet1/0/28"
SHORT_UPLINK = "Gi1/0/28"
RULES = """
rules:
  - name: uplink-down
    expr: >
      last(if.oper_up{ifname="Gi1/0/28"}) == 0 and last(if.admin_up{ifname="Gi1/0/28"}) == 1
      by (ifname)
    severity: critical
    message: "{{ labels.ifname }} on {{ device }} is down"
    remediation:
      action: ios.interface_bounce
      params: {interface: "{{ labels.ifname }}", hold_s: 1}
  - name: port-shut
    expr: last(if.admin_up{ifname="Gi1/0/20"}) == 0 by (ifname)
    remediation: {action: ios.interface_bounce, params: {interface: "{{ labels.ifname }}"}}
  - name: unannounced-change
    expr: count(config.changed{announced="no"}, 1h) > 0
    severity: info
    remediation: ios.save_config
"""


@pytest.fixture(scope="module")
def loaded(setup: Setup) -> Setup:
    path = setup.folder / "alert-rules.yml"
    path.write_text(RULES, encoding="utf-8")
    result = setup.ward(None, "rules", "load", str(path))
    assert result.code == 0, result.out + result.err
    return setup


@pytest.fixture(scope="module")
def settings(setup: Setup) -> Settings:
    env = setup.env
    return load_settings(
        database_url=setup.url,
        broker_url=env["WARD_BROKER_URL"],
        secrets_file=Path(env["WARD_SECRETS_FILE"]),
        roles_file=Path(env["WARD_ROLES_FILE"]),
        approval_policy_file=Path(env["WARD_APPROVAL_POLICY_FILE"]),
        remediation_device_timeout_s=8.0,
    )


@pytest.fixture(scope="module")
def plugins(settings: Settings) -> Iterator[WardPlugins]:
    with load_plugins(settings) as loaded_plugins:
        yield loaded_plugins


def _poll(setup: Setup, limit: str) -> Result:
    """``ward poll`` as a person runs it: its alerts plugin evaluates the rules and proposes."""
    result = setup.ward(None, "poll", "--limit", limit, "--kind", "snmp.interfaces", "--json")
    assert result.code == 0, result.out + result.err
    return result


def _poll_here(setup: Setup, plugins: WardPlugins, device: str) -> None:
    """The same poll in this process (the installed plugins, alerts included), cheaper than a
    ``ward`` process on a loaded machine."""
    report = poll_once(
        engine=setup.engine, plugins=plugins, device_names=[device], kinds=["snmp.interfaces"], batch_size=10
    )
    assert not report.failures, report.to_dict()
    alerting.STATE.settle(120)


def _requests(setup: Setup, device: str) -> list[RemediationRequest]:
    with session_scope(setup.engine) as db:
        return list(
            db.scalars(
                select(RemediationRequest)
                .where(RemediationRequest.device == device)
                .order_by(RemediationRequest.id)
            )
        )


def _alerts(setup: Setup, rule: str, device: str) -> list[AlertRow]:
    with session_scope(setup.engine) as db:
        return list(
            db.scalars(
                select(AlertRow).where(AlertRow.rule == rule, AlertRow.device == device).order_by(AlertRow.id)
            )
        )


def _events(setup: Setup, alert_id: int, prefix: str = "remediation.") -> list[AlertEvent]:
    with session_scope(setup.engine) as db:
        return [
            e
            for e in db.scalars(
                select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
            )
            if e.kind.startswith(prefix)
        ]


def _assert_chain_verifies(setup: Setup) -> None:
    with session_scope(setup.engine) as db:
        verdict = verify(db)
    assert verdict.ok, verdict.to_dict()


def _connect(setup: Setup, device: str) -> Any:
    creds = setup.lab.credentials
    session = ConnectHandler(
        device_type="cisco_ios",
        host=setup.lab.address(device),
        port=setup.lab.ssh_port,
        username=creds.username,
        password=creds.password,
        secret=creds.enable_secret,
        fast_cli=True,
    )
    session.enable()
    return session


def _configure(setup: Setup, device: str, *lines: str) -> None:
    session = _connect(setup, device)
    try:
        session.send_config_set(list(lines))
    finally:
        session.disconnect()


def test_a_rule_firing_on_a_lab_fault_proposes_one_request_with_the_exact_plan(
    loaded: Setup, settings: Settings, plugins: WardPlugins
) -> None:
    setup, device = loaded, "br001-sw2"
    _poll_here(setup, plugins, device)
    assert _alerts(setup, "uplink-down", device) == [] and _requests(setup, device) == []

    setup.fault(device, "if-down", UPLINK)
    _poll(setup, device)
    (alert,) = _alerts(setup, "uplink-down", device)
    assert alert.state == "firing" and alert.labels == {"ifname": SHORT_UPLINK}
    (request,) = _requests(setup, device)
    assert request.state == "pending" and request.requested_by == "ward-alerts"
    assert request.action == "ios.interface_bounce" and request.severity == "critical"
    assert request.params == {"interface": SHORT_UPLINK, "hold_s": 1}
    assert request.plan["commands"] == [
        f"interface {SHORT_UPLINK}",
        "shutdown",
        f"interface {SHORT_UPLINK}",
        "no shutdown",
    ]
    assert f"interface {UPLINK}" in request.plan["precheck"]
    assert request.reason == f"alert rule uplink-down fired on {device}: {SHORT_UPLINK} on {device} is down"
    evidence = request.evidence["alert"]
    assert alert.fired_at is not None
    assert evidence["id"] == alert.id and evidence["rule"] == "uplink-down" and evidence["device"] == device
    assert evidence["value"] == 0.0 and evidence["labels"] == {"ifname": SHORT_UPLINK}
    assert datetime.fromisoformat(evidence["fired_at"]) == alert.fired_at
    assert request.evidence["instance"] == f'uplink-down/{device}/ifname="{SHORT_UPLINK}"'

    ctx = RemediationContext.build(setup.engine, plugins, settings)
    spec = ctx.registry.get("ios.interface_bounce")
    with session_scope(setup.engine) as db:
        target = device_target(db, device)
    session = ctx.open_session(target)
    try:
        independent = make_plan(spec, target, dict(request.params), session)
    finally:
        session.close()
    assert request.plan == independent.to_dict() and request.plan_hash == independent.hash

    (proposed,) = _events(setup, alert.id)
    assert proposed.kind == "remediation.proposed" and proposed.actor == "ward-alerts"
    assert proposed.detail["request"] == request.id and proposed.detail["plan_hash"] == request.plan_hash
    (audited,) = setup.audit(request.id, "request.proposed")
    assert audited.actor == "ward-alerts" and json.loads(audited.payload)["plan_hash"] == request.plan_hash

    _poll_here(setup, plugins, device)
    evaluated = setup.ward(None, "alerts", "evaluate", "--json")
    assert evaluated.code == 0, evaluated.err
    _poll_here(setup, plugins, device)
    announced_again = AlertRemediation(setup.engine, settings, plugins).fired(alert_of(alert))
    assert announced_again is not None and announced_again["event"] == "remediation.open"
    assert announced_again["request"] == request.id
    assert [r.id for r in _requests(setup, device)] == [request.id]
    assert [e.kind for e in _events(setup, alert.id)] == ["remediation.proposed", "remediation.open"]

    with pytest.raises(DecisionRefused, match="never approves or rejects"):
        decide(ctx, request_id=request.id, person=Person("ward-alerts", frozenset({"neteng"})), approve=True)
    assert setup.request(request.id).state == "pending"


def test_the_alert_resolving_supersedes_its_pending_request_and_a_new_firing_proposes_anew(
    loaded: Setup, plugins: WardPlugins
) -> None:
    setup, device = loaded, "br001-sw2"
    (request,) = _requests(setup, device)
    setup.fault(device, "if-up", UPLINK)
    _poll_here(setup, plugins, device)
    (alert,) = _alerts(setup, "uplink-down", device)
    assert alert.state == "resolved"
    row = setup.request(request.id)
    assert row.state == "expired"
    (moved,) = [json.loads(r.payload) for r in setup.audit(request.id, "request.state")]
    assert moved["to"] == "expired" and moved["reason"].startswith("superseded: alert uplink-down/")
    assert [e.kind for e in _events(setup, alert.id)][-1] == "remediation.superseded"
    late = setup.ward("bob", "approvals", "approve", str(request.id), "--plan-hash", row.plan_hash)
    assert late.code == 1 and "expired" in late.err

    setup.fault(device, "if-down", UPLINK)
    _poll_here(setup, plugins, device)
    _poll_here(setup, plugins, device)
    requests = _requests(setup, device)
    assert [r.state for r in requests] == ["expired", "pending"]
    setup.fault(device, "if-up", UPLINK)
    _poll_here(setup, plugins, device)
    assert [setup.request(r.id).state for r in requests] == ["expired", "expired"]
    _assert_chain_verifies(setup)


def test_a_failed_proposal_is_recorded_and_evaluation_goes_on(
    loaded: Setup, settings: Settings, plugins: WardPlugins
) -> None:
    setup = loaded
    shut, down = "br001-sw3", "br001-sw4"
    refused_before = len(setup.audit(kind="request.refused"))
    _configure(setup, shut, "interface GigabitEthernet1/0/20", "shutdown")
    setup.fault(down, "if-down", UPLINK)
    try:
        _poll(setup, "site:branch-001")
    finally:
        setup.fault(down, "if-up", UPLINK)
        _configure(setup, shut, "interface GigabitEthernet1/0/20", "no shutdown")
    (shut_alert,) = _alerts(setup, "port-shut", shut)
    assert shut_alert.state == "firing"
    (refusal,) = _events(setup, shut_alert.id)
    assert refusal.kind == "remediation.refused" and "administratively down" in refusal.detail["reason"]
    assert _requests(setup, shut) == []
    refused = [json.loads(r.payload) for r in setup.audit(kind="request.refused")[refused_before:]]
    assert [(r["device"], "administratively down" in r["reason"]) for r in refused] == [(shut, True)]
    (down_alert,) = _alerts(setup, "uplink-down", down)
    assert down_alert.state == "firing", "the other alert of the same evaluation still fired"
    (proposed,) = _requests(setup, down)
    assert proposed.state == "pending" and proposed.evidence["alert"]["id"] == down_alert.id

    plugins.config_changed(
        ConfigChange(
            device="edge-junos",
            platform="juniper_junos",
            revision="b" * 64,
            previous_revision="a" * 64,
            diff="+set system host-name edge",
            collected_at=utcnow(),
        )
    )
    alerting.STATE.settle(120)
    (junos_alert,) = _alerts(setup, "unannounced-change", "edge-junos")
    assert junos_alert.state == "firing"
    (platform,) = _events(setup, junos_alert.id)
    assert platform.kind == "remediation.refused"
    assert "device 'edge-junos' is 'juniper_junos'" in platform.detail["reason"]
    assert "juniper_junos" in json.loads(setup.audit(kind="request.refused")[-1].payload)["reason"]


def test_resolution_expires_pending_requests_of_its_instance_only_and_leaves_the_rest(loaded: Setup) -> None:
    setup, now = loaded, utcnow()
    instance = 'uplink-down/edge-junos/ifname="ge-0/0/0"'
    other = 'uplink-down/edge-junos/ifname="ge-0/0/1"'
    made = []
    with session_scope(setup.engine) as db:
        for state, key in (
            ("pending", instance),
            ("approved", instance),
            ("running", instance),
            ("pending", other),
        ):
            row = RemediationRequest(
                action="ios.interface_bounce",
                device="edge-junos",
                site=None,
                params={"interface": key, "state": state},
                reason="test",
                requested_by="ward-alerts",
                requested_at=now,
                expires_at=now + timedelta(hours=1),
                destructive=True,
                state=state,
                state_changed_at=now,
                plan={},
                plan_hash="0" * 64,
                evidence={"instance": key},
                policy={},
            )
            db.add(row)
            db.flush()
            made.append(row.id)
    outcome = supersede(
        setup.engine, device="edge-junos", instance=instance, reason="test", actor="ward-alerts", now=now
    )
    assert outcome.expired == (made[0],) and outcome.kept == (made[1], made[2])
    assert [setup.request(i).state for i in made] == ["expired", "approved", "running", "pending"]
    assert [r.request_id for r in setup.audit(kind="request.cause_cleared")][-2:] == made[1:3]
    with session_scope(setup.engine) as db:
        for request_id, state in zip(made[1:], ("failed", "failed", "expired"), strict=True):
            db.get(RemediationRequest, request_id).state = state  # type: ignore[union-attr]


class RunRecorder:
    """A plugin that records ``ward_run_finished``."""

    def __init__(self) -> None:
        self.runs: list[RunSummary] = []

    @hookimpl
    def ward_run_finished(self, run: RunSummary) -> None:
        self.runs.append(run)


def _propose_bounce(setup: Setup, device: str, hold_s: int) -> int:
    result = setup.ward(
        "alice",
        "remediation",
        "propose",
        "ios.interface_bounce",
        "--device",
        device,
        "--param",
        f"interface={UPLINK}",
        "--param",
        f"hold_s={hold_s}",
        "--reason",
        "uplink errors",
        "--json",
    )
    assert result.code == 0, result.out + result.err
    request_id = int(result.json()["request_id"])
    assert setup.ward("bob", "approvals", "approve", str(request_id), "--yes").code == 0
    approved = setup.ward("carol", "approvals", "approve", str(request_id), "--yes", "--json")
    assert approved.code == 0 and approved.json()["became_approved"], approved.err
    return request_id


def _wait(predicate: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_slow_worker_finishing_after_the_reap_keeps_the_verdict_and_records_its_outcome(
    loaded: Setup, settings: Settings
) -> None:
    setup, device = loaded, "br001-sw1"
    request_id = _propose_bounce(setup, device, hold_s=3)
    setup.wait_state(request_id, {"running"})
    future = utcnow() + timedelta(seconds=stale_after_s(settings) + 1)
    recorder = RunRecorder()
    with WardPlugins(settings) as bare:
        bare.register(recorder, name="recorder")
        assert reap_stale_executions(setup.engine, settings, now=future, plugins=bare) == [request_id]
    assert [(r.run_id, r.failed) for r in recorder.runs] == [(f"remediation-request-{request_id}", 1)]
    setup.wait_audit("execution.late", lambda p, r: r.request_id == request_id)
    row = setup.request(request_id)
    assert row.state == "failed" and row.outcome is not None
    assert row.outcome["worker_lost"]["reason"] == "worker lost"
    assert row.outcome["late"]["status"] == "succeeded" and row.outcome["late"]["execute"]["ok"]
    shown = setup.ward("alice", "remediation", "show", str(request_id)).out
    assert "worker lost" in shown and "the worker finished after all" in shown
    assert setup.admin_up(device, UPLINK)
    _assert_chain_verifies(setup)


def test_a_request_whose_worker_was_killed_is_reaped_once_as_worker_lost(
    loaded: Setup, settings: Settings
) -> None:
    setup, device = loaded, "br001-sw1"
    request_id = _propose_bounce(setup, device, hold_s=60)
    setup.wait_state(request_id, {"running"})
    _wait(lambda: not setup.admin_up(device, UPLINK), "the bounce to shut the interface")
    os.killpg(setup.worker.pid, signal.SIGKILL)
    setup.worker.wait(10)
    killed_at = time.monotonic()

    not_yet = setup.ward(None, "remediation", "reap", "--json")
    assert not_yet.code == 0, not_yet.err
    assert not_yet.json() == {"reaped": [], "stale_after_s": stale_after_s(settings)}
    assert setup.request(request_id).state == "running"

    short = settings.model_copy(update={"remediation_time_limit_s": 1.0, "remediation_reap_grace_s": 0.0})
    time.sleep(max(0.0, 1.5 - (time.monotonic() - killed_at)))
    recorder = RunRecorder()
    results: list[list[int]] = []
    start = threading.Barrier(4)

    def reap(plugins: WardPlugins) -> None:
        start.wait()
        results.append(ReaperTicker(setup.engine, short, plugins).tick())

    with WardPlugins(short) as bare:
        bare.register(recorder, name="recorder")
        threads = [threading.Thread(target=reap, args=(bare,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert sorted(results) == [[], [], [], [request_id]]
    assert [(r.run_id, r.failed, r.devices) for r in recorder.runs] == [
        (f"remediation-request-{request_id}", 1, 1)
    ]

    row = setup.request(request_id)
    assert row.state == "failed" and row.outcome is not None and row.finished_at is not None
    lost = row.outcome["worker_lost"]
    assert lost["reason"] == "worker lost" and lost["worker"].startswith("worker@")
    assert lost["steps_finished"] == [] and lost["retried"] is False
    assert lost["rollback"].startswith("not attempted")
    (moved,) = [
        json.loads(r.payload) for r in setup.audit(request_id, "request.state") if "worker lost" in r.payload
    ]
    assert (moved["from"], moved["to"], moved["reason"]) == ("running", "failed", "worker lost")
    (finished,) = setup.audit(request_id, "execution.finished")
    assert finished.actor.startswith("reaper@") and json.loads(finished.payload)["reason"] == "worker lost"

    again_env = {"WARD_REMEDIATION_TIME_LIMIT_S": "1", "WARD_REMEDIATION_REAP_GRACE_S": "0"}
    saved = dict(setup.env)
    setup.env.update(again_env)
    try:
        again = setup.ward(None, "remediation", "reap", "--json")
    finally:
        setup.env.clear()
        setup.env.update(saved)
    assert again.code == 0 and again.json()["reaped"] == [], again.err
    shown = setup.ward("alice", "remediation", "show", str(request_id))
    assert "worker lost" in shown.out and "not retried" in shown.out
    _assert_chain_verifies(setup)
    assert not setup.admin_up(device, UPLINK), (
        "no rollback ran: the interface stays as the dead worker left it"
    )
    _configure(setup, device, f"interface {UPLINK}", "no shutdown")
