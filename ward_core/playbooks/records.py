"""Playbook runs in the ``runs``/``run_results`` tables, and reading any run back (``ward runs``).

A playbook run is one ``runs`` row (kind ``playbook``, ``name`` the playbook's name, ``params`` the
file, targets, limit, variables and steps, ``summary`` the totals, per-device status and why the
rollout stopped) and one ``run_results`` row per device and step (``task`` is the step id).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ward_core.db.models import Run, RunResult
from ward_core.db.types import utcnow
from ward_core.playbooks.model import DeviceOutcome

RUN_KIND = "playbook"


def open_run(session: Session, *, name: str, requested_by: str, params: Mapping[str, Any]) -> int:
    """A new ``running`` playbook run; its id."""
    run = Run(kind=RUN_KIND, name=name, status="running", requested_by=requested_by, params=dict(params))
    session.add(run)
    session.flush()
    return run.id


def write_results(
    session: Session,
    run_id: int,
    step: str,
    outcomes: Mapping[str, DeviceOutcome],
    started_at: datetime,
) -> None:
    """One ``run_results`` row per device for ``step``."""
    finished = utcnow()
    rows = [
        {
            "run_id": run_id,
            "device": device,
            "task": step,
            "status": outcome.status,
            "changed": outcome.status == "changed",
            "result": outcome.output or None,
            "error": outcome.reason,
            "started_at": started_at,
            "finished_at": finished,
        }
        for device, outcome in outcomes.items()
    ]
    if rows:
        session.execute(insert(RunResult), rows)


def close_run(session: Session, run_id: int, *, status: str, summary: Mapping[str, Any]) -> None:
    """Mark the run finished with ``status`` and its ``summary``."""
    run = session.get(Run, run_id)
    if run is not None:
        run.status = status
        run.summary = dict(summary)
        run.finished_at = utcnow()


def _run_dict(run: Run, results: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": run.id,
        "kind": run.kind,
        "name": run.name,
        "status": run.status,
        "requested_by": run.requested_by,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "summary": run.summary,
    }
    if results is not None:
        data["results"] = results
    return data


def list_runs(session: Session, *, kind: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The newest runs first (of ``kind`` when given), each with its number of results."""
    counts = select(RunResult.run_id, func.count().label("n")).group_by(RunResult.run_id).subquery()
    stmt = (
        select(Run, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.run_id == Run.id)
        .order_by(Run.id.desc())
        .limit(limit)
    )
    if kind is not None:
        stmt = stmt.where(Run.kind == kind)
    return [_run_dict(run, int(n)) for run, n in session.execute(stmt)]


def show_run(session: Session, run_id: int) -> dict[str, Any] | None:
    """One run with its parameters and every result, in the order they were written."""
    run = session.get(Run, run_id)
    if run is None:
        return None
    results = session.scalars(select(RunResult).where(RunResult.run_id == run_id).order_by(RunResult.id))
    return {
        **_run_dict(run),
        "params": run.params,
        "results": [
            {
                "device": r.device,
                "task": r.task,
                "status": r.status,
                "changed": r.changed,
                "error": r.error,
                "result": r.result,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
            }
            for r in results
        ],
    }
