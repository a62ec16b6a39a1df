"""Guards around deciding and proposing: without ``approvals.decide`` one may reject (withdraw)
only one's own request, through the API and the CLI, even when policy counts one's role; a
proposal's evidence may not set the keys alert-proposed requests use; the approver page refuses
a decision whose form lost its plan hash."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from ward_core.api.app import create_app
from ward_core.api.tokens import create_token
from ward_core.db import session_scope
from ward_core.remediation.identity import load_directory

ROLES: dict[str, Any] = {
    "roles": {"neteng": ["operator", "approvals.decide"], "junior": ["operator"]},
    "users": {"nora": {"roles": ["neteng"]}, "pia": {"roles": ["junior"]}},
}
POLICY: dict[str, Any] = {"default": {"approvals": 1, "roles": ["neteng", "junior"]}}
"""Policy counts the junior role, which cannot decide: the API's permission is what stops them."""


@dataclass
class Guarded:
    """An API on its own roles file and policy, a client, and the files."""

    client: httpx.Client
    tokens: dict[str, str]
    roles_file: Path
    policy_file: Path

    def post(self, user: str, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.post(path, json=body, headers={"Authorization": f"Bearer {self.tokens[user]}"})

    def propose(self, user: str, interface: str) -> int:
        answer = self.post(
            user,
            "/api/v1/remediation/requests",
            {
                "action": "reference.clear_counters",
                "device": "hub-west-rtr1",
                "params": {"interface": interface},
                "reason": "guard test",
            },
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["request_id"])

    def state(self, user: str, request_id: int) -> str:
        answer = self.client.get(
            f"/api/v1/remediation/requests/{request_id}",
            headers={"Authorization": f"Bearer {self.tokens[user]}"},
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["state"])


@pytest.fixture
def guarded(api_env: Any, serve_app: Any, tmp_path: Path) -> Iterator[Guarded]:
    roles_file, policy_file = tmp_path / "roles.yml", tmp_path / "policy.yml"
    roles_file.write_text(yaml.safe_dump(ROLES), encoding="utf-8")
    policy_file.write_text(yaml.safe_dump(POLICY), encoding="utf-8")
    settings = api_env.settings_with(roles_file=roles_file, approval_policy_file=policy_file)
    directory = load_directory(settings)
    tokens: dict[str, str] = {}
    with session_scope(api_env.engine) as session:
        for user in ROLES["users"]:
            issued = create_token(session, directory, user=user, scopes=None, expires_at=None, created_by="t")
            tokens[user] = issued.token
    with (
        serve_app(create_app(settings, engine=api_env.engine)) as url,
        httpx.Client(base_url=url, timeout=60, follow_redirects=False) as client,
    ):
        yield Guarded(client, tokens, roles_file, policy_file)


def test_a_proposer_rejects_only_their_own_request_through_the_api(guarded: Guarded) -> None:
    theirs = guarded.propose("nora", "Gi0/11")
    refused = guarded.post("pia", f"/api/v1/remediation/requests/{theirs}/reject", {"comment": "no"})
    assert refused.status_code == 403, refused.text
    assert "pia lacks the permission approvals.decide" in refused.json()["detail"]
    assert f"request {theirs} was requested by nora" in refused.json()["detail"]
    assert guarded.state("nora", theirs) == "pending"

    own = guarded.propose("pia", "Gi0/12")
    withdrawn = guarded.post("pia", f"/api/v1/remediation/requests/{own}/reject", {"comment": "mine"})
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "rejected"
    decided = guarded.post("nora", f"/api/v1/remediation/requests/{theirs}/reject", {"comment": "no"})
    assert decided.status_code == 200 and decided.json()["state"] == "rejected"


def test_a_proposer_rejects_only_their_own_request_through_the_cli(guarded: Guarded, api_env: Any) -> None:
    theirs = guarded.propose("nora", "Gi0/13")
    own = guarded.propose("pia", "Gi0/14")

    def reject(request_id: int) -> subprocess.CompletedProcess[str]:
        env = api_env.env(
            WARD_USER="pia",
            WARD_ROLES_FILE=str(guarded.roles_file),
            WARD_APPROVAL_POLICY_FILE=str(guarded.policy_file),
        )
        return subprocess.run(
            [sys.executable, "-m", "ward_core.cli", "approvals", "reject", str(request_id), "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    refused = reject(theirs)
    assert refused.returncode == 1
    assert "pia lacks the permission 'approvals.decide'" in refused.stderr
    assert f"request {theirs} was requested by nora" in refused.stderr
    assert guarded.state("nora", theirs) == "pending"
    withdrawn = reject(own)
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert json.loads(withdrawn.stdout)["state"] == "rejected"


@pytest.mark.parametrize("key", ["instance", "source", "alert"])
def test_evidence_may_not_set_the_keys_of_alert_proposed_requests(guarded: Guarded, key: str) -> None:
    answer = guarded.post(
        "nora",
        "/api/v1/remediation/requests",
        {
            "action": "reference.clear_counters",
            "device": "hub-west-rtr1",
            "params": {"interface": "Gi0/15"},
            "reason": "evidence check",
            "evidence": {"ticket": "NOC-7", key: "forged"},
        },
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith(f"body.evidence.{key}: reserved")


def test_the_approver_page_refuses_a_decision_without_the_plan_hash(guarded: Guarded) -> None:
    request_id = guarded.propose("pia", "Gi0/16")
    client = guarded.client
    login = client.post("/ui/login", data={"token": guarded.tokens["nora"], "next": "/ui/approvals"})
    assert login.status_code == 303, login.text
    page = client.get(f"/ui/approvals/{request_id}")
    assert page.status_code == 200
    assert 'name="plan_hash" value="' in page.text
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    for decision in ("approve", "reject"):
        answer = client.post(
            f"/ui/approvals/{request_id}",
            data={"csrf_token": csrf, "decision": decision, "plan_hash": " "},
        )
        assert answer.status_code == 400, answer.text[:500]
        assert "plan_hash: missing" in answer.text
    assert guarded.state("nora", request_id) == "pending"
