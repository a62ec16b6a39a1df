"""``ward topology``: discover links, show the graph, find paths, compare discoveries, explain,
and prune old history.

Exit status: 0 on success, 1 when a device could not be collected (``discover``) or the database
cannot be used, 2 on bad input (an unknown device, site, transport or snapshot). ``discover`` runs
in batches on the workers when a broker is configured and prints the same summary; without one it
runs in this process (the embedded default).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from ward_core.cli.context import print_json, settings_of
from ward_core.config import Settings
from ward_core.db.migrate import require_current_schema
from ward_core.db.session import get_engine, session_scope
from ward_core.errors import ConfigError, InventoryError
from ward_core.plugin_manager import load_plugins
from ward_core.probes.selection import select_devices
from ward_core.topology.diff import SnapshotDiff, diff_snapshots
from ward_core.topology.dot import to_dot
from ward_core.topology.graph import (
    DEFAULT_ALTERNATIVES,
    Hop,
    build_graph,
    paths,
    site_subgraph,
    site_uplinks,
)
from ward_core.topology.model import Snapshot, link_key
from ward_core.topology.outcome import DiscoveryOutcome
from ward_core.topology.overrides import Override, OverrideKind, check_override
from ward_core.topology.retention import PruneReport, prune_topology
from ward_core.topology.service import check_transport, discover_batch
from ward_core.topology.store import (
    add_override,
    delete_override,
    history,
    list_overrides,
    load_snapshot,
    previous_snapshot_id,
)
from ward_core.topology.svg import to_svg
from ward_core.worker.job_dispatch import DEFAULT_DEADLINE_S, WaitHint, no_worker_message, run_job
from ward_core.worker.job_merge import merge_discovery
from ward_core.worker.jobs import DISCOVERY_QUEUE, JobKind

app = typer.Typer(help="Topology from LLDP/CDP: discover, show, path, diff, explain, override, prune.")
override_app = typer.Typer(help="Links declared or ignored by hand, and names that stand for devices.")
app.add_typer(override_app, name="override")

PIPE_WIDTH = 200
BAD_INPUT = 2


def _console() -> Console:
    out = Console()
    return out if out.is_terminal else Console(width=PIPE_WIDTH)


def _bad_input(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(BAD_INPUT)


def _engine(settings: Settings) -> Engine:
    engine = get_engine(settings)
    require_current_schema(engine)
    return engine


def _snapshot(engine: Engine, snapshot_id: int | None) -> Snapshot:
    with session_scope(engine) as session:
        snapshot = load_snapshot(session, snapshot_id)
    if snapshot is None:
        if snapshot_id is None:
            raise _bad_input("no discovery yet: run `ward topology discover`")
        raise _bad_input(f"no discovery with id {snapshot_id} (see `ward topology history`)")
    return snapshot


SnapshotOption = Annotated[
    int | None, typer.Option("--snapshot", help="Discovery id (default: the newest; see `history`).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print as JSON.")]


# --------------------------------------------------------------------------- discover


def _print_outcome(outcome: DiscoveryOutcome) -> None:
    out = _console()
    out.print(
        f"discovery #{outcome.snapshot_id} over {outcome.transport}: {outcome.collected}/{outcome.devices} "
        f"devices collected, {outcome.records} records, {outcome.links} links "
        f"({outcome.two_sided} two-sided, {outcome.one_sided} one-sided), {outcome.unmatched} records "
        f"unmatched, {outcome.duration_s:.2f} s",
        highlight=False,
    )
    if outcome.previous_snapshot_id is not None:
        for key in outcome.added:
            out.print(f"[green]+ {key}[/]", highlight=False)
        for key in outcome.removed:
            out.print(f"[red]- {key}[/]", highlight=False)
    if outcome.failures:
        table = Table("device", "reason", title="not collected")
        for failure in outcome.failures:
            table.add_row(failure.device, failure.reason)
        out.print(table)


@app.command()
def discover(
    ctx: typer.Context,
    limit: Annotated[
        str | None,
        typer.Option(
            "--limit", help="Only these devices: a name, site:X, region:X, role:X, group:X or a filter."
        ),
    ] = None,
    transport: Annotated[
        str, typer.Option("--transport", help="ssh (CLI, LLDP+CDP) or snmp (LLDP-MIB).")
    ] = "ssh",
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size", min=1, help="With a broker: devices per batch. Default: topology_workers."
        ),
    ] = None,
    deadline: Annotated[
        float,
        typer.Option("--deadline", min=1, help="With a broker: most seconds to wait for the workers."),
    ] = DEFAULT_DEADLINE_S,
    as_json: JsonOption = False,
) -> None:
    """Collect neighbours now, store the new graph (in batches on the workers when a broker is
    configured, else in this process); exit 1 when a device could not be collected."""
    settings = settings_of(ctx)
    try:
        wanted = check_transport(transport)
    except ConfigError as exc:
        raise _bad_input(str(exc)) from None
    engine = _engine(settings)
    try:
        with session_scope(engine) as session:
            try:
                names = select_devices(session, limit)
            except InventoryError as exc:
                raise _bad_input(str(exc)) from None
        if settings.broker_url:
            outcome = _discover_on_workers(settings, engine, names, wanted, batch_size, deadline)
        else:
            with load_plugins(settings) as plugins:
                outcome = discover_batch(
                    engine=engine, plugins=plugins, settings=settings, device_names=names, transport=wanted
                )
    finally:
        engine.dispose()
    if as_json:
        print_json(outcome.to_dict())
    else:
        _print_outcome(outcome)
    if outcome.failures:
        raise typer.Exit(1)


def _discover_on_workers(
    settings: Settings,
    engine: Engine,
    names: list[str],
    transport: str,
    batch_size: int | None,
    deadline_s: float,
) -> DiscoveryOutcome:
    """The devices in batches on the workers (:mod:`ward_core.worker.job_dispatch`), merged into
    one outcome against the snapshot that was newest before (:mod:`ward_core.worker.job_merge`)."""
    with session_scope(engine) as session:
        baseline = load_snapshot(session)
    baseline_id = baseline.id if baseline is not None else None
    hint = WaitHint(
        no_worker_message(settings, DISCOVERY_QUEUE), lambda text: typer.secho(text, err=True, fg="yellow")
    )
    job = run_job(
        settings=settings,
        engine=engine,
        kind=JobKind.DISCOVERY,
        device_names=names,
        batch_size=batch_size or settings.topology_workers,
        options={"transport": transport},
        requested_by="cli",
        deadline_s=deadline_s,
        extra={"baseline_snapshot_id": baseline_id},
        on_progress=lambda done, _total: hint.waiting() if done == 0 else None,
    )
    return merge_discovery(job, engine, transport, baseline_id)


# --------------------------------------------------------------------------- show


@app.command()
def show(
    ctx: typer.Context,
    site: Annotated[
        str | None, typer.Option("--site", help="Only this site's devices and their links.")
    ] = None,
    as_json: JsonOption = False,
    as_dot: Annotated[bool, typer.Option("--dot", help="Print Graphviz DOT.")] = False,
    as_svg: Annotated[bool, typer.Option("--svg", help="Print an SVG picture.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead.")] = None,
    snapshot_id: SnapshotOption = None,
) -> None:
    """The discovered graph: a table, or JSON, DOT or SVG."""
    if sum((as_json, as_dot, as_svg)) > 1:
        raise _bad_input("choose one of --json, --dot and --svg")
    engine = _engine(settings_of(ctx))
    try:
        snapshot = _snapshot(engine, snapshot_id)
    finally:
        engine.dispose()
    graph = build_graph(snapshot)
    uplinks = site_uplinks(graph)
    if site is not None:
        try:
            graph = site_subgraph(graph, site)
        except ConfigError as exc:
            raise _bad_input(str(exc)) from None
    keys = {str(k) for _, _, k in graph.edges(keys=True)}
    links = [info for info in snapshot.links if info.key in keys]
    title = f"ward topology #{snapshot.id}" + (f", site {site}" if site else "")
    text: str | None = None
    if as_dot:
        text = to_dot(graph, title)
    elif as_svg:
        text = to_svg(graph, title)
    elif as_json:
        data = snapshot.to_dict()
        nodes = set(graph.nodes)
        data["devices"] = [d for d in data["devices"] if d["name"] in nodes]
        data["links"] = [info.to_dict() for info in links]
        data["explanations"] = [e.to_dict() for e in snapshot.explanations if e.device in nodes]
        data["uplinks"] = {s: d for s, d in uplinks.items() if site is None or s == site}
        if output is None:
            print_json(data)
            return
        text = json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"
    if text is not None:
        if output is not None:
            output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    out = _console()
    table = Table("device", "interface", "neighbour", "interface", "kind", "protocols", title=title)
    for info in links:
        kind = info.kind if info.kind == "two_sided" else f"[yellow]{info.kind}[/]"
        link = info.link
        table.add_row(
            link.a_device, link.a_interface, link.b_device, link.b_interface, kind, ",".join(info.protocols)
        )
    out.print(table)
    unmatched = [e for e in snapshot.unmatched() if e.device in graph]
    out.print(
        f"{graph.number_of_nodes()} devices, {len(links)} links, {len(unmatched)} records unmatched "
        f"(`ward topology explain DEVICE`), discovered {snapshot.discovered_at:%Y-%m-%d %H:%M:%S} UTC",
        highlight=False,
    )


@app.command()
def uplinks(ctx: typer.Context, snapshot_id: SnapshotOption = None, as_json: JsonOption = False) -> None:
    """Each site's uplink device (the one alerting folds the site's outages under)."""
    engine = _engine(settings_of(ctx))
    try:
        snapshot = _snapshot(engine, snapshot_id)
    finally:
        engine.dispose()
    found = site_uplinks(build_graph(snapshot))
    if as_json:
        print_json(found)
        return
    table = Table("site", "uplink device")
    for site, device in sorted(found.items()):
        table.add_row(site, device)
    _console().print(table)


# --------------------------------------------------------------------------- path


def _hop_text(hop: Hop) -> str:
    ports = " | ".join(f"{a} -> {b}" for a, b in hop.interfaces)
    return f"{hop.device} [{ports}] {hop.next}"


@app.command()
def path(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="Device to start from.")],
    target: Annotated[str, typer.Argument(help="Device to reach.")],
    alternatives: Annotated[
        int, typer.Option("--alternatives", min=0, help="Next-shortest paths to show as well.")
    ] = DEFAULT_ALTERNATIVES,
    snapshot_id: SnapshotOption = None,
    as_json: JsonOption = False,
) -> None:
    """The shortest path between two devices with the interfaces of each hop, and alternatives."""
    engine = _engine(settings_of(ctx))
    try:
        snapshot = _snapshot(engine, snapshot_id)
    finally:
        engine.dispose()
    try:
        found = paths(build_graph(snapshot), source, target, alternatives=alternatives)
    except ConfigError as exc:
        raise _bad_input(str(exc)) from None
    if as_json:
        print_json(
            {
                "source": source,
                "target": target,
                "paths": [{"hops": len(p), "path": [h.to_dict() for h in p]} for p in found],
            }
        )
    else:
        out = _console()
        if not found:
            out.print(f"{source} and {target} are not connected in discovery #{snapshot.id}")
        for index, hops in enumerate(found):
            label = "shortest" if index == 0 else f"alternative {index}"
            out.print(f"[bold]{label}[/] ({len(hops)} hop{'s' if len(hops) != 1 else ''}):", highlight=False)
            for hop in hops:
                out.print(f"  {_hop_text(hop)}", highlight=False)
    if not found:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- diff, history


def _print_diff(diff: SnapshotDiff) -> None:
    out = _console()
    out.print(f"discovery #{diff.old_id} -> #{diff.new_id}", highlight=False)
    if diff.empty:
        out.print("no change")
    for link in diff.added:
        out.print(f"[green]+ {link_key(link)}[/]", highlight=False)
    for link in diff.removed:
        out.print(f"[red]- {link_key(link)}[/]", highlight=False)
    for old, new in diff.changed:
        out.print(f"[yellow]~ {old.key}: {old.kind} -> {new.kind}[/] {new.note}", highlight=False)


@app.command()
def diff(
    ctx: typer.Context,
    old: Annotated[
        int | None, typer.Argument(help="Older discovery id (default: the one before NEW).")
    ] = None,
    new: Annotated[int | None, typer.Argument(help="Newer discovery id (default: the newest).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Links added, lost and changed between two discoveries."""
    engine = _engine(settings_of(ctx))
    try:
        after = _snapshot(engine, new)
        if old is None:
            with session_scope(engine) as session:
                old = previous_snapshot_id(session, after.id or 0)
            if old is None:
                raise _bad_input(f"discovery #{after.id} is the first one: nothing to compare it with")
        before = _snapshot(engine, old)
    finally:
        engine.dispose()
    result = diff_snapshots(before, after)
    if as_json:
        print_json(result.to_dict())
    else:
        _print_diff(result)


@app.command("history")
def history_cmd(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many discoveries.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The newest discoveries: when, over which transport, how many links."""
    engine = _engine(settings_of(ctx))
    try:
        with session_scope(engine) as session:
            entries = history(session, limit)
    finally:
        engine.dispose()
    if as_json:
        print_json([e.to_dict() for e in entries])
        return
    table = Table("id", "discovered (UTC)", "transport", "links", "one-sided", "unmatched")
    for e in entries:
        table.add_row(
            str(e.id),
            f"{e.discovered_at:%Y-%m-%d %H:%M:%S}",
            e.transport or "",
            str(e.links),
            str(e.one_sided),
            str(e.unmatched),
        )
    _console().print(table)


# --------------------------------------------------------------------------- explain


@app.command()
def explain(
    ctx: typer.Context,
    device: Annotated[str, typer.Argument(help="Device name.")],
    snapshot_id: SnapshotOption = None,
    as_json: JsonOption = False,
) -> None:
    """Why each neighbour of a device did or did not become a link."""
    engine = _engine(settings_of(ctx))
    try:
        snapshot = _snapshot(engine, snapshot_id)
    finally:
        engine.dispose()
    if snapshot.device(device) is None:
        raise _bad_input(f"device {device!r} is not in discovery #{snapshot.id}")
    collected = next((c for c in snapshot.collections if c.device == device), None)
    explanations = snapshot.explanations_of(device)
    links = [info for info in snapshot.links if device in (info.link.a_device, info.link.b_device)]
    if as_json:
        print_json(
            {
                "device": device,
                "snapshot": snapshot.id,
                "collection": collected.to_dict() if collected else None,
                "links": [info.to_dict() for info in links],
                "explanations": [e.to_dict() for e in explanations],
            }
        )
        return
    out = _console()
    if collected is None:
        out.print(f"{device} has never been collected: only its neighbours' reports are known")
    elif collected.ok:
        out.print(
            f"{device} collected over {collected.transport} at "
            f"{collected.collected_at:%Y-%m-%d %H:%M:%S} UTC: {collected.records} records",
            highlight=False,
        )
    else:
        out.print(f"[red]{device} could not be collected[/]: {collected.error}", highlight=False)
    table = Table("reported by", "interface", "neighbour", "protocol", "verdict", "reason", "detail")
    for e in explanations:
        far = (
            f"{e.neighbour} -> {e.far_device} {e.far_interface or ''}".strip()
            if e.far_device
            else e.neighbour
        )
        colour = {"link": "green", "one_sided": "yellow"}.get(e.verdict, "red")
        table.add_row(
            e.device,
            e.local_interface,
            far,
            e.protocol,
            f"[{colour}]{e.verdict}[/]",
            e.reason.value,
            e.detail,
        )
    out.print(table)
    for info in links:
        if info.kind == "override":
            out.print(f"{info.key}: {info.note}", highlight=False)


# --------------------------------------------------------------------------- overrides


def _add(ctx: typer.Context, override: Override) -> None:
    engine = _engine(settings_of(ctx))
    try:
        with session_scope(engine) as session:
            names = set(select_devices(session))
            try:
                checked = check_override(override, names)
            except ConfigError as exc:
                raise _bad_input(str(exc)) from None
            new_id = add_override(session, checked)
    finally:
        engine.dispose()
    typer.echo(f"override #{new_id} added; it applies from the next discovery")


def _link_override(
    ctx: typer.Context, kind: OverrideKind, a: str, a_if: str, b: str, b_if: str, reason: str
) -> None:
    _add(ctx, Override(kind=kind, a_device=a, a_interface=a_if, b_device=b, b_interface=b_if, reason=reason))


DeviceArg = Annotated[str, typer.Argument(help="Device name.")]
InterfaceArg = Annotated[str, typer.Argument(help="Interface name (short or long form).")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (shown in explanations).")]


@override_app.command("link")
def override_link(
    ctx: typer.Context,
    a: DeviceArg,
    a_if: InterfaceArg,
    b: DeviceArg,
    b_if: InterfaceArg,
    reason: ReasonOption = "",
) -> None:
    """Declare a link no protocol reports (a device without LLDP/CDP)."""
    _link_override(ctx, "link", a, a_if, b, b_if, reason)


@override_app.command("ignore")
def override_ignore(
    ctx: typer.Context,
    a: DeviceArg,
    a_if: InterfaceArg,
    b: DeviceArg,
    b_if: InterfaceArg,
    reason: ReasonOption = "",
) -> None:
    """Never draw this link, whatever the devices report."""
    _link_override(ctx, "ignore", a, a_if, b, b_if, reason)


@override_app.command("alias")
def override_alias(
    ctx: typer.Context,
    announced: Annotated[str, typer.Argument(help="The name or chassis ID the device announces.")],
    device: DeviceArg,
    reason: ReasonOption = "",
) -> None:
    """Say that a name or chassis ID neighbours report stands for an inventory device."""
    _add(ctx, Override(kind="alias", a_device=device, alias=announced, reason=reason))


@override_app.command("list")
def override_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every override."""
    engine = _engine(settings_of(ctx))
    try:
        with session_scope(engine) as session:
            overrides = list_overrides(session)
    finally:
        engine.dispose()
    if as_json:
        print_json([o.to_dict() for o in overrides])
        return
    table = Table("id", "override", "reason")
    for o in overrides:
        table.add_row(str(o.id), o.describe().split(" ", 1)[1], o.reason)
    _console().print(table)


@override_app.command("delete")
def override_delete(
    ctx: typer.Context, override_id: Annotated[int, typer.Argument(help="Override id (see `list`).")]
) -> None:
    """Delete an override; discovery stops applying it from the next run."""
    engine = _engine(settings_of(ctx))
    try:
        with session_scope(engine) as session:
            deleted = delete_override(session, override_id)
    finally:
        engine.dispose()
    if not deleted:
        raise _bad_input(f"no override with id {override_id}")
    typer.echo(f"override #{override_id} deleted")


# --------------------------------------------------------------------------- prune


def _print_prune(report: PruneReport) -> None:
    verb = "would delete" if report.dry_run else "deleted"
    kept = f"#{report.oldest_kept_snapshot} and newer" if report.oldest_kept_snapshot is not None else "none"
    _console().print(
        f"{verb} {report.snapshots_deleted} discoveries (kept {report.snapshots_kept}: {kept}) and "
        f"{report.observations_deleted} observations collected before "
        f"{report.observations_before:%Y-%m-%d %H:%M} UTC (kept {report.observations_kept}, each "
        "device's newest and those the latest discovery rests on included)",
        highlight=False,
    )


@app.command()
def prune(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")] = False,
    keep: Annotated[
        int | None,
        typer.Option("--keep", min=1, help="Newest discoveries to keep (default: topology_snapshot_keep)."),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            min=1,
            help="Days of observations to keep (default: topology_observation_retention_days).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Delete old discoveries and raw observations, keeping what show, diff, explain and the next
    discovery need (the latest discovery and every device's newest observation always stay)."""
    settings = settings_of(ctx)
    keep_snapshots = keep if keep is not None else settings.topology_snapshot_keep
    retention = days if days is not None else settings.topology_observation_retention_days
    before = datetime.now(UTC) - timedelta(days=retention)
    engine = _engine(settings)
    try:
        with session_scope(engine) as session:
            report = prune_topology(
                session, keep_snapshots=keep_snapshots, observations_before=before, dry_run=dry_run
            )
    finally:
        engine.dispose()
    if as_json:
        print_json(report.to_dict())
    else:
        _print_prune(report)
