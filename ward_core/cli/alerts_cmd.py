"""``ward rules``, ``ward alerts`` and ``ward silences``: alert rules, alerts and silences.

Exit status: 0 on success, 1 when rules are refused or an alert/silence operation is refused.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ward_core.alerts.acks import ack_alert, alert_history, unack_alert
from ward_core.alerts.durations import parse_duration
from ward_core.alerts.notices import row_to_dict
from ward_core.alerts.publish import publisher_for
from ward_core.alerts.queries import STATES, list_alerts, list_faults
from ward_core.alerts.rulefile import Checks, check_rule_files, read_rule_files, rule_files
from ward_core.alerts.rules_store import store_rules, stored_rules
from ward_core.alerts.service import AlertService
from ward_core.alerts.silences import add_silence, expire_silence, list_silences, parse_matcher, silence_dict
from ward_core.alerts.suppression import topology_uplinks
from ward_core.alerts.vocabulary import vocabulary_of
from ward_core.cli.context import print_json, settings_of
from ward_core.config import Settings
from ward_core.db.migrate import require_current_schema, schema_status
from ward_core.db.models import AlertRow, Group, RuleFault
from ward_core.db.session import get_engine, session_scope
from ward_core.errors import ConfigError, StorageError
from ward_core.plugin_manager import WardPlugins, load_plugins

rules_app = typer.Typer(help="Validate, load and list alert rules.", no_args_is_help=True)
alerts_app = typer.Typer(help="List, show, acknowledge and evaluate alerts.", no_args_is_help=True)
silences_app = typer.Typer(help="Hold alert notifications for a while.", no_args_is_help=True)

PIPE_WIDTH = 200
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who does it (default: the login name).")]


def _console() -> Console:
    out = Console()
    return out if out.is_terminal else Console(width=PIPE_WIDTH)


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    engine = get_engine(settings)
    try:
        require_current_schema(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _session(ctx: typer.Context) -> Iterator[Session]:
    with _engine(settings_of(ctx)) as engine, session_scope(engine) as session:
        yield session


def _groups(settings: Settings) -> frozenset[str] | None:
    """Group names from the database when it is reachable and migrated, else None (not checked)."""
    engine = get_engine(settings)
    try:
        if not schema_status(engine).up_to_date:
            return None
        with session_scope(engine) as session:
            return frozenset(session.scalars(select(Group.name)))
    except (StorageError, SQLAlchemyError):
        return None
    finally:
        engine.dispose()


def _checks(settings: Settings, plugins: WardPlugins) -> Checks:
    return Checks(
        vocabulary=vocabulary_of(plugins, _groups(settings)),
        notifiers=frozenset(plugins.alert_notifiers()),
        actions=frozenset(plugins.remediation_actions()),
    )


# --------------------------------------------------------------------------- ward rules


@rules_app.command("validate")
def validate(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Rule files or folders of *.yml files.")],
    as_json: JsonOption = False,
) -> None:
    """Check rule files; print every problem as file:line:column: message. Exit 1 on any problem."""
    settings = settings_of(ctx)
    files = rule_files(paths)
    with load_plugins(settings) as plugins:
        rules, problems = check_rule_files(files, _checks(settings, plugins))
    if not files:
        problems_text = [f"{', '.join(map(str, paths))}: no rule files (*.yml, *.yaml) found"]
    else:
        problems_text = [str(p) for p in problems]
    if as_json:
        print_json(
            {
                "files": [str(f) for f in files],
                "rules": [r.name for r in rules],
                "problems": [p.to_dict() for p in problems],
                "ok": not problems_text,
            }
        )
    else:
        for line in problems_text:
            typer.echo(line, err=True)
        if not problems_text:
            typer.echo(f"{len(rules)} rule(s) in {len(files)} file(s): ok")
    if problems_text:
        raise typer.Exit(1)


@rules_app.command("load")
def load(
    ctx: typer.Context,
    paths: Annotated[
        list[Path], typer.Argument(help="Rule files or folders; they replace the stored rules.")
    ],
    as_json: JsonOption = False,
) -> None:
    """Validate rule files and make them the stored rule set (all or nothing)."""
    settings = settings_of(ctx)
    with load_plugins(settings) as plugins:
        checks = _checks(settings, plugins)
    rules = read_rule_files(paths, checks)
    with _engine(settings) as engine, session_scope(engine) as session:
        report = store_rules(session, rules)
    if as_json:
        print_json(report.to_dict())
        return
    typer.echo(
        f"{len(rules)} rule(s) loaded: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed"
    )


@rules_app.command("list")
def list_rules(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The stored rules, with their firing alerts and faults."""
    with _session(ctx) as session:
        rows = stored_rules(session)
        firing = dict(
            session.execute(
                select(AlertRow.rule, func.count()).where(AlertRow.state == "firing").group_by(AlertRow.rule)
            ).all()
        )
        faults = dict(session.execute(select(RuleFault.rule, func.count()).group_by(RuleFault.rule)).all())
        data: list[dict[str, Any]] = [
            {
                "name": r.name,
                "expr": r.expression,
                "severity": r.severity,
                "message": r.message,
                "notify": r.notify,
                "remediation": r.remediation,
                "device_down": r.device_down,
                "source": f"{r.source}:{r.line}",
                "firing": int(firing.get(r.name, 0)),
                "faults": int(faults.get(r.name, 0)),
            }
            for r in rows
        ]
    if as_json:
        print_json(data)
        return
    table = Table("rule", "severity", "firing", "faults", "expression", "source", title=f"{len(data)} rules")
    for d in data:
        table.add_row(d["name"], d["severity"], str(d["firing"]), str(d["faults"]), d["expr"], d["source"])
    _console().print(table)


@rules_app.command("faults")
def faults(
    ctx: typer.Context,
    rule: Annotated[str | None, typer.Argument(help="Only this rule.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Rules that could not be evaluated for a device (no data, division by zero...)."""
    with _session(ctx) as session:
        data = [
            {
                "rule": f.rule,
                "device": f.device,
                "labels": f.labels_key,
                "message": f.message,
                "since": f.since.isoformat(),
            }
            for f in list_faults(session, rule)
        ]
    if as_json:
        print_json(data)
        return
    table = Table("rule", "device", "labels", "message", "since", title=f"{len(data)} rule faults")
    for d in data:
        table.add_row(d["rule"], d["device"], d["labels"], d["message"], d["since"])
    _console().print(table)


# --------------------------------------------------------------------------- ward alerts


@alerts_app.command("list")
def list_cmd(
    ctx: typer.Context,
    state: Annotated[
        str, typer.Option(help="active (pending and firing), pending, firing, resolved or all.")
    ] = "active",
    rule: Annotated[str | None, typer.Option(help="Only this rule.")] = None,
    device: Annotated[str | None, typer.Option(help="Only this device.")] = None,
    site: Annotated[str | None, typer.Option(help="Only this site.")] = None,
    acked: Annotated[
        bool | None, typer.Option("--acked/--unacked", help="Only acked, or unacked, alerts.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 500,
    as_json: JsonOption = False,
) -> None:
    """Alerts, newest first."""
    wanted = {"active": ("pending", "firing"), "all": STATES}.get(state, (state,))
    if not set(wanted) <= set(STATES):
        raise ConfigError(f"--state {state!r}: expected active, pending, firing, resolved or all")
    with _session(ctx) as session:
        rows = list_alerts(
            session, states=wanted, rule=rule, device=device, site=site, acked=acked, limit=limit
        )
        data = [row_to_dict(r) for r in rows]
    if as_json:
        print_json(data)
        return
    table = Table("id", "state", "severity", "rule", "device", "labels", "since", "ack", "summary")
    for d in data:
        labels = ",".join(f"{k}={v}" for k, v in sorted(d["labels"].items()))
        ack = d["acked_by"] or ""
        if d["symptom_of"]:
            ack = f"{ack} (symptom of {d['symptom_of']})".strip()
        since = d["fired_at"] or d["started_at"]
        table.add_row(
            str(d["id"]), d["state"], d["severity"], d["rule"], d["device"], labels, since, ack, d["summary"]
        )
    _console().print(table)


@alerts_app.command("show")
def show(
    ctx: typer.Context,
    alert_id: Annotated[int, typer.Argument(help="The alert id.")],
    as_json: JsonOption = False,
) -> None:
    """One alert and its full history."""
    with _session(ctx) as session:
        row = session.get(AlertRow, alert_id)
        if row is None:
            raise ConfigError(f"no alert with id {alert_id}")
        data: dict[str, Any] = {**row_to_dict(row), "history": alert_history(session, alert_id)}
    if as_json:
        print_json(data)
        return
    out = _console()
    out.print(
        f"[bold]alert {data['id']}[/]: {data['rule']} on {data['device']} "
        f"({data['state']}, {data['severity']})"
    )
    out.print(data["summary"], highlight=False)
    for key in ("labels", "site", "value", "started_at", "fired_at", "resolved_at", "symptom_of"):
        out.print(f"  {key}: {data[key]}", highlight=False)
    if data["acked"]:
        until = data["ack_until"] or "resolved"
        out.print(f"  acked by {data['acked_by']} until {until}: {data['ack_comment']}", highlight=False)
    table = Table("time", "event", "actor", "detail", title="history")
    for event in data["history"]:
        table.add_row(event["time"], event["event"], event["actor"] or "", str(event["detail"] or ""))
    out.print(table)


def _until(text: str | None) -> datetime | None:
    if text is None or text == "resolved":
        return None
    try:
        return datetime.now(UTC) + timedelta(seconds=parse_duration(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"--until {text!r}: write a duration (2h), an ISO time, or 'resolved'") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@alerts_app.command("ack")
def ack(
    ctx: typer.Context,
    alert_id: Annotated[int, typer.Argument(help="The alert id.")],
    comment: Annotated[str, typer.Option("--comment", "-m", help="What is being done about it.")],
    until: Annotated[
        str | None, typer.Option(help="A duration (2h), an ISO time, or 'resolved' (the default).")
    ] = None,
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Acknowledge an alert, until it resolves or until a time."""
    settings = settings_of(ctx)
    with _engine(settings) as engine, session_scope(engine) as session:
        event = ack_alert(session, alert_id, by=_who(by), comment=comment, until=_until(until))
    _publish(settings, event)
    if as_json:
        print_json(event["alert"])
        return
    typer.echo(f"alert {alert_id} acknowledged until {event['alert']['ack_until'] or 'resolved'}")


@alerts_app.command("unack")
def unack(
    ctx: typer.Context,
    alert_id: Annotated[int, typer.Argument(help="The alert id.")],
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw an acknowledgement."""
    settings = settings_of(ctx)
    with _engine(settings) as engine, session_scope(engine) as session:
        event = unack_alert(session, alert_id, by=_who(by))
    _publish(settings, event)
    if as_json:
        print_json(event["alert"])
        return
    typer.echo(f"alert {alert_id} no longer acknowledged")


def _publish(settings: Settings, event: dict[str, Any]) -> None:
    publisher = publisher_for(settings)
    if publisher is not None:
        publisher.publish([event])
        publisher.close()


@alerts_app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    device: Annotated[list[str] | None, typer.Option("--device", help="Only these devices (repeat).")] = None,
    every: Annotated[
        float | None, typer.Option("--every", min=0.1, help="Evaluate every this many seconds until stopped.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate the stored rules now (all devices by default) and deliver the notices.

    Batches trigger evaluation on their own; run this on a schedule (``--every 30``) so that
    ``nodata`` rules fire for devices no batch reports any more, and acks and silences expire on time.
    """
    settings = settings_of(ctx)
    with _engine(settings) as engine, load_plugins(settings) as plugins:
        service = AlertService(
            engine,
            vocabulary=vocabulary_of(plugins),
            notifiers=plugins.alert_notifiers(),
            publisher=publisher_for(settings),
            uplinks=topology_uplinks(engine),
            on_fired=plugins.alert_fired,
            on_resolved=plugins.alert_resolved,
        )
        try:
            while True:
                report = service.evaluate(device or None)
                service.dispatcher.drain()
                if as_json:
                    print_json(report.to_dict())
                else:
                    changes = (
                        ", ".join(f"{k} {v}" for k, v in sorted(report.transitions.items())) or "no change"
                    )
                    typer.echo(
                        f"{report.rules} rules on {report.devices} devices ({report.instances} instances) in "
                        f"{report.total_s:.3f} s: {changes}; {report.notices} notice(s), "
                        f"{report.faults} fault(s)"
                    )
                if every is None:
                    break
                time.sleep(every)
        except KeyboardInterrupt:
            pass
        finally:
            service.close()


# --------------------------------------------------------------------------- ward silences


@silences_app.command("add")
def silence_add(
    ctx: typer.Context,
    match: Annotated[
        list[str],
        typer.Option("--match", help="name=value, name!=value, name=~regex or name!~regex (repeat)."),
    ],
    duration: Annotated[str, typer.Option(help="How long: 30m, 2h, 1d.")],
    comment: Annotated[str, typer.Option("--comment", "-m", help="Why.")] = "",
    by: ByOption = None,
    as_json: JsonOption = False,
) -> None:
    """Hold the notifications of matching alerts for a while (state is still tracked)."""
    matchers = [parse_matcher(m) for m in match]
    try:
        seconds = parse_duration(duration)
    except ValueError as exc:
        raise ConfigError(f"--duration: {exc}") from None
    with _session(ctx) as session:
        silence = add_silence(
            session, matchers, duration=timedelta(seconds=seconds), created_by=_who(by), comment=comment
        )
        data = silence_dict(silence)
    if as_json:
        print_json(data)
        return
    typer.echo(f"silence {data['id']} until {data['ends_at']}: {', '.join(data['matchers'])}")


@silences_app.command("list")
def silence_list(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Include ended silences.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Silences in force or to come (all with --all), newest first."""
    with _session(ctx) as session:
        data = [silence_dict(s) for s in list_silences(session, include_ended=show_all)]
    if as_json:
        print_json(data)
        return
    table = Table("id", "state", "matchers", "ends", "by", "comment", title=f"{len(data)} silences")
    for d in data:
        table.add_row(
            str(d["id"]), d["state"], ", ".join(d["matchers"]), d["ends_at"], d["created_by"], d["comment"]
        )
    _console().print(table)


@silences_app.command("expire")
def silence_expire(
    ctx: typer.Context,
    silence_id: Annotated[int, typer.Argument(help="The silence id.")],
    as_json: JsonOption = False,
) -> None:
    """End a silence now; held notifications go out at the next evaluation."""
    with _session(ctx) as session:
        data = silence_dict(expire_silence(session, silence_id))
    if as_json:
        print_json(data)
        return
    typer.echo(f"silence {silence_id} ended")


__all__ = ["alerts_app", "rules_app", "silences_app"]
