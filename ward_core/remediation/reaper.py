"""Requests left ``running`` by a worker that died mid-execution, marked failed: the reaper.

A worker killed while it holds a request (OOM, ``kill -9``, the host lost) never writes the
request's end, and nothing else would: the queue does not retry remediation messages, and a
message delivered again is refused at the gate (the request is ``running``, not ``approved``).

:func:`reap_stale_executions` takes every request still ``running`` whose execution started more
than ``Settings.remediation_time_limit_s`` + ``Settings.remediation_reap_grace_s`` ago (a live
worker is stopped by the time limit well before: the step in progress fails, the rollback runs and
the request ends; the grace covers that rollback and the last transaction) and marks it
``failed`` with the reason ``worker lost``:

- **nothing is retried**, no step runs again: a person looks at the device and proposes anew;
- **no rollback is attempted**: the worker held the device session and the outputs that a rollback
  works from, and it is gone. The record says so, names the worker, when the execution started,
  and which steps had finished (their ``execution.step`` audit records), since the device may have
  been left mid-change;
- it is **audited in the hash chain** like any end of an execution (``request.state`` running →
  failed, then ``execution.finished``), and plugins hear ``ward_run_finished`` with one failed
  device, as they do for any failed execution;
- it is **safe to run from several processes at once**: all of it happens under the audit
  writers' lock, the rows are locked (``FOR UPDATE SKIP LOCKED``) and the state change is a
  conditional ``UPDATE ... WHERE state = 'running'``, so a request is reaped once, by one caller.

A worker that was only slow and finishes after its request was reaped does not overwrite the
verdict: its outcome is kept next to it and audited as ``execution.late``
(:mod:`ward_core.remediation.execution`).

``ward remediation reap`` runs it once; ``ward scheduler`` calls it on its ticks.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from ward_core.audit.log import append, lock_audit
from ward_core.config import Settings
from ward_core.db.models import AuditRecord, RemediationExecution, RemediationRequest
from ward_core.db.session import session_scope
from ward_core.db.types import utcnow
from ward_core.plugin_manager import WardPlugins, load_plugins
from ward_core.remediation.execution import remediation_name
from ward_core.remediation.records import EXECUTION_FINISHED, STATE_CHANGED, STEP
from ward_core.remediation.states import RequestState
from ward_core.types import RunSummary

WORKER_LOST = "worker lost"
NOT_ROLLED_BACK = (
    "not attempted: the worker that held the device session and the step outputs is gone; "
    "check the device, it may have been left mid-change"
)


def reaper_name() -> str:
    """``reaper@host:pid``: the actor of the reaper's audit records."""
    return f"reaper@{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Reaped:
    """One request marked failed because its worker was lost."""

    request_id: int
    action: str
    device: str
    worker: str
    started_at: datetime
    finished_at: datetime


def stale_after_s(settings: Settings) -> float:
    """Seconds after its start at which a running execution is taken as lost.

    >>> stale_after_s(Settings(remediation_time_limit_s=900, remediation_reap_grace_s=300))
    1200.0
    """
    return settings.remediation_time_limit_s + settings.remediation_reap_grace_s


def _finished_steps(db: Any, request_id: int) -> list[str]:
    payloads = db.scalars(
        select(AuditRecord.payload)
        .where(AuditRecord.request_id == request_id, AuditRecord.kind == STEP)
        .order_by(AuditRecord.seq)
    )
    return [str(json.loads(p).get("step")) for p in payloads]


def _lost_record(
    execution: RemediationExecution, steps: list[str], *, now: datetime, limit_s: float
) -> dict[str, Any]:
    return {
        "reason": WORKER_LOST,
        "worker": execution.worker,
        "message_id": execution.message_id,
        "started_at": execution.started_at.isoformat(),
        "detected_at": now.isoformat(),
        "stale_after_s": limit_s,
        "steps_finished": steps,
        "retried": False,
        "rollback": NOT_ROLLED_BACK,
    }


def _reap_locked(engine: Engine, candidates: list[int], now: datetime, limit_s: float) -> list[Reaped]:
    cutoff = now - timedelta(seconds=limit_s)
    actor = reaper_name()
    reaped: list[Reaped] = []
    with session_scope(engine) as db:
        lock_audit(db)
        requests = db.scalars(
            select(RemediationRequest)
            .where(
                RemediationRequest.id.in_(candidates),
                RemediationRequest.state == RequestState.RUNNING.value,
            )
            .order_by(RemediationRequest.id)
            .with_for_update(skip_locked=True)
        ).all()
        for request in requests:
            execution = db.scalar(
                select(RemediationExecution).where(RemediationExecution.request_id == request.id)
            )
            if execution is None or execution.status != "running" or execution.started_at > cutoff:
                continue
            lost = _lost_record(execution, _finished_steps(db, request.id), now=now, limit_s=limit_s)
            outcome = {
                "execute": None,
                "verify": None,
                "rollback": None,
                "worker_lost": lost,
                "transcript": "",
            }
            changed = db.execute(
                update(RemediationRequest)
                .where(
                    RemediationRequest.id == request.id,
                    RemediationRequest.state == RequestState.RUNNING.value,
                )
                .values(
                    state=RequestState.FAILED.value, state_changed_at=now, finished_at=now, outcome=outcome
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(changed, "rowcount", 0) != 1:
                continue
            execution.status = "failed"
            execution.finished_at = now
            execution.output = outcome
            append(
                db,
                actor=actor,
                kind=STATE_CHANGED,
                request_id=request.id,
                now=now,
                payload={"from": RequestState.RUNNING.value, "to": RequestState.FAILED.value, **lost},
            )
            append(
                db,
                actor=actor,
                kind=EXECUTION_FINISHED,
                request_id=request.id,
                now=now,
                payload={"status": "failed", "reason": WORKER_LOST, "rollback": NOT_ROLLED_BACK},
            )
            reaped.append(
                Reaped(
                    request_id=request.id,
                    action=request.action,
                    device=request.device,
                    worker=execution.worker,
                    started_at=execution.started_at,
                    finished_at=now,
                )
            )
    return reaped


def _announce(plugins: WardPlugins, reaped: list[Reaped]) -> None:
    for item in reaped:
        plugins.run_finished(
            RunSummary(
                run_id=remediation_name(item.request_id),
                kind="remediation",
                name=item.action,
                started_at=item.started_at,
                finished_at=item.finished_at,
                devices=1,
                failed=1,
            )
        )


def reap_stale_executions(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime | None = None,
    plugins: WardPlugins | None = None,
) -> list[int]:
    """Mark failed every request whose worker was lost (module docstring); the ids, oldest first.

    Cheap when there is nothing to reap (one indexed query, no lock), so it can run on every
    scheduler tick. ``plugins`` hear ``ward_run_finished`` for each reaped request; without them
    the plugins are loaded from ``settings``, only when something was reaped.
    """
    now = now or utcnow()
    limit_s = stale_after_s(settings)
    cutoff = now - timedelta(seconds=limit_s)
    with session_scope(engine) as db:
        candidates = list(
            db.scalars(
                select(RemediationExecution.request_id)
                .join(RemediationRequest, RemediationRequest.id == RemediationExecution.request_id)
                .where(
                    RemediationRequest.state == RequestState.RUNNING.value,
                    RemediationExecution.status == "running",
                    RemediationExecution.started_at <= cutoff,
                )
                .order_by(RemediationExecution.request_id)
            )
        )
    if not candidates:
        return []
    reaped = _reap_locked(engine, candidates, now, limit_s)
    if reaped:
        if plugins is not None:
            _announce(plugins, reaped)
        else:
            with load_plugins(settings) as loaded:
                _announce(loaded, reaped)
    return [item.request_id for item in reaped]
