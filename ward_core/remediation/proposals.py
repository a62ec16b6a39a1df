"""Proposing a remediation: checks, the plan made now on the device, the stored request.

A proposal is refused, with the reason and an audit record, when the action is unknown, the
device is not in the inventory or not of a platform the action supports, the parameters fail the
action's schema, no policy rule covers it, or the plan step or pre-check refuses. Otherwise the
request is stored ``pending`` with its plan, the plan's hash, who asked, why and the evidence;
a policy rule needing no approval (non-destructive actions only) makes it ``approved`` at once.

A proposer may pass a ``guard`` (alert rules do, see :mod:`ward_core.alerts.remediate`): a check
run twice, before the plan is made (so a request already open costs no device session) and again in
the transaction that stores the request, under the audit lock (so two proposers racing for the
same instance cannot both pass). It raises :class:`~ward_core.errors.RequestRefused` (audited like
any refusal) or :class:`~ward_core.remediation.instances.AlreadyOpen` (not audited: nothing was
refused, the open request stands).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ward_core.audit.log import append, lock_audit
from ward_core.db.models import RemediationRequest
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.errors import RequestRefused
from ward_core.remediation.context import OpenSession, RemediationContext, device_target
from ward_core.remediation.instances import AlreadyOpen
from ward_core.remediation.planhash import PlannedChange
from ward_core.remediation.planning import make_plan
from ward_core.remediation.policy import PolicyRule
from ward_core.remediation.records import PROPOSAL_REFUSED, PROPOSED, move
from ward_core.remediation.states import RequestState
from ward_core.types import ApprovalDecision, DeviceTarget

ProposalGuard = Callable[[Session], None]
"""A proposer's own check (module docstring); raises to stop the proposal."""


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


def record_refusal(engine: Engine, who: str, what: Mapping[str, Any], reason: str, now: datetime) -> None:
    """Audit a refused proposal (``request.refused``): what was asked, by whom, and why not."""
    with session_scope(engine) as session:
        append(session, actor=who, kind=PROPOSAL_REFUSED, now=now, payload={**what, "reason": reason})


def _refused(ctx: RemediationContext, who: str, what: Mapping[str, Any], reason: str, now: datetime) -> None:
    record_refusal(ctx.engine, who, what, reason, now)


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
    guard: ProposalGuard | None = None,
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
            if guard is not None:
                guard(db)
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
    except AlreadyOpen:
        raise
    except RequestRefused as exc:
        _refused(ctx, requested_by, what, exc.reason, now)
        raise
    finally:
        if session is not None:
            session.close()
    try:
        return _store(
            ctx,
            action=action,
            target=target,
            valid=valid,
            reason=reason,
            requested_by=requested_by,
            severity=severity,
            evidence=evidence,
            rule=rule,
            planned=planned,
            destructive=spec.destructive,
            guard=guard,
            now=now,
        )
    except AlreadyOpen:
        raise
    except RequestRefused as exc:
        _refused(ctx, requested_by, what, exc.reason, now)
        raise


def _store(
    ctx: RemediationContext,
    *,
    action: str,
    target: DeviceTarget,
    valid: dict[str, Any],
    reason: str,
    requested_by: str,
    severity: str | None,
    evidence: Mapping[str, Any] | None,
    rule: PolicyRule,
    planned: PlannedChange,
    destructive: bool,
    guard: ProposalGuard | None,
    now: datetime,
) -> Proposal:
    """Store the request (and approve it at once when the rule needs no approval)."""
    device = target.name
    needed = rule.needed(destructive)
    expires_at = now + timedelta(seconds=rule.ttl_s or ctx.settings.approval_ttl_s)
    stored = planned.to_dict()
    digest = planned.hash
    with session_scope(ctx.engine) as db:
        lock_audit(db)
        if guard is not None:
            guard(db)
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
            destructive=destructive,
            state=RequestState.PENDING.value,
            state_changed_at=now,
            plan=stored,
            plan_hash=digest,
            plan_revision=1,
            evidence=dict(evidence or {}),
            policy={**rule.to_dict(), "needed": needed, "describe": rule.describe(destructive)},
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
