"""The CLI checks the same permissions as the API, from the same roles file."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def _ward(api_env: Any, user: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ward_core.cli", *args],
        env=api_env.env(WARD_USER=user),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PROPOSE = (
    "remediation",
    "propose",
    "reference.clear_counters",
    "--device",
    "br001-rtr1",
    "--param",
    "interface=Gi0/2",
    "--reason",
    "cli check",
    "--json",
)


def test_the_cli_refuses_what_the_roles_do_not_grant(api_env: Any) -> None:
    viewer = _ward(api_env, "vera", *PROPOSE)
    assert viewer.returncode == 1
    assert "vera lacks the permission 'remediation.propose' (viewer in" in viewer.stderr
    proposed = _ward(api_env, "olga", *PROPOSE)
    assert proposed.returncode == 0, proposed.stderr
    request_id = str(json.loads(proposed.stdout)["request_id"])
    operator = _ward(api_env, "olga", "approvals", "approve", request_id, "--plan-hash", "0" * 8, "--yes")
    assert operator.returncode == 1 and "olga lacks the permission 'approvals.decide'" in operator.stderr
    auditor = _ward(api_env, "aude", "approvals", "reject", request_id, "--comment", "no")
    assert auditor.returncode == 1
    assert "aude lacks the permission 'approvals.decide' or 'remediation.propose'" in auditor.stderr
    withdrawn = _ward(api_env, "olga", "approvals", "reject", request_id, "--comment", "mine", "--json")
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert json.loads(withdrawn.stdout)["state"] == "rejected"
