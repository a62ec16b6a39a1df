"""Executing an approved request on a worker: the gate, the re-plan, the claim, the steps.

In order, each database step one transaction holding the audit lock:

1. **gate** (:func:`~ward_core.remediation.gate.check_gate`): the request must be ``approved`` and
   its decisions must satisfy the policy now. Otherwise the message only writes an
   ``execution.refused`` record: a forged or replayed message never reaches the device;
2. **re-plan** against the device (read-only pre-check): a hash other than the approved one moves
   the request back to ``pending`` with the new plan, which needs fresh approvals;
3. **claim**: the gate again, the site's concurrency cap (full: the message is deferred), then the
   one ``remediation_executions`` row (unique per request) and ``UPDATE ... SET state='running'
   WHERE state='approved' AND plan_hash=:approved``; the config change is announced to the backup;
4. **execute**, **verify**, and **rollback** when either failed and the action can; every step's
   output is audited as it ends; nothing is retried;
5. **finish**: ``succeeded`` or ``failed``, with the outputs and the session transcript. A request
   that is no longer ``running`` by then was reaped as lost (:mod:`.reaper`): its ``failed`` verdict
   stands, this outcome is kept beside it (``outcome.late``) and audited as ``execution.late``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from dramatiq.middleware.time_limit import TimeLimitExceeded
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ward_core.audit.log import append, lock_audit
from ward_core.backup.expected import expect_change
from ward_core.db.models import RemediationExecution, RemediationRequest
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.errors import RemediationError
from ward_core.remediation.context import OpenSession, RemediationContext, device_target
from ward_core.remediation.gate import check_gate, locked_request, rule_now
from ward_core.remediation.planhash import PlannedChange
from ward_core.remediation.planning import make_plan
from ward_core.remediation.records import (
    EXECUTION_ABORTED,
    EXECUTION_DEFERRED,
    EXECUTION_FINISHED,
    EXECUTION_LATE,
    EXECUTION_REFUSED,
    EXECUTION_STARTED,
    REPLANNED,
    STATE_CHANGED,
    STEP,
    move,
)
from ward_core.remediation.states import RequestState
from ward_core.types import ActionOutcome, ActionPlan, ActionSpec, DeviceTarget, RunSummary

Status = Literal["refused", "deferred", "aborted", "replanned", "succeeded", "failed"]
TEXT_LIMIT = 64 * 1024
DEFER_MS = 5_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionReport:
    """What handling one execution message came to."""

    request_id: int
    status: Status
    reason: str


def worker_name() -> str:
    """``worker@host:pid``: the actor of the worker's audit records."""
    return f"worker@{socket.gethostname()}:{os.getpid()}"


def remediation_name(request_id: int) -> str:
    """The name a request's config change is announced under (``ConfigChange.remediation``).

    >>> remediation_name(7)
    'remediation-request-7'
    """
    return f"remediation-request-{request_id}"


def _clip(text: str) -> str:
    return (
        text
        if len(text) <= TEXT_LIMIT
        else text[:TEXT_LIMIT] + f"\n... ({len(text) - TEXT_LIMIT} more characters)"
    )


def _outcome_dict(outcome: ActionOutcome) -> dict[str, Any]:
    return {
        "ok": outcome.ok,
        "changed": outcome.changed,
        "output": _clip(outcome.output),
        "exception": outcome.exception,
        "undo": list(outcome.undo),
    }


def _run_step(step: Callable[[], ActionOutcome]) -> ActionOutcome:
    """One step; anything it raises (the time limit included) is a failed outcome."""
    try:
        outcome = step()
    except TimeLimitExceeded:
        return ActionOutcome(ok=False, exception="TimeLimitExceeded: the remediation time limit ran out")
    except Exception as exc:
        return ActionOutcome(ok=False, exception=f"{type(exc).__name__}: {exc}")
    if not isinstance(outcome, ActionOutcome):
        return ActionOutcome(
            ok=False, exception=f"the step returned {type(outcome).__name__}, not an ActionOutcome"
        )
    return outcome


def _action_plan(planned: PlannedChange) -> ActionPlan:
    return ActionPlan(
        action=planned.action,
        device=planned.device,
        summary=planned.summary,
        commands=planned.commands,
        params=dict(planned.params),
    )


class Executor:
    """Handles execution messages for one process (see the module docstring)."""

    def __init__(self, ctx: RemediationContext, *, worker: str | None = None) -> None:
        self.ctx = ctx
        self.worker = worker or worker_name()

    def _audit(
        self, kind: str, request_id: int | None, payload: dict[str, Any], now: datetime | None = None
    ) -> None:
        with session_scope(self.ctx.engine) as db:
            append(
                db, actor=self.worker, kind=kind, request_id=request_id, now=now or utcnow(), payload=payload
            )

    def __call__(self, request_id: int, message_id: str | None = None) -> ExecutionReport:
        """Handle one message naming ``request_id``; never raises for refusals or device failures."""
        now = utcnow()
        with session_scope(self.ctx.engine) as db:
            lock_audit(db)
            request = locked_request(db, request_id)
            gate = check_gate(self.ctx, db, request, now)
            if not gate.allowed or request is None:
                append(
                    db,
                    actor=self.worker,
                    kind=EXECUTION_REFUSED,
                    request_id=request_id if request is not None else None,
                    now=now,
                    payload={
                        "request": request_id,
                        "message_id": message_id,
                        "state": request.state if request is not None else None,
                        "reason": gate.reason,
                    },
                )
                return ExecutionReport(request_id=request_id, status="refused", reason=gate.reason)
            approved_hash = request.plan_hash
            action, device_name, params = request.action, request.device, dict(request.params)
        try:
            spec = self.ctx.registry.get(action)
            with session_scope(self.ctx.engine) as db:
                target = device_target(db, device_name)
        except RemediationError as exc:
            self._audit(EXECUTION_ABORTED, request_id, {"message_id": message_id, "reason": exc.reason})
            return ExecutionReport(request_id=request_id, status="aborted", reason=exc.reason)
        session = self.ctx.open_session(target)
        try:
            return self._with_session(spec, target, request_id, message_id, approved_hash, params, session)
        finally:
            session.close()

    def _with_session(
        self,
        spec: ActionSpec,
        target: DeviceTarget,
        request_id: int,
        message_id: str | None,
        approved_hash: str,
        params: dict[str, Any],
        session: OpenSession,
    ) -> ExecutionReport:
        try:
            planned = make_plan(spec, target, params, session)
        except RemediationError as exc:
            reason = f"re-planning on the device failed, nothing was changed: {exc.reason}"
            self._audit(EXECUTION_ABORTED, request_id, {"message_id": message_id, "reason": reason})
            return ExecutionReport(request_id=request_id, status="aborted", reason=reason)
        if planned.hash != approved_hash:
            return self._replanned(request_id, approved_hash, planned)
        claimed = self._claim(spec, target.site, request_id, message_id, approved_hash)
        if claimed is not None:
            return claimed
        return self._run(spec, request_id, planned, session)

    def _replanned(self, request_id: int, approved_hash: str, planned: PlannedChange) -> ExecutionReport:
        now = utcnow()
        reason = "the device changed since approval: the new plan needs fresh approvals"
        with session_scope(self.ctx.engine) as db:
            lock_audit(db)
            request = locked_request(db, request_id)
            if (
                request is None
                or request.state != RequestState.APPROVED
                or request.plan_hash != approved_hash
            ):
                state = request.state if request is not None else None
                append(
                    db,
                    actor=self.worker,
                    kind=EXECUTION_REFUSED,
                    request_id=request_id,
                    now=now,
                    payload={"reason": f"the request changed meanwhile ({state})"},
                )
                return ExecutionReport(
                    request_id=request_id, status="refused", reason="the request changed meanwhile"
                )
            previous = dict(request.plan)
            rule = rule_now(self.ctx, db, request)
            request.plan = planned.to_dict()
            request.plan_hash = planned.hash
            request.plan_revision += 1
            request.expires_at = now + timedelta(seconds=rule.ttl_s or self.ctx.settings.approval_ttl_s)
            append(
                db,
                actor=self.worker,
                kind=REPLANNED,
                request_id=request_id,
                now=now,
                payload={
                    "reason": reason,
                    "approved_hash": approved_hash,
                    "new_hash": planned.hash,
                    "approved_precheck": previous.get("precheck"),
                    "new_precheck": planned.precheck,
                    "new_plan": planned.to_dict(),
                },
            )
            move(
                db,
                request,
                RequestState.PENDING,
                actor=self.worker,
                now=now,
                reason=reason,
                extra={"plan_hash": planned.hash},
            )
        return ExecutionReport(request_id=request_id, status="replanned", reason=reason)

    def _claim(
        self, spec: ActionSpec, site: str | None, request_id: int, message_id: str | None, approved_hash: str
    ) -> ExecutionReport | None:
        now = utcnow()
        ctx = self.ctx
        with session_scope(ctx.engine) as db:
            lock_audit(db)
            request = locked_request(db, request_id)
            gate = check_gate(ctx, db, request, now)
            if not gate.allowed or request is None or request.plan_hash != approved_hash:
                reason = gate.reason if not gate.allowed else "the plan changed meanwhile"
                append(
                    db,
                    actor=self.worker,
                    kind=EXECUTION_REFUSED,
                    request_id=request_id,
                    now=now,
                    payload={"message_id": message_id, "reason": reason},
                )
                return ExecutionReport(request_id=request_id, status="refused", reason=reason)
            limit = ctx.policy().site_limit(site)
            running = (
                db.scalar(
                    select(func.count())
                    .select_from(RemediationRequest)
                    .where(
                        RemediationRequest.site.is_(None)
                        if site is None
                        else RemediationRequest.site == site,
                        RemediationRequest.state == RequestState.RUNNING.value,
                    )
                )
                or 0
            )
            if running >= limit:
                reason = f"site {site or '-'} already runs {running} remediation(s) (cap {limit}): deferred"
                append(
                    db,
                    actor=self.worker,
                    kind=EXECUTION_DEFERRED,
                    request_id=request_id,
                    now=now,
                    payload={"message_id": message_id, "reason": reason},
                )
                return ExecutionReport(request_id=request_id, status="deferred", reason=reason)
            try:
                with db.begin_nested():
                    db.add(
                        RemediationExecution(
                            request_id=request_id,
                            plan_hash=approved_hash,
                            worker=self.worker,
                            message_id=message_id,
                            status="running",
                            started_at=now,
                        )
                    )
            except IntegrityError:
                reason = "the request was already executed (one execution per request)"
                append(
                    db,
                    actor=self.worker,
                    kind=EXECUTION_REFUSED,
                    request_id=request_id,
                    now=now,
                    payload={"message_id": message_id, "reason": reason},
                )
                return ExecutionReport(request_id=request_id, status="refused", reason=reason)
            claimed = db.execute(
                update(RemediationRequest)
                .where(
                    RemediationRequest.id == request_id,
                    RemediationRequest.state == RequestState.APPROVED.value,
                    RemediationRequest.plan_hash == approved_hash,
                )
                .values(state=RequestState.RUNNING.value, state_changed_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                raise RemediationError("the conditional claim matched no row", request=request_id)
            db.expire(request)
            append(
                db,
                actor=self.worker,
                kind=STATE_CHANGED,
                request_id=request_id,
                now=now,
                payload={
                    "from": "approved",
                    "to": "running",
                    "reason": gate.reason,
                    "plan_hash": approved_hash,
                },
            )
            if spec.changes_config:
                expect_change(
                    db,
                    device=request.device,
                    remediation=remediation_name(request_id),
                    window_s=ctx.settings.remediation_time_limit_s + 3600.0,
                    now=now,
                )
            append(
                db,
                actor=self.worker,
                kind=EXECUTION_STARTED,
                request_id=request_id,
                now=now,
                payload={"message_id": message_id, "plan_hash": approved_hash, "approvals": gate.reason},
            )
        return None

    def _late(
        self,
        db: Any,
        request: RemediationRequest,
        row: RemediationExecution,
        status: Status,
        reason: str,
        outcome: dict[str, Any],
        now: datetime,
    ) -> str:
        """The request ended meanwhile (reaped as lost, :mod:`.reaper`): keep its verdict, add ours.

        The reaper already told plugins the run failed; nothing is announced again.
        """
        late = {"status": status, "reason": reason, "finished_at": now.isoformat(), **outcome}
        request.outcome = {**(request.outcome or {}), "late": late}
        row.output = {**(row.output or {}), "late": late}
        text = f"finished {status} after the request was marked {request.state}: {reason}"
        append(
            db,
            actor=self.worker,
            kind=EXECUTION_LATE,
            request_id=request.id,
            now=now,
            payload={
                "status": status,
                "reason": reason,
                "state": request.state,
                "transcript": outcome["transcript"],
            },
        )
        return text

    def _step(self, request_id: int, name: str, outcome: ActionOutcome) -> ActionOutcome:
        self._audit(STEP, request_id, {"step": name, **_outcome_dict(outcome)})
        return outcome

    def _run(
        self, spec: ActionSpec, request_id: int, planned: PlannedChange, session: OpenSession
    ) -> ExecutionReport:
        started = utcnow()
        plan = _action_plan(planned)
        execution = self._step(
            request_id, "execute", _run_step(lambda: spec.execute(plan=plan, session=session))
        )
        verification: ActionOutcome | None = None
        if execution.ok:
            verification = self._step(
                request_id,
                "verify",
                _run_step(lambda: spec.verify(plan=plan, session=session, execution=execution)),
            )
        ok = execution.ok and verification is not None and verification.ok
        rollback: ActionOutcome | None = None
        if not ok:
            undo = spec.rollback
            if undo is None:
                rollback = self._step(
                    request_id, "rollback", ActionOutcome(ok=False, exception="the action has no rollback")
                )
            else:
                rollback = self._step(
                    request_id,
                    "rollback",
                    _run_step(lambda: undo(plan=plan, session=session, execution=execution)),
                )
        status: Status = "succeeded" if ok else "failed"
        reason = (
            "executed and verified"
            if ok
            else (
                f"execute failed: {execution.exception}"
                if not execution.ok
                else f"verify failed: {verification.exception if verification else '-'}"
            )
        )
        outcome = {
            "execute": _outcome_dict(execution),
            "verify": _outcome_dict(verification) if verification else None,
            "rollback": _outcome_dict(rollback) if rollback else None,
            "transcript": _clip("\n".join(session.transcript)),
        }
        now = utcnow()
        with session_scope(self.ctx.engine) as db:
            lock_audit(db)
            request = locked_request(db, request_id)
            assert request is not None
            row = db.scalar(select(RemediationExecution).where(RemediationExecution.request_id == request_id))
            assert row is not None
            if request.state != RequestState.RUNNING.value:
                late = self._late(db, request, row, status, reason, outcome, now)
                return ExecutionReport(request_id=request_id, status=status, reason=late)
            move(db, request, RequestState(status), actor=self.worker, now=now, reason=reason)
            request.outcome = outcome
            request.finished_at = now
            row.status = status
            row.finished_at = now
            row.output = outcome
            append(
                db,
                actor=self.worker,
                kind=EXECUTION_FINISHED,
                request_id=request_id,
                now=now,
                payload={"status": status, "reason": reason, "transcript": outcome["transcript"]},
            )
        self.ctx.plugins.run_finished(
            RunSummary(
                run_id=remediation_name(request_id),
                kind="remediation",
                name=spec.name,
                started_at=started,
                finished_at=now,
                devices=1,
                failed=0 if ok else 1,
            )
        )
        return ExecutionReport(request_id=request_id, status=status, reason=reason)
