"""``ward remediation``, ``ward approvals`` and ``ward audit``: gated changes to devices.

- ``ward remediation propose ACTION --device D --param k=v --reason "..."``: the plan is made on the
  device now, stored with its hash, and waits for approvals (or runs, when policy needs none);
  ``list``, ``show``, ``execute`` (hand an approved request to a worker again), ``worker`` (run
  remediation workers on the configured broker) and ``reap`` (mark failed the requests whose worker
  died mid-execution, see :mod:`ward_core.remediation.reaper`);
- ``ward approvals list|show|approve|reject``: the approver sees the plan, the pre-check output, the
  evidence and the hash before deciding; ``approve --plan-hash H`` binds to the hash seen;
- ``ward audit list|verify``: the hash-chained audit log; ``verify`` exits 1 naming the first bad record.

The acting user is ``WARD_USER`` (or the owner of ``WARD_TOKEN``), roles come from ``roles_file``.
Refusals print the reason and exit 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from ward_core.audit.log import entries, verify
from ward_core.cli.context import print_json, settings_of
from ward_core.config import Settings
from ward_core.db.migrate import require_current_schema
from ward_core.db.models import AlertRow
from ward_core.db.session import get_engine, session_scope
from ward_core.errors import IdentityError, RemediationError, RequestRefused
from ward_core.permissions import APPROVALS_DECIDE, REMEDIATION_PROPOSE
from ward_core.plugin_manager import load_plugins
from ward_core.remediation.context import RemediationContext
from ward_core.remediation.decisions import decide, expire_due
from ward_core.remediation.identity import current_person
from ward_core.remediation.proposals import propose
from ward_core.remediation.queries import list_requests, request_detail
from ward_core.remediation.reaper import reap_stale_executions, stale_after_s
from ward_core.remediation.runtime import enqueue, start_remediation_worker
from ward_core.remediation.states import RequestState
from ward_core.worker.broker import configure_broker, display_broker_url
from ward_core.worker.process import configure_logging
from ward_core.worker.stopping import stop_on_signals

remediation_app = typer.Typer(help="Propose, list and run gated remediation actions.", no_args_is_help=True)
approvals_app = typer.Typer(help="See and decide remediation requests.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)

PIPE_WIDTH = 200
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _console() -> Console:
    out = Console()
    return out if out.is_terminal else Console(width=PIPE_WIDTH)


@contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    engine = get_engine(settings)
    try:
        require_current_schema(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _context(ctx: typer.Context) -> Iterator[RemediationContext]:
    settings = settings_of(ctx)
    with _engine(settings) as engine, load_plugins(settings) as plugins:
        yield RemediationContext.build(engine, plugins, settings)


def _print_plan(out: Console, plan: dict[str, Any], plan_hash: str) -> None:
    out.print(f"[bold]plan[/] {plan.get('summary', '')}", highlight=False)
    out.print(f"  plan hash: {plan_hash}", highlight=False)
    for command in plan.get("commands", []):
        out.print(f"  | {command}", highlight=False, markup=False)
    precheck = plan.get("precheck")
    if precheck:
        out.print("  pre-check output:", highlight=False)
        for line in str(precheck).splitlines():
            out.print(f"    {line}", highlight=False, markup=False)


def _alert_evidence(engine: Engine, alert_id: int) -> tuple[dict[str, Any], str]:
    with session_scope(engine) as session:
        row = session.get(AlertRow, alert_id)
        if row is None:
            raise RequestRefused(f"no alert {alert_id}")
        return (
            {
                "id": row.id,
                "rule": row.rule,
                "device": row.device,
                "severity": row.severity,
                "summary": row.summary,
                "labels": row.labels,
                "value": row.value,
                "state": row.state,
                "started_at": row.started_at.isoformat(),
            },
            row.severity,
        )


# --------------------------------------------------------------------------- ward remediation


@remediation_app.command("propose")
def propose_cmd(
    ctx: typer.Context,
    action: Annotated[str, typer.Argument(help="Action name (ward remediation actions).")],
    device: Annotated[str, typer.Option("--device", help="Inventory device name.")],
    reason: Annotated[str, typer.Option("--reason", help="Why: shown to approvers, kept in the audit log.")],
    param: Annotated[list[str] | None, typer.Option("--param", help="Parameter key=value (repeat).")] = None,
    severity: Annotated[str | None, typer.Option("--severity", help="info, warning or critical.")] = None,
    alert: Annotated[
        int | None, typer.Option("--alert", help="The alert this answers (its evidence).")
    ] = None,
    evidence: Annotated[
        list[str] | None, typer.Option("--evidence", help="Extra evidence key=value (repeat).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Propose ACTION on a device: the plan is made on the device now, stored and hashed."""
    with _context(ctx) as rc:
        directory = rc.directory()
        person = current_person(rc.settings, directory)
        directory.require(person, REMEDIATION_PROPOSE)
        facts: dict[str, Any] = {}
        for pair in evidence or []:
            key, sep, value = pair.partition("=")
            if not sep or not key:
                raise RequestRefused(f"evidence {pair!r} is not of the form key=value")
            facts[key] = value
        if alert is not None:
            facts["alert"], alert_severity = _alert_evidence(rc.engine, alert)
            severity = severity or alert_severity
        params = rc.registry.parse_params(action, param or []) if action in rc.registry.names() else {}
        proposal = propose(
            rc,
            action=action,
            device=device,
            params=params,
            reason=reason,
            requested_by=person.name,
            severity=severity,
            evidence=facts,
        )
        queued = enqueue(rc, proposal.request_id) if proposal.state is RequestState.APPROVED else None
    if as_json:
        print_json({**proposal.to_dict(), "queued": queued})
        return
    out = _console()
    out.print(
        f"request {proposal.request_id}: {proposal.state.value} "
        f"({proposal.rule.describe(proposal.plan.destructive)}, policy rule {proposal.rule.name!r}, "
        f"expires {proposal.expires_at.isoformat()})",
        highlight=False,
    )
    _print_plan(out, proposal.plan.to_dict(), proposal.plan_hash)
    if queued:
        out.print(f"no approval needed: {queued}", highlight=False)


def _list(
    ctx: typer.Context, states: list[str] | None, device: str | None, as_json: bool, title: str
) -> None:
    settings = settings_of(ctx)
    with _context(ctx) as rc:
        expire_due(rc, actor=settings.user or "ward")
        with session_scope(rc.engine) as session:
            rows = list_requests(session, states=states, device=device)
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    table = Table("id", "state", "action", "device", "site", "requested by", "expires", "needs", title=title)
    for r in rows:
        table.add_row(
            str(r.id),
            r.state,
            r.action,
            r.device,
            r.site or "-",
            r.requested_by,
            r.expires_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            r.policy,
        )
    _console().print(table)


@remediation_app.command("list")
def list_cmd(
    ctx: typer.Context,
    state: Annotated[list[str] | None, typer.Option("--state", help="Only these states (repeat).")] = None,
    device: Annotated[str | None, typer.Option("--device", help="Only this device.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List remediation requests, newest first."""
    _list(ctx, state, device, as_json, "remediation requests")


def _show(ctx: typer.Context, request_id: int, as_json: bool) -> None:
    with _context(ctx) as rc, session_scope(rc.engine) as session:
        detail = request_detail(session, request_id)
    if detail is None:
        raise RemediationError("no such request", request=request_id)
    if as_json:
        print_json(detail)
        return
    out = _console()
    out.print(
        f"request {detail['id']}: [bold]{detail['state']}[/] {detail['action']} on {detail['device']} "
        f"(site {detail['site'] or '-'}, {'destructive' if detail['destructive'] else 'not destructive'})",
        highlight=False,
    )
    out.print(
        f"  requested by {detail['requested_by']} at {detail['requested_at']}: {detail['reason']}",
        highlight=False,
        markup=False,
    )
    out.print(f"  policy: {detail['policy']}; expires {detail['expires_at']}", highlight=False, markup=False)
    out.print(f"  params: {json.dumps(detail['params'], sort_keys=True)}", highlight=False, markup=False)
    if detail["evidence"]:
        out.print(
            f"  evidence: {json.dumps(detail['evidence'], sort_keys=True)}", highlight=False, markup=False
        )
    _print_plan(out, detail["plan"], detail["plan_hash"])
    for d in detail["decisions"]:
        stale = "" if d["current_plan"] else " (an earlier plan)"
        out.print(
            f"  {d['decision']} by {d['decided_by']} at {d['decided_at']}{stale}: {d['comment']}",
            highlight=False,
            markup=False,
        )
    if detail["outcome"]:
        for step in ("execute", "verify", "rollback"):
            outcome = detail["outcome"].get(step)
            if outcome:
                verdict = "ok" if outcome["ok"] else f"FAILED {outcome['exception']}"
                out.print(f"  {step}: {verdict}", highlight=False, markup=False)
        lost = detail["outcome"].get("worker_lost")
        if lost:
            finished = ", ".join(lost["steps_finished"]) or "none"
            out.print(
                f"  worker lost: {lost['worker']} started at {lost['started_at']}, steps finished: "
                f"{finished}; not retried; rollback {lost['rollback']}",
                highlight=False,
                markup=False,
            )
        late = detail["outcome"].get("late")
        if late:
            out.print(
                f"  the worker finished after all, at {late['finished_at']}: "
                f"{late['status']} ({late['reason']})",
                highlight=False,
                markup=False,
            )


@remediation_app.command("show")
def show_cmd(
    ctx: typer.Context, request_id: Annotated[int, typer.Argument()], as_json: JsonOption = False
) -> None:
    """Show a request: plan, hash, pre-check, evidence, decisions, outcome."""
    _show(ctx, request_id, as_json)


@remediation_app.command("execute")
def execute_cmd(ctx: typer.Context, request_id: Annotated[int, typer.Argument()]) -> None:
    """Hand an approved request to a worker (again); the worker's gate decides whether it runs."""
    with _context(ctx) as rc:
        where = enqueue(rc, request_id)
    _console().print(f"request {request_id}: {where}", highlight=False)


@remediation_app.command("reap")
def reap_cmd(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Mark failed ("worker lost") the requests still running past their time limit plus grace."""
    with _context(ctx) as rc:
        reaped = reap_stale_executions(rc.engine, rc.settings, plugins=rc.plugins)
        limit = stale_after_s(rc.settings)
    if as_json:
        print_json({"reaped": reaped, "stale_after_s": limit})
        return
    if not reaped:
        _console().print(f"nothing to reap: no request has been running for more than {limit:.0f} s")
        return
    for request_id in reaped:
        _console().print(
            f"request {request_id}: failed (worker lost: running for more than {limit:.0f} s); "
            "not retried, no rollback attempted: check the device",
            highlight=False,
        )


@remediation_app.command("worker")
def worker_cmd(
    ctx: typer.Context,
    threads: Annotated[int, typer.Option("--threads", min=1, help="Executions at once.")] = 2,
    log_level: Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Run a remediation worker on the configured broker until SIGTERM or SIGINT."""
    settings = settings_of(ctx)
    if not settings.broker_url:
        raise RemediationError("ward remediation worker needs a broker: set WARD_BROKER_URL")
    configure_logging(log_level)
    stop = stop_on_signals()
    broker = configure_broker(settings)
    try:
        with _context(ctx) as rc:
            running = start_remediation_worker(broker, rc, threads=threads)
            _console().print(
                f"remediation worker ready: {threads} thread(s) on {display_broker_url(settings.broker_url)}",
                highlight=False,
            )
            while not stop.wait(1.0):
                pass
            running.stop()
    finally:
        broker.close()


# --------------------------------------------------------------------------- ward approvals


@approvals_app.command("list")
def approvals_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Requests waiting for decisions."""
    _list(ctx, [RequestState.PENDING.value], None, as_json, "waiting for approval")


@approvals_app.command("show")
def approvals_show(
    ctx: typer.Context, request_id: Annotated[int, typer.Argument()], as_json: JsonOption = False
) -> None:
    """The exact plan, pre-check output, evidence and hash an approval would bind to."""
    _show(ctx, request_id, as_json)


CommentOption = Annotated[str, typer.Option("--comment", help="Why (kept in the audit log).")]


@approvals_app.command("approve")
def approve_cmd(
    ctx: typer.Context,
    request_id: Annotated[int, typer.Argument()],
    plan_hash: Annotated[
        str | None, typer.Option("--plan-hash", help="The plan hash you reviewed (at least 8 hex digits).")
    ] = None,
    comment: CommentOption = "",
    yes: Annotated[bool, typer.Option("--yes", help="Approve the plan shown without asking.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Approve a request's current plan (shown first); it runs once the policy is satisfied."""
    with _context(ctx) as rc:
        directory = rc.directory()
        person = current_person(rc.settings, directory)
        directory.require(person, APPROVALS_DECIDE)
        with session_scope(rc.engine) as session:
            detail = request_detail(session, request_id)
        if detail is None:
            raise RemediationError("no such request", request=request_id)
        seen = plan_hash
        if seen is None:
            if not as_json:
                _print_plan(_console(), detail["plan"], detail["plan_hash"])
            if not yes and not typer.confirm(
                f"approve request {request_id} with plan {detail['plan_hash'][:12]}?"
            ):
                raise typer.Exit(1)
            seen = detail["plan_hash"]
        outcome = decide(
            rc, request_id=request_id, person=person, approve=True, comment=comment, plan_hash=seen
        )
        queued = enqueue(rc, request_id) if outcome.became_approved else None
    if as_json:
        print_json({**outcome.to_dict(), "queued": queued})
        return
    verdict = outcome.verdict.explanation if outcome.verdict else ""
    _console().print(f"request {request_id}: {outcome.state.value} ({verdict})", highlight=False)
    if queued:
        _console().print(f"approved: {queued}", highlight=False)


@approvals_app.command("reject")
def reject_cmd(
    ctx: typer.Context,
    request_id: Annotated[int, typer.Argument()],
    comment: CommentOption = "",
    as_json: JsonOption = False,
) -> None:
    """Reject a request: it never runs. Without ``approvals.decide``, only your own request
    (withdrawing it)."""
    with _context(ctx) as rc:
        directory = rc.directory()
        person = current_person(rc.settings, directory)
        directory.require(person, APPROVALS_DECIDE, REMEDIATION_PROPOSE)
        if APPROVALS_DECIDE not in directory.permissions_of(person.name):
            with session_scope(rc.engine) as session:
                detail = request_detail(session, request_id)
            if detail is not None and detail["requested_by"] != person.name:
                raise IdentityError(
                    f"{person.name} lacks the permission {APPROVALS_DECIDE!r}: without it one may only "
                    f"withdraw one's own request (request {request_id} was requested by "
                    f"{detail['requested_by']})"
                )
        outcome = decide(rc, request_id=request_id, person=person, approve=False, comment=comment)
    if as_json:
        print_json(outcome.to_dict())
        return
    _console().print(f"request {request_id}: {outcome.state.value}", highlight=False)


# --------------------------------------------------------------------------- ward audit


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    request: Annotated[int | None, typer.Option("--request", help="Only this request's records.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The last N records.")] = 100,
    as_json: JsonOption = False,
) -> None:
    """The audit log's records, oldest first."""
    with _engine(settings_of(ctx)) as engine, session_scope(engine) as session:
        rows = entries(session, request_id=request, kind=kind, limit=limit)
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    table = Table("seq", "time", "actor", "kind", "request", "payload")
    for r in rows:
        table.add_row(
            str(r.seq),
            r.recorded_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            r.actor,
            r.kind,
            str(r.request_id or "-"),
            r.payload[:120],
        )
    _console().print(table)


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Recompute the hash chain; exit 1 naming the first bad record."""
    with _engine(settings_of(ctx)) as engine, session_scope(engine) as session:
        verdict = verify(session)
    if as_json:
        print_json(verdict.to_dict())
    elif verdict.ok:
        _console().print(
            f"audit chain ok: {verdict.records} record(s), "
            f"head seq {verdict.head_seq} hash {verdict.head_hash}",
            highlight=False,
        )
    else:
        _console().print(
            f"audit chain BROKEN at record {verdict.first_bad_seq}: {verdict.problem} "
            f"(last good record: {verdict.head_seq})",
            highlight=False,
        )
    if not verdict.ok:
        raise typer.Exit(1)


__all__ = ["approvals_app", "audit_app", "remediation_app"]
