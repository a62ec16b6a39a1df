"""Approving and rejecting requests, and expiring them.

An approval is refused (and the refusal audited) when the request is not open, has expired, the
approver is the requester, holds none of the roles the rule counts, already decided this plan, or
named a plan hash that is not the request's current one. Any decision by ward's own alert identity
(``Settings.alert_requester``) is refused: it proposes the remediation of alert rules and never
decides, since a system account approving would defeat the point of asking people. Each accepted
decision records the plan hash it binds to. Any rejection rejects the request; once the recorded
approvals satisfy the rule the request becomes ``approved`` (the caller then queues it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ward_core.audit.log import append, lock_audit
from ward_core.db.models import RemediationDecision, RemediationRequest
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.errors import DecisionRefused, RemediationError
from ward_core.remediation.context import RemediationContext
from ward_core.remediation.gate import locked_request, rule_now, verdict_now
from ward_core.remediation.identity import Person
from ward_core.remediation.policy import PolicyRule, Verdict
from ward_core.remediation.records import DECIDED, DECISION_REFUSED, STATE_CHANGED, move
from ward_core.remediation.states import OPEN, RequestState
from ward_core.types import ApprovalDecision

HASH_PREFIX_MIN = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionOutcome:
    """Where the request stands after a decision."""

    request_id: int
    state: RequestState
    plan_hash: str
    verdict: Verdict | None
    became_approved: bool

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "request_id": self.request_id,
            "state": self.state.value,
            "plan_hash": self.plan_hash,
            "verdict": self.verdict.to_dict() if self.verdict else None,
            "became_approved": self.became_approved,
        }


def counted_roles(rule: PolicyRule) -> frozenset[str]:
    """The roles whose holders' approvals the rule counts (empty: any role).

    >>> sorted(counted_roles(PolicyRule(name="r", require=(("a", 1), ("b", 2)))))
    ['a', 'b']
    """
    return frozenset(role for role, _ in rule.require) if rule.require else frozenset(rule.roles)


def _expire(request: RemediationRequest, now: datetime, actor: str, db: Any) -> None:
    move(
        db,
        request,
        RequestState.EXPIRED,
        actor=actor,
        now=now,
        reason=f"TTL passed at {request.expires_at.isoformat()}",
    )


def expire_due(ctx: RemediationContext, now: datetime | None = None, actor: str = "ward") -> list[int]:
    """Mark every open request whose TTL passed as ``expired`` (audited); their ids."""
    now = now or utcnow()
    with session_scope(ctx.engine) as db:
        lock_audit(db)
        due = db.scalars(
            select(RemediationRequest)
            .where(
                RemediationRequest.state.in_([s.value for s in OPEN]), RemediationRequest.expires_at <= now
            )
            .with_for_update()
        ).all()
        for request in due:
            _expire(request, now, actor, db)
        return [r.id for r in due]


def _problem(
    ctx: RemediationContext,
    db: Any,
    request: RemediationRequest | None,
    person: Person,
    approve: bool,
    plan_hash: str | None,
    now: datetime,
) -> str | None:
    """Why this decision cannot be recorded, or None."""
    if request is None:
        return "no such request"
    if person.name == ctx.settings.alert_requester:
        return f"{person.name} is the identity alert rules propose as: it never approves or rejects"
    if request.state in (s.value for s in OPEN) and now >= request.expires_at:
        _expire(request, now, person.name, db)
        return f"the request expired at {request.expires_at.isoformat()} and can no longer be decided"
    if request.state not in (s.value for s in OPEN):
        return f"the request is {request.state}: it can no longer be decided"
    if plan_hash is not None:
        wanted = plan_hash.strip().lower()
        if len(wanted) < HASH_PREFIX_MIN or not request.plan_hash.startswith(wanted):
            return (
                f"plan hash {plan_hash!r} is not the request's current plan ({request.plan_hash}): "
                "look at the plan again (`ward approvals show`)"
            )
    if approve and person.name == request.requested_by:
        return f"{person.name} requested it: the requester never approves their own request"
    try:
        rule = rule_now(ctx, db, request)
    except RemediationError as exc:
        return exc.reason
    wanted_roles = counted_roles(rule)
    holds = person.roles & wanted_roles if wanted_roles else person.roles
    if not holds and not (not approve and person.name == request.requested_by):
        needed = ", ".join(sorted(wanted_roles)) or "any role"
        return f"{person.name} holds none of the roles policy rule {rule.name!r} counts ({needed})"
    already = db.scalar(
        select(RemediationDecision.id).where(
            RemediationDecision.request_id == request.id,
            RemediationDecision.decided_by == person.name,
            RemediationDecision.plan_hash == request.plan_hash,
        )
    )
    if already is not None:
        return f"{person.name} already decided this plan"
    return None


def decide(
    ctx: RemediationContext,
    *,
    request_id: int,
    person: Person,
    approve: bool,
    comment: str = "",
    plan_hash: str | None = None,
    now: datetime | None = None,
) -> DecisionOutcome:
    """Record ``person``'s approval or rejection of request ``request_id`` (module docstring).

    Raises :class:`DecisionRefused` (after auditing the refusal) when it cannot be recorded.
    """
    now = now or utcnow()
    verb = "approve" if approve else "reject"
    event: ApprovalDecision | None = None
    with session_scope(ctx.engine) as db:
        lock_audit(db)
        request = locked_request(db, request_id)
        problem = _problem(ctx, db, request, person, approve, plan_hash, now)
        if problem is not None or request is None:
            append(
                db,
                actor=person.name,
                kind=DECISION_REFUSED,
                request_id=request_id if request is not None else None,
                now=now,
                payload={"request": request_id, "decision": verb, "reason": problem, "comment": comment},
            )
            refusal = problem or "no such request"
        else:
            refusal = None
            db.add(
                RemediationDecision(
                    request_id=request.id,
                    decided_by=person.name,
                    decision=verb,
                    roles=sorted(person.roles),
                    plan_hash=request.plan_hash,
                    comment=comment,
                    decided_at=now,
                )
            )
            db.flush()
            append(
                db,
                actor=person.name,
                kind=DECIDED,
                request_id=request.id,
                now=now,
                payload={
                    "decision": verb,
                    "plan_hash": request.plan_hash,
                    "comment": comment,
                    "roles": sorted(person.roles),
                },
            )
            became_approved = False
            verdict: Verdict | None = None
            if not approve:
                move(
                    db,
                    request,
                    RequestState.REJECTED,
                    actor=person.name,
                    now=now,
                    reason=f"rejected: {comment}",
                )
            else:
                _, verdict = verdict_now(ctx, db, request)
                if verdict.satisfied and request.state == RequestState.PENDING:
                    move(
                        db,
                        request,
                        RequestState.APPROVED,
                        actor=person.name,
                        now=now,
                        reason=verdict.explanation,
                        extra={"plan_hash": request.plan_hash},
                    )
                    became_approved = True
            outcome = DecisionOutcome(
                request_id=request.id,
                state=RequestState(request.state),
                plan_hash=request.plan_hash,
                verdict=verdict,
                became_approved=became_approved,
            )
            if became_approved or not approve:
                event = ApprovalDecision(
                    request_id=str(request.id),
                    action=request.action,
                    devices=(request.device,),
                    approved=approve,
                    decided_by=person.name,
                    decided_at=now,
                    reason=comment,
                )
    if refusal is not None:
        raise DecisionRefused(f"{verb} refused: {refusal}", request=request_id)
    if event is not None:
        ctx.plugins.approval_decided(event)
    return outcome


__all__ = ["STATE_CHANGED", "DecisionOutcome", "counted_roles", "decide", "expire_due"]
