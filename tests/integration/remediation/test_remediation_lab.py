"""Remediation behind approval gates, end to end: the lab over real SSH, PostgreSQL, Redis and a
real ``ward remediation worker`` process; people act through the ``ward`` command.

Tests run in file order and share one lab; each works on its own device. The last test tampers
with the audit log (as the database superuser), so it stays last.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from dramatiq.broker import Broker
from dramatiq.message import Message
from netmiko import ConnectHandler
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from ward_core.config import load_settings
from ward_core.db import session_scope
from ward_core.db.models import RemediationExecution
from ward_core.remediation.actor import ACTOR_NAME, QUEUE
from ward_core.worker.broker import configure_broker

from .conftest import Setup  # type: ignore[import-not-found]

pytestmark = [pytest.mark.lab, pytest.mark.postgres]

UPLINK = "GigabitEthernet1/0/28"


class Watch:
    """Samples an interface's admin state from the lab every 50 ms while a block runs."""

    def __init__(self, setup: Setup, device: str, interface: str) -> None:
        self.setup, self.device, self.interface = setup, device, interface
        self.seen: list[bool] = []
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.seen.append(self.setup.admin_up(self.device, self.interface))
            time.sleep(0.05)

    @contextmanager
    def running(self) -> Iterator[Watch]:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(5)

    @property
    def went_down(self) -> bool:
        return False in self.seen


def _propose(setup: Setup, user: str, device: str, *extra: str) -> dict[str, object]:
    result = setup.ward(
        user,
        "remediation",
        "propose",
        "ios.interface_bounce",
        "--device",
        device,
        "--param",
        f"interface={UPLINK}",
        "--param",
        "hold_s=2",
        "--reason",
        "uplink errors",
        "--json",
        *extra,
    )
    assert result.code == 0, result.out + result.err
    proposal: dict[str, object] = result.json()
    return proposal


def _connect(setup: Setup, device: str):  # type: ignore[no-untyped-def]
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


def test_a_bounce_needs_two_other_people_then_runs_verifies_and_is_audited(setup: Setup) -> None:
    device = "br001-sw1"
    proposal = _propose(setup, "alice", device)
    request_id = int(proposal["request_id"])  # type: ignore[call-overload]
    plan = proposal["plan"]
    assert isinstance(plan, dict)
    assert proposal["state"] == "pending"
    assert plan["commands"] == [f"interface {UPLINK}", "shutdown", f"interface {UPLINK}", "no shutdown"]
    assert f"interface {UPLINK}" in plan["precheck"] and "shutdown" not in plan["precheck"]
    assert proposal["approvals_needed"] == 2

    shown = setup.ward("bob", "approvals", "show", str(request_id), "--json").json()
    assert shown["plan_hash"] == proposal["plan_hash"] and shown["plan"] == plan
    assert [r["id"] for r in setup.ward("bob", "approvals", "list", "--json").json()] == [request_id]

    own = setup.ward("alice", "approvals", "approve", str(request_id), "--plan-hash", shown["plan_hash"])
    assert own.code == 1 and "never approves their own request" in own.err
    viewer = setup.ward("dave", "approvals", "approve", str(request_id), "--plan-hash", shown["plan_hash"])
    assert viewer.code == 1 and "holds none of the roles" in viewer.err

    with Watch(setup, device, UPLINK).running() as watch:
        first = setup.ward(
            "bob",
            "approvals",
            "approve",
            str(request_id),
            "--plan-hash",
            shown["plan_hash"][:12],
            "--comment",
            "ok",
            "--json",
        )
        assert first.code == 0, first.err
        assert first.json()["state"] == "pending" and first.json()["queued"] is None
        time.sleep(2)
        assert setup.request(request_id).state == "pending"
        assert not watch.went_down
        second = setup.ward(
            "carol", "approvals", "approve", str(request_id), "--plan-hash", shown["plan_hash"], "--json"
        )
        assert second.code == 0, second.err
        assert second.json()["became_approved"] and "queued on redis://" in second.json()["queued"]
        done = setup.wait_state(request_id, {"succeeded", "failed"})
    assert done.state == "succeeded", done.outcome
    assert watch.went_down and watch.seen[-1] is True
    assert done.outcome is not None and done.outcome["verify"]["ok"]
    assert "line protocol is up" in done.outcome["verify"]["output"]
    assert setup.admin_up(device, UPLINK)

    kinds = [r.kind for r in setup.audit(request_id)]
    assert kinds[0] == "request.proposed"
    assert kinds.count("decision.refused") == 2 and kinds.count("decision.recorded") == 2
    assert kinds.count("execution.started") == 1 and kinds[-1] == "execution.finished"
    assert [json.loads(r.payload)["step"] for r in setup.audit(request_id, "execution.step")] == [
        "execute",
        "verify",
    ]
    verify = setup.ward(None, "audit", "verify", "--json")
    assert verify.code == 0 and verify.json()["ok"], verify.out


def test_a_read_only_action_runs_without_approval_and_is_redacted(setup: Setup) -> None:
    result = setup.ward(
        "dave",
        "remediation",
        "propose",
        "ios.show",
        "--device",
        "br001-rtr1",
        "--param",
        "command=show running-config | include snmp-server community",
        "--reason",
        "check",
        "--json",
    )
    assert result.code == 0, result.err
    proposal = result.json()
    assert proposal["state"] == "approved" and proposal["queued"].startswith("queued on")
    done = setup.wait_state(int(proposal["request_id"]), {"succeeded", "failed"})
    assert done.state == "succeeded", done.outcome
    output = done.outcome["execute"]["output"]  # type: ignore[index]
    assert "snmp-server community" in output and setup.lab.credentials.community not in output


def test_an_expired_request_cannot_be_approved(setup: Setup) -> None:
    device = "hub-west-rtr1"
    interface = next(i["name"] for i in setup.device(device)["interfaces"] if i["peer"] is None)
    session = _connect(setup, device)
    try:
        session.send_config_set([f"interface {interface}", "shutdown"])
    finally:
        session.disconnect()
    result = setup.ward(
        "alice",
        "remediation",
        "propose",
        "ios.interface_enable",
        "--device",
        device,
        "--param",
        f"interface={interface}",
        "--reason",
        "bring it back",
        "--json",
    )
    assert result.code == 0, result.err
    request_id = int(result.json()["request_id"])
    time.sleep(3.5)
    late = setup.ward("bob", "approvals", "approve", str(request_id), "--yes")
    assert late.code == 1 and "expired" in late.err
    assert setup.request(request_id).state == "expired"
    assert not setup.admin_up(device, interface)
    again = setup.ward("carol", "approvals", "approve", str(request_id), "--yes")
    assert again.code == 1 and "expired" in again.err


def test_a_rejected_request_never_runs_even_when_its_message_is_sent(setup: Setup) -> None:
    device = "br001-sw2"
    request_id = int(_propose(setup, "alice", device)["request_id"])  # type: ignore[call-overload]
    with Watch(setup, device, UPLINK).running() as watch:
        assert setup.ward("bob", "approvals", "approve", str(request_id), "--yes").code == 0
        rejected = setup.ward(
            "carol", "approvals", "reject", str(request_id), "--comment", "not now", "--json"
        )
        assert rejected.code == 0 and rejected.json()["state"] == "rejected"
        late = setup.ward("carol", "approvals", "approve", str(request_id), "--yes")
        assert late.code == 1 and "rejected" in late.err
        sent = setup.ward("alice", "remediation", "execute", str(request_id))
        assert sent.code == 0, sent.err
        setup.wait_audit("execution.refused", lambda p, r: r.request_id == request_id)
        time.sleep(1)
    assert not watch.went_down
    assert setup.request(request_id).state == "rejected"


def test_a_device_changed_after_approval_is_refused_at_execution(setup: Setup) -> None:
    device = "br001-sw3"
    proposal = _propose(setup, "alice", device)
    request_id = int(proposal["request_id"])  # type: ignore[call-overload]
    assert setup.ward("bob", "approvals", "approve", str(request_id), "--yes").code == 0
    session = _connect(setup, device)
    try:
        session.send_config_set([f"interface {UPLINK}", "description changed behind the approvers' backs"])
    finally:
        session.disconnect()
    with Watch(setup, device, UPLINK).running() as watch:
        approved = setup.ward("carol", "approvals", "approve", str(request_id), "--yes", "--json")
        assert approved.code == 0 and approved.json()["became_approved"], approved.err
        record = setup.wait_audit("execution.replanned", lambda p, r: r.request_id == request_id)
        setup.wait_state(request_id, {"pending"})
    assert not watch.went_down
    payload = json.loads(record.payload)
    assert payload["approved_hash"] == proposal["plan_hash"] != payload["new_hash"]
    assert "changed behind the approvers' backs" in payload["new_precheck"]
    row = setup.request(request_id)
    assert row.plan_hash == payload["new_hash"] and row.plan_revision == 2
    shown = setup.ward("bob", "approvals", "show", str(request_id), "--json").json()
    assert [d["current_plan"] for d in shown["decisions"]] == [False, False]
    with session_scope(setup.engine) as db:
        assert (
            db.scalar(select(RemediationExecution).where(RemediationExecution.request_id == request_id))
            is None
        )


def test_a_forged_message_changes_nothing_and_is_audited(setup: Setup) -> None:
    device = "br001-sw4"
    request_id = int(_propose(setup, "alice", device)["request_id"])  # type: ignore[call-overload]
    broker: Broker = configure_broker(
        load_settings(broker_url=setup.env["WARD_BROKER_URL"], database_url="sqlite://")
    )
    try:
        broker.declare_queue(QUEUE)
        forged = [
            Message(queue_name=QUEUE, actor_name=ACTOR_NAME, args=(request_id,), kwargs={}, options={}),
            Message(queue_name=QUEUE, actor_name=ACTOR_NAME, args=(987654,), kwargs={}, options={}),
        ]
        with Watch(setup, device, UPLINK).running() as watch:
            for message in forged:
                broker.enqueue(message)
            for message in forged:
                record = setup.wait_audit(
                    "execution.refused", lambda p, r, m=message: p.get("message_id") == m.message_id
                )
                assert record.actor.startswith("worker@")
            time.sleep(1)
    finally:
        broker.close()
    assert not watch.went_down
    first = json.loads(setup.audit(request_id, "execution.refused")[-1].payload)
    assert first["state"] == "pending" and "not approved" in first["reason"]
    assert setup.request(request_id).state == "pending"


def test_a_device_failing_mid_execution_ends_failed_with_rollback_recorded(setup: Setup) -> None:
    device = "br001-sw4"
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
        "hold_s=6",
        "--reason",
        "flapping",
        "--json",
    )
    request_id = int(result.json()["request_id"])
    assert setup.ward("bob", "approvals", "approve", str(request_id), "--yes").code == 0
    try:
        with Watch(setup, device, UPLINK).running() as watch:
            assert setup.ward("carol", "approvals", "approve", str(request_id), "--yes").code == 0
            deadline = time.monotonic() + 30
            while not watch.went_down and time.monotonic() < deadline:
                time.sleep(0.05)
            assert watch.went_down
            setup.fault(device, "slow", "20000")
            done = setup.wait_state(request_id, {"succeeded", "failed"}, timeout=120)
    finally:
        setup.lab.ward("lab", "fault", device, "clear")
    assert done.state == "failed"
    assert done.outcome is not None
    assert not done.outcome["execute"]["ok"] and "DeviceTimeout" in done.outcome["execute"]["exception"]
    assert done.outcome["execute"]["undo"] == [f"interface {UPLINK}", "no shutdown"]
    assert done.outcome["rollback"] is not None and done.outcome["verify"] is None
    steps = [json.loads(r.payload)["step"] for r in setup.audit(request_id, "execution.step")]
    assert steps == ["execute", "rollback"]
    time.sleep(3)
    assert len(setup.audit(request_id, "execution.started")) == 1
    with session_scope(setup.engine) as db:
        executions = db.scalars(
            select(RemediationExecution).where(RemediationExecution.request_id == request_id)
        )
        assert [e.status for e in executions] == ["failed"]
    session = _connect(setup, device)
    try:
        session.send_config_set([f"interface {UPLINK}", "no shutdown"])
    finally:
        session.disconnect()


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["ios.frobnicate", "--device", "br001-rtr1"], "unknown action 'ios.frobnicate'"),
        (["ios.interface_bounce", "--device", "br001-rtr1", "--param", "hold_s=1000"], "bad parameters"),
        (
            [
                "ios.interface_bounce",
                "--device",
                "br001-rtr1",
                "--param",
                "interface=Gi0/0/0",
                "--param",
                "x=1",
            ],
            "Additional properties are not allowed",
        ),
        (
            ["ios.interface_bounce", "--device", "edge-junos", "--param", "interface=ge-0/0/0"],
            "device 'edge-junos' is 'juniper_junos'",
        ),
        (
            ["ios.interface_bounce", "--device", "nowhere", "--param", "interface=Gi0/0/0"],
            "not in the inventory",
        ),
        (["ios.interface_bounce", "--device", "br001-rtr1", "--param", "interface=Gi9/9/9"], "pre-check"),
    ],
)
def test_bad_proposals_are_refused_with_the_reason_and_audited(
    setup: Setup, args: list[str], reason: str
) -> None:
    before = len(setup.audit(kind="request.refused"))
    result = setup.ward("alice", "remediation", "propose", *args, "--reason", "test")
    assert result.code == 1 and reason in result.err, result.err
    refused = setup.audit(kind="request.refused")
    assert len(refused) == before + 1 and reason in json.loads(refused[-1].payload)["reason"]


def test_editing_an_audit_row_breaks_verification(setup: Setup) -> None:
    admin = create_engine(setup.url, poolclass=NullPool)
    try:
        with pytest.raises(Exception, match="append-only"), admin.begin() as conn:
            conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
        with pytest.raises(Exception, match="append-only"), admin.begin() as conn:
            conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
        assert setup.ward(None, "audit", "verify").code == 0
        with admin.begin() as conn:
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete"))
            conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete"))
    finally:
        admin.dispose()
    broken = setup.ward(None, "audit", "verify", "--json")
    assert broken.code == 1
    assert broken.json()["first_bad_seq"] == 3 and "changed" in broken.json()["problem"]
    assert "BROKEN at record 3" in setup.ward(None, "audit", "verify").out
