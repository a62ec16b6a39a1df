"""Device secrets never reach viewers: a request's pre-check, step outputs, transcript and audit
payloads, and a queued run's ``--var`` values, as the REST API and the approver page serve them.
The CLI, run with the operator's own rights, still shows them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from typing import Any

from ward_core.audit.log import append
from ward_core.db import session_scope
from ward_core.db.models import RemediationRequest, Run
from ward_core.db.types import utcnow

COMMUNITY = "Comm-s3cret-precheck"
PASSWORD = "Pa55-s3cret-transcript"
ENABLE = "En4ble-s3cret-step"
GIVEN = "Var-s3cret-given"
SECRETS = (COMMUNITY, PASSWORD, ENABLE)

PRECHECK = f"interface Gi0/3\n description uplink\nsnmp-server community {COMMUNITY} RO\n"
TRANSCRIPT = f"br001-rtr1# show running-config | include username\nusername ops password 0 {PASSWORD}"
STEP_OUTPUT = f"enable secret 5 {ENABLE}\ncounters cleared"


def _stored_request(api_env: Any) -> int:
    now = utcnow()
    with session_scope(api_env.engine) as session:
        row = RemediationRequest(
            action="reference.clear_counters",
            device="br001-rtr1",
            site="branch-001",
            params={"interface": "Gi0/3"},
            reason="secrets in device output",
            severity=None,
            requested_by="alice",
            requested_at=now,
            expires_at=now + timedelta(hours=1),
            destructive=False,
            state="succeeded",
            state_changed_at=now,
            plan={
                "action": "reference.clear_counters",
                "device": {"name": "br001-rtr1", "platform": "cisco_ios"},
                "summary": "clear counters on Gi0/3",
                "commands": ["clear counters Gi0/3"],
                "precheck": PRECHECK,
            },
            plan_hash="ab" * 32,
            evidence={"ticket": "NOC-9"},
            policy={"name": "default", "needed": 1},
            outcome={
                "execute": {"ok": True, "output": STEP_OUTPUT, "exception": None},
                "verify": {"ok": True, "output": "ok", "exception": None},
                "rollback": None,
                "transcript": TRANSCRIPT,
            },
            finished_at=now,
        )
        session.add(row)
        session.flush()
        append(
            session,
            actor="worker",
            kind="execution.finished",
            request_id=row.id,
            payload={"status": "succeeded", "reason": "executed and verified", "transcript": TRANSCRIPT},
        )
        return row.id


def test_a_request_s_device_output_is_redacted_for_viewers_but_not_in_the_cli(api: Any, api_env: Any) -> None:
    request_id = _stored_request(api_env)
    shown = api.get(f"/api/v1/remediation/requests/{request_id}", user="vera")
    assert shown.status_code == 200, shown.text
    served = shown.text
    for secret in SECRETS:
        assert secret not in served
    detail = shown.json()
    assert "snmp-server community <redacted" in detail["plan"]["precheck"]
    assert "description uplink" in detail["plan"]["precheck"]
    assert "username ops password 0 <redacted" in detail["outcome"]["transcript"]
    assert detail["outcome"]["execute"]["output"].startswith("enable secret 5 <redacted")
    finished = next(e for e in detail["audit"] if e["kind"] == "execution.finished")
    assert "password 0 <redacted" in json.loads(finished["payload"])["transcript"]

    page = api.get(f"/ui/approvals/{request_id}", user="vera")
    assert page.status_code == 200, page.text[:500]
    for secret in SECRETS:
        assert secret not in page.text
    assert "snmp-server community &lt;redacted" in page.text

    cli = subprocess.run(
        [sys.executable, "-m", "ward_core.cli", "remediation", "show", str(request_id), "--json"],
        env=api_env.env(WARD_USER="root"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert COMMUNITY in cli.stdout and PASSWORD in cli.stdout


def test_a_queued_run_s_var_values_are_hidden(api: Any, api_env: Any) -> None:
    with session_scope(api_env.engine) as session:
        run = Run(
            kind="playbook",
            name="set-community",
            status="pending",
            requested_by="olga",
            params={
                "playbook": "set-community",
                "queued": {"source": "name: set-community\n", "given": {"community": GIVEN, "count": 3}},
            },
            summary={},
        )
        session.add(run)
        session.flush()
        run_id = run.id
    shown = api.get(f"/api/v1/runs/{run_id}", user="vera")
    assert shown.status_code == 200, shown.text
    assert GIVEN not in shown.text
    queued = shown.json()["params"]["queued"]
    assert queued["given"] == {"community": "<redacted>", "count": "<redacted>"}
    assert queued["source"] == "name: set-community\n"
