"""Config drift found by compliance is closed through the approval gate (``ios.compliance_apply``).

A lab device drifts; its backup is judged non-compliant with the exact remediation commands; those
commands are proposed as a remediation request, need two other people's approvals, run on the real
worker, and the next backup of the device is compliant again.
"""

from __future__ import annotations

from typing import Any

from .conftest import Setup  # type: ignore[import-not-found]

DEVICE = "br001-sw2"


def _compliance(setup: Setup) -> dict[str, Any]:
    backup = setup.ward(None, "configs", "backup", "--limit", DEVICE, "--json")
    assert backup.code == 0, backup.out + backup.err
    result = setup.ward(None, "compliance", "report", "--limit", DEVICE, "--json")
    assert result.code in (0, 1), result.err
    (device,) = result.json()["devices"]
    return dict(device)


def test_drift_is_proposed_approved_applied_and_compliant_again(setup: Setup) -> None:
    assert _compliance(setup)["status"] == "compliant"
    setup.fault(DEVICE, "config-drift")
    drifted = _compliance(setup)
    assert drifted["status"] == "non-compliant"
    assert drifted["remediation"] == ["no ip http server"]

    proposed = setup.ward(
        "alice",
        "remediation",
        "propose",
        "ios.compliance_apply",
        "--device",
        DEVICE,
        "--reason",
        "config drift",
        "--json",
    )
    assert proposed.code == 0, proposed.out + proposed.err
    proposal = proposed.json()
    assert proposal["state"] == "pending"
    assert proposal["plan"]["commands"] == drifted["remediation"]
    request_id = str(proposal["request_id"])
    plan_hash = str(proposal["plan_hash"])

    for approver in ("bob", "carol"):
        decided = setup.ward(approver, "approvals", "approve", request_id, "--plan-hash", plan_hash, "--json")
        assert decided.code == 0, decided.out + decided.err
    done = setup.wait_state(int(request_id), {"succeeded", "failed"})
    assert done.state == "succeeded", done.outcome

    assert _compliance(setup)["status"] == "compliant"
    history = setup.ward(None, "configs", "history", DEVICE, "--json")
    assert history.code == 0, history.err
    assert any(v.get("remediation") == f"remediation-request-{request_id}" for v in history.json()), (
        history.out
    )
