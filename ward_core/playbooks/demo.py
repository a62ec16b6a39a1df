"""``ward demo``: all of ward in one command, on the embedded default (SQLite, no broker).

In a folder of its own (``./ward-demo`` by default) the demo

1. writes ``ward.toml`` (SQLite database, lab secrets, a roles file and an approval policy of the
   demo's own), so that every ``ward`` command a person types afterwards with
   ``WARD_CONFIG=<folder>/ward.toml`` sees the same world;
2. starts the simulated lab (20 devices: 4 branches and 2 hubs) and imports its inventory;
3. loads the alert rules shipped in ``playbooks/rules`` (all but ``config-changed``: the demo's
   first backups would all count as changes) and runs the example playbooks on the healthy network;
4. injects two faults: ``config-drift`` on a branch router, ``if-down`` on a switch's uplink;
5. runs the playbooks again and shows what they found: the poll numbers, the link down, the
   configuration drift (backup diff and compliance commands), the topology change (SVG written),
   the alert firing, and the remediation requests waiting for approval, with the exact command
   that approves the configuration fix as a second person.

The lab is left running so that the approved fix really executes on it; the demo prints the
``ward lab down`` command that stops it. Every number printed comes from the runs just made.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select

import ward_core
from ward_core.alerts.rulefile import Checks, read_rule_files
from ward_core.alerts.rules_store import store_rules
from ward_core.alerts.vocabulary import vocabulary_of
from ward_core.backup.queries import diff_versions, history
from ward_core.config import Settings, load_settings
from ward_core.db.migrate import upgrade
from ward_core.db.models import AlertRow
from ward_core.db.session import get_engine, session_scope
from ward_core.inventory.importer import import_inventory
from ward_core.lab.export import lab_inventory_yaml
from ward_core.lab.process import LabProcess
from ward_core.lab.spec import LabSpec
from ward_core.playbooks.loader import load_playbook
from ward_core.playbooks.runner import RunReport, run_playbook, step_schemas
from ward_core.plugin_manager import WardPlugins, load_plugins
from ward_core.probes.selection import select_devices

REQUESTER = "alice"
APPROVER = "bob"
ROLES = {
    "users": {
        REQUESTER: {"roles": ["neteng"]},
        APPROVER: {"roles": ["neteng"]},
    }
}
POLICY = {
    "rules": [{"name": "demo-one-approval", "match": {}, "approvals": 1, "roles": ["neteng"]}],
    "default": {"approvals": 1, "roles": ["neteng"]},
}
LEFT_OUT_RULES = frozenset({"config-changed"})
DRIFT_DEVICE = "br002-rtr1"
DOWN_DEVICE = "br003-sw2"
DOWN_INTERFACE = "GigabitEthernet1/0/28"


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoOptions:
    """Where the demo runs and how the lab listens."""

    folder: Path
    devices: int = 20
    sites: int = 4
    ssh_port: int = 10022
    snmp_port: int = 10161
    first_address: str | None = None


@dataclass
class DemoResult:
    """What the demo did: the runs, the requests waiting, the commands it printed."""

    folder: Path
    config_file: Path
    runs: dict[str, list[RunReport]] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    svg: str | None = None
    approve_command: str | None = None
    down_command: str = ""
    seconds: float = 0.0


def playbooks_root() -> Path:
    """The ``playbooks/`` folder beside the ``ward_core`` package (checkout or editable install)."""
    return Path(ward_core.__file__).resolve().parent.parent / "playbooks"


def _write_config(folder: Path, lab_dir: Path) -> Path:
    (folder / "roles.yml").write_text(yaml.safe_dump(ROLES, sort_keys=False), encoding="utf-8")
    (folder / "policy.yml").write_text(yaml.safe_dump(POLICY, sort_keys=False), encoding="utf-8")
    lines = {
        "database_url": f"sqlite:///{folder / 'ward.db'}",
        "secrets_file": str(lab_dir / "secrets.yml"),
        "roles_file": str(folder / "roles.yml"),
        "approval_policy_file": str(folder / "policy.yml"),
        "lab_dir": str(lab_dir),
    }
    config = folder / "ward.toml"
    body = "".join(f'{key} = "{value}"\n' for key, value in lines.items())
    config.write_text("# Written by `ward demo`: the demo's settings.\n" + body, encoding="utf-8")
    return config


def _settings(config: Path) -> Settings:
    """The demo's settings: its ``ward.toml``, whatever ``WARD_*`` the shell has, and no broker."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("WARD_")}
    for key in saved:
        del os.environ[key]
    os.environ["WARD_CONFIG"] = str(config)
    try:
        return load_settings(broker_url=None, user=REQUESTER)
    finally:
        del os.environ["WARD_CONFIG"]
        os.environ.update(saved)


def _load_rules(engine: Engine, plugins: WardPlugins) -> int:
    root = playbooks_root() / "rules"
    if not root.is_dir():
        return 0
    checks = Checks(
        vocabulary=vocabulary_of(plugins),
        notifiers=frozenset(plugins.alert_notifiers()),
        actions=frozenset(plugins.remediation_actions()),
    )
    rules = [r for r in read_rule_files([root], checks) if r.name not in LEFT_OUT_RULES]
    with session_scope(engine) as session:
        store_rules(session, rules)
    return len(rules)


class _Demo:
    def __init__(self, out: Console, settings: Settings, engine: Engine, plugins: WardPlugins) -> None:
        self.out, self.settings, self.engine, self.plugins = out, settings, engine, plugins
        self.schemas = step_schemas(plugins)
        self.artifacts = str(Path(settings.lab_dir).parent)

    def run(self, file: str, given: dict[str, Any] | None = None) -> RunReport:
        playbook = load_playbook(playbooks_root() / file, self.schemas, given)
        with session_scope(self.engine) as session:
            devices = select_devices(session, playbook.targets)
        started = time.perf_counter()
        report = run_playbook(
            engine=self.engine,
            plugins=self.plugins,
            settings=self.settings,
            playbook=playbook,
            devices=devices,
            requested_by=REQUESTER,
            artifacts=self.artifacts,
        )
        totals = ", ".join(f"{n} {s}" for s, n in report.totals().items() if n)
        stopped = f" [red]({report.stopped})[/]" if report.stopped else ""
        self.out.print(
            f"  {playbook.name:<26} run {report.run_id:<3} {totals}{stopped}  "
            f"({time.perf_counter() - started:.1f} s)",
            highlight=False,
        )
        return report


def _health(out: Console, report: RunReport) -> None:
    table = Table("device", "icmp loss %", "rtt ms", "interfaces up", "down (unused incl.)", "links down")
    for device in report.devices:
        output = report.results.get(device, {}).get("reach")
        data = output.output if output else {}
        links = data.get("links_down") or []
        if device in (DOWN_DEVICE, DRIFT_DEVICE) or links or (output and output.failed):
            table.add_row(
                device,
                str(data.get("ping.loss_pct", "-")),
                f"{data['ping.rtt_avg_ms']:.3f}" if "ping.rtt_avg_ms" in data else "-",
                str(data.get("interfaces_up", "-")),
                str(data.get("interfaces_down", "-")),
                f"[red]{', '.join(links)}[/]" if links else "",
            )
    up = sum(int(r["reach"].output.get("interfaces_up", 0)) for r in report.results.values() if "reach" in r)
    reached = sum(1 for r in report.results.values() if "reach" in r and r["reach"].status == "ok")
    out.print(
        f"  poll: {reached}/{len(report.devices)} devices answered, {up} interfaces up in all",
        highlight=False,
    )
    out.print(table)


def _drift(out: Console, engine: Engine, report: RunReport) -> None:
    audit = report.results.get(DRIFT_DEVICE, {}).get("audit")
    with session_scope(engine) as session:
        versions = history(session, DRIFT_DEVICE)
        diff = diff_versions(session, versions[1], versions[0], context=0) if len(versions) > 1 else ""
    out.print(f"  backup diff of {DRIFT_DEVICE} (ward configs diff):", highlight=False)
    for line in diff.splitlines():
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
            out.print(f"    {line}", highlight=False, markup=False)
    if audit is not None:
        out.print(f"  compliance: {audit.reason or audit.status}; commands that fix it:", highlight=False)
        for command in audit.output.get("remediation", []):
            out.print(f"    | {command}", highlight=False, markup=False)


def _alerts(engine: Engine) -> list[dict[str, Any]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(AlertRow).where(AlertRow.state == "firing").order_by(AlertRow.id))
        return [
            {"id": r.id, "rule": r.rule, "device": r.device, "severity": r.severity, "summary": r.summary}
            for r in rows
        ]


def _requests(reports: Sequence[RunReport], step: str) -> list[dict[str, Any]]:
    found = []
    for report in reports:
        for device, steps in report.results.items():
            outcome = steps.get(step)
            if outcome is None:
                continue
            for request in outcome.output.get("requests", []):
                found.append({**request, "device": device, "action": outcome.output.get("action")})
    return found


@contextmanager
def _timer() -> Iterator[list[float]]:
    started = time.perf_counter()
    box = [0.0]
    try:
        yield box
    finally:
        box[0] = time.perf_counter() - started


def run_demo(options: DemoOptions, out: Console) -> DemoResult:
    """Run the whole demo (see the module docstring); the lab keeps running afterwards."""
    started = time.perf_counter()
    folder = options.folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    lab_dir = folder / "lab"
    lab = LabProcess(lab_dir)
    if lab.down():
        out.print(f"stopped the previous demo lab in {lab_dir}", highlight=False)
    for stale in ("ward.db", "topology.svg"):
        (folder / stale).unlink(missing_ok=True)
    shutil.rmtree(folder / "lab", ignore_errors=True)
    config = _write_config(folder, lab_dir)
    settings = _settings(config)
    env = f"WARD_CONFIG={config}"
    result = DemoResult(folder=folder, config_file=config, down_command=f"{env} ward lab down")
    out.print(f"[bold]ward demo[/] in {folder} (SQLite {folder / 'ward.db'}, no broker)", highlight=False)

    spec = LabSpec.create(
        devices=options.devices,
        sites=options.sites,
        seed=1,
        topology=None,
        ssh_port=options.ssh_port,
        snmp_port=options.snmp_port,
        first_address=options.first_address,
        netns=False,
    )
    with _timer() as took:
        state = lab.up(spec)
    addresses = [d["address"] for d in state["devices"]]
    out.print(
        f"1. lab up: {len(addresses)} devices in {len(state['sites'])} sites "
        f"({sum(1 for s in state['sites'] if s.startswith('branch'))} branches), {addresses[0]} .. "
        f"{addresses[-1]}, ssh port {spec.ssh_port}, snmp port {spec.snmp_port} ({took[0]:.1f} s)",
        highlight=False,
    )
    inventory = folder / "lab.yml"
    inventory.write_text(lab_inventory_yaml(state, str(lab.paths.secrets)), encoding="utf-8")
    engine = get_engine(settings)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            imported = import_inventory(inventory, session)
        counts = ", ".join(f"{c.written} {kind}" for kind, c in imported.kinds().items())
        out.print(f"2. inventory imported from {inventory}: {counts}", highlight=False)
        with load_plugins(settings) as plugins:
            _run_rounds(out, result, settings, engine, plugins, lab)
    finally:
        engine.dispose()
    result.seconds = time.perf_counter() - started
    _closing(out, result, env)
    return result


def _run_rounds(
    out: Console,
    result: DemoResult,
    settings: Settings,
    engine: Engine,
    plugins: WardPlugins,
    lab: LabProcess,
) -> None:
    demo = _Demo(out, settings, engine, plugins)
    alerting = plugins.manager.get_plugin("alerts") is not None
    rules = _load_rules(engine, plugins) if alerting else 0
    kinds = ["icmp", "snmp.interfaces"] if os.geteuid() == 0 else ["snmp.interfaces"]
    note = "" if os.geteuid() == 0 else " (ICMP left out: not root)"
    out.print(
        f"3. {rules} alert rules loaded from {playbooks_root() / 'rules'}"
        if alerting
        else "3. the alerts plugin is not installed: no alert rules",
        highlight=False,
    )
    out.print(f"4. the example playbooks on the healthy network{note}:", highlight=False)
    names = ("health_check.yml", "nightly_backup.yml", "discover_topology.yml", "compliance.yml")
    for name in names:
        given = {"kinds": kinds} if name == "health_check.yml" else None
        result.runs.setdefault(name, []).append(demo.run(name, given))

    drift = lab.fault(DRIFT_DEVICE, "config-drift", None)
    down = lab.fault(DOWN_DEVICE, "if-down", DOWN_INTERFACE)
    out.print(f"5. faults injected: {drift['message']}; {down['message']}", highlight=False)

    out.print("6. the playbooks again:", highlight=False)
    health = demo.run("health_check.yml", {"kinds": kinds})
    fixes = demo.run("remediate_down_interfaces.yml")
    audit = demo.run("compliance.yml")
    topology = demo.run("discover_topology.yml")
    result.runs["health_check.yml"].append(health)
    result.runs.setdefault("remediate_down_interfaces.yml", []).append(fixes)
    result.runs["compliance.yml"].append(audit)
    result.runs["discover_topology.yml"].append(topology)

    out.print("\n[bold]poll results[/] (health-check after the faults):")
    _health(out, health)
    out.print("\n[bold]configuration drift[/]:")
    _drift(out, engine, audit)
    neighbours = topology.results.get(DOWN_DEVICE, {}).get("neighbours")
    if neighbours is not None:
        data = neighbours.output
        result.svg = data.get("svg")
        out.print(
            f"\n[bold]topology[/]: snapshot {data.get('snapshot_id')}, {data.get('links')} links; "
            f"lost since the previous discovery: {', '.join(data.get('removed', [])) or 'none'}",
            highlight=False,
        )
        out.print(f"  SVG written to {result.svg}", highlight=False)
    result.alerts = _alerts(engine)
    out.print(
        "\n[bold]alerts firing[/]:" if alerting else "\n[bold]alerts[/]: the alerts plugin is not installed"
    )
    for alert in result.alerts:
        out.print(
            f"  #{alert['id']} {alert['severity']:<8} {alert['rule']:<22} "
            f"{alert['device']}: {alert['summary']}",
            highlight=False,
        )
    if alerting and not result.alerts:
        out.print("  none")
    result.pending = _requests([fixes], "bounce") + _requests([audit], "fix")
    table = Table("request", "device", "action", "state", "plan", title="remediation waiting for approval")
    for r in result.pending:
        table.add_row(str(r["request_id"]), r["device"], str(r["action"]), r["state"], str(r["summary"]))
    out.print()
    out.print(table)


def _closing(out: Console, result: DemoResult, env: str) -> None:
    fix = next((r for r in result.pending if r["action"] == "ios.compliance_apply"), None)
    chosen = fix or (result.pending[0] if result.pending else None)
    out.print(f"\ndemo finished in {result.seconds:.1f} s.", highlight=False)
    if chosen is not None:
        result.approve_command = (
            f"{env} WARD_USER={APPROVER} ward approvals approve {chosen['request_id']} "
            f"--plan-hash {chosen['plan_hash']} --comment 'reviewed in the demo'"
        )
        out.print(
            f"{REQUESTER} proposed; approve as {APPROVER} (a second person, role neteng) and the fix "
            f"runs at once on the lab (no broker: in that process):",
            highlight=False,
        )
        out.print(f"  {result.approve_command}", highlight=False, markup=False, soft_wrap=True)
        out.print("then see it:", highlight=False)
        out.print(
            f"  {env} ward remediation show {chosen['request_id']}\n"
            f"  {env} ward run {playbooks_root() / 'compliance.yml'} --limit {chosen['device']}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if any(r["action"] == "ios.interface_bounce" for r in result.pending):
        out.print(
            f"(the bounce of {DOWN_DEVICE} {DOWN_INTERFACE} would fail its verification while the far "
            f"end stays down: restore the link first with "
            f"`{env} ward lab fault {DOWN_DEVICE} if-up {DOWN_INTERFACE}`)",
            highlight=False,
            markup=False,
        )
    out.print("the lab keeps running for that; stop it when done:", highlight=False)
    out.print(f"  {result.down_command}", highlight=False, markup=False, soft_wrap=True)
