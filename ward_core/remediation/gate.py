"""The gate: do a request's recorded decisions satisfy the approval policy *now*?

Everything is read at the moment of the check: the request row (locked), its decisions, the
device's groups from the inventory, the policy file and the roles file. The state column alone is
never trusted: a request marked ``approved`` whose approvals no longer satisfy the policy (a role
removed, a stricter rule) does not pass. The worker calls :func:`check_gate` before touching a
device and again in the transaction that claims the execution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ward_core.db.models import RemediationDecision, RemediationRequest
from ward_core.errors import RemediationError
from ward_core.remediation.context import RemediationContext, device_target
from ward_core.remediation.policy import Decision, PolicyRule, Verdict, evaluate
from ward_core.remediation.states import RequestState


@dataclass(frozen=True, slots=True, kw_only=True)
class GateResult:
    """Whether the request may run now; ``reason`` says why not (or what satisfied it)."""

    allowed: bool
    reason: str
    verdict: Verdict | None = None
    rule: PolicyRule | None = None


def locked_request(session: Session, request_id: int) -> RemediationRequest | None:
    """The request row, locked for the transaction (``SELECT ... FOR UPDATE`` on PostgreSQL)."""
    return session.scalar(
        select(RemediationRequest).where(RemediationRequest.id == request_id).with_for_update()
    )


def decisions_of(session: Session, request_id: int) -> list[Decision]:
    """Every decision recorded for the request, oldest first."""
    rows = session.scalars(
        select(RemediationDecision)
        .where(RemediationDecision.request_id == request_id)
        .order_by(RemediationDecision.id)
    )
    return [
        Decision(
            decided_by=r.decided_by,
            approve=r.decision == "approve",
            plan_hash=r.plan_hash,
            decided_at=r.decided_at,
        )
        for r in rows
    ]


def rule_now(ctx: RemediationContext, session: Session, request: RemediationRequest) -> PolicyRule:
    """The policy rule that covers ``request`` now (current policy file, current device groups)."""
    device = device_target(session, request.device)
    return ctx.policy().rule_for(
        action=request.action,
        site=device.site,
        groups=device.groups,
        severity=request.severity,
        destructive=request.destructive,
    )


def verdict_now(
    ctx: RemediationContext, session: Session, request: RemediationRequest
) -> tuple[PolicyRule, Verdict]:
    """The rule covering ``request`` now and whether its decisions satisfy it."""
    rule = rule_now(ctx, session, request)
    directory = ctx.directory()
    verdict = evaluate(
        rule,
        decisions_of(session, request.id),
        requester=request.requested_by,
        plan_hash=request.plan_hash,
        destructive=request.destructive,
        expires_at=request.expires_at,
        roles_of=directory.roles_of,
    )
    return rule, verdict


def check_gate(
    ctx: RemediationContext, session: Session, request: RemediationRequest | None, now: datetime
) -> GateResult:
    """Whether ``request`` may be executed at ``now`` (see the module docstring)."""
    if request is None:
        return GateResult(allowed=False, reason="no such request")
    if request.state != RequestState.APPROVED:
        return GateResult(allowed=False, reason=f"the request is {request.state}, not approved")
    if now >= request.expires_at:
        return GateResult(allowed=False, reason=f"the request expired at {request.expires_at.isoformat()}")
    try:
        rule, verdict = verdict_now(ctx, session, request)
    except RemediationError as exc:
        return GateResult(allowed=False, reason=exc.reason)
    if not verdict.satisfied:
        return GateResult(
            allowed=False,
            reason=f"approvals do not satisfy policy rule {rule.name!r}: {verdict.explanation}",
            verdict=verdict,
            rule=rule,
        )
    return GateResult(
        allowed=True, reason=f"policy rule {rule.name!r}: {verdict.explanation}", verdict=verdict, rule=rule
    )
