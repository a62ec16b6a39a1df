"""Remediation requests and approvals: ``ward remediation propose|list|show`` and
``ward approvals list|show|approve|reject`` over HTTP.

The endpoints call the very services the CLI calls (:func:`~ward_core.remediation.proposals.propose`,
:func:`~ward_core.remediation.decisions.decide`, :func:`~ward_core.remediation.runtime.enqueue`):
the approval policy decides, here as there. The acting person is the token's owner with the roles
the roles file gives them now. A request that becomes approved is handed to a worker at once
(``queued`` says where); a refusal is 409 with the policy's reason (the requester approving their
own request, an expired or decided request, a stale plan hash, a missing role), and is audited by
the service as well as by the API.

Rejecting needs ``approvals.decide``, or ``remediation.propose`` for withdrawing one's own request:
a proposer rejecting someone else's request is refused 403 before policy is asked. A request's
detail is served with its device output redacted (:mod:`ward_core.api.redaction`). Evidence keys
that requests proposed by alert rules use (:data:`RESERVED_EVIDENCE`) are refused 422.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field
from starlette.responses import Response

from ward_core.alerts.notices import row_to_dict
from ward_core.api.auth import Principal, require
from ward_core.api.errors import ApiError
from ward_core.api.listing import Encoded, json_answer
from ward_core.api.redaction import redacted_request
from ward_core.api.routes.common import PREFIX, Body, conflict, not_found, ok
from ward_core.api.state import ApiState, api_state
from ward_core.db.models import AlertRow
from ward_core.permissions import APPROVALS_DECIDE, REMEDIATION_PROPOSE, REMEDIATION_VIEW
from ward_core.remediation.decisions import decide, expire_due
from ward_core.remediation.identity import Person
from ward_core.remediation.instances import INSTANCE_KEY
from ward_core.remediation.proposals import propose
from ward_core.remediation.queries import list_requests, request_detail
from ward_core.remediation.runtime import enqueue
from ward_core.remediation.states import RequestState

router = APIRouter(prefix=PREFIX, tags=["remediation"])
CanView = Annotated[Principal, Depends(require(REMEDIATION_VIEW))]
CanPropose = Annotated[Principal, Depends(require(REMEDIATION_PROPOSE))]
CanDecide = Annotated[Principal, Depends(require(APPROVALS_DECIDE))]
CanReject = Annotated[Principal, Depends(require(APPROVALS_DECIDE, REMEDIATION_PROPOSE))]
RequestId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The request id.", examples=[7])]
RESERVED_EVIDENCE = (INSTANCE_KEY, "source", "alert")
"""Evidence keys of requests alert rules propose (:mod:`ward_core.alerts.remediate`): a proposal's
own evidence may not set them (``alert`` is filled in from the body's ``alert`` id)."""
StateName = Literal["pending", "approved", "rejected", "expired", "running", "succeeded", "failed"]

SUMMARY_EXAMPLE: dict[str, Any] = {
    "id": 7,
    "action": "ios.interface_shutdown",
    "device": "br001-rtr1",
    "site": "br001",
    "state": "pending",
    "requested_by": "alice",
    "requested_at": "2026-12-01T08:30:00+00:00",
    "expires_at": "2026-12-01T12:30:00+00:00",
    "destructive": True,
    "plan_hash": "9c1e5d0f3b2a41c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e",
    "policy": "2 approvals (neteng)",
}
PLAN_EXAMPLE: dict[str, Any] = {
    "action": "ios.interface_shutdown",
    "destructive": True,
    "device": {"name": "br001-rtr1", "host": "10.1.0.1", "port": 22, "platform": "cisco_ios"},
    "params": {"interface": "Gi0/1"},
    "summary": "shut down Gi0/1 on br001-rtr1",
    "commands": ["interface Gi0/1", "shutdown"],
    "precheck": "Gi0/1 is up, line protocol is up",
}
DETAIL_EXAMPLE: dict[str, Any] = {
    **SUMMARY_EXAMPLE,
    "params": {"interface": "Gi0/1"},
    "reason": "flapping uplink",
    "severity": "warning",
    "plan": PLAN_EXAMPLE,
    "plan_revision": 1,
    "evidence": {"alert": {"id": 42, "rule": "interface-flapping"}},
    "policy_rule": {"name": "default", "needed": 2},
    "outcome": None,
    "finished_at": None,
    "decisions": [],
    "execution": None,
    "audit": [],
}
DECISION_EXAMPLE: dict[str, Any] = {
    "request_id": 7,
    "state": "approved",
    "plan_hash": SUMMARY_EXAMPLE["plan_hash"],
    "verdict": {
        "satisfied": True,
        "rejected_by": None,
        "counted": ["bob", "carol"],
        "needed": 2,
        "explanation": "2 of 2 approvals",
    },
    "became_approved": True,
    "queued": "queued on redis://127.0.0.1:6379/0 (message 5f1c...)",
}


class ProposeBody(Body):
    """A remediation proposal."""

    action: str = Field(min_length=1, max_length=255, description="Action name.")
    device: str = Field(min_length=1, max_length=255, description="Inventory device name.")
    reason: str = Field(min_length=1, max_length=2000, description="Why: shown to approvers, audited.")
    params: dict[str, Any] = Field(default_factory=dict, description="Parameters, per the action's schema.")
    severity: Literal["info", "warning", "critical"] | None = Field(default=None, description="Severity.")
    alert: int | None = Field(default=None, ge=1, le=2**31 - 1, description="The alert this answers.")
    evidence: dict[str, Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=dict, max_length=50, description="Extra evidence, key to text."
    )

    model_config = Body.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "action": "ios.interface_shutdown",
                    "device": "br001-rtr1",
                    "reason": "flapping uplink",
                    "params": {"interface": "Gi0/1"},
                    "alert": 42,
                }
            ]
        }
    }


class ApproveBody(Body):
    """An approval, bound to the plan hash the approver reviewed."""

    plan_hash: str = Field(
        min_length=8,
        max_length=64,
        pattern=r"^[0-9a-fA-F]+$",
        description="The reviewed plan's hash (8+ hex).",
    )
    comment: str = Field(default="", max_length=2000, description="Why (audited).")

    model_config = Body.model_config | {
        "json_schema_extra": {"examples": [{"plan_hash": "9c1e5d0f3b2a", "comment": "checked with the site"}]}
    }


class RejectBody(Body):
    """A rejection."""

    comment: str = Field(default="", max_length=2000, description="Why (audited).")

    model_config = Body.model_config | {"json_schema_extra": {"examples": [{"comment": "wrong interface"}]}}


def _person(state: ApiState, principal: Principal) -> Person:
    return Person(principal.user, state.directory().roles_of(principal.user))


def _alert_evidence(state: ApiState, alert_id: int) -> dict[str, Any]:
    with state.sessions() as session:
        row = session.get(AlertRow, alert_id)
        if row is None:
            raise ApiError(422, f"body.alert: no alert {alert_id}")
        return row_to_dict(row)


def _requester(state: ApiState, request_id: int) -> str:
    """Who requested ``request_id``; ApiError 404 when there is no such request."""
    with state.sessions() as session:
        detail = request_detail(session, request_id)
    if detail is None:
        raise ApiError(404, f"no remediation request {request_id}")
    return str(detail["requested_by"])


def _list(request: Request, states: list[str] | None, device: str | None, limit: int) -> Response:
    state = api_state(request)
    expire_due(state.remediation, actor="ward")
    with state.sessions() as session:
        rows = list_requests(session, states=states, device=device, limit=limit)
    return json_answer(request, Encoded.of([r.to_dict() for r in rows]))


@router.get(
    "/remediation/requests",
    summary="List remediation requests",
    responses=ok([SUMMARY_EXAMPLE], "Requests, newest first.", etag=True),
)
def list_remediation(
    request: Request,
    principal: CanView,
    state: Annotated[list[StateName] | None, Query(description="Only these states.")] = None,
    device: Annotated[str | None, Query(max_length=255, description="Only this device.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many, newest first.")] = 100,
) -> Response:
    """Remediation requests (requests past their TTL are expired first, as the CLI does)."""
    return _list(request, list(state) if state else None, device, limit)


@router.get(
    "/approvals",
    summary="Requests waiting for approval",
    responses=ok([SUMMARY_EXAMPLE], "Pending requests, newest first.", etag=True),
)
def list_pending(
    request: Request,
    principal: CanView,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many, newest first.")] = 100,
) -> Response:
    """The approver's queue: requests in state ``pending``."""
    return _list(request, [RequestState.PENDING.value], None, limit)


@router.get(
    "/remediation/requests/{request_id}",
    summary="Show a remediation request",
    responses={
        **ok(DETAIL_EXAMPLE, "Plan, hash, pre-check, evidence, decisions, outcome, audit."),
        **not_found("request"),
    },
)
def show_remediation(request: Request, request_id: RequestId, principal: CanView) -> dict[str, Any]:
    """Everything an approval binds to: the plan and its hash, pre-check output, evidence, the
    decisions so far, the execution and the audit trail."""
    state = api_state(request)
    with state.sessions() as session:
        detail = request_detail(session, request_id)
        if detail is None:
            raise ApiError(404, f"no remediation request {request_id}")
        return redacted_request(state.plugins, session, detail)


@router.post(
    "/remediation/requests",
    summary="Propose a remediation",
    status_code=201,
    responses={
        201: {
            "description": "The stored request: pending, or approved (and queued) when policy needs "
            "no approval.",
            "content": {
                "application/json": {
                    "example": {
                        "request_id": 7,
                        "state": "pending",
                        "plan": PLAN_EXAMPLE,
                        "plan_hash": SUMMARY_EXAMPLE["plan_hash"],
                        "policy": {"name": "default", "approvals": 2, "roles": ["neteng"]},
                        "approvals_needed": 2,
                        "expires_at": "2026-12-01T12:30:00+00:00",
                        "queued": None,
                    }
                }
            },
        },
        422: {"description": "Refused: unknown action or device, bad parameters, platform, no policy rule."},
    },
)
def propose_remediation(request: Request, body: ProposeBody, principal: CanPropose) -> dict[str, Any]:
    """Propose an action on a device: the plan is made on the device now, stored with its hash."""
    return _propose(api_state(request), body, principal)


def _propose(state: ApiState, body: ProposeBody, principal: Principal) -> dict[str, Any]:
    for key in RESERVED_EVIDENCE:
        if key in body.evidence:
            raise ApiError(
                422,
                f"body.evidence.{key}: reserved for requests alert rules propose"
                + (" (name the alert with body.alert)" if key == "alert" else ""),
            )
    evidence: dict[str, Any] = dict(body.evidence)
    severity = body.severity
    if body.alert is not None:
        evidence["alert"] = _alert_evidence(state, body.alert)
        severity = severity or evidence["alert"]["severity"]
    rc = state.remediation
    proposal = propose(
        rc,
        action=body.action,
        device=body.device,
        params=body.params,
        reason=body.reason,
        requested_by=principal.user,
        severity=severity,
        evidence=evidence,
    )
    queued = enqueue(rc, proposal.request_id) if proposal.state is RequestState.APPROVED else None
    return {**proposal.to_dict(), "queued": queued}


@router.post(
    "/remediation/requests/{request_id}/approve",
    summary="Approve a request's plan",
    responses={
        **ok(DECISION_EXAMPLE, "The decision is recorded; `queued` says where an approved request went."),
        **not_found("request"),
        **conflict("approve refused: alice requested it: the requester never approves their own request"),
    },
)
def approve(
    request: Request, request_id: RequestId, body: ApproveBody, principal: CanDecide
) -> dict[str, Any]:
    """Approve the plan whose hash you reviewed; the request runs once the policy is satisfied."""
    return _decide(api_state(request), request_id, principal, True, body.comment, body.plan_hash)


@router.post(
    "/remediation/requests/{request_id}/reject",
    summary="Reject a request",
    responses={
        **ok(
            {
                **DECISION_EXAMPLE,
                "state": "rejected",
                "verdict": None,
                "became_approved": False,
                "queued": None,
            }
        ),
        **not_found("request"),
        **conflict("reject refused: the request is succeeded: it can no longer be decided"),
    },
)
def reject(request: Request, request_id: RequestId, body: RejectBody, principal: CanReject) -> dict[str, Any]:
    """Reject a request: it never runs. The requester may withdraw their own (``remediation.propose``
    suffices for that); anyone else's needs ``approvals.decide``."""
    return _decide(api_state(request), request_id, principal, False, body.comment, None)


def _decide(
    state: ApiState, request_id: int, principal: Principal, approve: bool, comment: str, plan_hash: str | None
) -> dict[str, Any]:
    requester = _requester(state, request_id)
    if not approve and not principal.can(APPROVALS_DECIDE) and requester != principal.user:
        raise ApiError(
            403,
            f"{principal.user} lacks the permission {APPROVALS_DECIDE}: without it one may only "
            f"withdraw one's own request (request {request_id} was requested by {requester})",
        )
    rc = state.remediation
    outcome = decide(
        rc,
        request_id=request_id,
        person=_person(state, principal),
        approve=approve,
        comment=comment,
        plan_hash=plan_hash,
    )
    queued = enqueue(rc, request_id) if outcome.became_approved else None
    return {**outcome.to_dict(), "queued": queued}
