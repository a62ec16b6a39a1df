"""Reading requests back: lists, and one request with its decisions, execution and audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ward_core.audit.log import entries
from ward_core.db.models import RemediationDecision, RemediationExecution, RemediationRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestSummary:
    """One line of ``ward remediation list`` / ``ward approvals list``."""

    id: int
    action: str
    device: str
    site: str | None
    state: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    destructive: bool
    plan_hash: str
    policy: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "id": self.id,
            "action": self.action,
            "device": self.device,
            "site": self.site,
            "state": self.state,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "destructive": self.destructive,
            "plan_hash": self.plan_hash,
            "policy": self.policy,
        }


def _summary(row: RemediationRequest) -> RequestSummary:
    return RequestSummary(
        id=row.id,
        action=row.action,
        device=row.device,
        site=row.site,
        state=row.state,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        expires_at=row.expires_at,
        destructive=row.destructive,
        plan_hash=row.plan_hash,
        policy=str(row.policy.get("describe", row.policy.get("name", ""))),
    )


def list_requests(
    session: Session, *, states: list[str] | None = None, device: str | None = None, limit: int = 100
) -> list[RequestSummary]:
    """Requests, newest first, optionally in ``states`` or on ``device``."""
    query = select(RemediationRequest).order_by(RemediationRequest.id.desc()).limit(limit)
    if states:
        query = query.where(RemediationRequest.state.in_(states))
    if device:
        query = query.where(RemediationRequest.device == device)
    return [_summary(row) for row in session.scalars(query)]


def request_detail(session: Session, request_id: int) -> dict[str, Any] | None:
    """Everything about one request: plan, hash, evidence, policy, decisions, execution, audit trail."""
    row = session.get(RemediationRequest, request_id)
    if row is None:
        return None
    decisions = session.scalars(
        select(RemediationDecision)
        .where(RemediationDecision.request_id == request_id)
        .order_by(RemediationDecision.id)
    )
    execution = session.scalar(
        select(RemediationExecution).where(RemediationExecution.request_id == request_id)
    )
    return {
        **_summary(row).to_dict(),
        "params": row.params,
        "reason": row.reason,
        "severity": row.severity,
        "plan": row.plan,
        "plan_revision": row.plan_revision,
        "evidence": row.evidence,
        "policy_rule": row.policy,
        "outcome": row.outcome,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "decisions": [
            {
                "decided_by": d.decided_by,
                "decision": d.decision,
                "roles": d.roles,
                "plan_hash": d.plan_hash,
                "current_plan": d.plan_hash == row.plan_hash,
                "comment": d.comment,
                "decided_at": d.decided_at.isoformat(),
            }
            for d in decisions
        ],
        "execution": None
        if execution is None
        else {
            "status": execution.status,
            "worker": execution.worker,
            "message_id": execution.message_id,
            "plan_hash": execution.plan_hash,
            "started_at": execution.started_at.isoformat(),
            "finished_at": execution.finished_at.isoformat() if execution.finished_at else None,
        },
        "audit": [e.to_dict() for e in entries(session, request_id=request_id)],
    }
