"""``ward configs``: back up configurations now, read their history, diff versions, export to git.

Exit status: 0 on success; 1 when a device could not be backed up (``backup``) or a device is stale
(``stale``); 2 on bad input (an unknown device or version, a selector matching nothing).
``backup`` runs in batches on the workers when a broker is configured (``WARD_BROKER_URL``) and
prints the same summary; without one it runs in this process (the embedded default).
Versions are named by id (``42``) or digest prefix (``3fa9c1``), as ``history`` lists them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from ward_core.backup.git_export import export_to_git
from ward_core.backup.options import BackupOptions
from ward_core.backup.outcome import BackupOutcome
from ward_core.backup.queries import (
    diff_versions,
    freshness,
    history,
    latest,
    resolve_version,
    version_counts,
    version_text,
)
from ward_core.backup.service import backup_devices
from ward_core.cli.context import print_json, settings_of
from ward_core.config import Settings
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine, session_scope
from ward_core.errors import ConfigError, FilterError, InventoryError
from ward_core.plugin_manager import load_plugins
from ward_core.probes.selection import select_devices
from ward_core.worker.job_dispatch import DEFAULT_DEADLINE_S, JobResult, WaitHint, no_worker_message, run_job
from ward_core.worker.job_merge import merge_backup
from ward_core.worker.jobs import BACKUP_QUEUE, JobKind

app = typer.Typer(help="Configuration backups: run them, list, show, diff, history, export to git.")

PIPE_WIDTH = 200
BAD_INPUT = 2


def _console() -> Console:
    out = Console()
    return out if out.is_terminal else Console(width=PIPE_WIDTH)


def _bad_input(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(BAD_INPUT)


@contextmanager
def _engine(ctx: typer.Context) -> Iterator[Engine]:
    engine = get_engine(settings_of(ctx))
    try:
        require_current_schema(engine)
        yield engine
    finally:
        engine.dispose()


def _print_outcome(outcome: BackupOutcome, title: str | None = None) -> None:
    out = _console()
    if outcome.changed or outcome.failed:
        title = title or f"backup run {outcome.run_id}"
        table = Table("device", "status", "changed by", "reason", "detail", title=title)
        for d in outcome.devices:
            if d.status == "unchanged":
                continue
            status = "[red]failed[/]" if d.status == "failed" else d.status
            table.add_row(
                d.device, status, d.changed_by or "", d.reason or "", d.error or d.remediation or ""
            )
        out.print(table)
    changed, unchanged, failed = len(outcome.changed), len(outcome.unchanged), len(outcome.failed)
    counts = f"{changed} changed, {unchanged} unchanged, {failed} failed"
    out.print(
        f"{len(outcome.devices)} devices: {counts} in {outcome.duration_s:.2f} s",
        highlight=False,
    )


@app.command("backup")
def backup(
    ctx: typer.Context,
    limit: Annotated[
        str | None,
        typer.Option(
            "--limit",
            help="Only these devices: a name, site:X, region:X, role:X, group:X or a filter expression.",
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", min=0.1, help="Seconds per device. Default: backup_timeout_s."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="SSH sessions at once. Default: backup_workers.")
    ] = None,
    per_site: Annotated[
        int | None,
        typer.Option("--per-site", min=1, help="Sessions at once per site. Default: backup_per_site."),
    ] = None,
    retries: Annotated[
        int | None, typer.Option("--retries", min=0, help="More attempts after a timeout or broken session.")
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option("--batch-size", min=1, help="With a broker: devices per batch. Default: --workers."),
    ] = None,
    deadline: Annotated[
        float,
        typer.Option("--deadline", min=1, help="With a broker: most seconds to wait for the workers."),
    ] = DEFAULT_DEADLINE_S,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Back up devices now: in batches on the workers when a broker is configured, else in this
    process; exit 1 when a device failed, 2 on bad input."""
    settings = settings_of(ctx)
    options = BackupOptions.from_settings(settings)
    options = replace(
        options,
        timeout_s=timeout if timeout is not None else options.timeout_s,
        workers=workers or options.workers,
        per_site=per_site or options.per_site,
        retries=retries if retries is not None else options.retries,
    )
    # Failed sessions are reported per device; paramiko's own tracebacks would only repeat them.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    with _engine(ctx) as engine:
        try:
            with session_scope(engine) as session:
                names = select_devices(session, limit)
        except (FilterError, InventoryError) as exc:
            raise _bad_input(str(exc)) from None
        job: JobResult | None = None
        if settings.broker_url:
            outcome, job = _backup_on_workers(settings, engine, names, options, batch_size, deadline)
        else:
            with load_plugins(settings) as plugins:
                outcome = backup_devices(
                    engine=engine,
                    plugins=plugins,
                    settings=settings,
                    device_names=names,
                    options=options,
                    requested_by="cli",
                )
    if as_json:
        print_json({**outcome.to_dict(), **_job_dict(job)})
    else:
        _print_outcome(outcome, _job_title(job))
    if outcome.failed:
        raise typer.Exit(1)


def _backup_on_workers(
    settings: Settings,
    engine: Engine,
    names: list[str],
    options: BackupOptions,
    batch_size: int | None,
    deadline_s: float,
) -> tuple[BackupOutcome, JobResult]:
    """The devices in batches on the workers (:mod:`ward_core.worker.job_dispatch`): one batch fills
    one worker's SSH sessions unless ``--batch-size`` says otherwise."""
    job = run_job(
        settings=settings,
        engine=engine,
        kind=JobKind.BACKUP,
        device_names=names,
        batch_size=batch_size or options.workers,
        options={
            "timeout_s": options.timeout_s,
            "workers": options.workers,
            "per_site": options.per_site,
            "retries": options.retries,
        },
        requested_by="cli",
        deadline_s=deadline_s,
        on_progress=_hint(settings, BACKUP_QUEUE),
    )
    return merge_backup(job, names), job


def _hint(settings: Settings, queue: str) -> Callable[[int, int], None]:
    hint = WaitHint(no_worker_message(settings, queue), lambda text: typer.secho(text, err=True, fg="yellow"))

    def progress(done: int, total: int) -> None:
        if done == 0:
            hint.waiting()

    return progress


def _job_dict(job: JobResult | None) -> dict[str, object]:
    if job is None:
        return {}
    return {
        "job_id": job.job_id,
        "batches": len(job.batches),
        "run_ids": job.run_ids,
        "missing_batches": [b.batch_id for b in job.missing],
    }


def _job_title(job: JobResult | None) -> str | None:
    if job is None or len(job.batches) == 1:
        return None
    return f"backup job {job.job_id} ({len(job.batches)} batches on the workers)"


@app.command("list")
def list_configs(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Every device's current version: when it was collected, who changed it, how many versions."""
    with _engine(ctx) as engine, session_scope(engine) as session:
        current = latest(session)
        counts = version_counts(session)
    if as_json:
        print_json([{**v.to_dict(), "versions": counts.get(v.device, 0)} for v in current])
        return
    table = Table("device", "site", "version", "digest", "collected at", "changed by", "source", "versions")
    for v in current:
        table.add_row(
            v.device,
            v.site or "",
            str(v.id),
            v.digest[:12],
            v.collected_at.strftime("%Y-%m-%d %H:%M:%S"),
            v.changed_by or "",
            v.change_source if not v.remediation else f"remediation {v.remediation}",
            str(counts.get(v.device, 0)),
        )
    _console().print(table)


@app.command("history")
def history_cmd(
    ctx: typer.Context,
    device: Annotated[str, typer.Argument(help="Device name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Every version of one device, newest first."""
    with _engine(ctx) as engine, session_scope(engine) as session:
        try:
            versions = history(session, device)
        except InventoryError as exc:
            raise _bad_input(str(exc)) from None
    if as_json:
        print_json([v.to_dict() for v in versions])
        return
    table = Table("version", "digest", "collected at", "run", "changed by", "device says at", "source", "+/-")
    for v in versions:
        table.add_row(
            str(v.id),
            v.digest[:12],
            v.collected_at.strftime("%Y-%m-%d %H:%M:%S"),
            str(v.run_id or ""),
            v.changed_by or "",
            v.device_changed_at or "",
            v.change_source if not v.remediation else f"remediation {v.remediation}",
            f"+{v.lines_added} -{v.lines_removed}",
        )
    _console().print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    device: Annotated[str, typer.Argument(help="Device name.")],
    version: Annotated[
        str | None, typer.Option("--version", help="Version id or digest prefix. Default: the newest.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print as JSON (the version and its text).")
    ] = False,
) -> None:
    """A stored configuration (redacted and normalised)."""
    with _engine(ctx) as engine, session_scope(engine) as session:
        try:
            found = resolve_version(session, device, version)
            text = version_text(session, found)
        except InventoryError as exc:
            raise _bad_input(str(exc)) from None
    if as_json:
        print_json({**found.to_dict(), "text": text})
    else:
        typer.echo(text, nl=False)


@app.command("diff")
def diff(
    ctx: typer.Context,
    device: Annotated[str, typer.Argument(help="Device name.")],
    old: Annotated[str | None, typer.Argument(help="Older version. Default: the one before NEW.")] = None,
    new: Annotated[str | None, typer.Argument(help="Newer version. Default: the newest.")] = None,
    context_lines: Annotated[int, typer.Option("--context", min=0, help="Lines of context.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Unified diff between two versions of one device (by default: the last change)."""
    with _engine(ctx) as engine, session_scope(engine) as session:
        try:
            newer = resolve_version(session, device, new)
            if old is not None:
                older = resolve_version(session, device, old)
            elif newer.previous_id is not None:
                older = resolve_version(session, device, str(newer.previous_id))
            else:
                raise InventoryError(
                    f"device {device!r}: version {newer.id} is its first, nothing to diff against"
                )
            text = diff_versions(session, older, newer, context=context_lines)
        except InventoryError as exc:
            raise _bad_input(str(exc)) from None
    if as_json:
        print_json({"device": device, "old": older.to_dict(), "new": newer.to_dict(), "diff": text})
    else:
        typer.echo(text, nl=False)


@app.command("stale")
def stale(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="List every device, stale or not.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Devices whose last successful backup is older than their interval; exit 1 when there is one."""
    settings = settings_of(ctx)
    with _engine(ctx) as engine, session_scope(engine) as session:
        found = freshness(session, default_interval_s=settings.backup_interval_s)
    shown = found if show_all else [f for f in found if f.stale]
    if as_json:
        print_json([f.to_dict() for f in shown])
    else:
        table = Table(
            "device", "site", "last success", "age s", "interval s", "last failure", "failures in a row"
        )
        for f in shown:
            table.add_row(
                f"[red]{f.device}[/]" if f.stale else f.device,
                f.site or "",
                f.last_success_at.strftime("%Y-%m-%d %H:%M:%S") if f.last_success_at else "never",
                f"{f.age_s:.0f}" if f.age_s is not None else "",
                f"{f.interval_s:.0f}",
                f"{f.last_failure_reason}: {f.last_error}" if f.last_failure_reason else "",
                str(f.consecutive_failures),
            )
        _console().print(table)
    if any(f.stale for f in found):
        raise typer.Exit(1)


@app.command("export-git")
def export_git(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Git repository to write (created when missing).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Write every version not exported yet as one git commit each, file <site>/<device>.cfg."""
    with _engine(ctx) as engine, session_scope(engine) as session:
        try:
            outcome = export_to_git(session, folder)
        except ConfigError as exc:
            raise _bad_input(str(exc)) from None
    if as_json:
        print_json(outcome.to_dict())
    else:
        typer.echo(f"{outcome.repo}: {outcome.commits} commit(s) added, last version {outcome.last_version}")
