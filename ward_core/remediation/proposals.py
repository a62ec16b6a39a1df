"""Proposing a remediation: checks, the plan made now on the device, the stored request.

A proposal is refused, with the reason and an audit record, when the action is unknown, the
device is not in the inventory or not of a platform the action supports, the parameters fail the
action's schema, no policy rule covers it, or the plan step or pre-check refuses. Otherwise the
request is stored ``pending`` with its plan, the plan's hash, who asked, why and the evidence;
a policy rule needing no approval (non-destructive actions only) makes it ``approved`` at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ward_core.audit.log import append, lock_audit
from ward_core.db.models import RemediationRequest
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.errors import RequestRefused
from ward_core.remediation.context import OpenSession, RemediationContext, device_target
from ward_core.remediation.planhash import PlannedChange
from ward_core.remediation.planning import make_plan
from ward_core.remediation.policy import PolicyRule
from ward_core.remediation.records import PROPOSAL_REFUSED, PROPOSED, move
from ward_core.remediation.states import RequestState
from ward_core.types import ApprovalDecision


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """A stored request: its id and state, its plan and hash, the rule that applies."""

    request_id: int
    state: RequestState
    plan: PlannedChange
    plan_hash: str
    rule: PolicyRule
    needed: int
    expires_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "request_id": self.request_id,
            "state": self.state.value,
            "plan": self.plan.to_dict(),
            "plan_hash": self.plan_hash,
            "policy": self.rule.to_dict(),
            "approvals_needed": self.needed,
            "expires_at": self.expires_at.isoformat(),
        }


def _refused(ctx: RemediationContext, who: str, what: Mapping[str, Any], reason: str, now: datetime) -> None:
    with session_scope(ctx.engine) as session:
        append(session, actor=who, kind=PROPOSAL_REFUSED, now=now, payload={**what, "reason": reason})


def propose(
    ctx: RemediationContext,
    *,
    action: str,
    device: str,
    params: Mapping[str, Any],
    reason: str,
    requested_by: str,
    severity: str | None = None,
    evidence: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Proposal:
    """Propose ``action`` on ``device`` (see the module docstring); RequestRefused when refused."""
    now = now or utcnow()
    what = {"action": action, "device": device, "params": dict(params), "request_reason": reason}
    session: OpenSession | None = None
    try:
        if not reason.strip():
            raise RequestRefused("a request needs a reason (--reason)")
        spec = ctx.registry.get(action)
        with session_scope(ctx.engine) as db:
            target = device_target(db, device)
        ctx.registry.check_platform(spec, target)
        valid = ctx.registry.validate(action, params)
        rule = ctx.policy().rule_for(
            action=action,
            site=target.site,
            groups=target.groups,
            severity=severity,
            destructive=spec.destructive,
        )
        session = ctx.open_session(target) if spec.precheck is not None else None
        planned = make_plan(spec, target, valid, session)
    except RequestRefused as exc:
        _refused(ctx, requested_by, what, exc.reason, now)
        raise
    finally:
        if session is not None:
            session.close()
    needed = rule.needed(spec.destructive)
    expires_at = now + timedelta(seconds=rule.ttl_s or ctx.settings.approval_ttl_s)
    stored = planned.to_dict()
    digest = planned.hash
    with session_scope(ctx.engine) as db:
        lock_audit(db)
        row = RemediationRequest(
            action=action,
            device=device,
            site=target.site,
            params=valid,
            reason=reason,
            severity=severity,
            requested_by=requested_by,
            requested_at=now,
            expires_at=expires_at,
            destructive=spec.destructive,
            state=RequestState.PENDING.value,
            state_changed_at=now,
            plan=stored,
            plan_hash=digest,
            plan_revision=1,
            evidence=dict(evidence or {}),
            policy={**rule.to_dict(), "needed": needed, "describe": rule.describe(spec.destructive)},
        )
        db.add(row)
        db.flush()
        append(
            db,
            actor=requested_by,
            kind=PROPOSED,
            request_id=row.id,
            now=now,
            payload={
                "action": action,
                "device": device,
                "params": valid,
                "reason": reason,
                "severity": severity,
                "plan": stored,
                "plan_hash": digest,
                "evidence": dict(evidence or {}),
                "policy": rule.name,
                "approvals_needed": needed,
                "expires_at": expires_at.isoformat(),
            },
        )
        state = RequestState.PENDING
        if needed == 0:
            move(
                db,
                row,
                RequestState.APPROVED,
                actor=f"policy:{rule.name}",
                now=now,
                reason="no approval needed",
            )
            state = RequestState.APPROVED
        request_id = row.id
    if state is RequestState.APPROVED:
        ctx.plugins.approval_decided(
            ApprovalDecision(
                request_id=str(request_id),
                action=action,
                devices=(device,),
                approved=True,
                decided_by=f"policy:{rule.name}",
                decided_at=now,
                reason="no approval needed",
            )
        )
    return Proposal(
        request_id=request_id,
        state=state,
        plan=planned,
        plan_hash=digest,
        rule=rule,
        needed=needed,
        expires_at=expires_at,
    )
