"""The approval flow end to end through ``ward api`` (a real uvicorn process) and httpx: propose,
review, refusals the policy makes (own request, role, stale plan, expired, decided), approval, and
the hand-off to the queue — with the audit chain intact at the end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

PROPOSAL = {
    "action": "reference.clear_counters",
    "device": "br001-rtr1",
    "params": {"interface": "Gi0/1"},
    "reason": "CRC errors on the uplink",
    "evidence": {"ticket": "NOC-1234"},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Client:
    """httpx on the ``ward api`` process, as one user or another."""

    def __init__(self, base_url: str, tokens: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.tokens = tokens

    def get(self, user: str, path: str) -> httpx.Response:
        return self.http.get(path, headers={"Authorization": f"Bearer {self.tokens[user]}"})

    def post(self, user: str, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(path, json=body, headers={"Authorization": f"Bearer {self.tokens[user]}"})


@pytest.fixture(scope="module")
def ward_api(api_env: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """``ward api`` running in its own process group, stopped at the end."""
    port = _free_port()
    log = tmp_path_factory.mktemp("ward-api") / "api.log"
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ward_core.cli", "api", "--host", "127.0.0.1", "--port", str(port)],
            env=api_env.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code in (200, 503):
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"ward api did not start:\n{log.read_text(encoding='utf-8')}")
        time.sleep(0.1)
    client = Client(base, api_env.tokens)
    try:
        yield client
    finally:
        client.http.close()
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def test_a_request_is_approved_per_policy_through_the_api(ward_api: Client, api_env: Any, audit: Any) -> None:
    proposed = ward_api.post("alice", "/api/v1/remediation/requests", PROPOSAL)
    assert proposed.status_code == 201, proposed.text
    request_id = proposed.json()["request_id"]
    plan_hash = proposed.json()["plan_hash"]
    assert proposed.json()["state"] == "pending" and proposed.json()["approvals_needed"] == 1
    assert proposed.json()["plan"]["commands"] == ["clear counters Gi0/1"]

    queue = ward_api.get("andy", "/api/v1/approvals").json()
    assert [r["id"] for r in queue] == [request_id]
    shown = ward_api.get("andy", f"/api/v1/remediation/requests/{request_id}").json()
    assert shown["plan_hash"] == plan_hash and shown["requested_by"] == "alice"
    assert shown["evidence"] == {"ticket": "NOC-1234"} and shown["reason"] == PROPOSAL["reason"]

    own = ward_api.post(
        "alice", f"/api/v1/remediation/requests/{request_id}/approve", {"plan_hash": plan_hash}
    )
    assert own.status_code == 409
    assert "alice requested it: the requester never approves their own request" in own.json()["detail"]
    outsider = ward_api.post(
        "andy", f"/api/v1/remediation/requests/{request_id}/approve", {"plan_hash": plan_hash}
    )
    assert outsider.status_code == 409 and "holds none of the roles" in outsider.json()["detail"]
    stale = ward_api.post(
        "bob", f"/api/v1/remediation/requests/{request_id}/approve", {"plan_hash": "0" * 12}
    )
    assert stale.status_code == 409 and "is not the request's current plan" in stale.json()["detail"]
    viewer = ward_api.post(
        "vera", f"/api/v1/remediation/requests/{request_id}/approve", {"plan_hash": plan_hash}
    )
    assert viewer.status_code == 403

    approved = ward_api.post(
        "bob", f"/api/v1/remediation/requests/{request_id}/approve", {"plan_hash": plan_hash, "comment": "ok"}
    )
    assert approved.status_code == 200, approved.text
    outcome = approved.json()
    assert outcome["state"] == "approved" and outcome["became_approved"] is True
    assert outcome["verdict"]["satisfied"] is True and outcome["verdict"]["counted"] == ["bob"]
    assert outcome["queued"].startswith("queued on redis://127.0.0.1:6379/")
    queued = redis.Redis.from_url(api_env.redis_url)
    assert any(b"remediation" in key for key in queued.keys("ward:*"))
    queued.close()

    again = ward_api.post(
        "bob", f"/api/v1/remediation/requests/{request_id}/approve", {"plan_hash": plan_hash}
    )
    assert again.status_code == 409 and "bob already decided this plan" in again.json()["detail"]
    detail = ward_api.get("vera", f"/api/v1/remediation/requests/{request_id}").json()
    assert detail["state"] == "approved"
    assert [(d["decided_by"], d["decision"], d["comment"]) for d in detail["decisions"]] == [
        ("bob", "approve", "ok")
    ]
    kinds = [entry["kind"] for entry in detail["audit"]]
    assert kinds.count("decision.refused") == 4 and "decision.recorded" in kinds
    calls = [
        r for r in audit.records("api.call") if r["payload"]["target"].get("request_id") == str(request_id)
    ]
    assert [(c["actor"], c["payload"]["outcome"]) for c in calls] == [
        ("alice", 409),
        ("andy", 409),
        ("bob", 409),
        ("bob", 200),
        ("bob", 409),
    ]
    assert "never approves their own request" in calls[0]["payload"]["refusal"]
    verdict = ward_api.get("aude", "/api/v1/audit/verify").json()
    assert verdict["ok"] is True and verdict["records"] > 10


def test_an_expired_request_cannot_be_approved(ward_api: Client) -> None:
    proposed = ward_api.post("alice", "/api/v1/remediation/requests", {**PROPOSAL, "device": "br002-rtr1"})
    assert proposed.status_code == 201, proposed.text
    request_id, plan_hash = proposed.json()["request_id"], proposed.json()["plan_hash"]
    time.sleep(2.3)
    late = ward_api.post(
        "bob", f"/api/v1/remediation/requests/{request_id}/approve", {"plan_hash": plan_hash}
    )
    assert late.status_code == 409 and "expired" in late.json()["detail"]
    assert ward_api.get("vera", f"/api/v1/remediation/requests/{request_id}").json()["state"] == "expired"


def test_a_requester_withdraws_and_a_rejected_request_never_runs(ward_api: Client) -> None:
    proposed = ward_api.post("alice", "/api/v1/remediation/requests", {**PROPOSAL, "device": "br001-sw1"})
    request_id, plan_hash = proposed.json()["request_id"], proposed.json()["plan_hash"]
    rejected = ward_api.post(
        "alice", f"/api/v1/remediation/requests/{request_id}/reject", {"comment": "not needed"}
    )
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    assert rejected.json()["queued"] is None
    late = ward_api.post(
        "bob", f"/api/v1/remediation/requests/{request_id}/approve", {"plan_hash": plan_hash}
    )
    assert late.status_code == 409 and "rejected" in late.json()["detail"]


def test_proposals_the_policy_or_registry_refuse_are_422(ward_api: Client) -> None:
    unknown = ward_api.post("alice", "/api/v1/remediation/requests", {**PROPOSAL, "action": "reference.nope"})
    assert unknown.status_code == 422 and "unknown action 'reference.nope'" in unknown.json()["detail"]
    bad_params = ward_api.post(
        "alice", "/api/v1/remediation/requests", {**PROPOSAL, "params": {"interface": ""}}
    )
    assert bad_params.status_code == 422 and "interface" in bad_params.json()["detail"]
    no_device = ward_api.post("alice", "/api/v1/remediation/requests", {**PROPOSAL, "device": "ghost"})
    assert no_device.status_code == 422 and "'ghost' is not in the inventory" in no_device.json()["detail"]
    no_alert = ward_api.post("alice", "/api/v1/remediation/requests", {**PROPOSAL, "alert": 99999})
    assert no_alert.status_code == 422 and "body.alert" in no_alert.json()["detail"]
